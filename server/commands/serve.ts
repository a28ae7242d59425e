// `pulsedns serve`: flags -> ServeOptions, then the running server (runtime/roles.ts).
// Every value that can be checked is checked here, before anything starts.
import { availableParallelism } from 'node:os';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { ServeOptions } from '../runtime/roles.js';
import { StartupError } from '../runtime/startup.js';
import { redactText } from '../runtime/redact.js';
import { nameFromText } from '../wire/names.js';
import { AddressAcl } from '../xfr/acl.js';
import { parseNotifyTarget, type NotifyTarget } from '../xfr/notify.js';
import { parseTsigKey, type TsigKey } from '../xfr/tsig.js';
import { checkChaosText } from '../engine/chaos.js';
import { nsidOption } from '../engine/nsid.js';
import { resolveStateDir } from '../runtime/statedir.js';
import type { Endpoint } from '../transport/udp.js';
import { UsageError } from './errors.js';
import { act, reportError, type Cli } from './program.js';
import { addFileSizeFlag, addHealthFlags, addLogFlags, addWebhookFlags, healthOptions, logOptions, many, maxFileSize, parseAdminListen, parseCount, parseDurationArg, parseListen, parsePositive, secret, webhookSecret, webhookUrls, type FileSizeFlags, type HealthFlags, type LogFlags, type WebhookFlags } from './options.js';

interface ServeFlags extends HealthFlags, LogFlags, WebhookFlags, FileSizeFlags {
  zones: string;
  listen?: Endpoint[];
  workers?: number;
  tcpIdleTimeout?: number;
  tcpMaxConnections?: number;
  tcpPerClient?: number;
  stateDir?: string;
  keys?: string;
  nsid?: string;
  probe?: boolean;
  vantage?: string;
  admin?: Endpoint | null;
  adminToken?: string;
  adminTokenFile?: string;
  adminAllowHost?: string[];
  allowTransfer?: string[];
  notify?: NotifyTarget[];
  tsig?: TsigKey[];
  transferKey?: string;
  chaosVersion?: string;
  chaosId?: string;
  zonesGit?: string;
  zonesGitFile?: string;
  branch: string;
  zonesSubdir: string;
  syncInterval: number;
  gitCache?: string;
  rrlRate?: number;
  rrlSlip: number;
}

/** Wraps a parser that throws plain Errors (xfr) so commander reports it as a bad value. */
function checked<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}

