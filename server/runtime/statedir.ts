// Where a server keeps what must outlive it (today: the last known health
// view, see checks/viewfile.ts). --state-dir wins; then systemd's
// StateDirectory= ($STATE_DIRECTORY); then /var/lib/pulsedns when this
// process may write there; else ./.pulsedns-state. `--state-dir off` keeps
// nothing on disk.
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { StoreOptions as HealthOptions } from '../../checks/store/open.js';

const SYSTEM_DIR = '/var/lib/pulsedns';

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export function resolveStateDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (flag === 'off') return undefined;
  if (flag) return resolve(flag);
  // systemd may list several directories, separated by colons; ours is the first.
  const fromSystemd = env.STATE_DIRECTORY?.split(':')[0];
  if (fromSystemd) return resolve(fromSystemd);
  if (existsSync(SYSTEM_DIR) ? writable(SYSTEM_DIR) : writable('/var/lib')) return SYSTEM_DIR;
  return resolve('.pulsedns-state');
}

/**
 * Without credentials: who we share health with. Servers of different
 * deployments on one host (or tests side by side) must not read each
 * other's view.
 */
function storeIdentity(h: HealthOptions): string {
  if (h.sentinels?.length) return `sentinel:${h.sentinelName ?? 'mymaster'}@${h.sentinels.map((s) => `${s.host}:${s.port}`).sort().join(',')}`;
  if (!h.redis) return 'embedded';
  try {
    const u = new URL(h.redis);
    return `${u.protocol}//${u.hostname}:${u.port || '6379'}${u.pathname}`;
  } catch {
    return 'redis:unparsable';
  }
}

/** The view file for this server: one per (zones, store, prefix) in the state directory. */
export function viewFilePath(stateDir: string, zones: string, health: HealthOptions): string {
  const id = JSON.stringify({ zones, store: storeIdentity(health), prefix: health.prefix ?? '' });
  return join(stateDir, `health-${createHash('sha256').update(id).digest('hex').slice(0, 16)}.json`);
}
