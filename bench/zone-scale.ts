// The zone-scale part of `npm run bench` (issue 8): what a big zone costs a
// running server, and what a reload costs its clients.
//
//   1. Load: `serve --workers 2` on 100k and 1M records: time from spawn to
//      "ready", total RSS of the process tree (primary + workers), sampled
//      every 100 ms, at ready and at its peak.
//      Then 10,000 zone files of eight records each (a hosting provider's
//      server): the same load figures, and how long one edited file takes to
//      be answered.
//   2. Reloads under load: dnsperf at a fixed rate while the largest zone is
//      edited and reloaded N times, then while a broken edit is pushed:
//      queries lost, p99, the peak RSS of the tree against steady state. The
//      same for NSD (`SIGHUP` after the zone file changes) in the same run.
//   3. GC and tail latency: with the largest zone loaded, one worker pinned
//      to core 0 at half of NSD's one-core peak (measured on the same zone),
//      in rounds alternated with NSD at the same rate; GC pauses from
//      V8's --trace-gc lines (bench/gcwatch.ts), and with a bare C responder
//      (bench/native/responder.c) as the machine's floor; then how often
//      a busy loop on core 0 loses the core (bench/hiccup.ts).
// Every phase is bounded in count and time; only 127.0.0.1 is used.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchZoneText, benchZoneYaml, shapeFor } from './zonegen.js';
import { freePort } from '../test/support/ports.js';
import { GcRecorder, type GcSummary } from './gcwatch.js';
import type { Hiccups } from './hiccup.js';
import { udpExchange } from '../test/support/client.js';
import { buildQuery, parseMessage } from '../test/support/dnsmsg.js';
import { runOnServerCore, type Pinner, type PerfResult, type PerfRun, type Proc } from './support.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'dist', 'server', 'cli.js');
const NSD = '/usr/sbin/nsd';

export interface ScaleContext {
  dir: string;
  taskset: string | null;
  sizes: number[];
  reloads: number;
  /** dnsperf rate during reloads (q/s). */
  reloadRate: number;
  seconds: number;
  launch: (name: string, cmd: string, args: string[], extraKill?: () => number | null, env?: NodeJS.ProcessEnv) => Proc;
  pinned: Pinner;
  dnsperf: (taskset: string | null, run: PerfRun) => Promise<PerfResult>;
  table: (head: string[], rows: string[][]) => string;
  nsdConf: (dir: string, port: number) => string;
  waitAnswering: (proc: Proc, port: number, timeoutMs?: number) => Promise<void>;
}

export interface LoadRow {
  /** Zone files (1: the generated bench.test zone). */
  zones: number;
  records: number;
  loadSeconds: number;
  rssReadyMb: number;
  rssPeakMb: number;
  processes: number;
  imageBytes: number;
  /** Seconds from one file's edit to its new answer (the many-zones row only). */
  editSeconds?: number;
}

export interface ReloadRow {
  server: string;
  what: string;
  reloads: number;
  perf: PerfResult;
  steadyMb: number;
  /**
   * The same tree after 2 s of the dnsperf load, just before the first edit (pulsedns only): the
   * workers' response caches fill under traffic whether or not a reload comes, so this is the
   * steady state the reload's peak adds to.
   */
  steadyLoadedMb?: number;
  peakMb: number;
  /**
   * The largest ratio over the changes of the tree's peak while one is applied to its RSS
   * right before it: a reload's own cost, against a steady state that includes what the
   * traffic has grown the workers' answer caches to by then (they fill for minutes).
   */
  peakRatio?: number;
  /** Seconds from the edit to the new data being served, per reload. */
  applySeconds: number[];
}

