// `pulsedns serve`: flags -> ServeOptions, then the running server (runtime/roles.ts).
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { createLogger } from '../runtime/log.js';
import { DEFAULT_SERVE, parseEndpoint, serve, type ServeOptions } from '../runtime/roles.js';
import { parseDuration } from '../pools/parse.js';
import { nameFromText } from '../wire/names.js';
import { AddressAcl } from '../xfr/acl.js';
import { parseNotifyTarget } from '../xfr/notify.js';
import { parseTsigKey } from '../xfr/tsig.js';
import { checkChaosText } from '../engine/chaos.js';
import { fail, HEALTH_FLAGS, healthOptions } from './options.js';
import { isShared } from '../../checks/store/open.js';

export async function cmdServe(args: string[]): Promise<number> {
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
      admin: { type: 'string' },
      'admin-token': { type: 'string' },
      'allow-transfer': { type: 'string', multiple: true },
      notify: { type: 'string', multiple: true },
      tsig: { type: 'string', multiple: true },
      'transfer-key': { type: 'string' },
      'chaos-version': { type: 'string' },
      'chaos-id': { type: 'string' },
      'zones-git': { type: 'string' },
      branch: { type: 'string' },
      'zones-subdir': { type: 'string' },
      'sync-interval': { type: 'string' },
      'git-cache': { type: 'string' },
      'rrl-rate': { type: 'string' },
      'rrl-slip': { type: 'string' },
      'state-dir': { type: 'string' },
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
  const shared = isShared(health);
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
    webhooks: values.webhook ?? [],
    admin,
  };
  if (values['state-dir']) opts.stateDir = values['state-dir'];
  const token = values['admin-token'] ?? process.env.PULSEDNS_ADMIN_TOKEN;
  if (token) opts.adminToken = token;
  try {
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
    if (values['zones-git']) {
      const intervalMs = parseDuration(values['sync-interval'] ?? '30s');
      if (!intervalMs || intervalMs < 1000) throw new Error('--sync-interval is a duration of at least 1s, such as 30s or 5m');
      opts.git = { repo: values['zones-git'], branch: values.branch ?? 'main', subdir: values['zones-subdir'] ?? '.', intervalMs, ...(values['git-cache'] ? { cacheDir: values['git-cache'] } : {}) };
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
