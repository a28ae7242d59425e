// Real HTTP backends on loopback addresses for failover tests, with a /healthz
// whose answer a test switches (or computes per caller), and polling helpers.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `cond` until true; returns the elapsed ms. Fails the test after `ms`. */
export async function waitFor(what: string | (() => string), cond: () => boolean | Promise<boolean>, ms = 8000, every = 25): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await cond()) return Date.now() - start;
    if (Date.now() - start > ms) assert.fail(`timed out after ${ms} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await sleep(every);
  }
}

export interface Hit {
  at: number;
  status: number;
  from: string;
}

/** An HTTP backend on one loopback address. */
export class Backend {
  status = 200;
  /** Overrides `status` per request: the caller's address and the request's number (from 0). */
  decide: ((from: string, n: number) => number) | undefined;
  hits: Hit[] = [];
  private server: http.Server | undefined;

  constructor(readonly address: string, readonly port: number) {}

  get running(): boolean {
    return this.server !== undefined;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = http.createServer((req, res) => {
      if (req.url !== '/healthz') {
        res.writeHead(404).end();
        return;
      }
      const from = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
      const status = this.decide ? this.decide(from, this.hits.length) : this.status;
      this.hits.push({ at: Date.now(), status, from });
      res.writeHead(status, { 'content-type': 'text/plain', connection: 'close' }).end(status === 200 ? 'ok\n' : 'unhealthy\n');
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.address, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
  }

  /** Stops listening and drops every connection: probes get ECONNREFUSED. */
  async kill(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    const closed = new Promise<void>((r) => s.close(() => r()));
    s.closeAllConnections();
    await closed;
  }

  /** Probes received since `t`, optionally only those answered `status` or sent from `from`. */
  hitsSince(t: number, filter: { status?: number; from?: string } = {}): number {
    return this.hits.filter((h) => h.at >= t && (filter.status === undefined || h.status === filter.status) && (filter.from === undefined || h.from === filter.from)).length;
  }
}

/** A TCP port free on every given address, so all backends share one port. */
export async function portFreeOn(addresses: string[]): Promise<number> {
  const tryOne = (host: string, port: number): Promise<boolean> =>
    new Promise((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, host, () => s.close(() => resolve(true)));
    });
  for (let i = 0; i < 100; i++) {
    const port = 20000 + Math.floor(Math.random() * 40000);
    let ok = true;
    for (const a of addresses) if (!(await tryOne(a, port))) ok = false;
    if (ok) return port;
  }
  throw new Error('no port free on every backend address');
}

/** Check timing the failover tests share: short, so failures show in well under a second. */
export const FAST = { INTERVAL_MS: 300, TIMEOUT_MS: 200, FALL: 2, RISE: 2, TTL: 60, DEGRADED_TTL: 7 } as const;
/** The bound the issue sets on noticing a change: interval x fall (or rise) + 1 s. */
/** The `checks:` block of a pools file: one http check `web-http` on `port` with the FAST timings. */
export function fastHttpCheck(port: number): string {
  return `checks:
  web-http:
    type: http
    port: ${port}
    path: /healthz
    interval: ${FAST.INTERVAL_MS}ms
    timeout: ${FAST.TIMEOUT_MS}ms
    fall: ${FAST.FALL}
    rise: ${FAST.RISE}
`;
}

export const DOWN_BOUND_MS = FAST.INTERVAL_MS * FAST.FALL + 1000;
export const UP_BOUND_MS = FAST.INTERVAL_MS * FAST.RISE + 1000;
