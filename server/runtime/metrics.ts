// Prometheus text exposition (format 0.0.4) of what an operator watches:
// traffic, latency, health, reloads and zone serials.
import { Rcode, typeName } from '../wire/constants.js';
import { nameToText } from '../wire/names.js';
import { isFresh } from '../../checks/verdict.js';
import { tierNumber } from '../../checks/tier.js';
import { LATENCY_BUCKETS, type Stats } from './stats.js';
import type { ZoneSet } from './reloader.js';
import type { LiveHealth, HealthEventType } from '../../checks/live.js';
import type { SyncState } from './gitsync.js';

const RCODE_NAMES = new Map<number, string>(Object.entries(Rcode).map(([k, v]) => [v, k]));

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

class Writer {
  out: string[] = [];
  family(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): void {
    this.out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  }
  sample(name: string, labels: Record<string, string>, value: number): void {
    const l = Object.entries(labels).map(([k, v]) => `${k}="${esc(v)}"`).join(',');
    this.out.push(`${name}${l ? `{${l}}` : ''} ${Number.isFinite(value) ? value : 0}`);
  }
}

/** Health event counts, kept by whoever renders metrics. */
export class EventCounter {
  readonly counts = new Map<HealthEventType, number>();
  count(type: HealthEventType): void {
    this.counts.set(type, (this.counts.get(type) ?? 0) + 1);
  }
}

