// Runs NSD (the reference authoritative server) on master files in a private
// temp dir, for differential tests. Everything NSD writes (pid, xfrd state,
// zone list, log) stays in that dir: no privilege drop, no chroot, no
// database, no remote control, IPv4 loopback only.
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildQuery, parseMessage } from './dnsmsg.js';
import { udpExchange } from './client.js';
import { freePort } from './ports.js';
import { CLI } from './server.js';
import { zoneFiles, originFromFileName } from '../../server/zones/load.js';

export interface NsdServer {
  host: string;
  port: number;
  dir: string;
  proc: ChildProcess;
  /** NSD's log so far (its log file plus anything on stdout/stderr). */
  log(): string;
  stop(): Promise<void>;
}

export interface NsdOptions {
  nsdPath?: string;
  /** Extra lines for the server: clause, e.g. ['minimal-responses: yes']. */
  serverOptions?: string[];
  startTimeoutMs?: number;
}

const HOST = '127.0.0.1';

function quote(s: string): string {
  return `"${s.replace(/["\\]/g, '\\$&')}"`;
}

function bare(origin: string): string {
  return origin.replace(/\.$/, '');
}

/**
 * Master files for every zone in a pulsedns zones dir, made by our own
 * `pulsedns export`. Keys are origins without the trailing dot.
 */
export function exportZones(zonesDir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const file of zoneFiles(zonesDir)) {
    const origin = bare(originFromFileName(file));
    const r = spawnSync(process.execPath, [CLI, 'export', origin, '--zones', zonesDir], { encoding: 'utf8' });
    if (r.status !== 0) {
      throw new Error(`pulsedns export ${origin} --zones ${zonesDir} failed (exit ${r.status}):\n${r.stderr}${r.stdout}`);
    }
    out.set(origin, r.stdout);
  }
  return out;
}

/**
 * Starts NSD in the foreground on 127.0.0.1 and a free port, serving the
 * given zones (origin -> RFC 1035 master file text). Resolves once NSD
 * answers an SOA query for every zone authoritatively.
 */
export async function startNsd(zoneFilesByOrigin: ReadonlyMap<string, string> | Readonly<Record<string, string>>, opts: NsdOptions = {}): Promise<NsdServer> {
  const nsd = opts.nsdPath ?? '/usr/sbin/nsd';
  const zones = zoneFilesByOrigin instanceof Map ? [...zoneFilesByOrigin] : Object.entries(zoneFilesByOrigin);
  if (zones.length === 0) throw new Error('startNsd: no zones given');
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-nsd-'));
  const port = await freePort(HOST);
  const conf = join(dir, 'nsd.conf');
  const logFile = join(dir, 'nsd.log');
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
    '  verbosity: 1',
    '  server-count: 1',
    '  hide-version: yes',
    '  zonefiles-write: 0',
    ...(opts.serverOptions ?? []).map((l) => `  ${l}`),
    'remote-control:',
    '  control-enable: no',
  ];
  zones.forEach(([origin, text], i) => {
    const file = `zone${i}.zone`;
    writeFileSync(join(dir, file), text);
    lines.push('zone:', `  name: ${quote(bare(origin))}`, `  zonefile: ${quote(file)}`);
  });
  writeFileSync(conf, lines.join('\n') + '\n');

  // Same process group as the test, so a ^C reaches NSD too. NSD's xfrd and
  // server children exit when the main process goes, however it goes.
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
      const err = e as { stdout?: string; stderr?: string; message: string };
      check = `\nnsd-checkconf ${conf}:\n${err.stdout ?? ''}${err.stderr ?? ''}`;
    }
    return new Error(`NSD ${why}${spawnError ? `: ${spawnError.message}` : ''}\nlog:\n${log()}${check}\nconfig:\n${lines.join('\n')}`);
  };

  const deadline = Date.now() + (opts.startTimeoutMs ?? 10_000);
  const pending = new Set(zones.map(([o]) => bare(o)));
  try {
    while (pending.size) {
      if (spawnError || proc.exitCode !== null || proc.signalCode !== null) throw explain(`exited before answering (code ${proc.exitCode}, signal ${proc.signalCode})`);
      if (/read with \d+ errors/.test(log())) throw explain('reported errors (zone files come from `pulsedns export`)');
      if (Date.now() > deadline) throw explain(`did not answer SOA for ${[...pending].join(', ')} within the start timeout`);
      for (const origin of [...pending]) {
        try {
          const m = parseMessage(await udpExchange({ host: HOST, port }, buildQuery(origin, 'SOA'), 200));
          if (m.rcode === 0 && m.aa && m.answer.some((r) => r.type === 6)) pending.delete(origin);
        } catch {
          // not listening yet
        }
      }
      if (pending.size) await new Promise((r) => setTimeout(r, 50));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { host: HOST, port, dir, proc, log, stop };
}
