#!/usr/bin/env node
// `pulsedns` command line. Each subcommand is a thin shell over a module.
import { availableParallelism, hostname } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from './log.js';
import { DEFAULT_SERVE, parseEndpoint, serve, type ServeOptions } from './serve.js';
import type { HealthOptions } from './health.js';
import { runProber } from './prober.js';
import { cmdPlan } from './plan-cli.js';
import { parseDuration } from './pools/parse.js';
import { operatorCommand } from './operator.js';
import { loadZonesDir, readZoneFile, zoneFiles } from './zones/load.js';
import { formatError } from './zones/model.js';
import { importMasterFile, type ImportOptions } from './zones/import.js';
import { exportZone } from './zones/export.js';
import { nameFromText, nameToText } from './wire/names.js';
import { Type } from './wire/constants.js';
import { AddressAcl } from './xfr/acl.js';
import { parseNotifyTarget } from './xfr/notify.js';
import { parseTsigKey } from './xfr/tsig.js';
import { checkChaosText } from './engine/chaos.js';
import { secretList, secretValue } from './secrets.js';
import { redactText } from './redact.js';
import { validateWebhookUrl } from '../checks/webhook-url.js';
import { DEFAULT_MAX_FILE_BYTES, parseBytes, readFailure, readTextFile } from './zones/readfile.js';

const USAGE = `usage: pulsedns <command> [options]

commands:
  serve   [--zones DIR] [--listen ADDR:PORT ...] [--workers N] [--redis URL] [--admin ADDR:PORT|off]
          answer DNS from the zones in DIR (default ./zones) on UDP and TCP
          (default 127.0.0.1:5353; IPv6 as [::1]:5353; repeat --listen for more).
          Without --redis it also probes pool members itself (embedded mode).
          More: [--vantage NAME] [--webhook URL ...] [--admin-token T] [--probe|--no-probe]
                [--sentinel HOST:PORT ... --sentinel-name NAME] [--redis-prefix P]
          Secondaries: [--allow-transfer ADDR|CIDR ...] (AXFR/IXFR over TCP)
                [--notify ADDR[:PORT] ...] (NOTIFY on every serial change)
                [--tsig NAME:hmac-sha256|hmac-sha512:BASE64SECRET ...] (TSIG keys)
                [--transfer-key NAME] (transfers must be TSIG-signed with it; NOTIFY signed too)
          CHAOS TXT: [--chaos-version TEXT] [--chaos-id TEXT] (default: REFUSED)
          Zones from git: [--zones-git URL|PATH --branch main --zones-subdir DIR --sync-interval 30s]
          Rate limiting (UDP): [--rrl-rate N --rrl-slip 2] (off by default)
          Files: [--max-zone-file-size 256M] (bigger zone files are refused)
          Admin: [--admin-token-file PATH] [--admin-allow-host NAME ...]
          Secrets from files instead of the command line (where ps shows them):
                [--redis-file F] [--zones-git-file F] [--webhook-file F] [--admin-token-file F]
                or PULSEDNS_REDIS_URL, PULSEDNS_ZONES_GIT, PULSEDNS_WEBHOOK, PULSEDNS_ADMIN_TOKEN
  probe   --redis URL [--zones DIR] [--vantage NAME] [--source ADDR] [--webhook URL ...]
          run the health checks of the pools in DIR and publish results to Redis
  status  [--admin URL] [--json]            pools, members, verdicts, vantages, overrides
  drain   POOL ADDRESS [--reason TEXT] [--for 2h]   stop handing out a member (maintenance)
  undrain POOL ADDRESS                      hand it out again
  force   up|down POOL ADDRESS [--reason TEXT] [--for 30m]   override the checks
  failback POOL                             return a manual-failback pool to its primaries
          (operator commands talk to the admin endpoint, default http://127.0.0.1:9153,
           or write to Redis directly with --redis URL; POOL may be * for every pool;
           the token: --admin-token, --admin-token-file, PULSEDNS_ADMIN_TOKEN, or the
           file a server on this host wrote)
  check   [DIR|FILE ...] [--max-zone-file-size 256M]   validate zone files; errors as file:line:col; exit 1 on any
  plan    --from REV --to REV|WORKTREE [--zones DIR] [--format text|markdown] [--admin URL]
          what answers change between two git revisions of the zones, with risk warnings
  import  FILE [--origin NAME] [--include-dir DIR]   RFC 1035 master file -> pulsedns YAML on stdout
          ($INCLUDE reads files in FILE's directory, or below it, or in --include-dir)
  export  ZONE [--zones DIR]     a zone as an RFC 1035 master file on stdout
`;

