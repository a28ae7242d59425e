// Counters every transport bumps. Plain numbers and typed arrays on one
// object: the hot path pays an increment and no label hashing; metrics.ts
// turns them into prom-client metrics when /metrics is scraped (and the
// cluster primary sums the workers' with prom-client's AggregatorRegistry).
import { Histogram } from 'prom-client';
import type { Name } from '../wire/names.js';
import type { SigCacheStats } from '../dnssec/cache.js';

/** Upper bounds (seconds) of the query latency histogram. */
export const LATENCY_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25] as const;

/** byZone key for questions outside every served zone (REFUSED, CHAOS, no question). */
export const OUTSIDE = '';

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
  /** Closed at once: the client address already held its share (--tcp-per-client). */
  tcpClientLimited = 0;
  /** Idle connections closed to make room for a new one at the cap. */
  tcpIdleEvicted = 0;
  /** Response-rate limiting: responses dropped, and sent truncated instead. */
  rrlDropped = 0;
  rrlSlipped = 0;
  reloads = { ok: 0, failed: 0 };
  /** Questions per zone, keyed by the origin of the served zone holding the name; OUTSIDE for the rest. */
  readonly byZone = new Map<Name, number>();
  /**
   * Query latency as per-bucket counts (last = overflow), made cumulative at
   * scrape time: prom-client's Histogram.observe costs some forty times this
   * on the path every query takes.
   */
  latency = new Float64Array(LATENCY_BUCKETS.length + 1);
  latencySum = 0;
  /** The rarer timings (reloads, probes) use prom-client's Histogram as they are; registered by metrics.ts. */
  /** Probe wall time by check type and result (only where this process probes). */
  readonly probeSeconds = new Histogram({ name: 'pulsedns_probe_duration_seconds', help: 'Health probe wall time, by check type and result.', labelNames: ['type', 'result'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [] });
  readonly reloadSeconds = new Histogram({ name: 'pulsedns_zone_reload_duration_seconds', help: 'Time to read, validate and compile the zone set, by result.', labelNames: ['result'], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [] });
  /** Signature cache and signer counters of this process (runtime/reloader.ts installs it). */
  signing: () => SigCacheStats | undefined = () => undefined;

  countRcode(rcode: number): void {
    if (rcode >= 0 && rcode < 24) this.rcodes[rcode]!++;
  }

  countType(qtype: number): void {
    if (qtype >= 0) this.qtypes[qtype < 511 ? qtype : 511]!++;
  }

  /** Counts a question under the served zone `origin` (null: outside every zone, or no question). */
  countZone(origin: Name | null): void {
    const k = origin ?? OUTSIDE;
    this.byZone.set(k, (this.byZone.get(k) ?? 0) + 1);
  }

  observe(seconds: number): void {
    this.latencySum += seconds;
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]!) i++;
    this.latency[i]!++;
  }
}
