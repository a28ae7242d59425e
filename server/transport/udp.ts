// DNS over UDP. One datagram in, at most one out; every failure is counted,
// none propagates: a send error (EMSGSIZE, unreachable peer) must not take
// the socket or the process down.
//
// node:dgram binds the socket (and shares it between cluster workers); the
// batched path (batchio.ts) then reads and writes it 64 datagrams at a time
// where its addon is built. Otherwise node:dgram does the reading as well.
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { RequestHandler } from '../engine/handler.js';
import { LentReplies } from '../engine/context.js';
import type { Stats } from '../runtime/stats.js';
import { truncatedReply, type RateLimiter } from './rrl.js';
import { SendBatch, SLOW_REPLY_MS } from './sendbatch.js';
import { batchUnavailable, readBatches, type BatchCounters } from './batchio.js';

export interface Endpoint {
  host: string;
  port: number;
}

/** A bound UDP listener; close() frees the port at once. */
export interface UdpListener {
  readonly socket: dgram.Socket;
  /** 'batched' (recvmmsg/sendmmsg) or 'dgram'. */
  readonly io: 'batched' | 'dgram';
  close(): void;
}

let announced = false;

export function startUdp(ep: Endpoint, handler: RequestHandler, stats: Stats, log: Logger, rrl?: RateLimiter): Promise<UdpListener> {
  const type = ep.host.includes(':') ? 'udp6' : 'udp4';
  // Replies go to the literal address the query came from; Node would still pass
  // it through dns.lookup and a process tick per packet, a measurable share of
  // the per-query cost. An immediate lookup skips both.
  const family = type === 'udp6' ? 6 : 4;
  const lookup = (address: string, _opts: unknown, cb: (err: Error | null, address: string, family: number) => void): void => cb(null, address, family);
  const socket = dgram.createSocket({ type, reuseAddr: false, lookup: lookup as unknown as dgram.SocketOptions['lookup'] });
  // One context for the socket, reused by every datagram (handling is synchronous).
  const ctx = handler.context('udp');
  const answer = (msg: Buffer, peer: { readonly address: string }): Buffer | null => {
    const started = performance.now();
    let out = handler.handle(msg, ctx);
    if (typeof out === 'symbol' || out === null) return null; // silence or failure (counted); UDP contexts never stream
    if (rrl) {
      const verdict = rrl.check(peer.address, Date.now());
      if (verdict === 'drop') {
        stats.rrlDropped++;
        return null;
      }
      if (verdict === 'slip') {
        stats.rrlSlipped++;
        out = truncatedReply(out);
      }
    }
    stats.observe((performance.now() - started) / 1000);
    return out;
  };
  let lastLogged = 0;
  const sendFailed = (count: number, err?: Error): void => {
    stats.sendErrors += count;
    // A flood of unreachable clients must not become a flood of log lines.
    const now = Date.now();
    if (now - lastLogged > 60_000) {
      lastLogged = now;
      log.warn({ ...(err ? { err } : {}), sendErrors: stats.sendErrors }, 'udp send failed (counted; logged at most once a minute)');
    }
  };
  const readDgram = (): void => {
    const replies = new SendBatch(socket);
    socket.on('message', (msg, rinfo) => {
      const started = performance.now();
      const out = answer(msg, rinfo);
      if (out === null) return;
      // A reply that took long to make (a fresh signature) waits for the rest of
      // its burst; a quick one goes at once (sendbatch.ts). No callback: a failed
      // send (EMSGSIZE, unreachable) surfaces as the socket's 'error' event.
      replies.send(out, rinfo.port, rinfo.address, performance.now() - started >= SLOW_REPLY_MS);
    });
  };
  return new Promise((resolve, reject) => {
    // A failed bind is the caller's to report; only later errors are send errors.
    socket.once('error', reject);
    socket.bind(ep.port, ep.host, () => {
      socket.off('error', reject);
      socket.on('error', (err) => sendFailed(1, err));
      try {
        // Bursts beat the event loop; a deeper queue loses fewer of them.
        socket.setRecvBufferSize(4 * 1024 * 1024);
      } catch {
        // Capped by net.core.rmem_max; the default still works.
      }
      const seen: BatchCounters = { received: 0, sent: 0, sendErrors: 0, cut: 0 };
      const now: BatchCounters = { ...seen };
      const batches = readBatches(socket, (msg, peer) => {
        // The addon counts by itself; its increases join the shared counters as each batch is answered.
        if (peer.index === 0 && batches) {
          batches.counters(now);
          if (now.sendErrors !== seen.sendErrors || now.cut !== seen.cut) {
            if (now.sendErrors > seen.sendErrors) sendFailed(now.sendErrors - seen.sendErrors);
            stats.dropped += now.cut - seen.cut;
            Object.assign(seen, now);
          }
        }
        return answer(msg, peer);
      });
      // The batched path copies each reply into its send buffer at once, so cache hits may be lent (engine/context.ts).
      if (batches) ctx.lent = new LentReplies();
      else readDgram();
      if (!announced) {
        announced = true;
        const why = batchUnavailable();
        if (batches) log.debug('udp: batched receive and send (recvmmsg/sendmmsg)');
        else log.info({ reason: why ?? 'the socket descriptor is not reachable' }, 'udp: reading with node:dgram, about half the per-core rate of the batched path');
      }
      let closed = false;
      resolve({
        socket,
        io: batches ? 'batched' : 'dgram',
        close: () => {
          if (closed) return;
          closed = true;
          batches?.close();
          socket.close();
        },
      });
    });
  });
}
