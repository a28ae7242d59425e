// Runs Knot DNS with mod-onlinesign (the signing oracle of issue 11) on a
// master file in a directory of its own. With `keyFile` Knot signs with that
// very key (a BIND-format K*.key pair, as `pulsedns keys generate` writes),
// imported with keymgr as a combined signing key, so Knot and pulsedns serve
// the same DNSKEY RRset and their RRSIGs carry the same key tag.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildQuery, parseMessage } from './dnsmsg.js';
import { udpExchange } from './client.js';

const RRSIG = 46;

export interface KnotConfOptions {
  dir: string;
  port: number;
  origin: string;
  zoneFile: string;
  /** A key store of our own; without it Knot makes its own key on start. */
  kaspDir?: string;
  /** mod-onlinesign's nsec-bitmap (types it adds to every NSEC it makes); Knot's default is A AAAA. */
  nsecBitmap?: string[];
}

/**
 * knot.conf for one zone under mod-onlinesign, one worker of each kind (the
 * bench pins it to one core). With a key store the policy is manual, so Knot
 * signs with the imported key and never generates or rolls one.
 */
export function knotConf(o: KnotConfOptions): string {
  // CDS and CDNSKEY always, as pulsedns publishes them (a manual policy would otherwise publish none).
  const policy = ['policy:', '  - id: shared', '    manual: on', '    single-type-signing: on', '    cds-cdnskey-publish: always'];
  const keys = o.kaspDir === undefined ? [] : [`  kasp-db: "${o.kaspDir}"`, ...policy];
  const module = [
    ...(o.kaspDir === undefined ? [] : ['    policy: shared']),
    ...(o.nsecBitmap ? [`    nsec-bitmap: [ ${o.nsecBitmap.join(', ')} ]`] : []),
  ];
  return [
    'server:',
    `  listen: 127.0.0.1@${o.port}`,
    `  rundir: "${o.dir}"`,
    '  udp-workers: 1',
    '  tcp-workers: 1',
    '  background-workers: 1',
    'log:',
    '  - target: stderr',
    '    any: warning',
    'database:',
    `  storage: "${o.dir}"`,
    ...keys,
    ...(module.length ? ['mod-onlinesign:', '  - id: custom', ...module] : []),
    'zone:',
    `  - domain: ${o.origin}`,
    `    file: "${o.zoneFile}"`,
    `    module: mod-onlinesign${module.length ? '/custom' : ''}`,
    '',
  ].join('\n');
}

/** Imports a BIND-format key into a Knot key store as a CSK (keymgr calls a 257 key a KSK only). */
export function importKeyIntoKnot(keymgr: string, kaspDir: string, origin: string, keyFile: string, tag: number): void {
  mkdirSync(kaspDir, { recursive: true });
  const run = (...args: string[]): string => execFileSync(keymgr, ['-D', kaspDir, origin, ...args], { encoding: 'utf8', timeout: 20_000 });
  run('import-bind', keyFile);
  run('set', String(tag), 'zsk=yes');
}

export interface KnotServer {
  port: number;
  proc: ChildProcess;
  /** What knotd printed (warnings and errors). */
  log(): string;
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts knotd on `knot.conf` in `dir`; resolves once `probe` answers NOERROR with an RRSIG. */
export async function startKnot(knotd: string, dir: string, port: number, probe: string, timeoutMs = 10_000): Promise<KnotServer> {
  const proc = spawn(knotd, ['-c', join(dir, 'knot.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  for (const s of [proc.stdout!, proc.stderr!]) s.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const server: KnotServer = {
    port,
    proc,
    log: () => out,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await Promise.race([exited, sleep(3000)]);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    },
  };
  const until = Date.now() + timeoutMs;
  while (Date.now() < until && proc.exitCode === null) {
    try {
      const m = parseMessage(await udpExchange({ host: '127.0.0.1', port }, buildQuery(probe, 'SOA', { edns: { dnssecOk: true } }), 300));
      if (m.rcode === 0 && m.answer.some((rr) => rr.type === RRSIG)) return server;
    } catch {
      // not up yet
    }
    await sleep(100);
  }
  await server.stop();
  throw new Error(`knotd did not answer ${probe} SOA signed within ${timeoutMs} ms:\n${out}`);
}

/** Writes knot.conf into `o.dir` (made if missing). */
export function writeKnotConf(o: KnotConfOptions): void {
  mkdirSync(o.dir, { recursive: true });
  writeFileSync(join(o.dir, 'knot.conf'), knotConf(o));
}