export interface ScaleReport {
  load: LoadRow[];
  reload: ReloadRow[];
  nsdPeakQps?: number;
  /**
   * The tail runs (nsd: NSD at the same offered rate, the reference for what this machine and dnsperf allow), NSD and pulsedns alternated round by round (TAIL_ROUNDS), both up at once on
   * core 0 (an idle one costs nothing): this machine's background changes from minute to minute,
   * and alternation lets each pair see the same. GC counts pulsedns's pauses over all its rounds.
   */
  tail?: { records: number; offered: number; perf: PerfResult[]; gc: GcSummary; nsd: PerfResult[]; floor?: PerfResult[]; floorNote?: string; hiccups?: Hiccups };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mb = (kb: number): number => Math.round(kb / 1024);

/** RSS in kB of `pid` and every descendant (from /proc). */
export function treeRssKb(pid: number): { kb: number; processes: number } {
  let kb = 0;
  let processes = 0;
  const stack = [pid];
  for (let guard = 0; stack.length && guard < 1000; guard++) {
    const p = stack.pop()!;
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      kb += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      processes++;
      for (const t of readdirSync(`/proc/${p}/task`)) {
        const kids = readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').trim();
        if (kids) stack.push(...kids.split(/\s+/).map(Number));
      }
    } catch {
      // gone
    }
  }
  return { kb, processes };
}

/** Samples the tree's RSS every 100 ms until stopped; returns the peak. */
function sampler(pid: number): { stop(): number } {
  let peak = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, treeRssKb(pid).kb);
  }, 100);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, treeRssKb(pid).kb);
    },
  };
}

function queries(records: number): string {
  const shape = shapeFor(records);
  const out: string[] = [];
  let x = 12345;
  for (let i = 0; i < 50_000; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out.push(i % 10 === 9 ? `nx${x}.bench.test A` : `h${x % shape.hosts}.bench.test A`);
  }
  return out.join('\n') + '\n';
}

interface Pulse {
  proc: Proc;
  port: number;
  /** Its GC pauses, from --trace-gc (gcwatch.ts). */
  gc: GcRecorder;
}

/** Starts a server; `ready` resolves with the seconds from spawn to answering. */
async function launchPulse(ctx: ScaleContext, dir: string, workers: number, core: number | null, timeoutMs: number, answering?: (port: number) => Promise<void>): Promise<{ pulse: Pulse; ready: Promise<number> }> {
  const port = await freePort();
  const args = ['--trace-gc', CLI, 'serve', '--zones', join(dir, 'zones'), '--listen', `127.0.0.1:${port}`, '--workers', String(workers), '--admin', 'off', '--state-dir', dir];
  const [cmd, argv] = ctx.pinned(ctx.taskset, core, process.execPath, args);
  const started = performance.now();
  const proc = ctx.launch(`pulsedns --workers ${workers}`, cmd, argv);
  const gc = new GcRecorder([proc.child.stdout!, proc.child.stderr!]);
  const ready = (async (): Promise<number> => {
    const until = Date.now() + timeoutMs;
    while (!proc.tail.some((l) => l.includes('"msg":"ready"'))) {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw await proc.deathNote();
      if (Date.now() > until) throw new Error(`pulsedns did not get ready in ${timeoutMs} ms:\n${proc.tail.join('\n')}`);
      await sleep(50);
    }
    const seconds = (performance.now() - started) / 1000;
    await (answering ? answering(port) : ctx.waitAnswering(proc, port));
    return seconds;
  })();
  return { pulse: { proc, port, gc }, ready };
}

