// DNS over UDP. One datagram in, at most one out; every failure is counted,
// none propagates: a send error (EMSGSIZE, unreachable peer) must not take
// the socket or the process down.
import dgram from 'node:dgram';
import type { Logger } from 'pino';
import { answer, type Outcome } from '../engine/answer.js';
import type { Catalog } from '../engine/catalog.js';
import type { Stats } from '../stats.js';

export interface Endpoint {
  host: string;
  port: number;
}

export function startUdp(ep: Endpoint, catalog: () => Catalog, stats: Stats, log: Logger): Promise<dgram.Socket> {
  const type = ep.host.includes(':') ? 'udp6' : 'udp4';
  const socket = dgram.createSocket({ type, reuseAddr: false });
  const outcome: Outcome = { rcode: 0, dropped: false, cached: false, truncated: false };
  const onSent = (err: Error | null): void => {
    if (err) stats.sendErrors++;
  };
  socket.on('message', (msg, rinfo) => {
    stats.queries.udp++;
    let out: Buffer | null;
    try {
      out = answer(catalog(), msg, 'udp', outcome);
    } catch (e) {
      stats.internalErrors++;
      log.error({ err: e }, 'query handling failed');
      return;
    }
    if (!out) {
      stats.dropped++;
      return;
    }
    stats.countRcode(outcome.rcode);
    if (outcome.cached) stats.cacheHits++;
    if (outcome.truncated) stats.truncated++;
    socket.send(out, rinfo.port, rinfo.address, onSent);
  });
  socket.on('error', (err) => {
    stats.sendErrors++;
    log.warn({ err }, 'udp socket error');
  });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(ep.port, ep.host, () => {
      socket.off('error', reject);
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
