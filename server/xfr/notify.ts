// Outgoing NOTIFY (RFC 1996): tells each configured secondary that a zone's
// serial changed, so it transfers now instead of at its next SOA refresh
// (hours, typically). Sent over UDP once per zone at startup and after every
// reload that changes a serial, retried with a growing interval until the
// secondary answers. An answer ends the retries whatever its rcode: a
// secondary that says REFUSED will say it again, and the operator needs the
// log line, not more packets.
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from 'pino';
import type { Catalog } from '../engine/catalog.js';
import { Class, Opcode, Type } from '../wire/constants.js';
import { type Name, nameToText } from '../wire/names.js';
import type { ZoneLike } from '../zones/image/adapter.js';
import { type TsigKey, TsigSigner } from './tsig.js';

export interface NotifyTarget {
  host: string;
  port: number;
}

export interface NotifyOptions {
  targets: NotifyTarget[];
  log: Logger;
  /** Sends per zone change and secondary, the first included. */
  attempts?: number;
  /** Wait for an answer before the first resend; doubles after each. */
  retryMs?: number;
  /**
   * Wait after a serial change before notifying. With several workers each
   * reloads on its own; a secondary that transfers from a worker still on the
   * old serial would take it as current and wait for its next refresh.
   */
  delayMs?: number;
  /** --transfer-key: secondaries that insist on it drop unsigned NOTIFY. */
  key?: TsigKey;
}

export const NOTIFY_DEFAULTS = { attempts: 5, retryMs: 2000, delayMs: 0 } as const;

/**
 * `ADDR`, `ADDR:PORT`, `[V6]:PORT` or a bare IPv6 address; port 53 when
 * omitted. Literal addresses only: NOTIFY must not wait on a resolver, and a
 * name that resolves elsewhere later would notify the wrong host.
 */
export function parseNotifyTarget(text: string): NotifyTarget {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  let host: string;
  let port = '53';
  if (bracketed) {
    host = bracketed[1]!;
    if (bracketed[2] !== undefined) port = bracketed[2];
  } else if (net.isIPv6(text)) {
    host = text;
  } else {
    const m = /^([^:]+)(?::(\d+))?$/.exec(text);
    if (!m) throw new Error(`--notify "${text}": expected ADDR, ADDR:PORT or [IPv6]:PORT`);
    host = m[1]!;
    if (m[2] !== undefined) port = m[2];
  }
  if (net.isIP(host) === 0) throw new Error(`--notify "${text}": "${host}" is not an IP address (names are not resolved)`);
  const n = Number(port);
  if (!/^\d{1,5}$/.test(port) || n < 1 || n > 65535) throw new Error(`--notify "${text}": port must be 1-65535`);
  return { host, port: n };
}

/** The NOTIFY query: opcode NOTIFY, AA, the zone's SOA as question and (RFC 1996 section 3.7) as answer hint. */
export function buildNotify(zone: ZoneLike, id: number): Buffer {
  const owner = Buffer.from(zone.origin, 'latin1');
  const rdata = zone.soa.rdata[0]!.wire;
  const out = Buffer.alloc(12 + owner.length + 4 + 12 + rdata.length);
  out.writeUInt16BE(id, 0);
  out.writeUInt16BE((Opcode.NOTIFY << 11) | 0x0400, 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(1, 6);
  owner.copy(out, 12);
  let pos = 12 + owner.length;
  out.writeUInt16BE(Type.SOA, pos);
  out.writeUInt16BE(Class.IN, pos + 2);
  pos += 4;
  out.writeUInt16BE(0xc00c, pos); // the answer's owner is the question name
  out.writeUInt16BE(Type.SOA, pos + 2);
  out.writeUInt16BE(Class.IN, pos + 4);
  out.writeUInt32BE(zone.soa.ttl, pos + 6);
  out.writeUInt16BE(rdata.length, pos + 10);
  rdata.copy(out, pos + 12);
  return out;
}

interface Pending {
  id: number;
  key: string;
  origin: Name;
  serial: number;
  target: NotifyTarget;
  msg: Buffer;
  sent: number;
  timer: NodeJS.Timeout | undefined;
}

const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];

export class Notifier {
  private readonly attempts: number;
  private readonly retryMs: number;
  private readonly delayMs: number;
  /** Serial last announced per zone: a reload that leaves it alone sends nothing. */
  private readonly announced = new Map<Name, number>();
  private readonly delayed = new Map<Name, NodeJS.Timeout>();
  /** One exchange per zone and secondary; a newer serial replaces the older one. */
  private readonly inflight = new Map<string, Pending>();
  private readonly byId = new Map<number, Pending>();
  private readonly sockets = new Map<4 | 6, dgram.Socket>();
  private closed = false;

  constructor(private readonly opts: NotifyOptions) {
    this.attempts = Math.max(1, opts.attempts ?? NOTIFY_DEFAULTS.attempts);
    this.retryMs = opts.retryMs ?? NOTIFY_DEFAULTS.retryMs;
    this.delayMs = opts.delayMs ?? NOTIFY_DEFAULTS.delayMs;
  }

