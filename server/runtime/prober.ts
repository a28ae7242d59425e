// `pulsedns probe`: a vantage point. Follows the pools in the zones
// directory (reloading with it), probes every member, publishes to Redis, and
// sends webhooks for the shared verdict's changes.
import type { Logger } from 'pino';
import { Stats } from './stats.js';
import { ServedZones } from './reloader.js';
import { watchZones } from './watch.js';
import { startHealth } from './health.js';
import { openStore, type StoreOptions } from '../../checks/store/open.js';

export interface ProberOptions {
  zonesDir: string;
  health: StoreOptions;
  vantage: string;
  webhooks: string[];
  source?: string;
}

export async function runProber(opts: ProberOptions, log: Logger): Promise<void> {
  const plog = log.child({ vantage: opts.vantage });
  const zones = new ServedZones(opts.zonesDir, plog, new Stats());
  if (!(await zones.reload())) throw new Error('initial zone load failed; fix the errors above');
  const store = openStore(opts.health, plog);
  const health = await startHealth(store, plog, { probe: true, vantage: opts.vantage, webhooks: opts.webhooks, pools: zones.current.pools, ...(opts.source ? { source: opts.source } : {}) });
  zones.onLoaded = (catalog) => health.setPools(catalog.pools);
  const watcher = watchZones(opts.zonesDir, () => void zones.reload());
  process.on('SIGHUP', () => {
    watcher.rewatch();
    void zones.reload();
  });
  plog.info({ members: health.scheduler?.keys().length ?? 0 }, 'ready');
  const stop = (): void => {
    watcher.close();
    void health.close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
