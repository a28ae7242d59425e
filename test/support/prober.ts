// `pulsedns probe` as a real process, for distributed-mode tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from './server.js';
import { sleep } from './backends.js';

export interface Prober {
  vantage: string;
  proc: ChildProcess;
  output: string[];
  /** SIGKILL: a prober that dies without saying goodbye. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/** `pulsedns probe`, resolved once it logs "ready". */
export async function startProber(zonesDir: string, redisUrl: string, vantage: string, source?: string, extra: string[] = []): Promise<Prober> {
  const args = ['probe', '--redis', redisUrl, '--zones', zonesDir, '--vantage', vantage, ...(source ? ['--source', source] : []), ...extra];
  const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  let ready: () => void = () => undefined;
  const isReady = new Promise<void>((r) => (ready = r));
  for (const stream of [proc.stdout!, proc.stderr!]) {
    let buf = '';
    stream.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        output.push(line);
        if (/"msg":"ready"/.test(line)) ready();
      }
    });
  }
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      isReady,
      exited.then(() => { throw new Error(`prober ${vantage} exited before ready:\n${output.join(' ; ')}`); }),
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`prober ${vantage} not ready in 10 s:\n${output.join('\n')}`)), 10_000); }),
    ]);
  } catch (e) {
    proc.kill('SIGKILL');
    throw e;
  } finally {
    clearTimeout(timer);
  }
  const gone = (): boolean => proc.exitCode !== null || proc.signalCode !== null;
  return {
    vantage,
    proc,
    output,
    async kill() {
      if (!gone()) proc.kill('SIGKILL');
      await Promise.race([exited, sleep(3000)]);
    },
    async stop() {
      if (!gone()) proc.kill('SIGTERM');
      await Promise.race([exited, sleep(3000)]);
      if (!gone()) proc.kill('SIGKILL');
    },
  };
}