export function registerServe(program: Command, cli: Cli): void {
  const cmd = program
    .command('serve')
    .summary('answer DNS from the zones directory (UDP and TCP)')
    .description('Answer DNS from the zones in DIR on UDP and TCP. Without --redis it also probes pool members itself (embedded mode).')
    .option('--zones <dir>', 'zones directory', 'zones')
    .addOption(new Option('--listen <addr:port>', 'address to answer on, repeatable; IPv6 as [::1]:5353 (default 127.0.0.1:5353)').argParser(many(parseListen)))
    .addOption(new Option('--workers <n>', 'worker processes sharing the sockets (default: one per CPU core)').argParser(parseCount(1)))
    .addOption(new Option('--tcp-idle-timeout <duration>', 'close TCP connections silent this long (default 10s)').argParser(parseDurationArg))
    .addOption(new Option('--tcp-max-connections <n>', 'open TCP connections per worker (default 1000)').argParser(parseCount(1)))
    .addOption(new Option('--tcp-per-client <n>', 'TCP connections one client address (/32, IPv6 /64) may hold per worker (default 20)').argParser(parseCount(1)))
    .option('--state-dir <dir|off>', 'where the last known health view is kept across restarts, and the compiled zone image while serving (default $STATE_DIRECTORY, /var/lib/pulsedns or ./.pulsedns-state; off: the image goes to $RUNTIME_DIRECTORY or the temp dir)')
    .option('--keys <dir>', 'DNSSEC key directory for zones whose file says dnssec: (or PULSEDNS_KEYS)')
    .option('--nsid <text|hex:HEX>', 'Name Server Identifier (RFC 5001) for queries that ask for it')
    .addOption(new Option('--admin <addr>', 'admin endpoint: 127.0.0.1:9153, http://127.0.0.1:9153, or off').argParser(parseAdminListen))
    .option('--admin-token <token>', 'bearer token the admin endpoint requires (or PULSEDNS_ADMIN_TOKEN; default: changes need a token generated into a file only this user can read)')
    .option('--admin-token-file <path>', 'the admin token: read from this file when it exists, else generated and written there')
    .addOption(new Option('--admin-allow-host <name>', 'a name accepted in the admin endpoint\'s Host header besides IP addresses and localhost (repeatable)').argParser(many((t: string) => t)))
    .option('--probe', 'probe pool members in this process (the default without --redis)')
    .option('--no-probe', 'leave probing to `pulsedns probe` processes')
    .option('--vantage <name>', 'name of this vantage point in health reports (default: host name)')
    .addOption(new Option('--allow-transfer <addr|cidr>', 'clients allowed AXFR/IXFR over TCP (repeatable)').argParser(many((t: string) => t)))
    .addOption(new Option('--notify <addr[:port]>', 'secondary to send NOTIFY on every serial change (repeatable)').argParser(many(checked(parseNotifyTarget))))
    .addOption(new Option('--tsig <name:alg:secret>', 'TSIG key, alg hmac-sha256 or hmac-sha512, secret base64 (repeatable)').argParser(many(checked(parseTsigKey))))
    .option('--transfer-key <name>', 'transfers must be signed with this --tsig key; NOTIFY is signed with it')
    .option('--chaos-version <text>', 'answer CHAOS TXT version.bind / version.server (default REFUSED)')
    .option('--chaos-id <text>', 'answer CHAOS TXT id.server / hostname.bind (default REFUSED)')
    .option('--zones-git <url|path>', 'serve a branch of a git repository instead of a plain directory (or PULSEDNS_ZONES_GIT)')
    .option('--zones-git-file <path>', 'read the --zones-git URL from this file (keeps credentials out of ps)')
    .option('--branch <name>', 'with --zones-git: the branch', 'main')
    .option('--zones-subdir <dir>', 'with --zones-git: the folder holding the zones', '.')
    .addOption(new Option('--sync-interval <duration>', 'with --zones-git: how often to fetch').default(30_000, '30s').argParser(parseDurationArg))
    .option('--git-cache <dir>', 'with --zones-git: where the clones live')
    .addOption(new Option('--rrl-rate <n>', 'UDP responses per second per client prefix (off by default)').argParser(parsePositive))
    .addOption(new Option('--rrl-slip <n>', 'with --rrl-rate: 1 in N limited responses is sent truncated; 0 drops all').default(2).argParser(parseCount(0)));
  addFileSizeFlag(addWebhookFlags(addLogFlags(addHealthFlags(cmd))))
    .addHelpText('after', '\nExamples:\n  pulsedns serve --zones /etc/pulsedns/zones --listen 0.0.0.0:53 --listen [::]:53\n  pulsedns serve --redis redis://10.0.0.5:6379 --no-probe\n')
    .action(act(cli, (flags: ServeFlags) => runServe(flags, cli)));
}

