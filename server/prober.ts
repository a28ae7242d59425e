// `pulsedns probe`: a vantage point. Follows the pools in the zones
// directory (reloading with it), probes every member, publishes to Redis, and
// sends webhooks for the shared verdict's changes.
import type { Logger } from 'pino';
import { Stats } from './stats.js';
import { ZoneSet } from './zones/reloader.js';
import { watchZones } from './zones/watch.js';
import { openStore, startHealth, type HealthOptions } from './health.js';

export interface ProberOptions {
  zonesDir: string;
  health: HealthOptions;
  vantage: string;
  webhooks: string[];
  source?: string;
  /** Zone files bigger than this are refused (--max-zone-file-size). */
  maxFileBytes?: number;
}

export async function runProber(opts: ProberOptions, log: Logger): Promise<void> {
  const plog = log.child({ vantage: opts.vantage });
  const zones = new ZoneSet(opts.zonesDir, plog, new Stats(), opts.maxFileBytes ? { maxBytes: opts.maxFileBytes } : undefined);
  if (!zones.reload()) throw new Error('initial zone load failed; fix the errors above');
  const store = openStore(opts.health, plog);
  const health = await startHealth(store, plog, { probe: true, vantage: opts.vantage, webhooks: opts.webhooks, pools: zones.current.pools, ...(opts.source ? { source: opts.source } : {}) });
  zones.onLoaded = (catalog) => health.setPools(catalog.pools);
  const stopWatch = watchZones(opts.zonesDir, () => zones.reload());
  process.on('SIGHUP', () => zones.reload());
  plog.info({ members: health.scheduler?.keys().length ?? 0 }, 'ready');
  const stop = (): void => {
    stopWatch();
    void health.close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
