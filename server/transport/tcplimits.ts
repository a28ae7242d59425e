// Who may hold DNS-over-TCP connections, and who goes when there are too
// many. One client address (a /32, or a /64 for IPv6) may hold at most
// `perClient` connections: a single host holding thousands of silent
// connections cannot crowd everyone else out. At the total cap the
// connection idle the longest is closed to make room (RFC 7766 6.2.2: close
// idle connections first under pressure) instead of refusing the newcomer;
// only when every connection is busy is the new one refused. Limits are per
// process: with N workers a client may hold up to N x perClient.
import type net from 'node:net';
import { isIPv4 } from 'node:net';
import type { Stats } from '../runtime/stats.js';

export interface TcpLimitOptions {
  maxConnections: number;
  perClient: number;
}

interface Entry {
  client: string;
  /** True while the connection has a query, a transfer or unsent answers in progress. */
  busy: () => boolean;
}

/** The address a limit counts against: the IPv4 address, or the IPv6 /64. */
export function clientKey(address: string): string {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIPv4(v4)) return v4;
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => parseInt(g || '0', 16).toString(16)).join(':')}::/64`;
}

export class TcpLimits {
  /** Open connections, least recently active first (activity moves one to the end). */
  private readonly open = new Map<net.Socket, Entry>();
  private readonly perClient = new Map<string, number>();

  constructor(private readonly opts: TcpLimitOptions, private readonly stats: Stats) {}

  /** Takes a new connection in, or closes it (and says so by returning false). */
  admit(sock: net.Socket, busy: () => boolean): boolean {
    const client = clientKey(sock.remoteAddress ?? '');
    const held = this.perClient.get(client) ?? 0;
    if (held >= this.opts.perClient) {
      this.stats.tcpClientLimited++;
      sock.destroy();
      return false;
    }
    if (this.open.size >= this.opts.maxConnections && !this.closeOldestIdle()) {
      this.stats.tcpRejected++;
      sock.destroy();
      return false;
    }
    this.open.set(sock, { client, busy });
    this.perClient.set(client, held + 1);
    sock.once('close', () => this.release(sock));
    return true;
  }

  /** The connection did something: it is now the last to be closed for idleness. */
  active(sock: net.Socket): void {
    const e = this.open.get(sock);
    if (!e) return;
    this.open.delete(sock);
    this.open.set(sock, e);
  }

  private closeOldestIdle(): boolean {
    for (const [sock, e] of this.open) {
      if (e.busy()) continue;
      this.release(sock);
      sock.destroy();
      this.stats.tcpIdleEvicted++;
      return true;
    }
    return false;
  }

  private release(sock: net.Socket): void {
    const e = this.open.get(sock);
    if (!e) return;
    this.open.delete(sock);
    const left = (this.perClient.get(e.client) ?? 1) - 1;
    if (left > 0) this.perClient.set(e.client, left);
    else this.perClient.delete(e.client);
  }
}