  /**
   * Called with each catalog that goes live, and once when the server is
   * ready to serve transfers (nothing is announced before that, so every zone
   * goes out then).
   */
  loaded(catalog: Catalog): void {
    if (this.closed || this.opts.targets.length === 0) return;
    for (const zone of catalog.zones.values()) {
      if (this.announced.get(zone.origin) === zone.serial) continue;
      this.announced.set(zone.origin, zone.serial);
      clearTimeout(this.delayed.get(zone.origin));
      if (this.delayMs <= 0) this.announce(zone);
      else {
        const t = setTimeout(() => {
          this.delayed.delete(zone.origin);
          this.announce(zone);
        }, this.delayMs);
        t.unref();
        this.delayed.set(zone.origin, t);
      }
    }
    for (const origin of [...this.announced.keys()]) {
      if (catalog.zones.has(origin)) continue;
      // A zone that is no longer served: nothing to announce, stop any retries.
      this.announced.delete(origin);
      clearTimeout(this.delayed.get(origin));
      this.delayed.delete(origin);
      for (const p of [...this.inflight.values()]) if (p.origin === origin) this.finish(p);
    }
  }

  close(): void {
    this.closed = true;
    for (const t of this.delayed.values()) clearTimeout(t);
    this.delayed.clear();
    for (const p of [...this.inflight.values()]) this.finish(p);
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
  }

  private announce(zone: ZoneLike): void {
    if (this.closed) return;
    this.opts.log.info({ zone: nameToText(zone.origin), serial: zone.serial, secondaries: this.opts.targets.map((t) => `${t.host}#${t.port}`) }, 'sending NOTIFY');
    for (const target of this.opts.targets) {
      const key = `${zone.origin}|${target.host}|${target.port}`;
      const old = this.inflight.get(key);
      if (old) this.finish(old);
      const id = this.freeId();
      const p: Pending = { id, key, origin: zone.origin, serial: zone.serial, target, msg: buildNotify(zone, id), sent: 0, timer: undefined };
      this.inflight.set(key, p);
      this.byId.set(id, p);
      this.send(p);
    }
  }

  private freeId(): number {
    for (;;) {
      const id = Math.floor(Math.random() * 65536);
      if (!this.byId.has(id)) return id;
    }
  }

  private send(p: Pending): void {
    if (p.sent >= this.attempts) {
      this.opts.log.warn(
        { zone: nameToText(p.origin), serial: p.serial, secondary: `${p.target.host}#${p.target.port}`, attempts: p.sent },
        'no answer to NOTIFY; the secondary will see the change at its next SOA refresh',
      );
      this.finish(p);
      return;
    }
    const wait = this.retryMs * 2 ** p.sent;
    p.sent++;
    // Signed at each send, not once: Time Signed must be fresh for every resend to pass the secondary's fudge check.
    const msg = this.opts.key ? new TsigSigner(this.opts.key).sign(p.msg) : p.msg;
    this.socketFor(p.target.host).send(msg, p.target.port, p.target.host, (err) => {
      // Unreachable networks and the like: the retry timer below tries again.
      if (err) this.opts.log.debug({ err, secondary: `${p.target.host}#${p.target.port}` }, 'NOTIFY send failed');
    });
    p.timer = setTimeout(() => this.send(p), wait);
    p.timer.unref();
  }

  private finish(p: Pending): void {
    clearTimeout(p.timer);
    if (this.inflight.get(p.key) === p) this.inflight.delete(p.key);
    if (this.byId.get(p.id) === p) this.byId.delete(p.id);
  }

  private socketFor(host: string): dgram.Socket {
    const family = net.isIPv6(host) ? 6 : 4;
    let s = this.sockets.get(family);
    if (s) return s;
    s = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
    s.on('message', (m, rinfo) => this.onAnswer(m, rinfo));
    s.on('error', (err) => this.opts.log.warn({ err }, 'NOTIFY socket error'));
    // Never what keeps the process alive: the DNS sockets are.
    s.unref();
    this.sockets.set(family, s);
    return s;
  }

  private onAnswer(m: Buffer, rinfo: dgram.RemoteInfo): void {
    if (m.length < 12) return;
    const flags = m.readUInt16BE(2);
    if ((flags & 0x8000) === 0 || ((flags >> 11) & 0xf) !== Opcode.NOTIFY) return;
    const p = this.byId.get(m.readUInt16BE(0));
    if (!p) return;
    this.finish(p);
    const rcode = flags & 0xf;
    const fields = { zone: nameToText(p.origin), serial: p.serial, secondary: `${p.target.host}#${p.target.port}`, from: rinfo.address };
    if (rcode === 0) this.opts.log.debug(fields, 'NOTIFY acknowledged');
    else this.opts.log.warn({ ...fields, rcode: RCODE_NAMES[rcode] ?? rcode }, 'secondary refused our NOTIFY; check its allow-notify / also-notify settings');
  }
}
