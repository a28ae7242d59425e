// Option values several commands share, each checked once here so that a bad
// value is a one-line usage error (exit 2) before anything starts, and each
// thing is spelled one way on every command: addresses, durations, sizes,
// Redis, webhooks, logging. Secrets (Redis and git URLs, webhook URLs, tokens)
// may come from a flag, a file or the environment (runtime/secrets.ts); they
// are checked after parsing, by messages that never repeat them (commander's
// own message for a rejected value quotes it).
import { isIP } from 'node:net';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { parseEndpoint } from '../transport/endpoint.js';
import { durationMs } from '../zones/duration.js';
import { DEFAULT_MAX_FILE_BYTES, parseBytes } from '../zones/readfile.js';
import type { StoreOptions } from '../../checks/store/open.js';
import { validateWebhookUrl } from '../../checks/webhook-url.js';
import { LOG_FORMATS, LOG_LEVELS, logOptionError, type LogOptions } from '../runtime/log-options.js';
import { secretList, secretValue, type SecretSource } from '../runtime/secrets.js';
import type { Endpoint } from '../transport/udp.js';
import { CommandFailed, UsageError } from './errors.js';

export const DEFAULT_ADMIN = 'http://127.0.0.1:9153';

/** Repeatable option: each occurrence parsed on its own, collected in order. */
export function many<T>(parse: (text: string) => T): (text: string, previous: T[] | undefined) => T[] {
  return (text, previous) => [...(previous ?? []), parse(text)];
}

function invalid(message: string): never {
  throw new InvalidArgumentError(message);
}

export function parsePort(text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) invalid('a port is a number from 1 to 65535');
  return port;
}

/** HOST:PORT or [IPv6]:PORT, where HOST may be a name (Redis sentinels, NOTIFY targets). */
export function parseHostPort(text: string): Endpoint {
  let ep: Endpoint;
  try {
    ep = parseEndpoint(text);
  } catch {
    invalid('expected HOST:PORT, e.g. 127.0.0.1:5353 or [::1]:5353');
  }
  parsePort(String(ep.port));
  return ep;
}

/** An address of this machine to bind: an IP literal (or localhost) and a port. */
export function parseListen(text: string): Endpoint {
  const ep = parseHostPort(text);
  if (ep.host !== 'localhost' && isIP(ep.host) === 0) invalid(`${ep.host} is not an IP address; e.g. 0.0.0.0:53 or [::]:53`);
  if (isIP(ep.host) === 6 && !text.startsWith('[')) invalid(`write an IPv6 address in brackets: [${ep.host}]:${ep.port}`);
  return ep;
}

/**
 * The admin endpoint as a client reaches it: `127.0.0.1:9153`, `[::1]:9153`
 * and `http://127.0.0.1:9153` all mean the same. Returns a base URL without a
 * trailing slash (a path prefix, for an endpoint behind a proxy, is kept).
 */
export function parseAdminUrl(text: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    invalid('expected an address such as 127.0.0.1:9153, [::1]:9153 or http://127.0.0.1:9153');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') invalid('the admin endpoint speaks http:// or https://');
  if (!url.hostname) invalid('no host in it');
  if (url.search || url.hash) invalid("give the endpoint's address only, without ?query or #fragment");
  return url.href.replace(/\/+$/, '');
}

/** `serve --admin`: where to listen, in any form parseAdminUrl accepts, or `off`. */
export function parseAdminListen(text: string): Endpoint | null {
  if (text === 'off') return null;
  const url = new URL(parseAdminUrl(text));
  if (url.protocol !== 'http:') invalid('the admin endpoint serves plain http (put TLS in front of it)');
  if (url.pathname !== '/' && url.pathname !== '') invalid('the admin endpoint listens at the root, without a path');
  if (!url.port) invalid('a port is needed, e.g. 127.0.0.1:9153');
  return parseListen(url.host);
}

/** Where a client command finds the admin endpoint: --admin, then PULSEDNS_ADMIN, then the default. */
export function adminBase(flag: string | undefined): string {
  if (flag !== undefined) return flag;
  const env = process.env.PULSEDNS_ADMIN;
  if (!env) return DEFAULT_ADMIN;
  try {
    return parseAdminUrl(env);
  } catch (e) {
    throw new UsageError(`PULSEDNS_ADMIN "${env}": ${(e as Error).message}`);
  }
}

