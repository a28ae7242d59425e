// What several commands share: the usage-error exit, the log and health-store
// flags, secrets (flag, file or environment: runtime/secrets.ts), webhook URLs
// and the zone file size cap.
import { parseEndpoint } from '../runtime/roles.js';
import type { StoreOptions } from '../../checks/store/open.js';
import { validateWebhookUrl } from '../../checks/webhook-url.js';
import { logOptionError, type LogOptions } from '../runtime/log.js';
import { parseDuration } from '../pools/parse.js';
import { redactText } from '../runtime/redact.js';
import { secretList, secretValue, type SecretSource } from '../runtime/secrets.js';
import { DEFAULT_MAX_FILE_BYTES, parseBytes } from '../zones/readfile.js';

export function fail(message: string): never {
  process.stderr.write(`pulsedns: ${redactText(message)}\n`);
  process.exit(2);
}

/** A secret (runtime/secrets.ts), or the usage-error exit naming what is wrong with it. */
export function secretOrFail(src: SecretSource, isUrl = false): string | undefined {
  try {
    return secretValue(src, isUrl);
  } catch (e) {
    fail((e as Error).message);
  }
}

export const HEALTH_FLAGS = {
  redis: { type: 'string' },
  'redis-file': { type: 'string' },
  sentinel: { type: 'string', multiple: true },
  'sentinel-name': { type: 'string' },
  'redis-prefix': { type: 'string' },
  'stale-hold': { type: 'string' },
} as const;

export function healthOptions(values: { redis?: string | undefined; 'redis-file'?: string | undefined; sentinel?: string[] | undefined; 'sentinel-name'?: string | undefined; 'redis-prefix'?: string | undefined; 'stale-hold'?: string | undefined }): StoreOptions {
  const h: StoreOptions = {};
  const redis = secretOrFail({ flag: values.redis, file: values['redis-file'], env: ['PULSEDNS_REDIS_URL', 'PULSEDNS_REDIS'], name: '--redis' }, true);
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
  const secret = secretOrFail({ flag: values['webhook-secret'], file: values['webhook-secret-file'], env: ['PULSEDNS_WEBHOOK_SECRET'], name: '--webhook-secret' });
  if (secret === undefined) return undefined;
  if (secret.length < 16) fail('the webhook secret must be at least 16 characters (openssl rand -hex 32 makes a good one)');
  return secret;
}

/** The receivers: --webhook (repeatable), --webhook-file (one per line) or PULSEDNS_WEBHOOK (space-separated). */
export const WEBHOOK_URL_FLAGS = {
  webhook: { type: 'string', multiple: true },
  'webhook-file': { type: 'string' },
} as const;

/** Every webhook URL, each checked now: one that can never work stops the start (exit 2). */
export function webhookUrls(values: { webhook?: string[] | undefined; 'webhook-file'?: string | undefined }): string[] {
  try {
    return secretList(values.webhook, values['webhook-file'], 'PULSEDNS_WEBHOOK', '--webhook').map(validateWebhookUrl);
  } catch (e) {
    fail((e as Error).message);
  }
}

/** Zone, pools and $INCLUDE files bigger than this are refused (zones/readfile.ts). */
export const FILE_SIZE_FLAG = { 'max-zone-file-size': { type: 'string' } } as const;

export function maxFileSize(values: { 'max-zone-file-size'?: string | undefined }): number {
  const text = values['max-zone-file-size'];
  if (text === undefined) return DEFAULT_MAX_FILE_BYTES;
  const n = parseBytes(text);
  if (n === undefined) fail(`--max-zone-file-size "${text}" is a size such as 256M, 64k or 1000000`);
  return n;
}
