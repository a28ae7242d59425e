// /metrics with prom-client. Two registries per server: the traffic one lives
// in every process that answers queries (a worker, or the single process) with
// the process and Node metrics; the control one lives where zones and health
// are controlled (the primary, or the single process). With workers, the
// primary sums its own process metrics and every worker's traffic registry
// with prom-client's AggregatorRegistry, then adds the control registry.
// Labels take values from bounded sets only (zones served, pools, members,
// vantages, rcodes, types): nothing that changes with every deploy.
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Registry, type Metric, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { Rcode, typeName } from '../wire/constants.js';
import { nameToText } from '../wire/names.js';
import type { Catalog } from '../engine/catalog.js';
import { isFresh } from '../../checks/verdict.js';
import { tierNumber } from '../../checks/tier.js';
import { LATENCY_BUCKETS, OUTSIDE, type Stats } from './stats.js';
import type { SigCacheStats } from '../dnssec/cache.js';
import type { SignedAnswerStats } from '../engine/signedanswers.js';
import type { ServedZones } from './reloader.js';
import type { LiveHealth, HealthEventType } from '../../checks/live.js';
import type { SyncState } from './gitsync.js';
import { NODE_VERSION, VERSION } from './version.js';

export type MetricsJson = Array<MetricObjectWithValues<MetricValue<string>>>;

const RCODE_NAMES = new Map<number, string>(Object.entries(Rcode).map(([k, v]) => [v, k]));

type Labels = Record<string, string>;
type Samples = Array<[Labels, number]>;

/** A counter or gauge whose samples are read from somewhere else at scrape time. */
function readAtScrape(kind: 'counter' | 'gauge', register: Registry, name: string, help: string, labelNames: string[], read: () => Samples | number): void {
  const fill = (set: (labels: Labels, v: number) => void): void => {
    const got = read();
    if (typeof got === 'number') set({}, got);
    else for (const [labels, v] of got) set(labels, v);
  };
  if (kind === 'counter') {
    new Counter({ name, help, labelNames, registers: [register], collect() {
      this.reset();
      fill((l, v) => this.inc(l, Number.isFinite(v) && v > 0 ? v : 0));
    } });
  } else {
    new Gauge({ name, help, labelNames, registers: [register], collect() {
      this.reset();
      fill((l, v) => this.set(l, Number.isFinite(v) ? v : 0));
    } });
  }
}

/** How often the event-loop lag is sampled. */
export const LAG_SAMPLE_MS = 50;

/** Process and Node metrics (event-loop lag, heap, GC, CPU, file descriptors), standard names. */
export function processRegistry(): Registry {
  const register = new Registry();
  // The lag histogram is sampled by a timer; prom-client's default (10 ms) woke an idle server
  // 100 times a second. At 50 ms a stall worth alerting on (docs/operations.md: p99 > 0.1 s) is still seen whole.
  collectDefaultMetrics({ register, eventLoopMonitoringPrecision: LAG_SAMPLE_MS });
  return register;
}