export function parseRedisUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    invalid('Invalid URL; expected a Redis URL such as redis://127.0.0.1:6379 or rediss://user:pass@host:6380/0');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') invalid('a Redis URL starts with redis:// or rediss:// (TLS)');
  if (!url.hostname) invalid('no host in it');
  if (url.port !== '') parsePort(url.port);
  if (url.pathname !== '' && url.pathname !== '/' && !/^\/\d+$/.test(url.pathname)) invalid('the path, if any, is a database number such as /0');
  return text;
}

/** Every duration on the command line: "30s", "5m", "2h", "1d", "500ms" or plain seconds. Milliseconds. */
export function parseDurationArg(text: string): number {
  const ms = durationMs(text);
  if (ms === undefined || ms <= 0) invalid('expected a duration such as 30s, 5m or 2h');
  return ms;
}

export function parseCount(min: number): (text: string) => number {
  return (text) => {
    const n = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!(n >= min) || !Number.isSafeInteger(n)) invalid(`expected a whole number of at least ${min}`);
    return n;
  };
}

/** Sizes: "256M", "64k", "1g" or bytes. */
export function parseSize(text: string): number {
  const n = parseBytes(text);
  if (n === undefined) invalid('expected a size such as 256M, 64k or 1000000');
  return n;
}

export function parsePositive(text: string): number {
  const n = Number(text);
  if (!(n > 0) || !Number.isFinite(n)) invalid('expected a positive number');
  return n;
}

// ---------------------------------------------------------------- secrets

/** A secret from its flag, file or environment (runtime/secrets.ts); a bad source is a usage error. */
export function secret(src: SecretSource, isUrl = false): string | undefined {
  try {
    return secretValue(src, isUrl);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export interface RedisFlags {
  redis?: string;
  redisFile?: string;
}

/** --redis, --redis-file, PULSEDNS_REDIS_URL or PULSEDNS_REDIS, checked as a Redis URL without echoing it. */
export function redisUrl(flags: RedisFlags): string | undefined {
  const url = secret({ flag: flags.redis, file: flags.redisFile, env: ['PULSEDNS_REDIS_URL', 'PULSEDNS_REDIS'], name: '--redis' }, true);
  if (url === undefined) return undefined;
  try {
    return parseRedisUrl(url);
  } catch (e) {
    throw new UsageError(`--redis: ${(e as Error).message}`);
  }
}

function addRedisFlags(cmd: Command, what: string): Command {
  return cmd
    .option('--redis <url>', `${what} (redis:// or rediss://; or PULSEDNS_REDIS_URL)`)
    .option('--redis-file <path>', 'read the Redis URL from this file (keeps its password out of ps)');
}

// ---------------------------------------------------------------- shared flag sets

export interface HealthFlags extends RedisFlags {
  sentinel?: Endpoint[];
  sentinelName?: string;
  redisPrefix?: string;
  staleHold?: number;
}

export function addHealthFlags(cmd: Command): Command {
  return addRedisFlags(cmd, 'share health through Redis')
    .addOption(new Option('--sentinel <host:port>', 'a Redis Sentinel (repeat for each), with --sentinel-name').argParser(many(parseHostPort)))
    .option('--sentinel-name <name>', 'the master name the sentinels watch')
    .option('--redis-prefix <prefix>', 'prefix of every Redis key (several deployments in one Redis)')
    .addOption(new Option('--stale-hold <duration>', 'with every vantage stale, how long verdicts hold before failing open (default 5m)').argParser(parseDurationArg));
}

/** --redis straight to the health store, for the operator commands. */
export function addDirectRedisFlags(cmd: Command): Command {
  return addRedisFlags(cmd, 'write to the health store directly, without a server').option('--redis-prefix <prefix>', 'with --redis: the key prefix the servers use');
}

export function healthOptions(values: HealthFlags): StoreOptions {
  const h: StoreOptions = {};
  const redis = redisUrl(values);
  if (redis) h.redis = redis;
  if (values.sentinel?.length) h.sentinels = values.sentinel;
  if (values.sentinelName) h.sentinelName = values.sentinelName;
  if (values.redisPrefix) h.prefix = values.redisPrefix;
  if (values.staleHold !== undefined) {
    if (values.staleHold < 1000) throw new UsageError('--stale-hold is a duration of at least 1s, such as 5m (how long verdicts hold once every vantage is stale)');
    h.holdMs = values.staleHold;
  }
  return h;
}

export interface AdminClientFlags {
  admin?: string;
  adminToken?: string;
  adminTokenFile?: string;
}

export function addAdminClientFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option('--admin <addr>', `a server's admin endpoint: 127.0.0.1:9153, [::1]:9153 or http://... (default ${DEFAULT_ADMIN}, or PULSEDNS_ADMIN)`).argParser(parseAdminUrl))
    .option('--admin-token <token>', 'bearer token for the admin endpoint (or PULSEDNS_ADMIN_TOKEN; default: the token file a server on this host wrote)')
    .option('--admin-token-file <path>', 'read the bearer token from this file');
}

