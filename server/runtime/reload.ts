// `POST /v1/reload`: reload now and say what is served afterwards. With
// several workers each one answers for itself, so the report is built from
// what the workers (which answer DNS) say, not from the primary's own copy.
import cluster, { type Worker } from 'node:cluster';
import { nameToText } from '../wire/names.js';
import { formatError } from '../zones/model.js';
import type { ServedZones } from './reloader.js';
import { rolloutDone } from './images.js';

export interface ReloadReport {
  /** True when the zones on disk (or the branch head) are what is served now. */
  ok: boolean;
  /** What answers now, zone by zone. */
  zones: Array<{ zone: string; serial: number }>;
  /** Why the reload was refused, as file:line:col: message; empty when ok. */
  errors: string[];
}

export function servedReport(zones: ServedZones, ok: boolean, errors: string[] = ok ? [] : zones.lastErrors.map(formatError)): ReloadReport {
  const served = [...zones.current.zones.values()].map((z) => ({ zone: nameToText(z.origin), serial: z.serial }));
  served.sort((a, b) => (a.zone < b.zone ? -1 : a.zone > b.zone ? 1 : 0));
  return { ok, zones: served, errors };
}

interface ReloadRequest {
  pulsedns: 'reload-request';
  id: number;
}

interface ReloadReply {
  pulsedns: 'reload-reply';
  id: number;
  report: ReloadReport;
}

/**
 * In a worker: when the primary asks (after it compiled and announced the
 * image), finish installing what was announced and tell it what is served.
 */
export function answerReloadRequests(zones: ServedZones): void {
  process.on('message', (m: unknown) => {
    const msg = m as Partial<ReloadRequest>;
    if (msg?.pulsedns !== 'reload-request') return;
    void zones.settled().then((ok) => {
      const reply: ReloadReply = { pulsedns: 'reload-reply', id: msg.id!, report: servedReport(zones, ok) };
      process.send?.(reply);
    });
  });
}

function askWorker(w: Worker, timeoutMs: number): Promise<ReloadReport> {
  return new Promise((resolve) => {
    const id = Math.random();
    const timer = setTimeout(() => {
      w.off('message', onMsg);
      resolve({ ok: false, zones: [], errors: [`worker ${w.id} did not answer within ${timeoutMs / 1000}s`] });
    }, timeoutMs);
    const onMsg = (m: unknown): void => {
      const msg = m as Partial<ReloadReply>;
      if (msg?.pulsedns !== 'reload-reply' || msg.id !== id || !msg.report) return;
      clearTimeout(timer);
      w.off('message', onMsg);
      resolve(msg.report);
    };
    w.on('message', onMsg);
    w.send({ pulsedns: 'reload-request', id } satisfies ReloadRequest);
  });
}

/** In the primary: every worker reloads; the report is what they serve. */
export async function reloadWorkers(own: ReloadReport, timeoutMs = 10_000): Promise<ReloadReport> {
  // The image reaches the workers one at a time: ask once the last has been told.
  await rolloutDone();
  const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && w.isConnected());
  if (workers.length === 0) return own;
  const reports = await Promise.all(workers.map((w) => askWorker(w, timeoutMs)));
  const errors = new Set<string>(own.ok ? [] : own.errors);
  for (const r of reports) for (const e of r.errors) errors.add(e);
  const answering = reports.filter((r) => r.zones.length > 0);
  const first = answering[0]?.zones ?? own.zones;
  // Workers install the image the primary announced; should they still disagree, say so.
  const key = (r: ReloadReport): string => JSON.stringify(r.zones);
  if (answering.some((r) => key(r) !== JSON.stringify(first))) errors.add('workers serve different zone sets (a file changed during the reload?); reload again');
  return { ok: own.ok && errors.size === 0, zones: first, errors: [...errors] };
}
