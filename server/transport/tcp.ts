// DNS over TCP per RFC 7766: two-byte length framing reassembled across
// reads, many queries per connection answered in order (pipelining), reads
// paused while the peer is not draining our writes, an idle timeout, and a
// cap on connections.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { STREAM, type Outcome, type QueryContext } from '../engine/context.js';
import type { Catalog } from '../engine/catalog.js';
import { FAILED, type RequestHandler } from '../engine/handler.js';
import type { Query } from '../wire/query.js';
import type { Stats } from '../runtime/stats.js';
import type { Endpoint } from './udp.js';
import { TcpLimits } from './tcplimits.js';

export interface TcpOptions {
  idleTimeoutMs: number;
  maxConnections: number;
  /** Bytes of unsent answers per connection before we stop reading from it. */
  maxPendingBytes: number;
  /** Connections one client address (/32, IPv6 /64) may hold (see tcplimits.ts). */
  perClient: number;
}

export const TCP_DEFAULTS: TcpOptions = { idleTimeoutMs: 10_000, maxConnections: 1000, maxPendingBytes: 1 << 20, perClient: 20 };

/**
 * Queries whose answer is a stream of messages (zone transfers, see
 * server/xfr/axfr.ts) rather than one response: the handler says STREAM and
 * hands over the query it decoded. Kept as an interface so the transport
 * does not depend on what it streams.
 */
export interface TcpStreamer {
  /** Writes every framed response message, waiting on the socket's drain; resolves when done or the socket is gone. */
  stream(msg: Buffer, q: Query, sock: net.Socket, catalog: Catalog): Promise<Outcome>;
}

export function startTcp(ep: Endpoint, handler: RequestHandler, stats: Stats, log: Logger, opts: TcpOptions = TCP_DEFAULTS, streamer?: TcpStreamer): Promise<net.Server> {
  const server = net.createServer({ noDelay: true });
  const limits = new TcpLimits(opts, stats);
  // The cap proper is TcpLimits' (it closes an idle connection to make room,
  // which needs to see the newcomer); this only bounds sockets still closing.
  server.maxConnections = opts.maxConnections * 2;
  server.on('drop', () => {
    stats.tcpRejected++;
  });
  // One context for the listener, shared by its connections: each message is answered synchronously.
  const ctx = handler.context('tcp', streamer !== undefined);
  server.on('connection', (sock) => handleConnection(sock, handler, ctx, stats, log, opts, streamer, limits));
  return new Promise((resolve, reject) => {
    // A failed listen is the caller's to report (once); later errors are logged.
    server.once('error', reject);
    server.listen({ port: ep.port, host: ep.host, backlog: 511 }, () => {
      server.off('error', reject);
      server.on('error', (err) => log.warn({ err }, 'tcp server error'));
      resolve(server);
    });
  });
}

function handleConnection(sock: net.Socket, handler: RequestHandler, ctx: QueryContext, stats: Stats, log: Logger, opts: TcpOptions, streamer: TcpStreamer | undefined, limits: TcpLimits): void {
  stats.tcpConnections++;
  // Bytes read but not yet answered. Kept as a list and joined only once a
  // whole frame is there: joining on every read would make a frame dribbled
  // a byte at a time cost quadratic copying.
  let parts: Buffer[] = [];
  let partsLen = 0;
  // While a transfer streams, later queries wait (reads paused) so answers stay in order.
  let streaming = false;
  // Paused because the client is not reading our answers; resumes on 'drain'.
  let blocked = false;
  if (!limits.admit(sock, () => streaming || blocked || partsLen > 0 || sock.writableLength > 0)) return;
  sock.setTimeout(opts.idleTimeoutMs, () => {
    stats.tcpIdleClosed++;
    sock.destroy();
  });
  sock.on('error', () => {
    // Resets and broken pipes are the peer's business; the socket is gone either way.
  });
  sock.on('drain', () => {
    if (streaming || !blocked) return;
    blocked = false;
    sock.resume();
    next();
  });
  const handle = (buf: Buffer): void => {
    let off = 0;
    while (buf.length - off >= 2) {
      const len = buf.readUInt16BE(off);
      if (buf.length - off - 2 < len) break;
      const msg = buf.subarray(off + 2, off + 2 + len);
      off += 2 + len;
      const started = performance.now();
      const out = handler.handle(msg, ctx);
      if (out === FAILED) {
        sock.destroy();
        return;
      }
      if (out === null) continue;
      if (out === STREAM) {
        streaming = true;
        sock.pause();
        keep(buf, off);
        streamer!.stream(Buffer.from(msg), ctx.query!, sock, handler.current()).then(
          // Not in the latency histogram: a transfer lasts as long as the zone is big and the client slow.
          (o) => handler.streamed(o),
          (e: unknown) => {
            stats.internalErrors++;
            log.error({ err: e }, 'zone transfer handling failed');
            sock.destroy();
          },
        ).finally(() => {
          streaming = false;
          if (sock.destroyed) return;
          next();
          if (!streaming && !blocked) sock.resume();
        });
        return;
      }
      const framed = Buffer.allocUnsafe(out.length + 2);
      framed.writeUInt16BE(out.length, 0);
      out.copy(framed, 2);
      sock.write(framed);
      stats.observe((performance.now() - started) / 1000);
      if (sock.writableLength > opts.maxPendingBytes) {
        // Stop answering, not just reading: the rest of this read waits for 'drain'.
        blocked = true;
        sock.pause();
        keep(buf, off);
        return;
      }
    }
    keep(buf, off);
  };
  /** Keeps buf[off..] (an incomplete frame, or frames not answered yet); copied so the read buffer can be freed. */
  const keep = (buf: Buffer, off: number): void => {
    parts = off < buf.length ? [Buffer.from(buf.subarray(off))] : [];
    partsLen = buf.length - off;
  };
  const byteAt = (i: number): number => {
    for (const p of parts) {
      if (i < p.length) return p[i]!;
      i -= p.length;
    }
    return 0;
  };
  /** Answers what is buffered, once at least one whole frame is there. */
  const next = (): void => {
    if (streaming || blocked || partsLen < 2) return;
    if (partsLen < 2 + ((byteAt(0) << 8) | byteAt(1))) return;
    const buf = parts.length === 1 ? parts[0]! : Buffer.concat(parts, partsLen);
    parts = [];
    partsLen = 0;
    handle(buf);
  };
  sock.on('data', (chunk: Buffer) => {
    limits.active(sock);
    parts.push(chunk);
    partsLen += chunk.length;
    // A read already under way when we paused is kept for after the transfer or the drain.
    next();
  });
}
