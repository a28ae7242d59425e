// DNS over UDP. One datagram in, at most one out; every failure is counted,
// none propagates: a send error (EMSGSIZE, unreachable peer) must not take
// the socket or the process down.
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { RequestHandler } from '../engine/handler.js';
import type { Stats } from '../runtime/stats.js';
import { truncatedReply, type RateLimiter } from './rrl.js';
import { SendBatch, SLOW_REPLY_MS } from './sendbatch.js';

export interface Endpoint {
  host: string;
  port: number;
}

export function startUdp(ep: Endpoint, handler: RequestHandler, stats: Stats, log: Logger, rrl?: RateLimiter): Promise<dgram.Socket> {
  const type = ep.host.includes(':') ? 'udp6' : 'udp4';
  // Replies go to the literal address the query came from; Node would still pass
  // it through dns.lookup and a process tick per packet, a measurable share of
  // the per-query cost. An immediate lookup skips both.
  const family = type === 'udp6' ? 6 : 4;
  const lookup = (address: string, _opts: unknown, cb: (err: Error | null, address: string, family: number) => void): void => cb(null, address, family);
  const socket = dgram.createSocket({ type, reuseAddr: false, lookup: lookup as unknown as dgram.SocketOptions['lookup'] });
  // One context for the socket, reused by every datagram (handling is synchronous).
  const ctx = handler.context('udp');
  const replies = new SendBatch(socket);
  socket.on('message', (msg, rinfo) => {
    const started = performance.now();
    let out = handler.handle(msg, ctx);
    if (typeof out === 'symbol' || out === null) return; // silence or failure (counted); UDP contexts never stream
    if (rrl) {
      const verdict = rrl.check(rinfo.address, Date.now());
      if (verdict === 'drop') {
        stats.rrlDropped++;
        return;
      }
      if (verdict === 'slip') {
        stats.rrlSlipped++;
        out = truncatedReply(out);
      }
    }
    // A reply that took long to make (a fresh signature) waits for the rest of
    // its burst; a quick one goes at once (sendbatch.ts). No callback: a failed
    // send (EMSGSIZE, unreachable) surfaces as the socket's 'error' event below.
    const took = performance.now() - started;
    replies.send(out, rinfo.port, rinfo.address, took >= SLOW_REPLY_MS);
    stats.observe(took / 1000);
  });
  let lastLogged = 0;
  const onSendError = (err: Error): void => {
    stats.sendErrors++;
    // A flood of unreachable clients must not become a flood of log lines.
    const now = Date.now();
    if (now - lastLogged > 60_000) {
      lastLogged = now;
      log.warn({ err, sendErrors: stats.sendErrors }, 'udp send failed (counted; logged at most once a minute)');
    }
  };
  return new Promise((resolve, reject) => {
    // A failed bind is the caller's to report; only later errors are send errors.
    socket.once('error', reject);
    socket.bind(ep.port, ep.host, () => {
      socket.off('error', reject);
      socket.on('error', onSendError);
      try {
        // Bursts beat the event loop; a deeper queue loses fewer of them.
        socket.setRecvBufferSize(4 * 1024 * 1024);
      } catch {
        // Capped by net.core.rmem_max; the default still works.
      }
      resolve(socket);
    });
  });
}