/** What a process answering queries counts; `catalog` names the zones served (the label values). */
export function trafficRegistry(stats: Stats, catalog: () => Catalog): Registry {
  const r = processRegistry();
  const counter = (name: string, help: string, labelNames: string[], read: () => Samples | number): void => readAtScrape('counter', r, name, help, labelNames, read);
  counter('pulsedns_queries_total', 'DNS messages received, by transport.', ['transport'], () => [[{ transport: 'udp' }, stats.queries.udp], [{ transport: 'tcp' }, stats.queries.tcp]]);
  counter('pulsedns_queries_by_type_total', 'Questions answered, by query type.', ['type'], () => {
    const out: Samples = [];
    stats.qtypes.forEach((n, t) => n > 0 && out.push([{ type: t === 511 ? 'OTHER' : typeName(t) }, n]));
    return out;
  });
  counter('pulsedns_queries_by_zone_total', 'Questions answered, by the served zone holding the name ("other": outside every zone, refused).', ['zone'], () => zoneSamples(stats, catalog()));
  counter('pulsedns_responses_total', 'Responses sent, by rcode.', ['rcode'], () => {
    const out: Samples = [];
    stats.rcodes.forEach((n, rc) => (n > 0 || rc <= 5) && out.push([{ rcode: RCODE_NAMES.get(rc) ?? String(rc) }, n]));
    return out;
  });
  const plain: Array<[string, string, () => number]> = [
    ['pulsedns_response_cache_hits_total', 'Responses served from the per-zone-set response cache.', () => stats.cacheHits],
    ['pulsedns_truncated_total', 'Responses truncated (TC set) to fit the client.', () => stats.truncated],
    ['pulsedns_dropped_total', 'Messages not answered: malformed beyond FORMERR, responses, runts.', () => stats.dropped],
    ['pulsedns_send_errors_total', 'Replies the kernel refused to send.', () => stats.sendErrors],
    ['pulsedns_internal_errors_total', 'Queries whose handling threw (a bug; logged).', () => stats.internalErrors],
    ['pulsedns_tcp_connections_total', 'TCP connections accepted.', () => stats.tcpConnections],
    ['pulsedns_tcp_rejected_total', 'TCP connections refused at the connection cap (every open connection busy).', () => stats.tcpRejected],
    ['pulsedns_tcp_client_limited_total', 'TCP connections closed because their client address held its share already.', () => stats.tcpClientLimited],
    ['pulsedns_tcp_idle_evicted_total', 'Idle TCP connections closed to make room at the connection cap.', () => stats.tcpIdleEvicted],
    ['pulsedns_tcp_idle_closed_total', 'TCP connections closed for idleness.', () => stats.tcpIdleClosed],
    ['pulsedns_rrl_dropped_total', 'UDP responses dropped by response-rate limiting.', () => stats.rrlDropped],
    ['pulsedns_rrl_slipped_total', 'UDP responses sent truncated (TC=1) by response-rate limiting.', () => stats.rrlSlipped],
  ];
  for (const [name, help, read] of plain) counter(name, help, [], read);
  // Online signing (DNSSEC): each process keeps its own signature cache; the
  // primary sums them like every other traffic counter.
  const sig = (pick: (c: SigCacheStats) => number) => (): number => {
    const c = stats.signing();
    return c ? pick(c) : 0;
  };
  const signing: Array<[string, string, 'counter' | 'gauge', () => number]> = [
    ['pulsedns_dnssec_signatures_total', 'RRSIGs made by online signing (cache misses and fresh denials).', 'counter', sig((c) => c.signatures)],
    ['pulsedns_dnssec_signature_cache_hits_total', 'Signatures served from the signature cache.', 'counter', sig((c) => c.hits)],
    ['pulsedns_dnssec_signature_cache_misses_total', 'Signature cache lookups that had to sign.', 'counter', sig((c) => c.misses)],
    ['pulsedns_dnssec_signature_cache_evictions_total', 'Signature cache entries dropped to stay within its bounds.', 'counter', sig((c) => c.evictions)],
    ['pulsedns_dnssec_signature_cache_entries', 'Signature sets held in the signature cache.', 'gauge', sig((c) => c.entries)],
    ['pulsedns_dnssec_signature_cache_protected_entries', 'Of those, entries used more than once (safe from one-off floods).', 'gauge', sig((c) => c.protectedEntries)],
    ['pulsedns_dnssec_signature_cache_bytes', 'Bytes the signature cache holds (bounded).', 'gauge', sig((c) => c.bytes)],
  ];
  for (const [name, help, kind, read] of signing) readAtScrape(kind, r, name, help, [], read);
  // Signed answers kept whole (engine/signedanswers.ts): one store per catalog, so a reload starts
  // its counts at zero; the totals carry the previous catalogs' counts as last scraped, so they never go back.
  const answers = acrossCatalogs(catalog);
  const stored: Array<[string, string, 'counter' | 'gauge', (c: SignedAnswerStats) => number]> = [
    ['pulsedns_dnssec_answer_cache_hits_total', 'Signed per-name answers (compact NXDOMAIN, wildcard expansions) served whole, with no signing.', 'counter', (c) => c.hits],
    ['pulsedns_dnssec_answer_cache_stored_total', 'Signed per-name answers made a second time and stored on probation.', 'counter', (c) => c.stored],
    ['pulsedns_dnssec_answer_cache_first_sights_total', 'Signed per-name answers made for a name not seen before: sent, not stored.', 'counter', (c) => c.firstSights],
    ['pulsedns_dnssec_answer_cache_evictions_total', 'Signed per-name answers dropped to stay within the bounds.', 'counter', (c) => c.evictions],
    ['pulsedns_dnssec_answer_cache_entries', 'Signed per-name answers held.', 'gauge', (c) => c.entries],
    ['pulsedns_dnssec_answer_cache_protected_entries', 'Of those, answers asked for more than once (safe from one-off floods).', 'gauge', (c) => c.protectedEntries],
    ['pulsedns_dnssec_answer_cache_bytes', 'Bytes the signed answer cache holds (bounded).', 'gauge', (c) => c.bytes],
  ];
  for (const [name, help, kind, pick] of stored) readAtScrape(kind, r, name, help, [], () => (kind === 'counter' ? answers.total(pick) : pick(catalog().signedAnswers.stats())));
  r.registerMetric(bucketHistogram('pulsedns_query_duration_seconds', 'Time from receiving a query to handing its reply to the kernel.', LATENCY_BUCKETS, () => ({ counts: stats.latency, sum: stats.latencySum })));
  return r;
}

