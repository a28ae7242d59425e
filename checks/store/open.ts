// The one place that chooses where health is shared: Redis when the command
// line names one (distributed), else memory in this process (embedded). A
// worker of a multi-process server always reaches its primary's store over
// IPC (relay), in both modes, so each host has one Redis reader.
import type { Logger } from 'pino';
import { MemoryStore } from './memory.js';
import { RedisStore } from './redis.js';
import { RelayStore } from './relay.js';
import type { HealthStore } from './types.js';

export interface StoreOptions {
  redis?: string;
  sentinels?: Array<{ host: string; port: number }>;
  sentinelName?: string;
  prefix?: string;
  /** --stale-hold: how long verdicts hold with no fresh vantage before failing open. */
  holdMs?: number;
}

/** True when health is shared through Redis (distributed mode). */
export function isShared(opts: StoreOptions): boolean {
  return Boolean(opts.redis || opts.sentinels);
}

/** `worker`: this process is a worker of a multi-process server (cluster). */
export function openStore(opts: StoreOptions, log: Logger, worker = false): HealthStore {
  if (worker) return new RelayStore();
  if (!isShared(opts)) return new MemoryStore();
  return new RedisStore({
    ...(opts.redis ? { url: opts.redis } : {}),
    ...(opts.sentinels ? { sentinels: opts.sentinels } : {}),
    ...(opts.sentinelName ? { sentinelName: opts.sentinelName } : {}),
    ...(opts.prefix ? { prefix: opts.prefix } : {}),
    logger: log.child({ component: 'redis' }),
  });
}
