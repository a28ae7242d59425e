// The DNSSEC part of `npm run bench` (docs/performance.md):
//  (a) signed answers (DO set) to the realistic mix against the same queries
//      without DO, from one pulsedns serving the zone with `dnssec: true`;
//  (b) signed pool answers against unsigned pool answers, likewise;
//  (c) a random-name flood with DO set (every query a new name, so every
//      answer a fresh denial signature) against Knot with mod-onlinesign
//      serving the same zone (the master file `pulsedns export` writes),
//      each pinned to one core with one worker; next to it the same flood
//      without DO (what answering costs besides the signature) and the raw
//      node:crypto ECDSA P-256 signing rate on that core (bench/signrate.ts),
//      the ceiling for answers that each need a fresh signature.
// When the running pulsedns cannot sign (the serving seam of issue 11 is not
// merged), the pulsedns side says "pulsedns signing not available" and Knot
// is still measured. Every run is bounded by dnsperf's -l.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { udpExchange } from '../test/support/client.js';
import { buildQuery, parseMessage } from '../test/support/dnsmsg.js';
import { freePort } from '../test/support/ports.js';
import { knotConf } from '../test/support/knot.js';
import { makeRng } from '../test/support/rng.js';
import { runOnServerCore, type Pinner, type PerfResult, type PerfRun, type Proc } from './support.js';

export const KNOTD = '/usr/sbin/knotd';
const RRSIG = 46;
const POOL_NAMES = 100;
/** Names per flood file: more than any one run asks at the rates seen here. */
const FLOOD_QUERIES = 200_000;
/** Measured runs per row, alternating between the rows compared, so load from elsewhere hits both alike. */
const ROUNDS = 2;
const WARM_SECONDS = 20;

export interface DnssecBenchContext {
  dir: string;
  taskset: string | null;
  seconds: number;
  cli: string;
  origin: string;
  /** The bench zone as YAML (bench/zonegen.ts) and the realistic-mix query file. */
  zoneYaml: string;
  mixFile: string;
  launch(name: string, cmd: string, args: string[]): Proc;
  pinned: Pinner;
  dnsperf(taskset: string | null, run: PerfRun): Promise<PerfResult>;
}

export interface DnssecRow {
  label: string;
  qps: number;
  avgMs: number;
  lost: number;
  rcodes: string;
}

export interface DnssecReport {
  /** Why pulsedns's signed side was not measured, when it was not. */
  unavailable?: string;
  knot: string;
  rows: DnssecRow[];
  /** signed/unsigned for (a) and (b), pulsedns/Knot for (c); absent when not measured. */
  ratios: { mix?: number; pool?: number; flood?: number };
  /** Raw ECDSA P-256 signatures per second of node:crypto on the server's core, measured in the same run. */
  signRate?: number;
  /** (c) in q/s: Knot, pulsedns with DO, pulsedns without DO. */
  flood?: { knot: number; signed?: number; unsigned?: number };
  /**
   * Raw signatures per second on the servers' core before the flood rounds and after each:
   * a virtual machine's core can change speed for minutes (26 against 38 us per
   * signature on core 0 within one hour here), which moves the flood rows apart.
   */
  floodSignRates?: number[];
  /** pulsedns/Knot per flood round, each pair measured back to back. */
  floodRoundRatios?: number[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The bench zone plus pool-backed names p0..p99 on one always-healthy pool; optionally signed. */
function writeZones(ctx: DnssecBenchContext, into: string, signed: boolean): void {
  mkdirSync(into, { recursive: true });
  const pools = ['pools:', '  bench:', '    policy: all', '    members: [192.0.2.10, 192.0.2.11, 192.0.2.12, 192.0.2.13]', '    ttl: 60', ''];
  writeFileSync(join(into, '_pools.yaml'), pools.join('\n'));
  const names = Array.from({ length: POOL_NAMES }, (_, i) => `  p${i}: { type: A, pool: bench }`);
  writeFileSync(join(into, `${ctx.origin}.yaml`), (signed ? 'dnssec: true\n' : '') + ctx.zoneYaml + names.join('\n') + '\n');
}

/**
 * The pool query file, and random-name flood files: one for warm-ups and one
 * per measured flood run, every name in them distinct, so no run meets a name
 * an earlier one asked (pulsedns keeps per-name signed answers once seen).
 */
function queryFiles(ctx: DnssecBenchContext, dir: string): { pool: string; floodWarm: string; flood: string[] } {
  const rng = makeRng(911);
  const pool = Array.from({ length: 50_000 }, () => `p${Math.floor(rng() * POOL_NAMES)}.${ctx.origin} A`);
  const poolFile = join(dir, 'pool-queries.txt');
  writeFileSync(poolFile, pool.join('\n') + '\n');
  // Fresh names: 12 random letters each (26^12: repeats are negligible).
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const floodFile = (name: string, count: number): string => {
    const lines = Array.from({ length: count }, () => {
      let l = '';
      for (let i = 0; i < 12; i++) l += letters[Math.floor(rng() * 26)];
      return `${l}.${ctx.origin} A`;
    });
    const file = join(dir, name);
    writeFileSync(file, lines.join('\n') + '\n');
    return file;
  };
  const flood = Array.from({ length: ROUNDS * 3 }, (_, i) => floodFile(`flood-queries-${i}.txt`, FLOOD_QUERIES));
  return { pool: poolFile, floodWarm: floodFile('flood-warm.txt', 20_000), flood };
}

/** Until `name` answers NOERROR (with an RRSIG when `wantSig`); false when the process died or time ran out. */
async function answering(proc: Proc, port: number, name: string, wantSig: boolean, timeoutMs = 20_000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) return false;
    try {
      const m = parseMessage(await udpExchange({ host: '127.0.0.1', port }, buildQuery(name, 'A', { edns: { dnssecOk: true } }), 300));
      if (m.rcode === 0) return !wantSig || m.answer.some((rr) => rr.type === RRSIG);
    } catch {
      // not up yet
    }
    await sleep(100);
  }
  return false;
}

