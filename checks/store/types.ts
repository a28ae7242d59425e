// The contract between probers and servers. Implementations: memory
// (embedded default, one process), Redis (distributed) and relay (a worker
// reaching its primary's memory store); open.ts chooses one. Memory and Redis
// pass the same contract test (test/unit/checks/store.test.ts). The Redis key
// layout is documented in docs/redis.md.
//
// Who writes what:
// - reports: probers only (checks/scheduler.ts), one per (vantage, member).
// - overrides: operators only (admin endpoint, or `pulsedns drain|force --redis`).
// - latches: the reading side. The live view (checks/live.ts, in every server
//   and prober process) is what sees that a `failback: manual` pool's answers
//   moved to a backup tier; it records that with latch(), where the first
//   writer wins, so every process agrees on one tier. Operators clear it
//   (unlatch, `pulsedns failback`). It stays with the reader because only the
//   live view applies pool policy; probes judge members, not pools.
// - event claims: whoever sends webhooks (claimEvent de-duplicates them).

/** One vantage's current opinion of one member, after its own fall/rise. */
export interface VantageReport {
  vantage: string;
  up: boolean;
  /** When this vantage last probed the member (ms since epoch). */
  at: number;
  /** The check's interval: a report older than 3 intervals is stale. */
  intervalMs: number;
  /** Why the last probe failed, if it did. */
  reason?: string;
  /** When the vantage's state last flipped (ms since epoch). */
  since: number;
}

export type OverrideMode = 'drain' | 'force-up' | 'force-down';

/** An operator's decision about one member address, in one pool or all ('*'). */
export interface Override {
  pool: string;
  address: string;
  mode: OverrideMode;
  reason: string;
  by: string;
  at: number;
  /** Expiry (ms since epoch); absent = until cleared. */
  until?: number;
}

/** A failover pool with `failback: manual` latched on a backup tier. */
export interface FailoverLatch {
  pool: string;
  tier: number;
  since: number;
}

export interface HealthSnapshot {
  /** member key (see memberKey) -> reports from every vantage. */
  reports: Map<string, VantageReport[]>;
  overrides: Override[];
  latches: FailoverLatch[];
}

export type StoreChange =
  | { kind: 'report'; member: string; report: VantageReport }
  | { kind: 'override' }
  | { kind: 'latch' };

/**
 * Why a store is not usable right now. `auth` (the backing service refused
 * our credentials) does not heal by retrying and is reported loudly;
 * `unreachable` is retried quietly.
 */
export interface StoreProblem {
  kind: 'unreachable' | 'auth';
  message: string;
}

export interface HealthStore {
  /**
   * Prober: record this vantage's view of a member. `changed` also notifies
   * subscribers at once; unchanged reports may be written in batches, and
   * the promise resolves once this one is stored.
   */
  report(member: string, report: VantageReport, changed: boolean): Promise<void>;
  /**
   * Everything, for a full sync or a periodic reconcile. A store that
   * follows changes (after subscribe) may answer from its own up-to-date
   * copy, but never with less than what was written before the call.
   */
  snapshot(): Promise<HealthSnapshot>;
  /** Calls `listener` on every change, from any process sharing the store. */
  subscribe(listener: (change: StoreChange) => void): Promise<void>;
  setOverride(o: Override): Promise<void>;
  /** Removes the override for (pool, address); false when there was none. */
  clearOverride(pool: string, address: string): Promise<boolean>;
  /** Sets the latch only if the pool has none (first server to fail over wins). */
  latch(l: FailoverLatch): Promise<boolean>;
  /** Releases a manual failover (`pulsedns failback POOL`); false when not latched. */
  unlatch(pool: string): Promise<boolean>;
  /** True for exactly one caller per id within ttlMs: de-duplicates webhooks across probers. */
  claimEvent(id: string, ttlMs: number): Promise<boolean>;
  /** Whether the backing service is reachable right now (always true for memory). */
  healthy(): boolean;
  /** Why it is not healthy, when it is not. */
  problem(): StoreProblem | undefined;
  close(): Promise<void>;
}