function writeAtomically(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

/** Waits until `count` log lines match `re`; bounded. */
async function logCount(proc: Proc, re: RegExp, count: number, seen: { n: number }, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  // `tail` keeps the last 200 lines: count new matches as they arrive instead.
  while (seen.n < count) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${re} (${seen.n}/${count}):\n${proc.tail.slice(-10).join('\n')}`);
    await sleep(50);
  }
}

function countLines(proc: Proc, re: RegExp): { n: number } {
  const seen = { n: 0 };
  for (const s of [proc.child.stdout!, proc.child.stderr!]) {
    s.on('data', (d: string) => {
      for (const line of String(d).split('\n')) if (re.test(line)) seen.n++;
    });
  }
  return seen;
}

export async function runZoneScaleBench(ctx: ScaleContext): Promise<ScaleReport> {
  const report: ScaleReport = { load: [], reload: [] };
  const largest = Math.max(...ctx.sizes);
  for (const records of ctx.sizes) {
    const dir = join(ctx.dir, `scale-${records}`);
    mkdirSync(join(dir, 'zones'), { recursive: true });
    writeFileSync(join(dir, 'zones', 'bench.test.yaml'), benchZoneYaml(shapeFor(records)));
    process.stderr.write(`zone scale: loading ${records} records...\n`);
    const { pulse, ready } = await launchPulse(ctx, dir, 2, null, 600_000);
    const { row, seconds } = await measureLoad(pulse, ready, dir, 1, records);
    report.load.push(row);
    if (records === largest) await reloadRuns(ctx, report, dir, pulse, records, seconds);
    await pulse.proc.stop();
  }
  report.load.push(await manyZones(ctx));
  await tailRun(ctx, report, largest);
  return report;
}

/** Zone files in the many-zones row, and their records each. */
const MANY_ZONES = 10_000;
const MANY_RECORDS = 8;

function smallZone(i: number): string {
  return ['ttl: 300', 'records:', "  '@':",
    '    - { type: SOA, value: { mname: ns1, rname: hostmaster, serial: 1, refresh: 7200, retry: 3600, expire: 1209600, minimum: 300 } }',
    '    - { type: NS, values: [ns1, ns2] }', '    - { type: A, value: 192.0.2.1 }',
    '  ns1: { type: A, value: 192.0.2.2 }', '  ns2: { type: A, value: 192.0.2.3 }', `  www: { type: A, value: 198.51.100.${i % 250} }`,
    '  mail: { type: A, value: 192.0.2.5 }', ''].join('\n');
}

async function wwwOf(port: number, zone: number): Promise<string | undefined> {
  try {
    return parseMessage(await udpExchange({ host: '127.0.0.1', port }, buildQuery(`www.z${zone}.many.test`, 'A'), 300)).answer[0]?.data;
  } catch {
    return undefined;
  }
}

/** 10,000 small zone files: load time, RSS, and one edit applied (a compile of many files, not of many records). */
async function manyZones(ctx: ScaleContext): Promise<LoadRow> {
  const dir = join(ctx.dir, 'many-zones');
  mkdirSync(join(dir, 'zones'), { recursive: true });
  for (let i = 0; i < MANY_ZONES; i++) writeFileSync(join(dir, 'zones', `z${i}.many.test.yaml`), smallZone(i));
  process.stderr.write(`zone scale: loading ${MANY_ZONES} zone files...\n`);
  const firstAnswered = async (port: number): Promise<void> => {
    for (let until = Date.now() + 20_000; (await wwwOf(port, 0)) === undefined; await sleep(100)) if (Date.now() > until) throw new Error('the many-zones server did not answer');
  };
  const { pulse, ready } = await launchPulse(ctx, dir, 2, null, 600_000, firstAnswered);
  try {
    const { row } = await measureLoad(pulse, ready, dir, MANY_ZONES, MANY_ZONES * MANY_RECORDS);
    const edited = MANY_ZONES - 1;
    writeAtomically(join(dir, 'zones', `z${edited}.many.test.yaml`), smallZone(edited).replace(/198\.51\.100\.\d+/, '203.0.113.7'));
    const editedAt = performance.now();
    const until = Date.now() + 120_000;
    while ((await wwwOf(pulse.port, edited)) !== '203.0.113.7' && Date.now() < until) await sleep(50);
    const editSeconds = Math.round((performance.now() - editedAt) / 100) / 10;
    return { ...row, editSeconds };
  } finally {
    await pulse.proc.stop();
  }
}

/** Spawn to ready, and the tree's RSS then and at its peak, of a server just launched. */
async function measureLoad(pulse: Pulse, ready: Promise<number>, dir: string, zones: number, records: number): Promise<{ row: LoadRow; seconds: number }> {
  const pid = pulse.proc.child.pid!;
  const rss = sampler(pid);
  const seconds = await ready;
  await sleep(1000);
  const peakKb = rss.stop();
  const now = treeRssKb(pid);
  const row = { zones, records, loadSeconds: Math.round(seconds * 10) / 10, rssReadyMb: mb(now.kb), rssPeakMb: mb(peakKb), processes: now.processes, imageBytes: imageSize(dir) };
  return { row, seconds };
}

/** The size of the image a server with `--state-dir dir` published (0 when none is found). */
function imageSize(dir: string): number {
  let bytes = 0;
  for (const d of readdirSync(dir).filter((f) => f.startsWith('pulsedns-'))) {
    try {
      bytes = statSync(join(dir, d, 'zones.img')).size;
    } catch {
      // not there
    }
  }
  return bytes;
}

async function reloadRuns(ctx: ScaleContext, report: ScaleReport, dir: string, pulse: Pulse, records: number, loadSeconds: number): Promise<void> {
  const shape = shapeFor(records);
  const qfile = join(dir, 'queries.txt');
  writeFileSync(qfile, queries(records));
  const zoneFile = join(dir, 'zones', 'bench.test.yaml');
  const base = benchZoneYaml(shape);
  const perReload = Math.ceil(loadSeconds * 2 + 5);
  const pid = pulse.proc.child.pid!;

  // pulsedns: N good reloads, then one broken edit.
  const loaded = countLines(pulse.proc, /"msg":"zones loaded"/);
  const refused = countLines(pulse.proc, /"msg":"zone load refused/);
  for (const what of ['reloads', 'broken'] as const) {
    const n = what === 'reloads' ? ctx.reloads : 1;
    const seconds = Math.min(1800, n * perReload + 4);
    // The workers take a new image one after the other after "zones loaded" (runtime/images.ts rollOut): let the last one finish.
    await sleep(2500);
    const steady = treeRssKb(pid).kb;
    const rss = sampler(pid);
    const perf = ctx.dnsperf(ctx.taskset, { dir, port: pulse.port, seconds, file: qfile, rate: ctx.reloadRate, perQuery: true });
    const apply: number[] = [];
    await sleep(2000);
    const steadyLoaded = treeRssKb(pid).kb;
    let peakRatio = 0;
    for (let i = 0; i < n; i++) {
      const before = treeRssKb(pid).kb;
      const own = sampler(pid);
      const t0 = performance.now();
      if (what === 'reloads') {
        writeAtomically(zoneFile, base.replace('192.0.2.1 }', `192.0.2.${10 + i} }`));
        const want = loaded.n + 1;
        await logCount(pulse.proc, /zones loaded/, want, loaded, perReload * 1000 + 60_000);
      } else {
        writeAtomically(zoneFile, base + '  broken: { type: A, value: 300.0.0.1 }\n');
        const want = refused.n + 1;
        // The fast parser reports a typo itself (fastparse.ts); should a form it cannot
        // read send the file to the full parser, note a refusal that never comes, do not fail.
        const limit = perReload * 1000 + 240_000;
        await logCount(pulse.proc, /refused/, want, refused, limit).catch(() => process.stderr.write(`zone scale: the broken edit was not refused within ${limit / 1000} s\n`));
      }
      apply.push(Math.round((performance.now() - t0) / 100) / 10);
      // "zones loaded" comes before the workers take the image one after the other: sample through the hand-over.
      await sleep(1500);
      peakRatio = Math.max(peakRatio, own.stop() / before);
    }
    const result = await perf;
    report.reload.push({ server: 'pulsedns --workers 2', what: what === 'reloads' ? `${n} reloads` : 'broken edit', reloads: n, perf: result, steadyMb: mb(steady), steadyLoadedMb: mb(steadyLoaded), peakMb: mb(rss.stop()), peakRatio: Math.round(peakRatio * 100) / 100, applySeconds: apply });
    // Back to the base zone before the next phase, and wait for it to be served.
    const want = loaded.n + 1;
    writeAtomically(zoneFile, base);
    await logCount(pulse.proc, /zones loaded/, want, loaded, perReload * 1000 + 300_000);
  }

  // NSD, the same zone as a master file, SIGHUP after each change.
  const nsdDir = join(dir, 'nsd');
  mkdirSync(nsdDir, { recursive: true });
  const zonePath = join(nsdDir, 'bench.test.zone');
  writeFileSync(zonePath, benchZoneText(shape));
  const port = await freePort();
  const conf = join(nsdDir, 'nsd.conf');
  writeFileSync(conf, ctx.nsdConf(nsdDir, port));
  const pidfile = join(nsdDir, 'nsd.pid');
  const mainPid = (): number | null => {
    try {
      const p = Number(readFileSync(pidfile, 'utf8').trim());
      return Number.isInteger(p) && p > 1 ? p : null;
    } catch {
      return null;
    }
  };
  const nsd = ctx.launch('nsd', NSD, ['-d', '-c', conf], mainPid);
  try {
    const started = performance.now();
    await ctx.waitAnswering(nsd, port, 600_000);
    const nsdLoad = (performance.now() - started) / 1000;
    const nsdPid = nsd.child.pid!;
    const nsdPer = Math.ceil(nsdLoad * 2 + 5);
    for (const what of ['reloads', 'broken'] as const) {
      const n = what === 'reloads' ? ctx.reloads : 1;
      const seconds = Math.min(1800, n * nsdPer + 4);
      const steady = treeRssKb(nsdPid).kb;
      const rss = sampler(nsdPid);
      const perf = ctx.dnsperf(ctx.taskset, { dir: nsdDir, port, seconds, file: qfile, rate: ctx.reloadRate, perQuery: true });
      const apply: number[] = [];
      await sleep(2000);
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        const serial = 100 + i + (what === 'broken' ? 50 : 0);
        const text = what === 'reloads' ? benchZoneText(shape, serial, `192.0.2.${10 + i}`) : benchZoneText(shape, serial) + 'broken IN A 300.0.0.1\n';
        writeAtomically(zonePath, text);
        const p = mainPid();
        if (p) process.kill(p, 'SIGHUP');
        // Served when ns1 has the new address (a broken zone is kept at the old one: wait a fixed while).
        const want = what === 'reloads' ? `192.0.2.${10 + i}` : null;
        const until = Date.now() + nsdPer * 1000;
        while (Date.now() < until) {
          if (want && (await ns1(port)) === want) break;
          await sleep(100);
        }
        apply.push(Math.round((performance.now() - t0) / 100) / 10);
      }
      const result = await perf;
      report.reload.push({ server: 'NSD (SIGHUP)', what: what === 'reloads' ? `${n} reloads` : 'broken edit', reloads: n, perf: result, steadyMb: mb(steady), peakMb: mb(rss.stop()), applySeconds: apply });
      writeAtomically(zonePath, benchZoneText(shape, 300));
      const p = mainPid();
      if (p) process.kill(p, 'SIGHUP');
      await sleep(nsdPer * 1000);
    }
  } finally {
    await nsd.stop();
  }
}

async function ns1(port: number): Promise<string | undefined> {
  try {
    return parseMessage(await udpExchange({ host: '127.0.0.1', port }, buildQuery('ns1.bench.test', 'A'), 300)).answer[0]?.data;
  } catch {
    return undefined;
  }
}

/** Tail rounds per server, alternated. */
const TAIL_ROUNDS = 2;

/** bench/hiccup.ts on the servers' core for `seconds`; undefined when it fails. */
function coreHiccups(ctx: ScaleContext, seconds: number): Hiccups | undefined {
  const out = runOnServerCore(ctx.pinned, ctx.taskset, 'hiccup', [String(seconds)], (seconds + 20) * 1000);
  try {
    return out === undefined ? undefined : (JSON.parse(out) as Hiccups);
  } catch {
    return undefined;
  }
}

/** bench/native/responder.c built into `dir` with the system's C compiler: its path, or why not. */
function buildResponder(dir: string): { path: string } | { why: string } {
  const src = join(ROOT, 'bench', 'native', 'responder.c');
  const path = join(dir, 'responder');
  const r = spawnSync(process.env['CC'] || 'cc', ['-O2', '-o', path, src], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) return { why: `no C compiler (${r.error.message})` };
  return r.status === 0 ? { path } : { why: `cc failed: ${r.stderr.trim().split('\n')[0]}` };
}

/** NSD flat out on core 0, then pulsedns --workers 1 on core 0 at half that, the largest zone loaded. */
async function tailRun(ctx: ScaleContext, report: ScaleReport, records: number): Promise<void> {
  const dir = join(ctx.dir, `scale-${records}`);
  const qfile = join(dir, 'queries.txt');
  writeFileSync(qfile, queries(records));
  const nsdDir = join(dir, 'nsd-peak');
  mkdirSync(nsdDir, { recursive: true });
  writeFileSync(join(nsdDir, 'bench.test.zone'), benchZoneText(shapeFor(records)));
  const port = await freePort();
  const conf = join(nsdDir, 'nsd.conf');
  writeFileSync(conf, ctx.nsdConf(nsdDir, port));
  const pidfile = join(nsdDir, 'nsd.pid');
  const [cmd, argv] = ctx.pinned(ctx.taskset, ctx.taskset ? 0 : null, NSD, ['-d', '-c', conf]);
  const nsd = ctx.launch('nsd (peak)', cmd, argv, () => {
    try {
      return Number(readFileSync(pidfile, 'utf8').trim()) || null;
    } catch {
      return null;
    }
  });
  try {
    await ctx.waitAnswering(nsd, port, 600_000);
    await ctx.dnsperf(ctx.taskset, { dir: nsdDir, port, seconds: 1, file: qfile, rate: null, perQuery: false });
    const peak = await ctx.dnsperf(ctx.taskset, { dir: nsdDir, port, seconds: ctx.seconds, file: qfile, rate: null, perQuery: false });
    report.nsdPeakQps = peak.qps;
    const offered = Math.round(peak.qps / 2);
    const built = buildResponder(dir);
    const floorPort = await freePort();
    const floor = 'path' in built ? ctx.launch('responder (floor)', ...ctx.pinned(ctx.taskset, ctx.taskset ? 0 : null, built.path, [String(floorPort)])) : undefined;
    const { pulse, ready } = await launchPulse(ctx, dir, 1, ctx.taskset ? 0 : null, 600_000);
    try {
      await ready;
      if (floor) await ctx.waitAnswering(floor, floorPort);
      await ctx.dnsperf(ctx.taskset, { dir, port: pulse.port, seconds: 1, file: qfile, rate: offered, perQuery: false });
      // Count only the measured runs' pauses.
      pulse.gc.reset();
      const perf: PerfResult[] = [];
      const nsdTail: PerfResult[] = [];
      const floorTail: PerfResult[] = [];
      for (let round = 0; round < TAIL_ROUNDS; round++) {
        // The floor and NSD at the same rate: what this machine and dnsperf (sharing the other core) leave to any server, and to a C one.
        if (floor) floorTail.push(await ctx.dnsperf(ctx.taskset, { dir, port: floorPort, seconds: ctx.seconds, file: qfile, rate: offered, perQuery: true }));
        nsdTail.push(await ctx.dnsperf(ctx.taskset, { dir: nsdDir, port, seconds: ctx.seconds, file: qfile, rate: offered, perQuery: true }));
        perf.push(await ctx.dnsperf(ctx.taskset, { dir, port: pulse.port, seconds: ctx.seconds, file: qfile, rate: offered, perQuery: true }));
      }
      await sleep(1200);
      report.tail = { records, offered, perf, gc: pulse.gc.summary(), nsd: nsdTail, ...(floor ? { floor: floorTail } : { floorNote: 'why' in built ? built.why : '' }) };
      const hiccups = coreHiccups(ctx, ctx.seconds);
      if (hiccups) report.tail.hiccups = hiccups;
    } finally {
      await pulse.proc.stop();
      await floor?.stop();
    }
  } finally {
    await nsd.stop();
  }
}

export function scaleTables(r: ScaleReport, table: ScaleContext['table']): string {
  const f = (n: number | undefined, d = 3): string => (n !== undefined && Number.isFinite(n) ? n.toFixed(d) : '-');
  const out: string[] = ['', 'Zone scale: `serve --workers 2`, RSS summed over the process tree', ''];
  out.push(table(['zone files', 'records', 'load s', 'RSS ready MB', 'RSS peak MB', 'processes', 'image MB', 'bytes/record (image)', 'one file edited: answered after s'],
    r.load.map((l) => [(l.zones ?? 1).toLocaleString('en-US'), l.records.toLocaleString('en-US'), f(l.loadSeconds, 1), String(l.rssReadyMb), String(l.rssPeakMb), String(l.processes), f(l.imageBytes / 1e6, 1), f(l.imageBytes / l.records, 1), f(l.editSeconds, 1)])));
  out.push('', 'Reloads under load (dnsperf at a fixed rate the whole time)', '');
  out.push(table(['server', 'change', 'queries', 'lost', 'p99 ms', 'max ms', 'steady MB', 'under load MB', 'peak MB', 'peak / before', 'applied after s'],
    r.reload.map((x) => [x.server, x.what, x.perf.sent.toLocaleString('en-US'), String(x.perf.lost), f(x.perf.p99Ms), f(x.perf.maxMs), String(x.steadyMb), x.steadyLoadedMb === undefined ? '-' : String(x.steadyLoadedMb), String(x.peakMb), x.peakRatio === undefined ? '-' : `${x.peakRatio.toFixed(2)}x`, x.applySeconds.join(', ')])));
  if (r.tail) {
    const t = r.tail;
    out.push('', `Tail latency, ${t.records.toLocaleString('en-US')} records loaded, pulsedns --workers 1 and NSD each on core 0 at ${t.offered.toLocaleString('en-US')} q/s (half of NSD's ${r.nsdPeakQps?.toLocaleString('en-US')} q/s on this zone)`, '');
    const row = (who: string, p: PerfResult, gc?: GcSummary): string[] =>
      [who, p.qps.toLocaleString('en-US'), String(p.lost), f(p.p50Ms), f(p.p99Ms), f(p.p999Ms), f(p.maxMs), gc ? String(gc.count) : '-', f(gc?.totalMs, 1), f(gc?.p99Ms), f(gc?.maxMs)];
    const rows: string[][] = [];
    t.perf.forEach((p, i) => {
      if (t.floor?.[i]) rows.push(row(`C responder (floor), round ${i + 1}`, t.floor[i]!));
      if (t.nsd[i]) rows.push(row(`NSD (reference), round ${i + 1}`, t.nsd[i]!));
      rows.push(row(`pulsedns --workers 1, round ${i + 1}`, p, i === t.perf.length - 1 ? t.gc : undefined));
    });
    out.push(table(['server', 'q/s served', 'lost', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'GC pauses', 'GC total ms', 'GC p99 ms', 'GC max ms'], rows));
    out.push('(the floor, NSD and pulsedns alternated round by round; the GC columns count pulsedns over all its rounds)');
    out.push(t.floor ? 'the floor: bench/native/responder.c, epoll and recvmmsg/sendmmsg with no lookup, on the same core at the same rate' : `no floor row: ${t.floorNote}`);
    const h = t.hiccups;
    if (h) {
      out.push(`a busy loop alone on core 0 for ${h.seconds} s lost its core ${h.over1} times for more than 1 ms (${h.over2} over 2 ms, ${h.over5} over 5 ms, ` +
        `longest ${h.maxMs} ms, ${h.lostMs} ms in all): a floor under any p99 measured on this machine (bench/hiccup.ts)`);
    }
  }
  return out.join('\n') + '\n';
}
