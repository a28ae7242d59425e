// `pulsedns probe`: a vantage point. Follows the pools in the zones
// directory (reloading with it), probes every member, publishes to Redis, and
// sends webhooks for the shared verdict's changes.
import type { Logger } from 'pino';
import { Stats } from './stats.js';
import { ServedZones } from './reloader.js';
import { watchZones } from './watch.js';
import { MIN_USEFUL_VANTAGES, startHealth } from './health.js';
import { openStore, type StoreOptions } from '../../checks/store/open.js';
import type { HealthStore } from '../../checks/store/types.js';
import { NODE_VERSION, VERSION } from './version.js';

export interface ProberOptions {
  zonesDir: string;
  health: StoreOptions;
  vantage: string;
  webhooks: string[];
  webhookSecret?: string;
  source?: string;
  /** Zone files bigger than this are refused (--max-zone-file-size). */
  maxFileBytes?: number;
}

function exitOnRefusal(store: HealthStore): void {
  const problem = store.problem();
  if (problem?.kind !== 'auth') return;
  process.stderr.write(`pulsedns: ${problem.message} (check the password or ACL user in --redis / PULSEDNS_REDIS)\n`);
  process.exit(1);
}

export async function runProber(opts: ProberOptions, log: Logger): Promise<void> {
  const plog = log.child({ vantage: opts.vantage });
  const zones = new ServedZones(opts.zonesDir, plog, new Stats(), { sign: false, ...(opts.maxFileBytes ? { read: { maxBytes: opts.maxFileBytes } } : {}) });
  if (!(await zones.reload())) throw new Error('initial zone load failed; fix the errors above');
  const store = openStore(opts.health, plog);
  const health = await startHealth(store, plog, {
    probe: true,
    vantage: opts.vantage,
    webhooks: opts.webhooks,
    ...(opts.webhookSecret ? { webhookSecret: opts.webhookSecret } : {}),
    pools: zones.current.pools,
    minVantages: MIN_USEFUL_VANTAGES,
    ...(opts.health.holdMs !== undefined ? { holdMs: opts.health.holdMs } : {}),
    ...(opts.source ? { source: opts.source } : {}),
  });
  // A prober whose writes are refused is useless, and retrying will not
  // change the password: stop, loudly, now and whenever it happens later.
  exitOnRefusal(store);
  setInterval(() => exitOnRefusal(store), 1000).unref();
  zones.onLoaded = (catalog) => health.setPools(catalog.pools);
  const watcher = watchZones(opts.zonesDir, () => void zones.reload());
  process.on('SIGHUP', () => {
    watcher.rewatch();
    void zones.reload();
  });
  plog.info({ version: VERSION, node: NODE_VERSION, members: health.scheduler?.keys().length ?? 0 }, 'ready');
  const stop = (): void => {
    watcher.close();
    void health.close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
