// Assembles the health side of a process: given the store (checks/store/open.ts
// chooses it), the live view the query path reads, the prober when
// this process probes, and webhooks.
import type { Logger } from 'pino';
import type { HealthStore } from '../../checks/store/types.js';
import { MemoryStore } from '../../checks/store/memory.js';
import { Scheduler, targetsOf } from '../../checks/scheduler.js';
import { Webhooks } from '../../checks/webhooks.js';
import { LiveHealth } from '../../checks/live.js';
import type { ViewFile } from '../../checks/viewfile.js';
import type { PoolSet } from '../pools/model.js';
import type { CheckSpec, ProbeResult } from '../../checks/model.js';

/** Below this many vantages a pool's verdicts cannot outvote one bad vantage (docs/failover.md). */
export const MIN_USEFUL_VANTAGES = 3;

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

export interface StartHealthOptions {
  probe: boolean;
  vantage: string;
  webhooks: string[];
  /** HMAC key for webhook signatures (checks/signing.ts). */
  webhookSecret?: string;
  pools: PoolSet;
  source?: string;
  /** false in cluster workers (see LiveOptions.announce). */
  announce?: boolean;
  /** Every finished probe, for metrics. */
  onProbe?: (check: CheckSpec, result: ProbeResult) => void;
  /** --stale-hold: how long verdicts hold with no fresh vantage before failing open. */
  holdMs?: number;
  /** Warn about pools judged by fewer vantages than this (distributed mode). */
  minVantages?: number;
  /** Start from the view saved here, if any. */
  restoreFrom?: ViewFile;
  /** Keep the view saved here (only the process that owns the store on a host). */
  saveTo?: ViewFile;
}

export async function startHealth(store: HealthStore, log: Logger, opts: StartHealthOptions): Promise<HealthRuntime> {
  const live = new LiveHealth(store, log.child({ component: 'health' }), {
    reconcileMs: reconcileInterval(opts.pools),
    ...(opts.announce === false ? { announce: false } : {}),
    ...(opts.holdMs !== undefined ? { holdMs: opts.holdMs } : {}),
    ...(opts.minVantages ? { minVantages: opts.minVantages } : {}),
    ...(opts.saveTo ? { viewFile: opts.saveTo } : {}),
  });
  // Before anything is evaluated: a restored view may raise events at once
  // (vantages-stale after a restart during an outage).
  const webhooks = opts.webhooks.length ? new Webhooks({ urls: opts.webhooks, store, log, source: opts.vantage, ...(opts.webhookSecret ? { secret: opts.webhookSecret } : {}) }) : undefined;
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
  // A key once per line: the prober command's logger already carries the vantage.
  const plog = 'vantage' in log.bindings() ? log : log.child({ vantage: opts.vantage });
  const scheduler = opts.probe ? new Scheduler({ vantage: opts.vantage, store, log: plog.child({ component: 'prober' }), ...(opts.source ? { source: opts.source } : {}), ...(opts.onProbe ? { onResult: opts.onProbe } : {}) }) : undefined;
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
