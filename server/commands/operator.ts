// Operator commands: status, drain/undrain, force, failback. They go to a
// server's admin endpoint (which validates pool and member names and writes
// the audit log), or straight to Redis with --redis when no server is handy.
import { userInfo, hostname } from 'node:os';
import type { Logger } from 'pino';
import type { HealthStore } from '../../checks/store/types.js';
import { parseDuration } from '../zones/duration.js';
import { formatStatus, type StatusReport } from '../../checks/status.js';
import type { Override, OverrideMode } from '../../checks/store/types.js';
import type { Io } from './program.js';
import { waitForResolvers } from './drain-wait.js';
import { adminClientToken } from './options.js';
import { redactText } from '../runtime/redact.js';

/** Flags as operator-cli.ts hands them over, already checked; `admin` is a base URL. */
export interface OperatorFlags {
  admin: string;
  adminToken?: string;
  adminTokenFile?: string;
  redis?: string;
  redisPrefix?: string;
  reason?: string;
  for?: string;
  json: boolean;
  wait: boolean;
}

function who(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers)
  }
  return `${user}@${hostname()}`;
}

/** The shared store and an audit logger, for --redis; loaded only then, as they bring the Redis client. */
async function direct(redis: string, prefix: string | undefined): Promise<{ store: HealthStore; audit: Logger }> {
  const [{ openStore }, { createLogger }] = await Promise.all([import('../../checks/store/open.js'), import('../runtime/log.js')]);
  return { store: openStore({ redis, ...(prefix ? { prefix } : {}) }, createLogger('error')), audit: createLogger() };
}

export async function api(base: string, token: string | undefined, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  // Appended, not resolved, so an admin endpoint behind a path prefix keeps it.
  const res = await fetch(base.replace(/\/+$/, '') + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { error: text };
  }
  return { status: res.status, json };
}

export async function operatorCommand(command: string, positionals: string[], values: OperatorFlags, io: Io): Promise<number> {
  const base = values.admin;
  const redis = values.redis;
  const token = redis ? undefined : await adminClientToken(base, values);
  const out = io.out;
  const err = (s: string): number => {
    io.err(`pulsedns: error: ${redactText(s)}\n`);
    return 1;
  };
  try {
    if (command === 'status') {
      if (redis) return err('status reads a server\'s view: use --admin URL (it needs the zones to know the pools)');
      const r = await api(base, token, 'GET', '/status');
      if (r.status !== 200) return err(String(r.json.error ?? `HTTP ${r.status}`));
      out(values.json ? JSON.stringify(r.json, null, 2) + '\n' : formatStatus(r.json as unknown as StatusReport));
      return 0;
    }
    if (command === 'failback') {
      const pool = positionals[0];
      if (!pool) return err('usage: pulsedns failback POOL');
      if (redis) {
        const { store, audit } = await direct(redis, values.redisPrefix);
        const released = await store.unlatch(pool).finally(() => store.close());
        audit.warn({ audit: 'failback', pool, released, by: who() }, `manual failback ${pool}`);
        if (!released) return err(`pool "${pool}" is not held on a backup tier`);
      } else {
        const r = await api(base, token, 'POST', '/v1/failback', { pool, by: who() });
        if (r.status !== 200) return err(String(r.json.error ?? `HTTP ${r.status}`));
      }
      out(`pool ${pool}: failing back to its primary tier\n`);
      return 0;
    }
    let mode: OverrideMode | 'clear';
    let rest = positionals;
    if (command === 'drain') mode = 'drain';
    else if (command === 'undrain') mode = 'clear';
    else {
      const dir = positionals[0];
      if (dir !== 'up' && dir !== 'down' && dir !== 'clear') return err('usage: pulsedns force up|down|clear POOL ADDRESS [--reason TEXT] [--for 30m]');
      mode = dir === 'clear' ? 'clear' : dir === 'up' ? 'force-up' : 'force-down';
      rest = positionals.slice(1);
    }
    const [pool, address] = rest;
    if (!pool || !address) return err(`usage: pulsedns ${command}${command === 'force' ? ' up|down' : ''} POOL ADDRESS`);
    if (mode === 'clear') {
      if (redis) {
        const { store, audit } = await direct(redis, values.redisPrefix);
        const removed = await store.clearOverride(pool, address).finally(() => store.close());
        audit.warn({ audit: 'override.cleared', pool, address, removed, by: who() }, `override cleared ${pool} ${address}`);
        if (!removed) return err(`no override for ${address} in pool "${pool}"`);
      } else {
        const r = await api(base, token, 'DELETE', `/v1/override?pool=${encodeURIComponent(pool)}&address=${encodeURIComponent(address)}&by=${encodeURIComponent(who())}`);
        if (r.status !== 200) return err(String(r.json.error ?? `HTTP ${r.status}`));
      }
      out(`${pool} ${address}: override cleared; health checks decide again\n`);
      return 0;
    }
    const reason = values.reason ?? '';
    let wait: number | undefined;
    if (redis) {
      const o: Override = { pool, address, mode, reason, by: who(), at: Date.now() };
      if (values.for) {
        const ms = parseDuration(values.for);
        if (!ms) return err('--for is a duration such as 30m or 2h');
        o.until = o.at + ms;
      }
      const { store, audit } = await direct(redis, values.redisPrefix);
      await store.setOverride(o).finally(() => store.close());
      audit.warn({ audit: 'override.set', ...o }, `override ${mode} ${pool} ${address}`);
    } else {
      const r = await api(base, token, 'POST', '/v1/override', { pool, address, mode, reason, by: who(), ...(values.for ? { for: values.for } : {}) });
      if (r.status !== 200) return err(String(r.json.error ?? `HTTP ${r.status}`));
      wait = typeof r.json.wait === 'number' ? r.json.wait : undefined;
    }
    out(`${pool} ${address}: ${mode}${values.for ? ` for ${values.for}` : ''}${reason ? ` (${reason})` : ''}\n`);
    if (values.wait && mode === 'drain') {
      if (wait === undefined) return err('the server did not say how long answers naming the member live (is it an older pulsedns?)');
      await waitForResolvers(address, wait, io);
    }
    return 0;
  } catch (e) {
    return err(`${(e as Error).message}${redis ? '' : ` (is a server's admin endpoint listening at ${base}?)`}`);
  }
}
