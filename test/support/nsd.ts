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

export function quote(s: string): string {
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

export interface NsdLaunch {
  /** How errors name this NSD ("NSD", "NSD secondary"). */
  what: string;
  tempPrefix: string;
  port?: number;
  nsdPath?: string;
  /** Extra lines for the server: clause. */
  serverOptions?: string[];
  verbosity: number;
  /** Clauses after remote-control (key:, zone: ...); may write files into `dir`. */
  clauses: (dir: string) => string[];
  /** Origins that must answer SOA with AA before this resolves. */
  waitFor: string[];
  /** With waitFor empty: resolve on any answer for this origin (NSD is up). */
  aliveProbe?: string;
  /** A log line that means NSD refused its input. */
  failurePattern?: RegExp;
  startTimeoutMs: number;
  pollMs: number;
}

/**
 * Runs NSD in the foreground in a private temp dir on 127.0.0.1 and waits
 * until it answers as asked. Shared by the reference server, the secondary
 * and the TSIG secondary, which differ only in their zone clauses.
 */
export async function launchNsd(o: NsdLaunch): Promise<NsdServer> {
  const nsd = o.nsdPath ?? '/usr/sbin/nsd';
  const dir = mkdtempSync(join(tmpdir(), o.tempPrefix));
  const port = o.port ?? (await freePort(HOST));
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
    `  verbosity: ${o.verbosity}`,
    '  server-count: 1',
    '  hide-version: yes',
    '  zonefiles-write: 0',
    ...(o.serverOptions ?? []).map((l) => `  ${l}`),
    'remote-control:',
    '  control-enable: no',
    ...o.clauses(dir),
  ];
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
      const err = e as { stdout?: string; stderr?: string };
      check = `\nnsd-checkconf ${conf}:\n${err.stdout ?? ''}${err.stderr ?? ''}`;
    }
    return new Error(`${o.what} ${why}${spawnError ? `: ${spawnError.message}` : ''}\nlog:\n${log()}${check}\nconfig:\n${lines.join('\n')}`);
  };

  const deadline = Date.now() + o.startTimeoutMs;
  const pending = new Set(o.waitFor.map(bare));
  let answered = false;
  const done = (): boolean => (o.waitFor.length ? pending.size === 0 : answered);
  try {
    while (!done()) {
      if (spawnError || proc.exitCode !== null || proc.signalCode !== null) throw explain(`exited before answering (code ${proc.exitCode}, signal ${proc.signalCode})`);
      if (o.failurePattern?.test(log())) throw explain('reported errors');
      if (Date.now() > deadline) throw explain(o.waitFor.length ? `did not answer SOA for ${[...pending].join(', ')} within the start timeout` : 'did not answer within the start timeout');
      for (const origin of o.waitFor.length ? [...pending] : [bare(o.aliveProbe ?? '.')]) {
        try {
          const m = parseMessage(await udpExchange({ host: HOST, port }, buildQuery(origin, 'SOA'), 200));
          answered = true;
          if (m.rcode === 0 && m.aa && m.answer.some((r) => r.type === 6)) pending.delete(origin);
        } catch {
          // not listening yet
        }
      }
      if (!done()) await new Promise((r) => setTimeout(r, o.pollMs));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { host: HOST, port, dir, proc, log, stop };
}

/**
 * Starts NSD in the foreground on 127.0.0.1 and a free port, serving the
 * given zones (origin -> RFC 1035 master file text). Resolves once NSD
 * answers an SOA query for every zone authoritatively.
 */
export function startNsd(zoneFilesByOrigin: ReadonlyMap<string, string> | Readonly<Record<string, string>>, opts: NsdOptions = {}): Promise<NsdServer> {
  const zones = zoneFilesByOrigin instanceof Map ? [...zoneFilesByOrigin] : Object.entries(zoneFilesByOrigin);
  if (zones.length === 0) throw new Error('startNsd: no zones given');
  return launchNsd({
    what: 'NSD',
    tempPrefix: 'pulsedns-nsd-',
    ...(opts.nsdPath ? { nsdPath: opts.nsdPath } : {}),
    ...(opts.serverOptions ? { serverOptions: opts.serverOptions } : {}),
    verbosity: 1,
    clauses: (dir) =>
      zones.flatMap(([origin, text], i) => {
        const file = `zone${i}.zone`;
        writeFileSync(join(dir, file), text);
        return ['zone:', `  name: ${quote(bare(origin))}`, `  zonefile: ${quote(file)}`];
      }),
    waitFor: zones.map(([o]) => o),
    // Zone files come from `pulsedns export`: NSD refusing one is a bug to show.
    failurePattern: /read with \d+ errors/,
    startTimeoutMs: opts.startTimeoutMs ?? 10_000,
    pollMs: 50,
  });
}
