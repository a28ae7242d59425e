// Starts a real pulsedns process (the compiled CLI) and waits until it says
// it is ready. Tests talk to it over real sockets.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { freePort } from './ports.js';

// Servers keep their health view in a state directory; tests get one of
// their own (removed on exit) rather than /var/lib/pulsedns or the cwd.
// A test that restarts a server passes --state-dir itself.
let stateDir: string | undefined;
function testStateDir(): string {
  if (!stateDir) {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-state-'));
    stateDir = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return stateDir;
}

export const CLI = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'server', 'cli.js');

export interface Spawned {
  port: number;
  /** Admin HTTP endpoint, e.g. http://127.0.0.1:41234 */
  admin: string;
  host: string;
  proc: ChildProcess;
  /** Every line the process has printed so far (stdout and stderr). */
  output: string[];
  stop(): Promise<void>;
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

export interface SpawnOptions {
  /** The line that says the process is up; default a JSON "ready" line. */
  ready?: RegExp;
  env?: NodeJS.ProcessEnv;
  /** How long `ready` may take (default 10 s; a cluster on a busy machine needs more). */
  readyTimeoutMs?: number;
}

export type CliProcess = Omit<Spawned, 'port' | 'admin' | 'host'>;

/** Any `pulsedns` command as a real process, resolved once it prints `ready`; killed if it exits first. */
export async function spawnCli(args: string[], opts: SpawnOptions = {}): Promise<CliProcess> {
  const proc = spawn(process.execPath, [CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...(opts.env ?? process.env), STATE_DIRECTORY: opts.env?.STATE_DIRECTORY ?? process.env.STATE_DIRECTORY ?? testStateDir() },
  });
  const output: string[] = [];
  const waiters: Array<{ re: RegExp; resolve: (l: string) => void }> = [];
  const onLine = (line: string): void => {
    output.push(line);
    for (const w of [...waiters]) {
      if (w.re.test(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  for (const stream of [proc.stdout!, proc.stderr!]) {
    let buf = '';
    stream.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
  }
  const waitForLog = (re: RegExp, timeoutMs = 10_000): Promise<string> => {
    const seen = output.find((l) => re.test(l));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}; output:\n${output.join('\n')}`)), timeoutMs);
      waiters.push({ re, resolve: (l) => { clearTimeout(timer); resolve(l); } });
    });
  };
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  try {
    await Promise.race([
      waitForLog(opts.ready ?? /"msg":"ready"/, opts.readyTimeoutMs),
      exited.then(() => { throw new Error(`pulsedns exited before ready:\n${output.join('\n')}`); }),
    ]);
  } catch (e) {
    // Never leave a half-started server behind to hang the test run.
    if (proc.exitCode === null) proc.kill('SIGKILL');
    throw e;
  }
  return {
    proc,
    output,
    waitForLog,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (proc.exitCode === null) proc.kill('SIGKILL');
    },
  };
}

export async function startPulse(zonesDir: string, extra: string[] = [], host = '127.0.0.1', opts: SpawnOptions = {}): Promise<Spawned> {
  // freePort releases the port before pulsedns binds it, so a concurrent test
  // can win it; pick again rather than fail the test.
  for (let attempt = 0; ; attempt++) {
    const port = await freePort(host);
    const adminPort = await freePort('127.0.0.1');
    const listen = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    const args = ['serve', '--zones', zonesDir, '--listen', listen, '--workers', '1', '--admin', `127.0.0.1:${adminPort}`, ...extra];
    try {
      const p = await spawnCli(args, opts);
      return { ...p, port, admin: `http://127.0.0.1:${adminPort}`, host };
    } catch (err) {
      if (attempt >= 2 || !/already in use/.test(String(err))) throw err;
    }
  }
}
