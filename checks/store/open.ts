// The one place that chooses where health is shared: Redis when the command
// line names one (distributed), else memory in this process (embedded), or,
// in a worker of an embedded server, the primary's memory over IPC (relay).
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
}

/** True when health is shared through Redis (distributed mode). */
export function isShared(opts: StoreOptions): boolean {
  return Boolean(opts.redis || opts.sentinels);
}

/** `worker`: this process is a worker of a multi-process server (cluster). */
export function openStore(opts: StoreOptions, log: Logger, worker = false): HealthStore {
  if (!isShared(opts)) return worker ? new RelayStore() : new MemoryStore();
  return new RedisStore({
    ...(opts.redis ? { url: opts.redis } : {}),
    ...(opts.sentinels ? { sentinels: opts.sentinels } : {}),
    ...(opts.sentinelName ? { sentinelName: opts.sentinelName } : {}),
    ...(opts.prefix ? { prefix: opts.prefix } : {}),
    logger: log.child({ component: 'redis' }),
  });
}
