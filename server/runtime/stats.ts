// Counters every transport bumps. Plain numbers and typed arrays on one
// object: the hot path pays an increment; /metrics reads them (summed over
// workers in cluster mode, see serializeStats/mergeStats).
import type { SigCacheStats } from '../dnssec/cache.js';

/** Upper bounds (seconds) of the query latency histogram. */
export const LATENCY_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25] as const;

export class Stats {
  queries = { udp: 0, tcp: 0 };
  /** Indexed by rcode (0-23 covers the extended ones we send). */
  rcodes = new Float64Array(24);
  /** Indexed by qtype below 512 (covers CAA 257); the rest lumped at 511. */
  qtypes = new Float64Array(512);
  cacheHits = 0;
  truncated = 0;
  /** Messages not answered: responses, runts, garbage. */
  dropped = 0;
  sendErrors = 0;
  internalErrors = 0;
  tcpConnections = 0;
  tcpRejected = 0;
  tcpIdleClosed = 0;
  /** Response-rate limiting: responses dropped, and sent truncated instead. */
  rrlDropped = 0;
  rrlSlipped = 0;
  reloads = { ok: 0, failed: 0 };
  /** Cumulative per bucket is computed at render time; these are per-bucket counts, last = overflow. */
  latency = new Float64Array(LATENCY_BUCKETS.length + 1);
  latencySum = 0;
  /** Signature cache and signer counters of this process (runtime/reloader.ts installs it). */
  signing: () => SigCacheStats | undefined = () => undefined;
  /** Workers' signing counters summed in by mergeStats (the primary's /metrics). */
  signingMerged: SigCacheStats | undefined;

  countRcode(rcode: number): void {
    if (rcode >= 0 && rcode < 24) this.rcodes[rcode]!++;
  }

  countType(qtype: number): void {
    if (qtype >= 0) this.qtypes[qtype < 511 ? qtype : 511]!++;
  }

  observe(seconds: number): void {
    this.latencySum += seconds;
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]!) i++;
    this.latency[i]!++;
  }
}

export interface StatsJson {
  [key: string]: number | number[] | { [k: string]: number };
}

export function serializeStats(s: Stats): StatsJson {
  return {
    queries: { ...s.queries },
    rcodes: [...s.rcodes],
    qtypes: [...s.qtypes],
    cacheHits: s.cacheHits,
    truncated: s.truncated,
    dropped: s.dropped,
    sendErrors: s.sendErrors,
    internalErrors: s.internalErrors,
    tcpConnections: s.tcpConnections,
    tcpRejected: s.tcpRejected,
    tcpIdleClosed: s.tcpIdleClosed,
    rrlDropped: s.rrlDropped,
    rrlSlipped: s.rrlSlipped,
    latency: [...s.latency],
    latencySum: s.latencySum,
    ...(signingCounters(s) ? { signing: { ...signingCounters(s)! } } : {}),
  };
}

/** This process's signing counters plus any merged in from workers; undefined when nothing signs. */
export function signingCounters(s: Stats): SigCacheStats | undefined {
  const own = s.signing();
  const m = s.signingMerged;
  if (!own || !m) return own ?? m;
  const sum = { ...own };
  for (const k of Object.keys(sum) as (keyof SigCacheStats)[]) sum[k] += m[k];
  return sum;
}

/** Adds a serialized worker's counters into `into` (reload counters stay the primary's own). */
export function mergeStats(into: Stats, j: StatsJson): void {
  const q = j.queries as { udp: number; tcp: number };
  into.queries.udp += q.udp;
  into.queries.tcp += q.tcp;
  const add = (dst: Float64Array, src: number[]): void => src.forEach((v, i) => (dst[i] = dst[i]! + v));
  add(into.rcodes, j.rcodes as number[]);
  add(into.qtypes, j.qtypes as number[]);
  add(into.latency, j.latency as number[]);
  for (const k of ['cacheHits', 'truncated', 'dropped', 'sendErrors', 'internalErrors', 'tcpConnections', 'tcpRejected', 'tcpIdleClosed', 'rrlDropped', 'rrlSlipped', 'latencySum'] as const) {
    into[k] += j[k] as number;
  }
  const sig = j.signing as unknown as SigCacheStats | undefined;
  if (sig) {
    const m = (into.signingMerged ??= { entries: 0, bytes: 0, protectedEntries: 0, hits: 0, misses: 0, evictions: 0, signatures: 0 });
    for (const k of Object.keys(m) as (keyof SigCacheStats)[]) m[k] += sig[k] ?? 0;
  }
}
