// What several commands share: the usage-error exit and the health-store flags.
import { parseEndpoint } from '../runtime/roles.js';
import type { HealthOptions } from '../runtime/health.js';
import { parseDuration } from '../pools/parse.js';

export function fail(message: string): never {
  process.stderr.write(`pulsedns: ${message}\n`);
  process.exit(2);
}

export const HEALTH_FLAGS = {
  redis: { type: 'string' },
  sentinel: { type: 'string', multiple: true },
  'sentinel-name': { type: 'string' },
  'redis-prefix': { type: 'string' },
  'stale-hold': { type: 'string' },
} as const;

export function healthOptions(values: { redis?: string | undefined; sentinel?: string[] | undefined; 'sentinel-name'?: string | undefined; 'redis-prefix'?: string | undefined; 'stale-hold'?: string | undefined }): HealthOptions {
  const h: HealthOptions = {};
  const redis = values.redis ?? process.env.PULSEDNS_REDIS;
  if (redis) h.redis = redis;
  if (values.sentinel?.length) h.sentinels = values.sentinel.map(parseEndpoint);
  if (values['sentinel-name']) h.sentinelName = values['sentinel-name'];
  if (values['redis-prefix']) h.prefix = values['redis-prefix'];
  if (values['stale-hold'] !== undefined) {
    const ms = parseDuration(values['stale-hold']);
    if (ms === undefined || ms < 1000) fail('--stale-hold is a duration of at least 1s, such as 5m (how long verdicts hold once every vantage is stale)');
    h.holdMs = ms;
  }
  return h;
}
