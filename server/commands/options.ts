// What several commands share: the usage-error exit, the log and health-store flags.
import { parseEndpoint } from '../runtime/roles.js';
import type { StoreOptions } from '../../checks/store/open.js';
import { readFileSync } from 'node:fs';
import { logOptionError, type LogOptions } from '../runtime/log.js';
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

export function healthOptions(values: { redis?: string | undefined; sentinel?: string[] | undefined; 'sentinel-name'?: string | undefined; 'redis-prefix'?: string | undefined; 'stale-hold'?: string | undefined }): StoreOptions {
  const h: StoreOptions = {};
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

/** `--log-level` and `--log-format json|pretty`, for the long-running commands (serve, probe). */
export const LOG_FLAGS = {
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
} as const;

export function logOptions(values: { 'log-level'?: string | undefined; 'log-format'?: string | undefined }): LogOptions {
  const o: LogOptions = { level: values['log-level'] ?? process.env.PULSEDNS_LOG_LEVEL, format: values['log-format'] ?? process.env.PULSEDNS_LOG_FORMAT };
  const error = logOptionError(o);
  if (error) fail(error);
  return o;
}

/** The webhook signing secret: --webhook-secret, --webhook-secret-file (first line), or PULSEDNS_WEBHOOK_SECRET. */
export const WEBHOOK_FLAGS = {
  'webhook-secret': { type: 'string' },
  'webhook-secret-file': { type: 'string' },
} as const;

export function webhookSecret(values: { 'webhook-secret'?: string | undefined; 'webhook-secret-file'?: string | undefined }): string | undefined {
  if (values['webhook-secret'] !== undefined && values['webhook-secret-file'] !== undefined) fail('give --webhook-secret or --webhook-secret-file, not both');
  let secret = values['webhook-secret'];
  const file = values['webhook-secret-file'];
  if (file !== undefined) {
    try {
      secret = readFileSync(file, 'utf8').split(/\r?\n/)[0];
    } catch (e) {
      fail(`--webhook-secret-file: ${(e as Error).message}`);
    }
  }
  secret ??= process.env.PULSEDNS_WEBHOOK_SECRET;
  if (secret === undefined) return undefined;
  if (secret.length < 16) fail('the webhook secret must be at least 16 characters (openssl rand -hex 32 makes a good one)');
  return secret;
}