function fail(message: string): never {
  process.stderr.write(`pulsedns: ${redactText(message)}\n`);
  process.exit(2);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return cmdServe(rest);
    case 'probe':
      return cmdProbe(rest);
    case 'plan':
      return cmdPlan(rest);
    case 'status':
    case 'drain':
    case 'undrain':
    case 'force':
    case 'failback':
      return operatorCommand(command, rest);
    case 'check':
      return cmdCheck(rest);
    case 'import':
      return cmdImport(rest);
    case 'export':
      return cmdExport(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`pulsedns: unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}

const HEALTH_FLAGS = {
  redis: { type: 'string' },
  'redis-file': { type: 'string' },
  sentinel: { type: 'string', multiple: true },
  'sentinel-name': { type: 'string' },
  'redis-prefix': { type: 'string' },
} as const;

function healthOptions(values: { redis?: string | undefined; 'redis-file'?: string | undefined; sentinel?: string[] | undefined; 'sentinel-name'?: string | undefined; 'redis-prefix'?: string | undefined }): HealthOptions {
  const h: HealthOptions = {};
  let redis: string | undefined;
  try {
    redis = secretValue({ flag: values.redis, file: values['redis-file'], env: ['PULSEDNS_REDIS_URL', 'PULSEDNS_REDIS'], name: '--redis' }, true);
  } catch (e) {
    fail((e as Error).message);
  }
  if (redis) h.redis = redis;
  if (values.sentinel?.length) h.sentinels = values.sentinel.map(parseEndpoint);
  if (values['sentinel-name']) h.sentinelName = values['sentinel-name'];
  if (values['redis-prefix']) h.prefix = values['redis-prefix'];
  return h;
}

async function cmdServe(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      zones: { type: 'string' },
      listen: { type: 'string', multiple: true },
      workers: { type: 'string' },
      'tcp-idle-timeout': { type: 'string' },
      'tcp-max-connections': { type: 'string' },
      'log-level': { type: 'string' },
      ...HEALTH_FLAGS,
      probe: { type: 'boolean' },
      'no-probe': { type: 'boolean' },
      vantage: { type: 'string' },
      webhook: { type: 'string', multiple: true },
      'webhook-file': { type: 'string' },
      admin: { type: 'string' },
      'admin-token': { type: 'string' },
      'admin-token-file': { type: 'string' },
      'admin-allow-host': { type: 'string', multiple: true },
      'max-zone-file-size': { type: 'string' },
      'allow-transfer': { type: 'string', multiple: true },
      notify: { type: 'string', multiple: true },
      tsig: { type: 'string', multiple: true },
      'transfer-key': { type: 'string' },
      'chaos-version': { type: 'string' },
      'chaos-id': { type: 'string' },
      'zones-git': { type: 'string' },
      'zones-git-file': { type: 'string' },
      branch: { type: 'string' },
      'zones-subdir': { type: 'string' },
      'sync-interval': { type: 'string' },
      'git-cache': { type: 'string' },
      'rrl-rate': { type: 'string' },
      'rrl-slip': { type: 'string' },
    },
  });
  const log = createLogger(values['log-level']);
  let listen = DEFAULT_SERVE.listen;
  let admin = DEFAULT_SERVE.admin;
  try {
    if (values.listen?.length) listen = values.listen.map(parseEndpoint);
    if (values.admin) admin = values.admin === 'off' ? null : parseEndpoint(values.admin);
  } catch (e) {
    fail((e as Error).message);
  }
  const workers = values.workers ? Number(values.workers) : availableParallelism();
  if (!Number.isInteger(workers) || workers < 1) fail('--workers must be a positive whole number');
  const tcp = { ...DEFAULT_SERVE.tcp };
  if (values['tcp-idle-timeout']) tcp.idleTimeoutMs = Number(values['tcp-idle-timeout']) * 1000;
  if (values['tcp-max-connections']) tcp.maxConnections = Number(values['tcp-max-connections']);
  const health = healthOptions(values);
  const shared = Boolean(health.redis || health.sentinels);
  // Embedded: probe here. Distributed: probers run as `pulsedns probe` unless --probe says otherwise.
  const probe = values['no-probe'] ? false : values.probe ?? !shared;
  const opts: ServeOptions = {
    zonesDir: values.zones ?? DEFAULT_SERVE.zonesDir,
    listen,
    workers,
    tcp,
    health,
    probe,
    vantage: values.vantage ?? DEFAULT_SERVE.vantage,
    webhooks: [],
    admin,
  };
  try {
    opts.webhooks = webhookUrls(values.webhook, values['webhook-file']);
    opts.maxFileBytes = maxFileSize(values['max-zone-file-size']);
    const token = secretValue({ flag: values['admin-token'], env: ['PULSEDNS_ADMIN_TOKEN'], name: '--admin-token' });
    if (token) opts.adminToken = token;
    if (values['admin-token-file']) opts.adminTokenFile = values['admin-token-file'];
    if (values['admin-allow-host']?.length) opts.adminAllowHosts = values['admin-allow-host'];
    if (values['allow-transfer']?.length) opts.allowTransfer = AddressAcl.parse(values['allow-transfer']);
    if (values.notify?.length) opts.notify = values.notify.map(parseNotifyTarget);
    if (values.tsig?.length) {
      const keys = values.tsig.map(parseTsigKey);
      // Key names are how a request says which key signed it: two of one name could not be told apart.
      const names = new Set(keys.map((k) => k.name));
      if (names.size !== keys.length) throw new Error('--tsig: the same key name is given twice');
      opts.tsigKeys = keys;
    }
    const transferKey = values['transfer-key'];
    if (transferKey !== undefined) {
      const name = nameFromText(transferKey.endsWith('.') ? transferKey : `${transferKey}.`);
      const key = opts.tsigKeys?.find((k) => k.name === name);
      if (!key) throw new Error(`--transfer-key "${transferKey}": no --tsig key of that name`);
      opts.transferKey = key;
    }
    const chaosVersion = values['chaos-version'];
    const chaosId = values['chaos-id'];
    if (chaosVersion !== undefined) checkChaosText('--chaos-version', chaosVersion);
    if (chaosId !== undefined) checkChaosText('--chaos-id', chaosId);
    if (chaosVersion !== undefined || chaosId !== undefined) {
      opts.chaos = { ...(chaosVersion !== undefined ? { version: chaosVersion } : {}), ...(chaosId !== undefined ? { id: chaosId } : {}) };
    }
    const zonesGit = secretValue({ flag: values['zones-git'], file: values['zones-git-file'], env: ['PULSEDNS_ZONES_GIT'], name: '--zones-git' }, true);
    if (zonesGit) {
      const intervalMs = parseDuration(values['sync-interval'] ?? '30s');
      if (!intervalMs || intervalMs < 1000) throw new Error('--sync-interval is a duration of at least 1s, such as 30s or 5m');
      opts.git = { repo: zonesGit, branch: values.branch ?? 'main', subdir: values['zones-subdir'] ?? '.', intervalMs, ...(values['git-cache'] ? { cacheDir: values['git-cache'] } : {}) };
    }
    if (values['rrl-rate']) {
      const rate = Number(values['rrl-rate']);
      const slip = values['rrl-slip'] === undefined ? 2 : Number(values['rrl-slip']);
      if (!(rate > 0)) throw new Error('--rrl-rate is responses per second per client prefix, e.g. 20');
      if (!Number.isInteger(slip) || slip < 0) throw new Error('--rrl-slip is a whole number (0 drops every limited response)');
      opts.rrl = { rate, slip };
    }
  } catch (e) {
    fail((e as Error).message);
  }
  try {
    await serve(opts, log);
  } catch (e) {
    log.fatal({ err: e }, (e as Error).message);
    return 1;
  }
  return -1; // keep running
}

/** --webhook (repeatable), --webhook-file (one per line) or PULSEDNS_WEBHOOK (space-separated), each checked now. */
function webhookUrls(flags: string[] | undefined, file: string | undefined): string[] {
  return secretList(flags, file, 'PULSEDNS_WEBHOOK', '--webhook').map(validateWebhookUrl);
}

function maxFileSize(text: string | undefined): number {
  if (text === undefined) return DEFAULT_MAX_FILE_BYTES;
  const n = parseBytes(text);
  if (n === undefined) throw new Error(`--max-zone-file-size "${text}" is a size such as 256M, 64k or 1000000`);
  return n;
}

async function cmdProbe(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { zones: { type: 'string' }, ...HEALTH_FLAGS, vantage: { type: 'string' }, source: { type: 'string' }, webhook: { type: 'string', multiple: true }, 'webhook-file': { type: 'string' }, 'max-zone-file-size': { type: 'string' }, 'log-level': { type: 'string' } },
  });
  const log = createLogger(values['log-level']);
  const health = healthOptions(values);
  if (!health.redis && !health.sentinels) fail('probe shares results through Redis: pass --redis redis://HOST:6379 (or --sentinel HOST:PORT)');
  let webhooks: string[] = [];
  let maxBytes = DEFAULT_MAX_FILE_BYTES;
  try {
    webhooks = webhookUrls(values.webhook, values['webhook-file']);
    maxBytes = maxFileSize(values['max-zone-file-size']);
  } catch (e) {
    fail((e as Error).message);
  }
  try {
    await runProber({ zonesDir: values.zones ?? 'zones', health, vantage: values.vantage ?? hostname(), webhooks, maxFileBytes: maxBytes, ...(values.source ? { source: values.source } : {}) }, log);
  } catch (e) {
    log.fatal({ err: e }, (e as Error).message);
    return 1;
  }
  return -1;
}

function cmdCheck(args: string[]): number {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { 'max-zone-file-size': { type: 'string' } } });
  const targets = positionals.length ? positionals : ['zones'];
  let policy = { maxBytes: DEFAULT_MAX_FILE_BYTES };
  try {
    policy = { maxBytes: maxFileSize(values['max-zone-file-size']) };
  } catch (e) {
    fail((e as Error).message);
  }
  let errors = 0;
  let zones = 0;
  for (const t of targets) {
    if (/\.ya?ml$/i.test(t)) {
      const r = readZoneFile(t, undefined, policy);
      for (const e of r.errors) process.stdout.write(formatError(e) + '\n');
      errors += r.errors.length;
      if (r.zone) zones++;
    } else {
      let files: string[];
      try {
        files = zoneFiles(t);
      } catch (e) {
        process.stdout.write(`${t}: cannot read directory: ${(e as Error).message}\n`);
        errors++;
        continue;
      }
      const r = loadZonesDir(t, new Map(), policy);
      for (const e of r.errors) process.stdout.write(formatError(e) + '\n');
      errors += r.errors.length;
      zones += files.length;
    }
  }
  if (errors) {
    process.stdout.write(`${errors} error${errors === 1 ? '' : 's'}\n`);
    return 1;
  }
  process.stdout.write(`ok: ${zones} zone${zones === 1 ? '' : 's'} valid\n`);
  return 0;
}

function cmdImport(args: string[]): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { origin: { type: 'string' }, 'include-dir': { type: 'string', multiple: true }, 'max-zone-file-size': { type: 'string' } } });
  const file = positionals[0];
  if (!file) fail('import needs a master file: pulsedns import FILE [--origin NAME] [--include-dir DIR]');
  let text: string;
  let maxBytes = DEFAULT_MAX_FILE_BYTES;
  try {
    maxBytes = maxFileSize(values['max-zone-file-size']);
    text = readTextFile(file, { maxBytes });
  } catch (e) {
    fail(`${file}: ${readFailure(e)}`);
  }
  const opts: ImportOptions = { file, includeDir: join(file, '..'), includeRoots: values['include-dir'] ?? [], maxBytes };
  if (values.origin) opts.origin = values.origin;
  const r = importMasterFile(text, opts);
  if (r.errors.length) {
    for (const e of r.errors) process.stderr.write(formatError(e) + '\n');
    return 1;
  }
  process.stdout.write(r.yaml);
  return 0;
}

function cmdExport(args: string[]): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { zones: { type: 'string' } } });
  const zoneArg = positionals[0];
  if (!zoneArg) fail('export needs a zone name: pulsedns export ZONE [--zones DIR]');
  const dir = values.zones ?? 'zones';
  const r = loadZonesDir(dir);
  if (r.errors.length) {
    for (const e of r.errors) process.stderr.write(formatError(e) + '\n');
    return 1;
  }
  const want = nameFromText(zoneArg.endsWith('.') ? zoneArg : zoneArg + '.');
  const zone = r.zones.find((z) => z.origin === want);
  if (!zone) fail(`no zone ${nameToText(want)} in ${dir}`);
  // A secondary or another server gets every configured member of a pool:
  // health is a property of this server's answers, not of the zone data.
  const source = { ...zone.source, records: [...zone.source.records] };
  for (const ref of zone.source.poolRefs) {
    const pool = r.pools.pools.get(ref.pool);
    const family = ref.type === Type.A ? 4 : 6;
    for (const m of pool ? pool.tiers.flat().filter((x) => x.family === family) : []) {
      source.records.push({ owner: ref.owner, type: ref.type, ttl: pool!.ttl, rdata: m.rdata, pos: ref.pos });
    }
  }
  process.stdout.write(exportZone(source));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`pulsedns: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
