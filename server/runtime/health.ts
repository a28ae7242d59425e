// Assembles the health side of a process: the store (memory, Redis, or the
// primary's over IPC), the live view the query path reads, the prober when
// this process probes, and webhooks.
import type { Logger } from 'pino';
import { MemoryStore } from '../../checks/store/memory.js';
import { RedisStore } from '../../checks/store/redis.js';
import type { HealthStore } from '../../checks/store/types.js';
import { Scheduler, targetsOf } from '../../checks/scheduler.js';
import { Webhooks } from '../../checks/webhooks.js';
import { LiveHealth } from '../../checks/live.js';
import type { ViewFile } from '../../checks/viewfile.js';
import type { PoolSet } from '../pools/model.js';

export interface HealthOptions {
  redis?: string;
  sentinels?: Array<{ host: string; port: number }>;
  sentinelName?: string;
  prefix?: string;
  /** --stale-hold: how long verdicts hold with no fresh vantage before failing open. */
  holdMs?: number;
}

/** Below this many vantages a pool's verdicts cannot outvote one bad vantage (docs/failover.md). */
export const MIN_USEFUL_VANTAGES = 3;

export interface HealthStartOptions {
  probe: boolean;
  vantage: string;
  webhooks: string[];
  pools: PoolSet;
  source?: string;
  holdMs?: number;
  /** Warn about pools judged by fewer vantages than this (distributed mode). */
  minVantages?: number;
  /** Start from the view saved here, if any. */
  restoreFrom?: ViewFile;
  /** Keep the view saved here (only the process that owns the store on a host). */
  saveTo?: ViewFile;
}

export function openStore(opts: HealthOptions, log: Logger): HealthStore {
  if (!opts.redis && !opts.sentinels) return new MemoryStore();
  return new RedisStore({
    ...(opts.redis ? { url: opts.redis } : {}),
    ...(opts.sentinels ? { sentinels: opts.sentinels } : {}),
    ...(opts.sentinelName ? { sentinelName: opts.sentinelName } : {}),
    ...(opts.prefix ? { prefix: opts.prefix } : {}),
    logger: log.child({ component: 'redis' }),
  });
}

/** Reconcile at least as often as the fastest check, so freshness is judged on recent data. */
export function reconcileInterval(pools: PoolSet): number {
  let min = 5000;
  for (const c of pools.checks.values()) min = Math.min(min, c.intervalMs);
  return Math.max(250, min);
}

export interface HealthRuntime {
  store: HealthStore;
  live: LiveHealth;
  scheduler: Scheduler | undefined;
  webhooks: Webhooks | undefined;
  /** Call on every zone (re)load. */
  setPools(pools: PoolSet): void;
  close(): Promise<void>;
}

export async function startHealth(store: HealthStore, log: Logger, opts: HealthStartOptions): Promise<HealthRuntime> {
  const live = new LiveHealth(store, log.child({ component: 'health' }), {
    reconcileMs: reconcileInterval(opts.pools),
    ...(opts.holdMs !== undefined ? { holdMs: opts.holdMs } : {}),
    ...(opts.minVantages ? { minVantages: opts.minVantages } : {}),
    ...(opts.saveTo ? { viewFile: opts.saveTo } : {}),
  });
  // Before anything is evaluated: a restored view may raise events at once
  // (vantages-stale after a restart during an outage).
  const webhooks = opts.webhooks.length ? new Webhooks({ urls: opts.webhooks, store, log, source: opts.vantage }) : undefined;
  if (webhooks) live.onEvent((e) => webhooks.send(e));
  const view = opts.restoreFrom?.load();
  if (view) {
    live.restore(view);
    // Embedded mode: the memory store is the only other place operator
    // decisions live, so it gets them back too.
    if (store instanceof MemoryStore) {
      for (const o of view.overrides) await store.setOverride(o);
      for (const l of view.latches) await store.latch(l);
    }
  }
  live.setPools(opts.pools);
  await live.start();
  const scheduler = opts.probe ? new Scheduler({ vantage: opts.vantage, store, log: log.child({ component: 'prober' }), ...(opts.source ? { source: opts.source } : {}) }) : undefined;
  scheduler?.update(targetsOf(opts.pools.pools.values()));
  return {
    store,
    live,
    scheduler,
    webhooks,
    setPools(pools) {
      live.setPools(pools);
      scheduler?.update(targetsOf(pools.pools.values()));
    },
    async close() {
      scheduler?.stop();
      live.stop();
      await live.flush();
      await webhooks?.flush();
      await store.close();
    },
  };
}