export function renderMetrics(stats: Stats, zones: ZoneSet, live: LiveHealth, events: EventCounter, git?: SyncState): string {
  const w = new Writer();
  w.family('pulsedns_queries_total', 'counter', 'DNS messages received, by transport.');
  w.sample('pulsedns_queries_total', { transport: 'udp' }, stats.queries.udp);
  w.sample('pulsedns_queries_total', { transport: 'tcp' }, stats.queries.tcp);

  w.family('pulsedns_queries_by_type_total', 'counter', 'Questions answered, by query type.');
  stats.qtypes.forEach((n, t) => {
    if (n > 0) w.sample('pulsedns_queries_by_type_total', { type: t === 511 ? 'OTHER' : typeName(t) }, n);
  });

  w.family('pulsedns_responses_total', 'counter', 'Responses sent, by rcode.');
  stats.rcodes.forEach((n, r) => {
    if (n > 0 || r <= 5) w.sample('pulsedns_responses_total', { rcode: RCODE_NAMES.get(r) ?? String(r) }, n);
  });

  const counters: Array<[string, string, number]> = [
    ['pulsedns_response_cache_hits_total', 'Responses served from the per-zone-set response cache.', stats.cacheHits],
    ['pulsedns_truncated_total', 'Responses truncated (TC set) to fit the client.', stats.truncated],
    ['pulsedns_dropped_total', 'Messages not answered: malformed beyond FORMERR, responses, runts.', stats.dropped],
    ['pulsedns_send_errors_total', 'Replies the kernel refused to send.', stats.sendErrors],
    ['pulsedns_internal_errors_total', 'Queries whose handling threw (a bug; logged).', stats.internalErrors],
    ['pulsedns_tcp_connections_total', 'TCP connections accepted.', stats.tcpConnections],
    ['pulsedns_tcp_rejected_total', 'TCP connections refused at the connection cap.', stats.tcpRejected],
    ['pulsedns_tcp_idle_closed_total', 'TCP connections closed for idleness.', stats.tcpIdleClosed],
    ['pulsedns_rrl_dropped_total', 'UDP responses dropped by response-rate limiting.', stats.rrlDropped],
    ['pulsedns_rrl_slipped_total', 'UDP responses sent truncated (TC=1) by response-rate limiting.', stats.rrlSlipped],
  ];
  for (const [name, help, v] of counters) {
    w.family(name, 'counter', help);
    w.sample(name, {}, v);
  }

  w.family('pulsedns_query_duration_seconds', 'histogram', 'Time from receiving a query to handing its reply to the kernel.');
  let cumulative = 0;
  LATENCY_BUCKETS.forEach((le, i) => {
    cumulative += stats.latency[i]!;
    w.sample('pulsedns_query_duration_seconds_bucket', { le: String(le) }, cumulative);
  });
  cumulative += stats.latency[LATENCY_BUCKETS.length]!;
  w.sample('pulsedns_query_duration_seconds_bucket', { le: '+Inf' }, cumulative);
  w.sample('pulsedns_query_duration_seconds_sum', {}, stats.latencySum);
  w.sample('pulsedns_query_duration_seconds_count', {}, cumulative);

  w.family('pulsedns_zone_reloads_total', 'counter', 'Zone set loads, by result (a failed one keeps the previous set serving).');
  w.sample('pulsedns_zone_reloads_total', { result: 'ok' }, stats.reloads.ok);
  w.sample('pulsedns_zone_reloads_total', { result: 'failed' }, stats.reloads.failed);
  w.family('pulsedns_zone_serial', 'gauge', 'SOA serial of each zone being served.');
  for (const z of zones.current.zones.values()) w.sample('pulsedns_zone_serial', { zone: nameToText(z.origin) }, z.serial);
  w.family('pulsedns_zone_load_errors', 'gauge', 'Errors in the last refused zone load (0 once a load succeeds).');
  w.sample('pulsedns_zone_load_errors', {}, zones.lastErrors.length);

  const pools = zones.current.pools.pools;
  w.family('pulsedns_member_up', 'gauge', 'Member state as answers use it: 1 up, 0 down or drained.');
  const vantageLines: Array<[Record<string, string>, number]> = [];
  const now = Date.now();
  for (const p of pools.values()) {
    for (const m of [...p.tiers.flat(), ...p.backup]) {
      w.sample('pulsedns_member_up', { pool: p.name, address: m.address }, live.state(p, m) === 'up' ? 1 : 0);
      if (p.check) for (const r of live.reportsOf(m.key)) vantageLines.push([{ check: p.check.name, address: m.address, vantage: r.vantage, stale: String(!isFresh(r, now)) }, r.up ? 1 : 0]);
    }
  }
  w.family('pulsedns_member_vantage_up', 'gauge', 'Each vantage\'s own view of a member (1 up, 0 down); stale vantages are labelled.');
  const seen = new Set<string>();
  for (const [labels, v] of vantageLines) {
    const key = JSON.stringify(labels);
    if (seen.has(key)) continue;
    seen.add(key);
    w.sample('pulsedns_member_vantage_up', labels, v);
  }
  w.family('pulsedns_pool_tier', 'gauge', 'Tier answering for each pool (1 = primary, 2 = next); 0 when nothing is healthy.');
  for (const p of pools.values()) w.sample('pulsedns_pool_tier', { pool: p.name }, tierNumber(live.tierOf(p.name) ?? 0));
  w.family('pulsedns_health_events_total', 'counter', 'Health events (member.down, pool.failover, ...).');
  for (const [type, n] of events.counts) w.sample('pulsedns_health_events_total', { type }, n);
  w.family('pulsedns_health_store_up', 'gauge', '1 when the health store (Redis) is reachable.');
  w.sample('pulsedns_health_store_up', {}, live.storeHealthy() ? 1 : 0);
  if (git) {
    w.family('pulsedns_git_commit_refused', 'gauge', '1 while the branch head is a commit refused by validation (the previous one is served).');
    w.sample('pulsedns_git_commit_refused', git.refused ? { commit: git.refused.commit } : {}, git.refused ? 1 : 0);
    w.family('pulsedns_git_fetch_ok', 'gauge', '1 when the last fetch of the zones repository worked.');
    w.sample('pulsedns_git_fetch_ok', {}, git.lastFetch?.ok === false ? 0 : 1);
    w.family('pulsedns_git_served_timestamp_seconds', 'gauge', 'When the commit being served went live.');
    w.sample('pulsedns_git_served_timestamp_seconds', git.served ? { commit: git.served } : {}, (git.servedAt ?? 0) / 1000);
  }
  return w.out.join('\n') + '\n';
}
