// Admin HTTP endpoint: status, liveness/readiness, and operator actions
// (overrides, manual failback). Loopback by default; anything else needs a
// bearer token, since these calls change what the DNS answers.
import http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { HealthStore, Override, OverrideMode } from '../../checks/store/types.js';
import { parseDuration } from '../pools/parse.js';
import { buildStatus } from '../../checks/status.js';
import type { LiveHealth } from '../../checks/live.js';
import type { ServedZones } from './reloader.js';
import type { Endpoint } from '../transport/udp.js';
import type { Stats } from './stats.js';
import { renderMetrics, type EventCounter } from './metrics.js';
import { nameToText } from '../wire/names.js';
import { formatError } from '../zones/model.js';
import type { SyncState } from './gitsync.js';

export interface AdminOptions {
  listen: Endpoint;
  token?: string;
  zones: ServedZones;
  live: LiveHealth;
  store: HealthStore;
  log: Logger;
  /** Counters for /metrics (summed over workers in cluster mode). */
  stats: () => Promise<Stats>;
  events: EventCounter;
  /** Git sync state (commit served, commit refused and why), when zones come from git. */
  git?: () => SyncState & { repo: string; branch: string };
  /** Why the server cannot answer now (a primary with no worker up), or undefined when it can. */
  ready?: () => string | undefined;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

const MODES: OverrideMode[] = ['drain', 'force-up', 'force-down'];

export function startAdmin(opts: AdminOptions): Promise<http.Server> {
  if (!isLoopback(opts.listen.host) && !opts.token) {
    return Promise.reject(new Error(`the admin endpoint on ${opts.listen.host} is reachable from the network; set --admin-token or PULSEDNS_ADMIN_TOKEN`));
  }
  const server = http.createServer((req, res) => {
    handle(req, res, opts).catch((e: unknown) => {
      opts.log.error({ err: e }, 'admin request failed');
      send(res, 500, { error: (e as Error).message });
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.listen.port, opts.listen.host, () => {
      server.off('error', reject);
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

function authorized(req: http.IncomingMessage, token: string | undefined): boolean {
  if (!token) return true;
  const got = Buffer.from(req.headers.authorization ?? '');
  const want = Buffer.from(`Bearer ${token}`);
  return got.length === want.length && timingSafeEqual(got, want);
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

async function handle(req: http.IncomingMessage, res: http.ServerResponse, o: AdminOptions): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://admin');
  if (url.pathname === '/healthz') return send(res, 200, 'ok\n');
  if (url.pathname === '/readyz') {
    const why = o.zones.current.zones.size > 0 ? o.ready?.() : 'no zones loaded';
    return send(res, why === undefined ? 200 : 503, why === undefined ? 'ready\n' : `${why}\n`);
  }
  if (!authorized(req, o.token)) return send(res, 401, { error: 'missing or wrong bearer token' });
  if (url.pathname === '/metrics' && req.method === 'GET') {
    const text = renderMetrics(await o.stats(), o.zones, o.live, o.events, o.git?.());
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
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
    const ov: Override = { pool, address, mode, reason: String(b.reason ?? ''), by: String(b.by ?? 'admin-api'), at: Date.now() };
    if (b.for !== undefined) {
      const ms = parseDuration(b.for);
      if (!ms) return send(res, 400, { error: '"for" is a duration such as 30m or 2h' });
      ov.until = ov.at + ms;
    }
    await o.store.setOverride(ov);
    o.log.warn({ audit: 'override.set', ...ov }, `override ${mode} ${pool} ${address}`);
    await o.live.sync();
    return send(res, 200, { ok: true, override: ov });
  }
  if (url.pathname === '/v1/override' && req.method === 'DELETE') {
    const pool = url.searchParams.get('pool') ?? '';
    const address = url.searchParams.get('address') ?? '';
    const removed = await o.store.clearOverride(pool, address);
    o.log.warn({ audit: 'override.cleared', pool, address, removed, by: url.searchParams.get('by') ?? 'admin-api' }, `override cleared ${pool} ${address}`);
    await o.live.sync();
    return send(res, removed ? 200 : 404, removed ? { ok: true } : { error: `no override for ${address} in pool "${pool}"` });
  }
  if (url.pathname === '/v1/failback' && req.method === 'POST') {
    const b = await readJson(req);
    const pool = String(b.pool ?? '');
    if (!o.zones.current.pools.pools.has(pool)) return send(res, 404, { error: `no pool named "${pool}"` });
    const released = await o.store.unlatch(pool);
    o.log.warn({ audit: 'failback', pool, released, by: String(b.by ?? 'admin-api') }, `manual failback ${pool}`);
    await o.live.sync();
    return send(res, released ? 200 : 409, released ? { ok: true } : { error: `pool "${pool}" is not held on a backup tier` });
  }
  return send(res, 404, { error: 'not found' });
}
