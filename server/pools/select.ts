// Which addresses a pool-backed name answers with, given member health.
// Pure: health and randomness come in as arguments, so every policy is
// tested without a clock or a socket (test/unit/pools/select.test.ts).
import type { Rdata } from '../zones/rdata.js';
import { POOL_DEFAULTS, type Pool, type PoolMember } from './model.js';

/** drain: healthy but takes no new traffic. */
export type MemberState = 'up' | 'down' | 'drain';

export interface HealthLookup {
  state(pool: Pool, member: PoolMember): MemberState;
  /** Tier a manual-failback pool is held on, if any. */
  latchedTier(pool: Pool): number | undefined;
  /**
   * Changes whenever any answer could change (verdicts, overrides, holds); it
   * keys cached pool answers. Without it pool answers are never cached.
   */
  generation?(): number;
}

/** Health when nothing is known: every member up, nothing latched. */
export const ALL_UP: HealthLookup = {
  state: () => 'up',
  latchedTier: () => undefined,
  generation: () => 0,
};

export interface Selection {
  rdata: Rdata[];
  ttl: number;
  servfail: boolean;
  /** Tier that answered; -1 when nothing was healthy (on_all_down applied). */
  tier: number;
  /**
   * The answer is a uniform shuffle of a set fixed by health alone (not cut by
   * max_answers, not drawn by weight): any other order of the same addresses
   * is an equally valid answer, so a cached copy may just be reshuffled.
   */
  complete: boolean;
}

export function selectMembers(pool: Pool, family: 4 | 6, health: HealthLookup, rand: () => number = Math.random): Selection {
  let degraded = false;
  const healthyOf = (members: PoolMember[]): PoolMember[] => {
    const out: PoolMember[] = [];
    for (const m of members) {
      if (m.family !== family) continue;
      const s = health.state(pool, m);
      if (s === 'up') out.push(m);
      // A drain degrades too: answers without the member are a stopgap, and a
      // short TTL brings it back into caches soon after the undrain.
      else degraded = true;
    }
    return out;
  };
  const enough = (healthy: number, configured: number): boolean => {
    if (healthy === 0) return false;
    const need = pool.minHealthy.count ?? (pool.minHealthy.fraction !== undefined ? Math.ceil(pool.minHealthy.fraction * configured) : 1);
    // A count larger than a (backup) tier means "all of it", or that tier could never answer.
    return healthy >= Math.min(need, configured);
  };
  const ofFamily = (members: PoolMember[]): number => members.reduce((n, m) => n + (m.family === family ? 1 : 0), 0);

  // Evaluate every tier so a down member anywhere makes the TTL short.
  const healthyByTier = pool.tiers.map(healthyOf);
  const latched = pool.failback === 'manual' ? health.latchedTier(pool) ?? 0 : 0;
  const order = [...range(latched, pool.tiers.length), ...range(0, Math.min(latched, pool.tiers.length))];
  for (const t of order) {
    const configured = ofFamily(pool.tiers[t]!);
    if (configured === 0) continue;
    const healthy = healthyByTier[t]!;
    if (!enough(healthy.length, configured)) continue;
    const chosen = pool.policy === 'weighted' ? weightedOrder(healthy, rand) : shuffle(healthy, rand);
    const failedOver = t > firstTierOf(pool, family);
    return {
      rdata: chosen.slice(0, pool.maxAnswers).map((m) => m.rdata),
      ttl: ttlFor(pool, degraded || failedOver),
      servfail: false,
      tier: t,
      complete: pool.policy !== 'weighted' && chosen.length <= pool.maxAnswers,
    };
  }

  const ttl = ttlFor(pool, true);
  switch (pool.onAllDown) {
    case 'servfail':
      return { rdata: [], ttl, servfail: true, tier: -1, complete: true };
    case 'empty':
      return { rdata: [], ttl, servfail: false, tier: -1, complete: true };
    case 'backup': {
      const backup = pool.backup.filter((m) => m.family === family && health.state(pool, m) === 'up');
      const list = backup.length ? backup : pool.backup.filter((m) => m.family === family);
      if (list.length) return { rdata: shuffle(list, rand).slice(0, pool.maxAnswers).map((m) => m.rdata), ttl, servfail: false, tier: -1, complete: list.length <= pool.maxAnswers };
      break;
    }
    default:
      break;
  }
  // Fail open: every configured member, since answering nothing helps nobody.
  const all = pool.tiers.flat().filter((m) => m.family === family);
  return { rdata: shuffle(all, rand).slice(0, pool.maxAnswers).map((m) => m.rdata), ttl, servfail: false, tier: -1, complete: all.length <= pool.maxAnswers };
}

/** The first tier holding members of `family`: answering from a later one is a failover. */
export function firstTierOf(pool: Pool, family: 4 | 6): number {
  const i = pool.tiers.findIndex((t) => t.some((m) => m.family === family));
  return i < 0 ? 0 : i;
}

function ttlFor(pool: Pool, degraded: boolean): number {
  return Math.max(POOL_DEFAULTS.minTtl, degraded ? Math.min(pool.degradedTtl, pool.ttl) : pool.ttl);
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) out.push(i);
  return out;
}

/** Fisher-Yates on a copy. */
export function shuffle<T>(items: T[], rand: () => number): T[] {
  const a = items.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}

/**
 * Weighted order without replacement (Efraimidis-Spirakis: sort by u^(1/w)),
 * so the first answer is drawn by weight and later ones follow by weight.
 * Weight 0 members are used only when no weighted member is healthy.
 */
function weightedOrder(members: PoolMember[], rand: () => number): PoolMember[] {
  const positive = members.filter((m) => m.weight > 0);
  if (positive.length === 0) return shuffle(members, rand);
  return positive
    .map((m) => ({ m, k: Math.pow(rand() || Number.MIN_VALUE, 1 / m.weight) }))
    .sort((a, b) => b.k - a.k)
    .map((e) => e.m);
}
