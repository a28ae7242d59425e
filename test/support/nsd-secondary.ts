// Runs NSD as a secondary of a pulsedns under test: no zone files of its
// own, every zone fetched from the primary by zone transfer, NOTIFY accepted
// from loopback. Same private-temp-dir setup as nsd.ts (no privilege drop,
// no chroot, no database, no remote control, IPv4 loopback only).
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildQuery, parseMessage } from './dnsmsg.js';
import { udpExchange } from './client.js';
import { freePort } from './ports.js';
import type { NsdServer } from './nsd.js';

export interface SecondaryZone {
  /** Origin, with or without the trailing dot. */
  origin: string;
  /** How NSD asks: 'AXFR' forces full transfers; 'IXFR' (NSD's default) asks incrementally, falling back to AXFR. */
  request: 'AXFR' | 'IXFR';
}

export interface NsdSecondaryOptions {
  /** Where pulsedns listens (TCP for transfers). */
  primary: { host: string; port: number };
  /** NSD's own port; a free one when absent (pass it when pulsedns must know it for --notify beforehand). */
  port?: number;
  nsdPath?: string;
  /** Extra lines for the server: clause, e.g. ['minimal-responses: yes']. */
  serverOptions?: string[];
  /** Until every zone has been transferred and answers authoritatively. */
  startTimeoutMs?: number;
}

const HOST = '127.0.0.1';

function quote(s: string): string {
  return `"${s.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * Starts NSD in the foreground as a secondary for `zones`. Resolves once NSD
 * answers SOA with AA for every zone, which it can only do after a
 * successful transfer from the primary.
 */
export async function startNsdSecondary(zones: SecondaryZone[], opts: NsdSecondaryOptions): Promise<NsdServer> {
  if (zones.length === 0) throw new Error('startNsdSecondary: no zones given');
  const nsd = opts.nsdPath ?? '/usr/sbin/nsd';
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-nsd2-'));
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
    // Level 2 logs each transfer and NOTIFY, which is what a failure report needs.
    '  verbosity: 2',
    '  server-count: 1',
    '  hide-version: yes',
    '  zonefiles-write: 0',
    ...(opts.serverOptions ?? []).map((l) => `  ${l}`),
    'remote-control:',
    '  control-enable: no',
  ];
  for (const z of zones) {
    const name = z.origin.replace(/\.$/, '');
    lines.push(
      'zone:',
      `  name: ${quote(name)}`,
      `  zonefile: ${quote(`${name}.zone`)}`,
      `  request-xfr: ${z.request === 'AXFR' ? 'AXFR ' : ''}${primary} NOKEY`,
      `  allow-notify: ${opts.primary.host} NOKEY`,
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

  const explain = (why: string): Error => {
    let check = '';
    try {
      execFileSync(`${nsd}-checkconf`, [conf], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string };
      check = `\nnsd-checkconf ${conf}:\n${err.stdout ?? ''}${err.stderr ?? ''}`;
    }
    return new Error(`NSD secondary ${why}${spawnError ? `: ${spawnError.message}` : ''}\nlog:\n${log()}${check}\nconfig:\n${lines.join('\n')}`);
  };

  const deadline = Date.now() + (opts.startTimeoutMs ?? 15_000);
  const pending = new Set(zones.map((z) => z.origin.replace(/\.$/, '')));
  try {
    while (pending.size) {
      if (spawnError || proc.exitCode !== null || proc.signalCode !== null) throw explain(`exited (code ${proc.exitCode}, signal ${proc.signalCode})`);
      if (Date.now() > deadline) throw explain(`had not transferred ${[...pending].join(', ')} within the start timeout`);
      for (const origin of [...pending]) {
        try {
          const m = parseMessage(await udpExchange({ host: HOST, port }, buildQuery(origin, 'SOA'), 200));
          if (m.rcode === 0 && m.aa && m.answer.some((r) => r.type === 6)) pending.delete(origin);
        } catch {
          // not listening yet
        }
      }
      if (pending.size) await new Promise((r) => setTimeout(r, 100));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { host: HOST, port, dir, proc, log, stop };
}
