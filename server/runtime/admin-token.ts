// The admin token shared by a server and the operator CLI on the same host.
// Changes through the admin endpoint always need a token. When the operator
// configures none, the server makes one at start and writes it to a file only
// our user can read (0600 in a 0700 runtime directory); the CLI reads it from
// there. A web page in the operator's browser cannot read that file, which is
// what keeps it from draining production through the loopback endpoint.
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, privateTempPath } from './private-dir.js';
import { readSecretFile } from './secrets.js';
import { registerSecret } from './redact.js';

/** `$XDG_RUNTIME_DIR/pulsedns`, else `$TMPDIR/pulsedns-<uid>`: where a generated token file goes. */
export function runtimeDir(): string {
  const xdg = process.env.XDG_RUNTIME_DIR;
  return xdg ? join(xdg, 'pulsedns') : privateTempPath();
}

/** The default token file of the admin endpoint on `port` (one per port: several servers may share a host). */
export function defaultTokenFile(port: number): string {
  return join(runtimeDir(), `admin-${port}.token`);
}

export interface AdminToken {
  value: string;
  /** Who a change made with it is recorded as: "admin-token" (configured) or "local-cli" (generated). */
  name: string;
  /** Generated: the file to write it to (writeTokenFile, once the endpoint listens) and remove on close. */
  file?: string;
}

/**
 * The server's token: the configured one (flag, environment, or an existing
 * --admin-token-file), or a fresh one for the token file (the given path or
 * the default for `port`).
 */
export function serverToken(opts: { token?: string | undefined; file?: string | undefined; port: number }, warn: (msg: string) => void): AdminToken {
  if (opts.token) return { value: opts.token, name: 'admin-token' };
  if (opts.file && existsSync(opts.file)) {
    if ((statSync(opts.file).mode & 0o077) !== 0) warn(`admin token file ${opts.file} can be read by other users; chmod 600 it`);
    const value = readSecretFile(opts.file, '--admin-token-file');
    registerSecret(value);
    return { value, name: 'admin-token' };
  }
  if (!opts.file) ensurePrivateDir(runtimeDir());
  const value = randomBytes(24).toString('base64url');
  registerSecret(value);
  return { value, name: 'local-cli', file: opts.file ?? defaultTokenFile(opts.port) };
}

/** Writes a generated token, mode 0600; only once the port is ours, so another server's file is never replaced. */
export function writeTokenFile(t: AdminToken): void {
  if (!t.file) return;
  // Written aside and renamed: the CLI never reads half a token, and an old file is replaced whole.
  const tmp = `${t.file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${t.value}\n`);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, t.file);
}

export function removeTokenFile(t: AdminToken): void {
  if (t.file) rmSync(t.file, { force: true });
}

/**
 * The CLI's token for the admin endpoint at `base`: --admin-token,
 * PULSEDNS_ADMIN_TOKEN, --admin-token-file, or the file a server on this
 * host wrote for that port.
 */
export function clientToken(base: string, flag: string | undefined, file: string | undefined): string | undefined {
  const given = flag ?? (process.env.PULSEDNS_ADMIN_TOKEN || undefined);
  if (given) return given;
  if (file) return readSecretFile(file, '--admin-token-file');
  let port: number;
  try {
    const u = new URL(base);
    // Never hand this host's token to an endpoint elsewhere.
    if (!/^(localhost|127\.[\d.]+|\[::1\])$/i.test(u.hostname)) return undefined;
    port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  } catch {
    return undefined;
  }
  const local = defaultTokenFile(port);
  return existsSync(local) ? readSecretFile(local, 'admin token file') : undefined;
}