/**
 * Counters of the current catalog's signed answer cache plus those of the
 * catalogs before it (as last read), so a reload does not reset the totals.
 */
function acrossCatalogs(catalog: () => Catalog): { total(pick: (c: SignedAnswerStats) => number): number } {
  let current: Catalog | undefined;
  let last: SignedAnswerStats | undefined;
  const before: SignedAnswerStats = { entries: 0, protectedEntries: 0, bytes: 0, hits: 0, stored: 0, firstSights: 0, evictions: 0 };
  return {
    total(pick) {
      const c = catalog();
      if (c !== current) {
        if (last) for (const k of ['hits', 'stored', 'firstSights', 'evictions'] as const) before[k] += last[k];
        current = c;
      }
      last = c.signedAnswers.stats();
      return pick(before) + pick(last);
    },
  };
}

/**
 * A histogram whose buckets are counted elsewhere (Stats, on the query path),
 * in the shape prom-client's registries and AggregatorRegistry read from any
 * metric: name, help, type, aggregator and get() with the samples.
 */
function bucketHistogram(name: string, help: string, bounds: readonly number[], read: () => { counts: Float64Array; sum: number }): Metric {
  const shape = { name, help, type: 'histogram', aggregator: 'sum' };
  const get = async (): Promise<typeof shape & { values: Sample[] }> => {
    const { counts, sum } = read();
    let acc = 0;
    const values: Sample[] = bounds.map((le, i) => ({ metricName: `${name}_bucket`, labels: { le }, value: (acc += counts[i]!) }));
    acc += counts[bounds.length]!;
    values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: acc }, { metricName: `${name}_sum`, labels: {}, value: sum }, { metricName: `${name}_count`, labels: {}, value: acc });
    return { ...shape, values };
  };
  // prom-client's typings want a class instance; its registries only read these fields.
  return { ...shape, get } as unknown as Metric;
}

