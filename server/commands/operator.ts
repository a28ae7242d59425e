// Operator commands: status, drain/undrain, force, failback. They go to a
// server's admin endpoint (which validates pool and member names and writes
// the audit log), or straight to Redis with --redis when no server is handy.
import { parseArgs } from 'node:util';
import { userInfo, hostname } from 'node:os';
import { createLogger } from '../runtime/log.js';
import { openStore } from '../../checks/store/open.js';
import { parseDuration } from '../pools/parse.js';
import { formatStatus, type StatusReport } from '../../checks/status.js';
import type { Override, OverrideMode } from '../../checks/store/types.js';
import { clientToken } from '../runtime/admin-token.js';
import { redactText } from '../runtime/redact.js';
import { secretValue } from '../runtime/secrets.js';

const DEFAULT_ADMIN = 'http://127.0.0.1:9153';

function who(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers)
  }
  return `${user}@${hostname()}`;
}

async function api(base: string, token: string | undefined, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(new URL(path, base), {
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

export async function operatorCommand(command: string, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      admin: { type: 'string' },
      'admin-token': { type: 'string' },
      'admin-token-file': { type: 'string' },
      redis: { type: 'string' },
      'redis-file': { type: 'string' },
      'redis-prefix': { type: 'string' },
      reason: { type: 'string' },
      for: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const base = values.admin ?? process.env.PULSEDNS_ADMIN ?? DEFAULT_ADMIN;
  const out = (s: string): void => void process.stdout.write(s);
  const err = (s: string): number => {
    process.stderr.write(`pulsedns ${command}: ${redactText(s)}\n`);
    return 1;
  };
  let token: string | undefined;
  let redis: string | undefined;
  try {
    token = clientToken(base, values['admin-token'], values['admin-token-file']);
    redis = secretValue({ flag: values.redis, file: values['redis-file'], env: ['PULSEDNS_REDIS_URL', 'PULSEDNS_REDIS'], name: '--redis' }, true);
  } catch (e) {
    return err((e as Error).message);
  }
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
        const store = openStore({ redis, ...(values['redis-prefix'] ? { prefix: values['redis-prefix'] } : {}) }, createLogger('error'));
        const released = await store.unlatch(pool).finally(() => store.close());
        createLogger().warn({ audit: 'failback', pool, released, by: who() }, `manual failback ${pool}`);
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
        const store = openStore({ redis, ...(values['redis-prefix'] ? { prefix: values['redis-prefix'] } : {}) }, createLogger('error'));
        const removed = await store.clearOverride(pool, address).finally(() => store.close());
        createLogger().warn({ audit: 'override.cleared', pool, address, removed, by: who() }, `override cleared ${pool} ${address}`);
        if (!removed) return err(`no override for ${address} in pool "${pool}"`);
      } else {
        const r = await api(base, token, 'DELETE', `/v1/override?pool=${encodeURIComponent(pool)}&address=${encodeURIComponent(address)}&by=${encodeURIComponent(who())}`);
        if (r.status !== 200) return err(String(r.json.error ?? `HTTP ${r.status}`));
      }
      out(`${pool} ${address}: override cleared; health checks decide again\n`);
      return 0;
    }
    const reason = values.reason ?? '';
    if (redis) {
      const o: Override = { pool, address, mode, reason, by: who(), at: Date.now() };
      if (values.for) {
        const ms = parseDuration(values.for);
        if (!ms) return err('--for is a duration such as 30m or 2h');
        o.until = o.at + ms;
      }
      const store = openStore({ redis, ...(values['redis-prefix'] ? { prefix: values['redis-prefix'] } : {}) }, createLogger('error'));
      await store.setOverride(o).finally(() => store.close());
      createLogger().warn({ audit: 'override.set', ...o }, `override ${mode} ${pool} ${address}`);
    } else {
      const r = await api(base, token, 'POST', '/v1/override', { pool, address, mode, reason, by: who(), ...(values.for ? { for: values.for } : {}) });
      if (r.status !== 200) return err(String(r.json.error ?? `HTTP ${r.status}`));
    }
    out(`${pool} ${address}: ${mode}${values.for ? ` for ${values.for}` : ''}${reason ? ` (${reason})` : ''}\n`);
    return 0;
  } catch (e) {
    return err(`${(e as Error).message}${redis ? '' : ` (is a server's admin endpoint listening at ${base}?)`}`);
  }
}