export async function runDnssecBench(ctx: DnssecBenchContext): Promise<DnssecReport> {
  const dir = join(ctx.dir, 'dnssec');
  mkdirSync(dir, { recursive: true });
  const n = ctx.seconds;
  const files = queryFiles(ctx, dir);
  const rows: DnssecRow[] = [];
  const report: DnssecReport = { knot: versionOf(KNOTD), rows, ratios: {} };
  const perf = (port: number, file: string, dnssecOk: boolean, seconds: number, once = false): Promise<PerfResult> =>
    ctx.dnsperf(ctx.taskset, { dir, port, seconds, file, rate: null, perQuery: false, extra: [...(dnssecOk ? ['-D'] : []), ...(once ? ['-n', '1'] : [])] });
  // Rows compared with each other are measured in alternation, ROUNDS times
  // each, on servers that are all up at once (pinned to the same core; an idle
  // one costs nothing): the ratios then see the same background load.
  interface Run {
    label: string;
    port: number;
    /** The file for round `i`. */
    file: (i: number) => string;
    dnssecOk: boolean;
  }
  /** Each run's mean q/s, and its q/s round by round. */
  const alternate = async (runs: Run[], afterRound?: () => void): Promise<{ qps: number[]; rounds: number[][] }> => {
    const got = runs.map(() => [] as PerfResult[]);
    for (let i = 0; i < ROUNDS; i++) {
      for (const [k, r] of runs.entries()) {
        process.stdout.write(`  ${r.label}, round ${i + 1}/${ROUNDS}: ${n} s flat out ... `);
        const res = await perf(r.port, r.file(i), r.dnssecOk, n);
        process.stdout.write(`${res.qps} q/s\n`);
        got[k]!.push(res);
      }
      afterRound?.();
    }
    const qps = runs.map((r, k) => {
      const rs = got[k]!;
      const mean = (f: (x: PerfResult) => number): number => rs.reduce((a, x) => a + f(x), 0) / rs.length;
      const qps = Math.round(mean((x) => x.qps));
      rows.push({ label: r.label, qps, avgMs: mean((x) => x.avgMs), lost: rs.reduce((a, x) => a + x.lost, 0), rcodes: rs[rs.length - 1]!.rcodes });
      return qps;
    });
    return { qps, rounds: got.map((rs) => rs.map((x) => x.qps)) };
  };
  // One pass through a query file (at most WARM_SECONDS), so the caches hold
  // what the file asks for, as on a server that has been up a while.
  // Two passes: the answer caches keep an answer on its second sight (engine/doorkeeper.ts),
  // and the runs measure the steady state, a mix whose names come back.
  const warm = async (port: number, file: string, dnssecOk: boolean): Promise<void> => {
    process.stdout.write(`  warm-up: two passes through ${file.split('/').pop()}${dnssecOk ? ' with DO' : ''}\n`);
    for (let pass = 0; pass < 2; pass++) await perf(port, file, dnssecOk, WARM_SECONDS, true);
  };

  // Knot: it needs only the master file.
  writeZones(ctx, join(dir, 'plain'), false);
  const exp = spawnSync(process.execPath, [ctx.cli, 'export', ctx.origin, '--zones', join(dir, 'plain')], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (exp.status !== 0) throw new Error(`pulsedns export failed (${exp.status}):\n${exp.stderr}`);
  const zoneFile = join(dir, `${ctx.origin}.zone`);
  writeFileSync(zoneFile, exp.stdout);
  const knotDir = join(dir, 'knot');
  mkdirSync(knotDir);
  const knotPort = await freePort();
  writeFileSync(join(knotDir, 'knot.conf'), knotConf({ dir: knotDir, port: knotPort, origin: ctx.origin, zoneFile }));
  const [kcmd, kargs] = ctx.pinned(ctx.taskset, ctx.taskset ? 0 : null, KNOTD, ['-c', join(knotDir, 'knot.conf')]);
  const knot = ctx.launch('knotd', kcmd, kargs);
  let pulse: Proc | undefined;
  try {
    if (!(await answering(knot, knotPort, `h0.${ctx.origin}`, true))) throw new Error(`knotd did not answer signed:\n${knot.tail.join('\n')}`);
    report.signRate = rawSignRate(ctx);
    process.stdout.write(`  raw node:crypto ECDSA P-256 signing (core 0): ${report.signRate ?? 'not measured'} signatures/s\n`);

    // pulsedns: one server, the zone signed; DO decides whether answers are signed.
    writeZones(ctx, join(dir, 'signed'), true);
    const keys = join(dir, 'keys');
    const gen = spawnSync(process.execPath, [ctx.cli, 'keys', 'generate', ctx.origin, '--keys', keys], { encoding: 'utf8' });
    if (gen.status !== 0) throw new Error(`pulsedns keys generate failed (${gen.status}):\n${gen.stderr}`);
    const port = await freePort();
    const serve = [ctx.cli, 'serve', '--zones', join(dir, 'signed'), '--keys', keys, '--listen', `127.0.0.1:${port}`, '--workers', '1', '--admin', 'off'];
    const [cmd, args] = ctx.pinned(ctx.taskset, ctx.taskset ? 0 : null, process.execPath, serve);
    pulse = ctx.launch('pulsedns (signed zone)', cmd, args);
    if (!(await answering(pulse, port, `h0.${ctx.origin}`, true))) {
      const why = pulse.tail.find((l) => /error|unknown|pulsedns:/i.test(l)) ?? 'answers carry no RRSIG';
      report.unavailable = `pulsedns signing not available (serve --keys with a dnssec: true zone): ${why.slice(0, 200)}`;
      process.stdout.write(`  ${report.unavailable}\n`);
      await warm(knotPort, files.floodWarm, true);
      const { qps: [k] } = await alternate([{ label: '(c) Knot mod-onlinesign, random names, DO (core 0)', port: knotPort, file: (i) => files.flood[i]!, dnssecOk: true }]);
      report.flood = { knot: k! };
      return report;
    }
    const same = (f: string) => (): string => f;
    for (const dnssecOk of [false, true]) await warm(port, ctx.mixFile, dnssecOk);
    const { qps: [mixPlain, mixSigned] } = await alternate([
      { label: '(a) pulsedns realistic mix, no DO', port, file: same(ctx.mixFile), dnssecOk: false },
      { label: '(a) pulsedns realistic mix, DO (signed)', port, file: same(ctx.mixFile), dnssecOk: true },
    ]);
    for (const dnssecOk of [false, true]) await warm(port, files.pool, dnssecOk);
    const { qps: [poolPlain, poolSigned] } = await alternate([
      { label: '(b) pulsedns pool names, no DO', port, file: same(files.pool), dnssecOk: false },
      { label: '(b) pulsedns pool names, DO (signed)', port, file: same(files.pool), dnssecOk: true },
    ]);
    // Flood: a short warm-up on names never asked again, then every run on names of its own.
    await warm(knotPort, files.floodWarm, true);
    await warm(port, files.floodWarm, true);
    const signRates: number[] = [];
    const noteSignRate = (): void => {
      const r = rawSignRate(ctx);
      if (r !== undefined) signRates.push(r);
    };
    noteSignRate();
    const { qps: [knotFlood, flood, floodPlain], rounds } = await alternate([
      { label: '(c) Knot mod-onlinesign, random names, DO (core 0)', port: knotPort, file: (i) => files.flood[3 * i]!, dnssecOk: true },
      { label: '(c) pulsedns random names, DO (core 0)', port, file: (i) => files.flood[3 * i + 1]!, dnssecOk: true },
      { label: '(c) pulsedns random names, no DO (core 0)', port, file: (i) => files.flood[3 * i + 2]!, dnssecOk: false },
    ], noteSignRate);
    report.flood = { knot: knotFlood!, signed: flood!, unsigned: floodPlain! };
    report.floodSignRates = signRates;
    // Knot's row first, pulsedns's second: each round's pair was measured back to back.
    report.floodRoundRatios = rounds[1]!.map((q, i) => q / rounds[0]![i]!);
    report.ratios = { mix: mixSigned! / mixPlain!, pool: poolSigned! / poolPlain!, flood: flood! / knotFlood! };
  } finally {
    await pulse?.stop();
    await knot.stop();
  }
  return report;
}

/** bench/signrate.ts on the servers' core; undefined when it fails. */
function rawSignRate(ctx: DnssecBenchContext): number | undefined {
  const n = Number(runOnServerCore(ctx.pinned, ctx.taskset, 'signrate', ['3'], 30_000)?.trim());
  return n > 0 ? n : undefined;
}

function versionOf(cmd: string): string {
  const r = spawnSync(cmd, ['-V'], { encoding: 'utf8' });
  return /version (\S+)/.exec(`${r.stdout ?? ''}${r.stderr ?? ''}`)?.[1] ?? 'unknown';
}

export function dnssecTables(r: DnssecReport, table: (head: string[], rows: string[][]) => string): string {
  const pct = (x: number | undefined, target: string): string => (x === undefined ? 'not measured' : `${x.toFixed(2)}x (target ${target})`);
  const out = [
    '',
    `DNSSEC (pulsedns --workers 1 and Knot ${r.knot} with mod-onlinesign, one core each)`,
    table(['run', 'q/s', 'avg ms', 'lost', 'rcodes'], r.rows.map((x) => [x.label, String(x.qps), Number.isFinite(x.avgMs) ? x.avgMs.toFixed(3) : '-', String(x.lost), x.rcodes])),
    `signed/unsigned, realistic mix: ${pct(r.ratios.mix, '>= 0.9x')}`,
    `signed/unsigned, pool answers:  ${pct(r.ratios.pool, '>= 0.9x')}`,
    `random-name flood, pulsedns/Knot: ${pct(r.ratios.flood, '>= 2x')}`,
  ];
  if (r.signRate !== undefined && r.flood) {
    // Each flood answer needs one fresh signature: the raw signing rate bounds it, whatever else is done.
    const f = r.flood;
    out.push(`raw node:crypto ECDSA P-256 signing on core 0: ${r.signRate}/s; 2x Knot would need ${2 * f.knot} answers/s, ${(2 * f.knot / r.signRate).toFixed(2)}x the raw signing rate`);
    if (f.signed !== undefined && f.unsigned !== undefined) {
      const perSig = 1e6 / r.signRate;
      const other = 1e6 / f.unsigned;
      out.push(`flood cost per answer: ${(1e6 / f.signed).toFixed(1)} us signed, ${other.toFixed(1)} us unsigned, ${perSig.toFixed(1)} us per raw signature ` +
        `(signature + unsigned answer predicts ${Math.round(1e6 / (perSig + other))} q/s)`);
    }
  }
  if (r.floodRoundRatios?.length) out.push(`random-name flood per round (pulsedns/Knot, back to back): ${r.floodRoundRatios.map((x) => `${x.toFixed(2)}x`).join(', ')}`);
  const rates = r.floodSignRates ?? [];
  if (rates.length >= 2) {
    const lo = Math.min(...rates);
    const hi = Math.max(...rates);
    out.push(`raw signing on core 0 around the flood rounds: ${rates.join(', ')}/s` +
      (hi / lo > 1.15 ? ` (moved by ${Math.round((hi / lo - 1) * 100)}%: the core changed speed during the run; compare the flood rows with care)` : ''));
  }
  if (r.unavailable) out.push(r.unavailable);
  return out.join('\n') + '\n';
}
