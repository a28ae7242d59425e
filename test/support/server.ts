// Starts a real pulsedns process (the compiled CLI) and waits until it says
// it is ready. Tests talk to it over real sockets.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { freePort } from './ports.js';

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

export async function startPulse(zonesDir: string, extra: string[] = [], host = '127.0.0.1', env?: NodeJS.ProcessEnv): Promise<Spawned> {
  const port = await freePort(host);
  const adminPort = await freePort('127.0.0.1');
  const listen = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const args = ['serve', '--zones', zonesDir, '--listen', listen, '--workers', '1', '--admin', `127.0.0.1:${adminPort}`, ...extra];
  const proc = spawn(process.execPath, [CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(env ? { env } : {}),
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
      waitForLog(/"msg":"ready"/),
      exited.then(() => { throw new Error(`pulsedns exited before ready:\n${output.join('\n')}`); }),
    ]);
  } catch (e) {
    // Never leave a half-started server behind to hang the test run.
    if (proc.exitCode === null) proc.kill('SIGKILL');
    throw e;
  }
  return {
    port,
    admin: `http://127.0.0.1:${adminPort}`,
    host,
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
