// NSD as a TSIG-keyed secondary of a pulsedns under test: like
// nsd-secondary.ts, but every transfer request and accepted NOTIFY goes
// through one shared key. It can also start without waiting for the
// zones, for tests where the transfer is meant to fail (a wrong secret).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildQuery, parseMessage } from './dnsmsg.js';
import { udpExchange } from './client.js';
import { freePort } from './ports.js';
import type { NsdServer } from './nsd.js';

export interface NsdTsigOptions {
  primary: { host: string; port: number };
  key: { name: string; algorithm: 'hmac-sha256' | 'hmac-sha512'; secret: string };
  /** NSD's port; pass it when pulsedns needs it for --notify before NSD starts. */
  port?: number;
  nsdPath?: string;
  serverOptions?: string[];
  /** true: resolve once every zone answers SOA with AA (a transfer worked); false: as soon as NSD answers at all. */
  waitForZones: boolean;
  startTimeoutMs?: number;
}

const HOST = '127.0.0.1';

function quote(s: string): string {
  return `"${s.replace(/["\\]/g, '\\$&')}"`;
}

export async function startNsdTsigSecondary(origins: string[], opts: NsdTsigOptions): Promise<NsdServer> {
  const nsd = opts.nsdPath ?? '/usr/sbin/nsd';
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-nsdtsig-'));
  const port = opts.port ?? (await freePort(HOST));
  const conf = join(dir, 'nsd.conf');
  const logFile = join(dir, 'nsd.log');
  const primary = `${opts.primary.host}@${opts.primary.port}`;
  const lines = [
    'server:',
    `  ip-address: ${HOST}`,
    `  port: ${port}`,
    '  do-ip4: yes',
    '  do-ip6: no',
    '  username: ""',
    '  chroot: ""',
    `  zonesdir: ${quote(dir)}`,
    `  pidfile: ${quote(join(dir, 'nsd.pid'))}`,
    '  database: ""',
    `  zonelistfile: ${quote(join(dir, 'zone.list'))}`,
    `  xfrdfile: ${quote(join(dir, 'xfrd.state'))}`,
    `  xfrdir: ${quote(dir)}`,
    `  logfile: ${quote(logFile)}`,
    '  verbosity: 2',
    '  server-count: 1',
    '  hide-version: yes',
    '  zonefiles-write: 0',
    ...(opts.serverOptions ?? []).map((l) => `  ${l}`),
    'remote-control:',
    '  control-enable: no',
    'key:',
    `  name: ${quote(opts.key.name)}`,
    `  algorithm: ${opts.key.algorithm}`,
    `  secret: ${quote(opts.key.secret)}`,
  ];
  for (const origin of origins) {
    const name = origin.replace(/\.$/, '');
    lines.push(
      'zone:',
      `  name: ${quote(name)}`,
      `  zonefile: ${quote(`${name}.zone`)}`,
      `  request-xfr: AXFR ${primary} ${opts.key.name}`,
      `  allow-notify: ${opts.primary.host} ${opts.key.name}`,
    );
  }
  writeFileSync(conf, lines.join('\n') + '\n');

  const proc = spawn(nsd, ['-d', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  const killOnExit = (): void => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  let output = '';
  proc.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
  proc.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
  let spawnError: Error | undefined;
  proc.on('error', (e) => { spawnError = e; });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const log = (): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '') + output;

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', killOnExit);
    const running = (): boolean => proc.pid !== undefined && proc.exitCode === null && proc.signalCode === null;
    if (running()) {
      proc.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    }
    if (running()) {
      proc.kill('SIGKILL');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 1000))]);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (opts.startTimeoutMs ?? 15_000);
  const pending = new Set(origins.map((o) => o.replace(/\.$/, '')));
  let answered = false;
  try {
    while (opts.waitForZones ? pending.size > 0 : !answered) {
      if (spawnError || proc.exitCode !== null || proc.signalCode !== null) throw new Error(`NSD exited (code ${proc.exitCode})${spawnError ? `: ${spawnError.message}` : ''}\n${log()}\nconfig:\n${lines.join('\n')}`);
      if (Date.now() > deadline) throw new Error(`NSD secondary: ${opts.waitForZones ? `had not transferred ${[...pending].join(', ')}` : 'did not answer'} within the start timeout\nlog:\n${log()}\nconfig:\n${lines.join('\n')}`);
      for (const origin of opts.waitForZones ? [...pending] : [origins[0]!]) {
        try {
          const m = parseMessage(await udpExchange({ host: HOST, port }, buildQuery(origin, 'SOA'), 200));
          answered = true;
          if (m.rcode === 0 && m.aa && m.answer.some((r) => r.type === 6)) pending.delete(origin.replace(/\.$/, ''));
        } catch {
          // not listening yet
        }
      }
      if (opts.waitForZones ? pending.size > 0 : !answered) await new Promise((r) => setTimeout(r, 100));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { host: HOST, port, dir, proc, log, stop };
}
