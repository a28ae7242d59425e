// DNS over TCP per RFC 7766: two-byte length framing reassembled across
// reads, many queries per connection answered in order (pipelining), reads
// paused while the peer is not draining our writes, an idle timeout, and a
// cap on connections.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { answer, type Outcome } from '../engine/answer.js';
import type { Catalog } from '../engine/catalog.js';
import type { Stats } from '../stats.js';
import type { Endpoint } from './udp.js';

export interface TcpOptions {
  idleTimeoutMs: number;
  maxConnections: number;
  /** Bytes of unsent answers per connection before we stop reading from it. */
  maxPendingBytes: number;
}

export const TCP_DEFAULTS: TcpOptions = { idleTimeoutMs: 10_000, maxConnections: 1000, maxPendingBytes: 1 << 20 };

export function startTcp(ep: Endpoint, catalog: () => Catalog, stats: Stats, log: Logger, opts: TcpOptions = TCP_DEFAULTS): Promise<net.Server> {
  const server = net.createServer({ noDelay: true });
  server.maxConnections = opts.maxConnections;
  server.on('drop', () => {
    stats.tcpRejected++;
  });
  server.on('connection', (sock) => handleConnection(sock, catalog, stats, log, opts));
  server.on('error', (err) => log.warn({ err }, 'tcp server error'));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: ep.port, host: ep.host, backlog: 511 }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function handleConnection(sock: net.Socket, catalog: () => Catalog, stats: Stats, log: Logger, opts: TcpOptions): void {
  stats.tcpConnections++;
  const outcome: Outcome = { rcode: 0, qtype: -1, dropped: false, cached: false, truncated: false };
  let pending: Buffer | null = null;
  sock.setTimeout(opts.idleTimeoutMs, () => {
    stats.tcpIdleClosed++;
    sock.destroy();
  });
  sock.on('error', () => {
    // Resets and broken pipes are the peer's business; the socket is gone either way.
  });
  sock.on('drain', () => sock.resume());
  sock.on('data', (chunk: Buffer) => {
    let buf: Buffer = pending ? Buffer.concat([pending, chunk]) : chunk;
    pending = null;
    let off = 0;
    while (buf.length - off >= 2) {
      const len = buf.readUInt16BE(off);
      if (buf.length - off - 2 < len) break;
      const msg = buf.subarray(off + 2, off + 2 + len);
      off += 2 + len;
      const started = performance.now();
      stats.queries.tcp++;
      let out: Buffer | null;
      try {
        out = answer(catalog(), msg, 'tcp', outcome);
      } catch (e) {
        stats.internalErrors++;
        log.error({ err: e }, 'query handling failed');
        sock.destroy();
        return;
      }
      if (!out) {
        stats.dropped++;
        continue;
      }
      stats.countRcode(outcome.rcode);
      stats.countType(outcome.qtype);
      if (outcome.cached) stats.cacheHits++;
      if (outcome.truncated) stats.truncated++;
      const framed = Buffer.allocUnsafe(out.length + 2);
      framed.writeUInt16BE(out.length, 0);
      out.copy(framed, 2);
      sock.write(framed);
      stats.observe((performance.now() - started) / 1000);
      if (sock.writableLength > opts.maxPendingBytes) sock.pause();
    }
    // Keep an incomplete frame for the next read; copy so the big read buffer can be freed.
    if (off < buf.length) pending = Buffer.from(buf.subarray(off));
  });
}
