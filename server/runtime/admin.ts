// Admin HTTP endpoint: status, liveness/readiness, and operator actions
// (overrides, manual failback). Loopback by default; anything else needs a
// bearer token, since these calls change what the DNS answers. Who may call
// what is decided in admin-guard.ts.
import http from 'node:http';
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import type { HealthStore, Override, OverrideMode } from '../../checks/store/types.js';
import { parseDuration } from '../pools/parse.js';
import { buildStatus } from '../../checks/status.js';
import type { LiveHealth } from '../../checks/live.js';
import type { ServedZones } from './reloader.js';
import type { Endpoint } from '../transport/udp.js';
import { CONTENT_TYPE } from './metrics.js';
import { nameToText } from '../wire/names.js';
import { formatError } from '../zones/model.js';
import type { SyncState } from './gitsync.js';
import type { ReloadReport } from './reload.js';
import type { AnswerLifetimes } from './lifetimes.js';
import { checkRequest, type GuardOptions } from './admin-guard.js';
import { removeTokenFile, serverToken, writeTokenFile, type AdminToken } from './admin-token.js';

export interface AdminOptions {
  listen: Endpoint;
  token?: string;
  /** Where the token is read from, or written to when none is configured (default: the runtime dir). */
  tokenFile?: string;
  /** Names accepted in the Host header besides IP addresses, localhost and the bind name. */
  allowHosts?: string[];
  zones: ServedZones;
  live: LiveHealth;
  store: HealthStore;
  log: Logger;
  /** The /metrics text (summed over workers in cluster mode, see metrics.ts). */
  metrics: () => Promise<string>;
  /** Git sync state (commit served, commit refused and why), when zones come from git. */
  git?: () => SyncState & { repo: string; branch: string };
  /** POST /v1/reload: reload now; the report says what is served afterwards. */
  reload?: () => Promise<ReloadReport>;
  /** /readyz: why the server is not ready (listeners not all bound, shutting down), or undefined. */
  notReady?: () => string | undefined;
  /** How long answers naming a member may still be cached (the `wait` of a drain). */
  lifetimes?: AnswerLifetimes;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

const MODES: OverrideMode[] = ['drain', 'force-up', 'force-down'];

export function startAdmin(opts: AdminOptions): Promise<http.Server> {
  if (!isLoopback(opts.listen.host) && !opts.token && !(opts.tokenFile && existsSync(opts.tokenFile))) {
    return Promise.reject(new Error(`the admin endpoint on ${opts.listen.host} is reachable from the network; set --admin-token, PULSEDNS_ADMIN_TOKEN or --admin-token-file`));
  }
  let changeToken: AdminToken;
  try {
    changeToken = serverToken({ token: opts.token, file: opts.tokenFile, port: opts.listen.port }, (m) => opts.log.warn(m));
  } catch (e) {
    return Promise.reject(e);
  }
  // A configured token (flag, environment or existing file) guards reads too; a generated one only changes.
  const guard: GuardOptions = { bindHost: opts.listen.host, allowHosts: opts.allowHosts ?? [], changeToken, ...(changeToken.file ? {} : { readToken: changeToken.value }) };
  const cleanup = (): void => removeTokenFile(changeToken);
  const server = http.createServer((req, res) => {
    handle(req, res, opts, guard).catch((e: unknown) => {
      opts.log.error({ err: e }, 'admin request failed');
      send(res, 500, { error: (e as Error).message });
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.listen.port, opts.listen.host, () => {
      server.off('error', reject);
      try {
        writeTokenFile(changeToken);
      } catch (e) {
        server.close();
        reject(e);
        return;
      }
      if (changeToken.file) {
        process.once('exit', cleanup);
        server.once('close', cleanup);
        opts.log.info({ file: changeToken.file }, 'admin token for changes written; pulsedns drain/force/failback on this host read it from there');
      }
      resolve(server);
    });
  });
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = typeof body === 'string' ? body : JSON.stringify(body, null, 2) + '\n';
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' });
  res.end(text);
}

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 65536) throw new Error('request body too large');
  }
  const v: unknown = body ? JSON.parse(body) : {};
  if (typeof v !== 'object' || v === null) throw new Error('expected a JSON object');
  return v as Record<string, unknown>;
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, o: AdminOptions, guard: GuardOptions): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://admin');
  const allowed = checkRequest(req, url.pathname, guard);
  if (!allowed.ok) {
    if (req.method !== 'GET') o.log.warn({ audit: 'refused', method: req.method, path: url.pathname, client: req.socket.remoteAddress, status: allowed.status }, `admin request refused: ${allowed.error}`);
    return send(res, allowed.status, { error: allowed.error });
  }
  // Who made a change is what the guard established; what the client says is kept beside it.
  const by = allowed.by ?? 'admin-api';
  if (url.pathname === '/healthz') return send(res, 200, 'ok\n');
  if (url.pathname === '/readyz') {
    // Refused credentials never heal by themselves: a server still answering
    // from its last view is not ready (an unreachable Redis, which heals, is).
    const problem = o.store.problem();
    const refused = problem?.kind === 'auth' ? problem.message : undefined;
    const why = refused ?? o.notReady?.() ?? (o.zones.current.zones.size > 0 ? undefined : 'no zones loaded');
    return send(res, why ? 503 : 200, why ? `${why}\n` : 'ready\n');
  }
  if (url.pathname === '/metrics' && req.method === 'GET') {
    const text = await o.metrics();
    res.writeHead(200, { 'content-type': CONTENT_TYPE });
    res.end(text);
    return;
  }
  if (url.pathname === '/status' && req.method === 'GET') {
    const zones = {
      dir: o.zones.dir,
      serials: Object.fromEntries([...o.zones.current.zones.values()].map((z) => [nameToText(z.origin), z.serial])),
      lastLoadErrors: o.zones.lastErrors.map(formatError),
      ...(o.git ? { git: o.git() } : {}),
    };
    return send(res, 200, { ...buildStatus(o.zones.current.pools, o.live), zones });
  }
  if (url.pathname === '/v1/override' && req.method === 'POST') {
    const b = await readJson(req);
    const pool = String(b.pool ?? '');
    const address = String(b.address ?? '');
    const mode = String(b.mode ?? '') as OverrideMode;
    if (!MODES.includes(mode)) return send(res, 400, { error: `mode must be one of ${MODES.join(', ')}` });
    const known = pool === '*' ? [...o.zones.current.pools.pools.values()] : [o.zones.current.pools.pools.get(pool)].filter((p) => p !== undefined);
    if (known.length === 0) return send(res, 404, { error: `no pool named "${pool}"` });
    if (!known.some((p) => [...p.tiers.flat(), ...p.backup].some((m) => m.address === address))) {
      return send(res, 404, { error: `${address} is not a member of pool "${pool}"` });
    }
    const ov: Override & { claimed_by?: string } = { pool, address, mode, reason: String(b.reason ?? ''), by, at: Date.now(), ...(b.by !== undefined ? { claimed_by: String(b.by) } : {}) };
    if (b.for !== undefined) {
      const ms = parseDuration(b.for);
      if (!ms) return send(res, 400, { error: '"for" is a duration such as 30m or 2h' });
      ov.until = ov.at + ms;
    }
    // Look once more at what answers carry now: the drain's wait is measured up to this moment.
    o.lifetimes?.observe();
    await o.store.setOverride(ov);
    o.log.warn({ audit: 'override.set', ...ov }, `override ${mode} ${pool} ${address}`);
    await o.live.sync();
    const wait = mode === 'drain' && o.lifetimes ? { wait: o.lifetimes.remainingSeconds(pool, address) } : {};
    return send(res, 200, { ok: true, override: ov, ...wait });
  }
  if (url.pathname === '/v1/override' && req.method === 'DELETE') {
    const pool = url.searchParams.get('pool') ?? '';
    const address = url.searchParams.get('address') ?? '';
    const removed = await o.store.clearOverride(pool, address);
    o.log.warn({ audit: 'override.cleared', pool, address, removed, by, claimed_by: url.searchParams.get('by') ?? undefined }, `override cleared ${pool} ${address}`);
    await o.live.sync();
    return send(res, removed ? 200 : 404, removed ? { ok: true } : { error: `no override for ${address} in pool "${pool}"` });
  }
  if (url.pathname === '/v1/failback' && req.method === 'POST') {
    const b = await readJson(req);
    const pool = String(b.pool ?? '');
    if (!o.zones.current.pools.pools.has(pool)) return send(res, 404, { error: `no pool named "${pool}"` });
    const released = await o.store.unlatch(pool);
    o.log.warn({ audit: 'failback', pool, released, by, claimed_by: b.by === undefined ? undefined : String(b.by) }, `manual failback ${pool}`);
    await o.live.sync();
    return send(res, released ? 200 : 409, released ? { ok: true } : { error: `pool "${pool}" is not held on a backup tier` });
  }
  if (url.pathname === '/v1/reload' && req.method === 'POST' && o.reload) {
    const report = await o.reload();
    o.log.warn({ audit: 'reload', ok: report.ok, errors: report.errors.length, by }, report.ok ? 'reload requested: serving the zones on disk' : 'reload requested: refused; still serving the previous zones');
    return send(res, report.ok ? 200 : 409, report);
  }
  return send(res, 404, { error: 'not found' });
}
