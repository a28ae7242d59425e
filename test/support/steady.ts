// A steady, bounded query loop against a running server: one UDP query every
// `everyMs`, each with its own timeout, until stopped or `maxQueries` sent.
// It reports what a client would notice during a reload: queries with no
// answer, and how late the slowest answer was.
import dgram from 'node:dgram';
import { buildQuery } from './dnsmsg.js';
import type { Target } from './client.js';

export interface SteadyResult {
  sent: number;
  answered: number;
  lost: number;
  /** Round trips in ms, in send order. */
  latencies: number[];
  max: number;
}

export interface SteadyLoop {
  stop(): Promise<SteadyResult>;
}

export function steadyQueries(t: Target, names: string[], opts: { everyMs?: number; timeoutMs?: number; maxQueries?: number } = {}): SteadyLoop {
  const everyMs = opts.everyMs ?? 5;
  const timeoutMs = opts.timeoutMs ?? 1000;
  const maxQueries = opts.maxQueries ?? 20_000;
  const sock = dgram.createSocket('udp4');
  const pending = new Map<number, { at: number; timer: NodeJS.Timeout; index: number }>();
  const latencies: number[] = [];
  let sent = 0;
  let answered = 0;
  let lost = 0;
  sock.on('message', (m) => {
    const id = m.readUInt16BE(0);
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    clearTimeout(p.timer);
    answered++;
    latencies[p.index] = performance.now() - p.at;
  });
  const tick = setInterval(() => {
    if (sent >= maxQueries) return;
    const id = sent & 0xffff;
    const msg = buildQuery(names[sent % names.length]!, 'A', { id });
    const index = sent++;
    const timer = setTimeout(() => {
      pending.delete(id);
      lost++;
    }, timeoutMs);
    pending.set(id, { at: performance.now(), timer, index });
    sock.send(msg, t.port, t.host);
  }, everyMs);
  return {
    async stop() {
      clearInterval(tick);
      // Whatever is still in flight gets its full timeout.
      const deadline = Date.now() + timeoutMs + 50;
      while (pending.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      sock.close();
      const done = latencies.filter((x) => x !== undefined);
      return { sent, answered, lost, latencies: done, max: done.reduce((a, b) => Math.max(a, b), 0) };
    },
  };
}