interface Sample {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

/** One sample per zone served (zero included, so rates start at once) plus "other"; zones no longer served are forgotten. */
function zoneSamples(stats: Stats, catalog: Catalog): Samples {
  const out: Samples = [];
  for (const origin of catalog.zones.keys()) out.push([{ zone: nameToText(origin) }, stats.byZone.get(origin) ?? 0]);
  for (const origin of stats.byZone.keys()) if (origin !== OUTSIDE && !catalog.zones.has(origin)) stats.byZone.delete(origin);
  out.push([{ zone: 'other' }, stats.byZone.get(OUTSIDE) ?? 0]);
  return out;
}

/** Health event counts, kept by whoever renders metrics. */
export class EventCounter {
  readonly counts = new Map<HealthEventType, number>();
  count(type: HealthEventType): void {
    this.counts.set(type, (this.counts.get(type) ?? 0) + 1);
  }
}

export interface ControlSources {
  /** The controlling process's own counters: reloads and probes. */
  stats: Stats;
  zones: ServedZones;
  live: LiveHealth;
  events: EventCounter;
  git?: () => SyncState;
}

/** Zones, reloads, health, probes, git and build info: known once per server. */
export function controlRegistry(src: ControlSources): Registry {
  const r = new Registry();
  const gauge = (name: string, help: string, labelNames: string[], read: () => Samples | number): void => readAtScrape('gauge', r, name, help, labelNames, read);
  const counter = (name: string, help: string, labelNames: string[], read: () => Samples | number): void => readAtScrape('counter', r, name, help, labelNames, read);
  const { stats, zones, live } = src;
  gauge('pulsedns_build_info', 'Always 1; the labels say which pulsedns and Node.js are running.', ['version', 'node'], () => [[{ version: VERSION, node: NODE_VERSION }, 1]]);
  counter('pulsedns_zone_reloads_total', 'Zone set loads, by result (a failed one keeps the previous set serving).', ['result'], () => [[{ result: 'ok' }, stats.reloads.ok], [{ result: 'failed' }, stats.reloads.failed]]);
  r.registerMetric(stats.reloadSeconds);
  gauge('pulsedns_zone_serial', 'SOA serial of each zone being served.', ['zone'], () => [...zones.current.zones.values()].map((z) => [{ zone: nameToText(z.origin) }, z.serial]));
  gauge('pulsedns_zone_load_errors', 'Errors in the last refused zone load (0 once a load succeeds).', [], () => zones.lastErrors.length);
  gauge('pulsedns_zone_serial_fallbacks', 'Zones whose serial: auto came from file times in the last load because git could not be asked (see the log); servers may disagree on serials.', [], () => zones.lastSerialFallbacks);

  const members = (): Array<{ pool: string; check: string | undefined; address: string; key: string; up: boolean }> => {
    const out = [];
    for (const p of zones.current.pools.pools.values()) {
      for (const m of [...p.tiers.flat(), ...p.backup]) out.push({ pool: p.name, check: p.check?.name, address: m.address, key: m.key, up: live.state(p, m) === 'up' });
    }
    return out;
  };
  gauge('pulsedns_member_up', 'Member state as answers use it: 1 up, 0 down or drained.', ['pool', 'address'], () => members().map((m) => [{ pool: m.pool, address: m.address }, m.up ? 1 : 0]));
  // One series per (check, address, vantage), however many pools share the check.
  const vantages = (value: (report: { up: boolean; fresh: boolean }) => number) => (): Samples => {
    const seen = new Map<string, [Labels, number]>();
    const now = Date.now();
    for (const m of members()) {
      if (!m.check) continue;
      for (const rep of live.reportsOf(m.key)) {
        const labels = { check: m.check, address: m.address, vantage: rep.vantage };
        seen.set(JSON.stringify(labels), [labels, value({ up: rep.up, fresh: isFresh(rep, now) })]);
      }
    }
    return [...seen.values()];
  };
  gauge('pulsedns_member_vantage_up', 'Each vantage\'s own view of a member (1 up, 0 down); see pulsedns_member_vantage_stale.', ['check', 'address', 'vantage'], vantages((v) => (v.up ? 1 : 0)));
  gauge('pulsedns_member_vantage_stale', '1 when the vantage\'s last report is too old to count in the verdict.', ['check', 'address', 'vantage'], vantages((v) => (v.fresh ? 0 : 1)));
  gauge('pulsedns_pool_tier', 'Tier answering for each pool (1 = primary, 2 = next); 0 when nothing is healthy.', ['pool'], () => [...zones.current.pools.pools.values()].map((p) => [{ pool: p.name }, tierNumber(live.tierOf(p.name) ?? 0)]));
  counter('pulsedns_health_events_total', 'Health events (member.down, pool.failover, ...).', ['type'], () => [...src.events.counts].map(([type, n]) => [{ type }, n]));
  gauge('pulsedns_health_store_up', '1 when the health store (Redis) is reachable.', [], () => (live.storeHealthy() ? 1 : 0));
  gauge('pulsedns_health_store_auth_failed', '1 while the health store (Redis) refuses our credentials or permissions (the reason is logged).', [], () => (live.storeProblem()?.kind === 'auth' ? 1 : 0));
  gauge('pulsedns_vantages', 'Vantages (probers) with reports on pooled members, fresh or all known.', ['state'], () => {
    const v = live.vantageSummary();
    return [[{ state: 'fresh' }, v.fresh], [{ state: 'known' }, v.known]];
  });
  gauge('pulsedns_vantages_all_stale', '1 while every known vantage is stale: verdicts are held and fail open when --stale-hold runs out.', [], () => (live.vantageSummary().allStale ? 1 : 0));
  r.registerMetric(stats.probeSeconds);

  const git = src.git;
  if (git) {
    gauge('pulsedns_git_commit_refused', '1 while the branch head is a commit refused by validation (the previous one is served; /status says which).', [], () => (git().refused ? 1 : 0));
    gauge('pulsedns_git_fetch_ok', '1 when the last fetch of the zones repository worked.', [], () => (git().lastFetch?.ok === false ? 0 : 1));
    gauge('pulsedns_git_served_timestamp_seconds', 'When the commit being served went live.', [], () => (git().servedAt ?? 0) / 1000);
    gauge('pulsedns_git_served_info', 'Always 1; the label is the commit being served (one series per deploy, like build_info).', ['commit'], () => {
      const served = git().served;
      return served ? [[{ commit: served }, 1]] : [];
    });
  }
  return r;
}

/** The single-process exposition: traffic and control together. */
export function singleProcessMetrics(traffic: Registry, control: Registry): () => Promise<string> {
  const merged = Registry.merge([traffic, control]);
  return () => merged.metrics();
}

/**
 * The primary's exposition: its own process metrics and each worker's
 * traffic summed (event-loop lag averaged, as prom-client's defaults say),
 * then the control registry. `workers` returns what each worker answered;
 * one that did not answer in time is left out rather than failing the scrape.
 */
export function clusterMetrics(own: Registry, control: Registry, workers: () => Promise<MetricsJson[]>): () => Promise<string> {
  return async () => {
    const summed: Registry = AggregatorRegistry.aggregate([await own.getMetricsAsJSON(), ...(await workers())]) as Registry;
    return Registry.merge([summed, control]).metrics();
  };
}

export const CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;