// The server itself is loaded only to run it, so that `--help` and a bad flag answer at once.
export function serveOptions(flags: ServeFlags, DEFAULT_SERVE: ServeOptions): ServeOptions {
  const health = healthOptions(flags);
  const shared = Boolean(health.redis || health.sentinels);
  if (health.sentinels && !health.sentinelName) throw new UsageError('--sentinel needs --sentinel-name (the master the sentinels watch)');
  const opts: ServeOptions = {
    zonesDir: flags.zones,
    listen: flags.listen ?? DEFAULT_SERVE.listen,
    workers: flags.workers ?? availableParallelism(),
    tcp: {
      ...DEFAULT_SERVE.tcp,
      ...(flags.tcpIdleTimeout !== undefined ? { idleTimeoutMs: flags.tcpIdleTimeout } : {}),
      ...(flags.tcpMaxConnections !== undefined ? { maxConnections: flags.tcpMaxConnections } : {}),
      ...(flags.tcpPerClient !== undefined ? { perClient: flags.tcpPerClient } : {}),
    },
    health,
    // Embedded: probe here. Distributed: probers run as `pulsedns probe` unless --probe says otherwise.
    probe: flags.probe ?? !shared,
    vantage: flags.vantage ?? DEFAULT_SERVE.vantage,
    webhooks: webhookUrls(flags),
    admin: flags.admin === undefined ? DEFAULT_SERVE.admin : flags.admin,
    maxFileBytes: maxFileSize(flags),
  };
  const stateDir = resolveStateDir(flags.stateDir);
  if (stateDir) opts.stateDir = stateDir;
  const keysDir = flags.keys ?? process.env.PULSEDNS_KEYS;
  if (keysDir) opts.keysDir = keysDir;
  if (flags.nsid !== undefined) {
    try {
      opts.nsidOption = nsidOption(flags.nsid);
    } catch (e) {
      throw new UsageError(`--nsid: ${(e as Error).message}`);
    }
  }
  const signing = webhookSecret(flags);
  if (signing) opts.webhookSecret = signing;
  const token = secret({ flag: flags.adminToken, env: ['PULSEDNS_ADMIN_TOKEN'], name: '--admin-token' });
  if (token) opts.adminToken = token;
  if (flags.adminTokenFile) opts.adminTokenFile = flags.adminTokenFile;
  if (flags.adminAllowHost?.length) opts.adminAllowHosts = flags.adminAllowHost;
  const zonesGit = secret({ flag: flags.zonesGit, file: flags.zonesGitFile, env: ['PULSEDNS_ZONES_GIT'], name: '--zones-git' }, true);
  try {
    if (flags.allowTransfer?.length) opts.allowTransfer = AddressAcl.parse(flags.allowTransfer);
  } catch (e) {
    throw new UsageError(`--allow-transfer: ${(e as Error).message}`);
  }
  if (flags.notify?.length) opts.notify = flags.notify;
  if (flags.tsig?.length) {
    // Key names are how a request says which key signed it: two of one name could not be told apart.
    const names = new Set(flags.tsig.map((k) => k.name));
    if (names.size !== flags.tsig.length) throw new UsageError('--tsig: the same key name is given twice');
    opts.tsigKeys = flags.tsig;
  }
  if (flags.transferKey !== undefined) {
    const name = nameFromText(flags.transferKey.endsWith('.') ? flags.transferKey : `${flags.transferKey}.`);
    const key = opts.tsigKeys?.find((k) => k.name === name);
    if (!key) throw new UsageError(`--transfer-key "${flags.transferKey}": no --tsig key of that name`);
    opts.transferKey = key;
  }
  const { chaosVersion, chaosId } = flags;
  try {
    if (chaosVersion !== undefined) checkChaosText('--chaos-version', chaosVersion);
    if (chaosId !== undefined) checkChaosText('--chaos-id', chaosId);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (chaosVersion !== undefined || chaosId !== undefined) {
    opts.chaos = { ...(chaosVersion !== undefined ? { version: chaosVersion } : {}), ...(chaosId !== undefined ? { id: chaosId } : {}) };
  }
  if (zonesGit) {
    if (flags.syncInterval < 1000) throw new UsageError('--sync-interval is at least 1s');
    opts.git = { repo: zonesGit, branch: flags.branch, subdir: flags.zonesSubdir, intervalMs: flags.syncInterval, ...(flags.gitCache ? { cacheDir: flags.gitCache } : {}) };
  }
  if (flags.rrlRate !== undefined) opts.rrl = { rate: flags.rrlRate, slip: flags.rrlSlip };
  return opts;
}

async function runServe(flags: ServeFlags, cli: Cli): Promise<number> {
  const logging = logOptions(flags);
  const { DEFAULT_SERVE, serve } = await import('../runtime/roles.js');
  const opts = serveOptions(flags, DEFAULT_SERVE);
  const log = (await import('../runtime/log.js')).createLogger(logging);
  try {
    await serve(opts, log);
  } catch (e) {
    // Nothing is served after a failed start, yet sockets and timers opened so
    // far would keep the process alive: end it here.
    if (e instanceof StartupError) cli.io.err(`pulsedns: error: ${redactText(e.message)}\n`);
    else reportError(e, cli.io, process.argv.includes('--debug') || process.env.PULSEDNS_DEBUG === '1');
    process.exit(1);
  }
  return -1; // keep running
}
