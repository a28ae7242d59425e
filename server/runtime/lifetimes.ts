// How long answers already handed out can live in resolver caches, per pool
// member: `drain --wait` waits that long, so that no resolver can still hold
// an answer naming the member when it returns. Every second (and right before
// a drain) the pools are looked at as the query path sees them; each member
// that answers could name gets "until now + the TTL such an answer carries".
import type { PoolSet, Pool, PoolMember } from '../pools/model.js';
import { POOL_DEFAULTS } from '../pools/model.js';
import { selectMembers, type HealthLookup } from '../pools/select.js';

/** One observation interval: an answer served just before the next look may carry the TTL seen at this one. */
const TICK_MS = 1000;

export class AnswerLifetimes {
  /** pool|address -> time (ms) until which a cached answer naming it may live. */
  private until = new Map<string, number>();
  private seen = new WeakSet<Pool>();
  private timer: NodeJS.Timeout;

  constructor(private readonly pools: () => PoolSet, private readonly health: HealthLookup, private readonly now: () => number = Date.now) {
    this.observe();
    this.timer = setInterval(() => this.observe(), TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  observe(): void {
    const now = this.now();
    for (const pool of this.pools().pools.values()) {
      const mark = (m: PoolMember, ttl: number): void => {
        const k = `${pool.name}|${m.address}`;
        this.until.set(k, Math.max(this.until.get(k) ?? 0, now + ttl * 1000 + TICK_MS));
      };
      if (!this.seen.has(pool)) {
        // A pool first seen (start-up, reload): what was served before is unknown, so assume its longest TTL.
        this.seen.add(pool);
        const longest = Math.max(POOL_DEFAULTS.minTtl, pool.ttl, pool.degradedTtl);
        for (const m of [...pool.tiers.flat(), ...pool.backup]) mark(m, longest);
      }
      for (const family of [4, 6] as const) {
        const sel = selectMembers(pool, family, this.health, () => 0);
        for (const m of named(pool, family, sel.tier, this.health)) mark(m, sel.ttl);
      }
    }
  }

  /** Seconds an answer naming `address` (in `pool`, or in any pool for "*") may still be cached. */
  remainingSeconds(pool: string, address: string): number {
    const now = this.now();
    let latest = 0;
    for (const [k, t] of this.until) {
      const [p, a] = [k.slice(0, k.lastIndexOf('|')), k.slice(k.lastIndexOf('|') + 1)];
      if (a === address && (pool === '*' || p === pool)) latest = Math.max(latest, t);
    }
    return Math.max(0, Math.ceil((latest - now) / 1000));
  }
}

/** Members an answer can hold right now: the healthy ones of the answering tier, or (nothing healthy) the fallbacks. */
function named(pool: Pool, family: 4 | 6, tier: number, health: HealthLookup): PoolMember[] {
  const of = (list: PoolMember[]): PoolMember[] => list.filter((m) => m.family === family);
  if (tier >= 0) return of(pool.tiers[tier] ?? []).filter((m) => health.state(pool, m) === 'up');
  // on_all_down: backup list, or every configured member (fail open); either may be named.
  return [...of(pool.backup), ...of(pool.tiers.flat())];
}