/**
 * The token a client command sends to the admin endpoint at `base`:
 * --admin-token, PULSEDNS_ADMIN_TOKEN, --admin-token-file, or the file a
 * server on this host wrote for that port (runtime/admin-token.ts).
 */
export async function adminClientToken(base: string, flags: AdminClientFlags): Promise<string | undefined> {
  const { clientToken } = await import('../runtime/admin-token.js');
  try {
    return clientToken(base, flags.adminToken, flags.adminTokenFile);
  } catch (e) {
    throw new CommandFailed((e as Error).message);
  }
}

export interface LogFlags {
  logLevel?: string;
  logFormat?: string;
}

/** `--log-level` and `--log-format json|pretty`, for the long-running commands (serve, probe). */
export function addLogFlags(cmd: Command): Command {
  return cmd
    .option('--log-level <level>', `${LOG_LEVELS.join(', ')} (default info, or PULSEDNS_LOG_LEVEL)`)
    .option('--log-format <format>', `${LOG_FORMATS.join(' or ')}: JSON lines for log shippers, or readable lines (default json, or PULSEDNS_LOG_FORMAT)`);
}

/** The flags, the environment filling what they leave out, checked alike: a bad value from either is a usage error. */
export function logOptions(flags: LogFlags): LogOptions {
  const o: LogOptions = { level: flags.logLevel ?? process.env.PULSEDNS_LOG_LEVEL, format: flags.logFormat ?? process.env.PULSEDNS_LOG_FORMAT };
  const error = logOptionError(o);
  if (error) throw new UsageError(error);
  return o;
}

export interface WebhookFlags {
  webhook?: string[];
  webhookFile?: string;
  webhookSecret?: string;
  webhookSecretFile?: string;
}

/** Where health events go and the secret that signs them (checks/signing.ts), for serve and probe. */
export function addWebhookFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option('--webhook <url>', 'POST health events here (repeatable; or PULSEDNS_WEBHOOK, space-separated)').argParser(many((t: string) => t)))
    .option('--webhook-file <path>', 'read webhook URLs from this file, one per line (their paths are often secrets)')
    .option('--webhook-secret <secret>', 'sign webhook POSTs with HMAC-SHA256, 16 characters at least (or PULSEDNS_WEBHOOK_SECRET)')
    .option('--webhook-secret-file <path>', 'read the webhook secret from this file');
}

/** Every webhook URL, each checked now: one that can never work stops the start (exit 2). */
export function webhookUrls(flags: WebhookFlags): string[] {
  try {
    return secretList(flags.webhook, flags.webhookFile, 'PULSEDNS_WEBHOOK', '--webhook').map(validateWebhookUrl);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** The webhook signing secret: --webhook-secret, --webhook-secret-file, or PULSEDNS_WEBHOOK_SECRET. */
export function webhookSecret(flags: WebhookFlags): string | undefined {
  const value = secret({ flag: flags.webhookSecret, file: flags.webhookSecretFile, env: ['PULSEDNS_WEBHOOK_SECRET'], name: '--webhook-secret' });
  if (value === undefined) return undefined;
  if (value.length < 16) throw new UsageError('the webhook secret must be at least 16 characters (openssl rand -hex 32 makes a good one)');
  return value;
}

export interface FileSizeFlags {
  maxZoneFileSize?: number;
}

/** Zone, pools and $INCLUDE files bigger than this are refused (zones/readfile.ts). */
export function addFileSizeFlag(cmd: Command): Command {
  return cmd.addOption(new Option('--max-zone-file-size <size>', 'refuse zone, pools and $INCLUDE files bigger than this: 256M, 64k or bytes (default 256M)').argParser(parseSize));
}

export function maxFileSize(flags: FileSizeFlags): number {
  return flags.maxZoneFileSize ?? DEFAULT_MAX_FILE_BYTES;
}
