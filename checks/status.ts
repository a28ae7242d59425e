// The picture `pulsedns status` and GET /status show: every pool, member,
// verdict, per-vantage result, last failure reason and override.
import { isFresh } from './verdict.js';
import type { LiveHealth } from './live.js';
import type { PoolSet } from '../server/pools/model.js';
import { tierNumber } from './tier.js';

export interface MemberStatus {
  address: string;
  /** 1 for the first (primary) tier, 2 the next...; 0 for the backup list. */
  tier: number;
  role: 'primary' | 'backup' | 'fallback';
  state: 'up' | 'down' | 'drain';
  verdict: { up: boolean; freshVantages: number; downVotes: number; held: boolean; failedOpen: boolean } | null;
  vantages: Array<{ vantage: string; up: boolean; at: string; stale: boolean; since: string; reason?: string }>;
  lastFailure?: string;
  override?: { mode: string; reason: string; by: string; at: string; until?: string };
}

export interface PoolStatus {
  name: string;
  policy: string;
  check: string | null;
  /** Tier answering: 1 primary, 2...; 0 when nothing is healthy; null before the first evaluation. */
  answeringTier: number | null;
  latched: { tier: number; since: string } | null;
  members: MemberStatus[];
}

export interface StatusReport {
  generatedAt: string;
  store: { healthy: boolean; lastSync: string | null; problem?: { kind: 'unreachable' | 'auth'; message: string } };
  /** Vantages behind the verdicts; allStale: verdicts are only held, and fail open at failOpenAt. */
  vantages?: { known: number; fresh: number; allStale: boolean; failOpenAt?: string };
  pools: PoolStatus[];
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function buildStatus(pools: PoolSet, live: LiveHealth): StatusReport {
  const now = Date.now();
  const out: PoolStatus[] = [];
  for (const p of pools.pools.values()) {
    const members: MemberStatus[] = [];
    const add = (m: (typeof p.backup)[number], tier: number, role: MemberStatus['role']): void => {
      const v = p.check ? live.verdictOf(m.key) : undefined;
      const reports = p.check ? live.reportsOf(m.key) : [];
      const o = live.overrideFor(p.name, m.address);
      const ms: MemberStatus = {
        address: m.address,
        tier: tierNumber(tier),
        role,
        state: live.state(p, m),
        verdict: v ? { up: v.up, freshVantages: v.fresh, downVotes: v.down, held: v.held, failedOpen: v.failedOpen } : null,
        vantages: reports.map((r) => ({ vantage: r.vantage, up: r.up, at: iso(r.at), stale: !isFresh(r, now), since: iso(r.since), ...(r.reason ? { reason: r.reason } : {}) })),
      };
      const failure = reports.find((r) => r.reason)?.reason;
      if (failure) ms.lastFailure = failure;
      if (o) ms.override = { mode: o.mode, reason: o.reason, by: o.by, at: iso(o.at), ...(o.until ? { until: iso(o.until) } : {}) };
      members.push(ms);
    };
    p.tiers.forEach((t, i) => t.forEach((m) => add(m, i, i === 0 ? 'primary' : 'backup')));
    p.backup.forEach((m) => add(m, -1, 'fallback'));
    const latch = live.latchOf(p.name);
    out.push({
      name: p.name,
      policy: p.policy,
      check: p.check?.name ?? null,
      answeringTier: ((t) => (t === undefined ? null : tierNumber(t)))(live.tierOf(p.name)),
      latched: latch ? { tier: tierNumber(latch.tier), since: iso(latch.since) } : null,
      members,
    });
  }
  const problem = live.storeProblem();
  const v = live.vantageSummary();
  return {
    generatedAt: iso(now),
    store: { healthy: live.storeHealthy(), lastSync: live.lastSyncAt ? iso(live.lastSyncAt) : null, ...(problem ? { problem } : {}) },
    vantages: { known: v.known, fresh: v.fresh, allStale: v.allStale, ...(v.failOpenAt ? { failOpenAt: iso(v.failOpenAt) } : {}) },
    pools: out,
  };
}

/** Plain-text table for terminals. */
export function formatStatus(s: StatusReport): string {
  const lines: string[] = [];
  lines.push(`store: ${s.store.healthy ? 'reachable' : s.store.problem?.kind === 'auth' ? `CREDENTIALS REFUSED (answering from the last view): ${s.store.problem.message}` : 'UNREACHABLE (answering from the last view)'}`);
  if (s.vantages?.allStale) lines.push(`vantages: ALL ${s.vantages.known} STALE: verdicts held${s.vantages.failOpenAt ? ` until ${s.vantages.failOpenAt}, then fail open` : ''}`);
  if (s.pools.length === 0) lines.push('no pools configured');
  for (const p of s.pools) {
    const tier = p.answeringTier === 0 ? 'ALL DOWN' : p.answeringTier === null ? '-' : `tier ${p.answeringTier}`;
    lines.push('');
    lines.push(`pool ${p.name} (${p.policy}, check ${p.check ?? 'none'}): answering from ${tier}${p.latched ? `, held on tier ${p.latched.tier} since ${p.latched.since} (pulsedns failback ${p.name})` : ''}`);
    for (const m of p.members) {
      const votes = m.vantages.map((v) => `${v.vantage}=${v.up ? 'up' : 'down'}${v.stale ? '(stale)' : ''}`).join(' ');
      const extra = [m.override ? `${m.override.mode} by ${m.override.by}: ${m.override.reason}${m.override.until ? ` until ${m.override.until}` : ''}` : '', m.lastFailure && m.state !== 'up' ? `last failure: ${m.lastFailure}` : ''].filter(Boolean).join('; ');
      lines.push(`  ${m.address.padEnd(24)} ${m.role.padEnd(8)} ${m.state.toUpperCase().padEnd(5)} ${votes}${extra ? '  ' + extra : ''}`);
    }
  }
  return lines.join('\n') + '\n';
}
