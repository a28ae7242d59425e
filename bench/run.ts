// `npm run bench`: pulsedns against NSD under dnsperf, on this machine.
//
// One generated zone is served by both (pulsedns reads the YAML, NSD the
// master file `pulsedns export` writes from it), and dnsperf replays one
// query file at each: first flat out for throughput, then at half of NSD's
// peak rate for latency. Then the failover benchmarks of bench/failover.ts
// (failover time, propagation through Redis, prober capacity, pool-backed
// q/s), and the DNSSEC runs of bench/dnssec.ts (signed against unsigned,
// and a random-name flood against Knot's mod-onlinesign); `--only
// dns|failover|dnssec` runs one part. Each run is bounded by dnsperf's
// -l and every process started here is stopped before exit. Results are
// printed and written to .bench/last.json. See docs/performance.md.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { udpExchange } from '../test/support/client.js';
import { buildQuery, parseMessage } from '../test/support/dnsmsg.js';
import { freePort } from '../test/support/ports.js';
import { failoverTables, runFailoverBench, type FailoverReport } from './failover.js';
import { runZoneScaleBench, scaleTables } from './zone-scale.js';
import type { PerfResult, PerfRun, Proc } from './support.js';
import { makeRng } from '../test/support/rng.js';
import { benchZoneYaml } from './zonegen.js';
import { dnssecTables, KNOTD, runDnssecBench, type DnssecReport } from './dnssec.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'dist', 'server', 'cli.js');
const DNSPERF = '/usr/bin/dnsperf';
const NSD = '/usr/sbin/nsd';
const REDIS = '/usr/bin/redis-server';
const ORIGIN = 'bench.test';

// Zone shape: plain hosts, CNAMEs to them, MX names whose exchange is a host
// (so the answer carries an A record in the additional section).
const HOSTS = 10_000;
const CNAMES = 2_000;
const MXES = 2_000;
const QUERIES = 50_000;
const MIX = { a: 0.6, nxdomain: 0.15, cname: 0.15, mx: 0.1 };

const CLIENTS = 4;
const OUTSTANDING = 200;

// ---------------------------------------------------------------- options

type Part = 'dns' | 'failover' | 'dnssec' | 'scale';

interface Options {
  duration: number;
  quick: boolean;
  keep: boolean;
  /** Run only this part; both when null. */
  only: Part | null;
  /** Zone sizes of the scale part (records). */
  scaleSizes: number[];
  reloads: number;
}

function options(): Options {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      duration: { type: 'string' },
      quick: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      only: { type: 'string' },
      'scale-sizes': { type: 'string' },
      reloads: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('usage: npm run bench -- [--duration SECONDS] [--quick] [--keep] [--only dns|failover|dnssec|scale] [--scale-sizes N,N] [--reloads N]\n' +
      '  --duration N  seconds per measured run (default 10; the failover q/s runs take at most 4)\n' +
      '  --quick       3-second runs, 3 failover kills\n' +
      '  --keep        leave the temporary directory (zones, configs, query file) in place\n' +
      '  --only PART   dns: pulsedns against NSD; failover: failover time, propagation,\n' +
      '                prober capacity, pool-backed q/s (needs redis-server);\n' +
      '                dnssec: signed vs unsigned answers, random-name flood vs Knot (needs knotd);\n' +
      '                scale: load time and RSS per zone size, reloads under dnsperf, GC and p99\n' +
      '  --scale-sizes zone sizes in records for the scale part (default 100000,1000000; --quick 20000,100000)\n' +
      '  --reloads N   reloads of the largest zone under load (default 5; --quick 2)\n');
    process.exit(0);
  }
  let duration = values.quick ? 3 : 10;
  if (values.duration !== undefined) {
    duration = Number(values.duration);
    if (!Number.isInteger(duration) || duration < 1 || duration > 600) {
      process.stderr.write('bench: --duration must be a whole number of seconds, 1 to 600\n');
      process.exit(2);
    }
  }
  const only = values.only ?? null;
  if (only !== null && only !== 'dns' && only !== 'failover' && only !== 'dnssec' && only !== 'scale') {
    process.stderr.write('bench: --only must be dns, failover, dnssec or scale\n');
    process.exit(2);
  }
  const scaleSizes = (values['scale-sizes'] ?? (values.quick ? '20000,100000' : '100000,1000000')).split(',').map(Number);
  if (!scaleSizes.every((n) => Number.isInteger(n) && n >= 1000 && n <= 5_000_000)) {
    process.stderr.write('bench: --scale-sizes is a comma-separated list of record counts, 1000 to 5000000\n');
    process.exit(2);
  }
  const reloads = Number(values.reloads ?? (values.quick ? 2 : 5));
  if (!Number.isInteger(reloads) || reloads < 1 || reloads > 20) {
    process.stderr.write('bench: --reloads is 1 to 20\n');
    process.exit(2);
  }
  return { duration, quick: values.quick ?? false, keep: values.keep ?? false, only: only as Part | null, scaleSizes, reloads };
}

// ---------------------------------------------------------------- tools

function haveTool(path: string): boolean {
  return spawnSync('test', ['-x', path]).status === 0;
}

function checkTools(parts: Part[]): { taskset: string | null } {
  const missing: string[] = [];
  const packages = ['dnsperf'];
  if (!haveTool(DNSPERF)) missing.push(`dnsperf (${DNSPERF})`);
  const needNsd = parts.includes('dns') || parts.includes('scale');
  if (needNsd && !haveTool(NSD)) missing.push(`nsd (${NSD})`);
  if (needNsd) packages.push('nsd');
  if (parts.includes('failover') && !haveTool(REDIS)) missing.push(`redis-server (${REDIS})`);
  if (parts.includes('failover')) packages.push('redis-server');
  if (parts.includes('dnssec') && !haveTool(KNOTD)) missing.push(`knotd (${KNOTD})`);
  if (parts.includes('dnssec')) packages.push('knot');
  if (!existsSync(CLI)) missing.push(`the compiled CLI (${CLI}): run \`npx tsc -p .\``);
  if (missing.length) {
    process.stderr.write(`bench: missing ${missing.join(', ')}\n` +
      `install the tools with: apt-get update && apt-get install -y ${packages.join(' ')}\n`);
    process.exit(1);
  }
  const taskset = ['/usr/bin/taskset', '/bin/taskset'].find(haveTool) ?? null;
  if (!taskset) process.stderr.write('bench: taskset not found (apt-get install -y util-linux): runs are not pinned to cores\n');
  return { taskset };
}

function versionOf(cmd: string, args: string[], re: RegExp): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return re.exec(`${r.stdout ?? ''}${r.stderr ?? ''}`)?.[1] ?? 'unknown';
}

// ---------------------------------------------------------------- data


function zoneYaml(): string {
  return benchZoneYaml({ hosts: HOSTS, cnames: CNAMES, mxes: MXES });
}

function queryFile(): { text: string; counts: Record<keyof typeof MIX, number> } {
  const rng = makeRng(20240601);
  const counts = { a: 0, nxdomain: 0, cname: 0, mx: 0 };
  const lines: string[] = [];
  const idx = (n: number): number => Math.floor(rng() * n);
  for (let i = 0; i < QUERIES; i++) {
    const r = rng();
    if (r < MIX.a) {
      counts.a++;
      lines.push(`h${idx(HOSTS)}.${ORIGIN} A`);
    } else if (r < MIX.a + MIX.nxdomain) {
      counts.nxdomain++;
      lines.push(`nx${idx(1_000_000)}.${ORIGIN} A`);
    } else if (r < MIX.a + MIX.nxdomain + MIX.cname) {
      counts.cname++;
      lines.push(`c${idx(CNAMES)}.${ORIGIN} A`);
    } else {
      counts.mx++;
      lines.push(`m${idx(MXES)}.${ORIGIN} MX`);
    }
  }
  return { text: lines.join('\n') + '\n', counts };
}

function nsdConf(dir: string, port: number): string {
  return [
    'server:',
    '  ip-address: 127.0.0.1',
    `  port: ${port}`,
    '  username: ""',
    '  chroot: ""',
    `  zonesdir: "${dir}"`,
    `  pidfile: "${join(dir, 'nsd.pid')}"`,
    '  database: ""',
    `  xfrdfile: "${join(dir, 'xfrd.state')}"`,
    `  zonelistfile: "${join(dir, 'zone.list')}"`,
    `  logfile: "${join(dir, 'nsd.log')}"`,
    '  server-count: 1',
    '  verbosity: 1',
    '  do-ip6: no',
    '  hide-version: yes',
    // Debian builds NSD with response rate limiting (200 q/s per source by
    // default), which would throttle a benchmark from one address.
    '  rrl-ratelimit: 0',
    '  rrl-whitelist-ratelimit: 0',
    'remote-control:',
    '  control-enable: no',
    'zone:',
    `  name: ${ORIGIN}`,
    `  zonefile: "${ORIGIN}.zone"`,
    '',
  ].join('\n');
}

// ---------------------------------------------------------------- processes


const running = new Set<Proc>();

function pinned(taskset: string | null, core: number | null, cmd: string, args: string[]): [string, string[]] {
  if (taskset && core !== null) return [taskset, ['-c', String(core), cmd, ...args]];
  return [cmd, args];
}

function launch(name: string, cmd: string, args: string[], extraKill: () => number | null = () => null, env?: NodeJS.ProcessEnv): Proc {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env: { ...process.env, ...env } } : {}) });
  const tail: string[] = [];
  for (const s of [child.stdout!, child.stderr!]) {
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      for (const line of d.split('\n')) if (line) tail.push(line);
      if (tail.length > 200) tail.splice(0, tail.length - 200);
    });
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const proc: Proc = {
    name,
    child,
    tail,
    exited,
    async deathNote() {
      await Promise.race([closed, sleep(1000)]);
      const how = child.signalCode ? `signal ${child.signalCode}` : `exit code ${child.exitCode}`;
      return new Error(`${name} ended while starting (${how}):\n${tail.join('\n')}`);
    },
    async stop() {
      const other = extraKill();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      if (other) {
        try {
          process.kill(other, 'SIGTERM');
        } catch {
          // already gone
        }
      }
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await Promise.race([exited, sleep(2000)]);
      running.delete(proc);
    },
  };
  running.add(proc);
  return proc;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until the server answers h0 A with NOERROR, or fails with its output. */
async function waitAnswering(proc: Proc, port: number, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
      throw await proc.deathNote();
    }
    try {
      const raw = await udpExchange({ host: '127.0.0.1', port }, buildQuery(`h0.${ORIGIN}`, 'A'), 300);
      if (parseMessage(raw).rcode === 0) return;
    } catch {
      // not up yet
    }
    await sleep(100);
  }
  throw new Error(`${proc.name} did not answer within ${timeoutMs} ms:\n${proc.tail.join('\n')}`);
}

async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

// ---------------------------------------------------------------- dnsperf



const round3 = (n: number): number => Math.round(n * 1000) / 1000;
/** dnsperf's seconds as milliseconds, to the microsecond. */
const ms = (seconds: string): number => round3(Number(seconds) * 1000);

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function dnsperf(taskset: string | null, run: PerfRun): Promise<PerfResult> {
  const args = ['-s', '127.0.0.1', '-p', String(run.port), '-d', run.file, '-l', String(run.seconds),
    '-c', String(CLIENTS), '-q', String(OUTSTANDING), '-t', '2'];
  if (run.rate !== null) args.push('-Q', String(run.rate));
  if (run.perQuery) args.push('-v');
  if (run.extra) args.push(...run.extra);
  // dnsperf gets core 1; the pinned servers get core 0.
  const [cmd, argv] = pinned(taskset, availableParallelism() > 1 ? 1 : null, DNSPERF, args);
  // stdout goes to a file, read after the run: parsing per-query lines while
  // dnsperf runs would put this process on the cores being measured.
  const outFile = join(run.dir, `dnsperf-${process.hrtime.bigint()}.out`);
  const fd = openSync(outFile, 'w');
  const child = spawn(cmd, argv, { stdio: ['ignore', fd, 'pipe'] });
  closeSync(fd);
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    if (stderr.length < 20_000) stderr += d;
  });
  const code = await new Promise<number | null>((resolve) => {
    // -l bounds the run; this bounds dnsperf itself (timeouts draining, a hang).
    const guard = setTimeout(() => child.kill('SIGKILL'), (run.seconds + 20) * 1000);
    child.once('exit', (c) => {
      clearTimeout(guard);
      resolve(c);
    });
  });
  const summary: string[] = [];
  const latencies: number[] = [];
  for (const line of readFileSync(outFile, 'latin1').split('\n')) {
    if (line.startsWith('> ')) {
      // "> NOERROR h1.bench.test A 0.000123"
      const sec = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (Number.isFinite(sec)) latencies.push(sec * 1000);
    } else {
      summary.push(line);
    }
  }
  rmSync(outFile, { force: true });
  const text = summary.join('\n');
  const num = (re: RegExp): number => {
    const m = re.exec(text);
    if (!m) throw new Error(`dnsperf (exit ${code}) printed no ${re}:\n${text}\n${stderr}`);
    return Number(m[1]);
  };
  const lat = /Average Latency \(s\):\s+([\d.]+) \(min ([\d.]+), max ([\d.]+)\)/.exec(text);
  const result: PerfResult = {
    qps: Math.round(num(/Queries per second:\s+([\d.]+)/)),
    sent: num(/Queries sent:\s+(\d+)/),
    completed: num(/Queries completed:\s+(\d+)/),
    lost: num(/Queries lost:\s+(\d+)/),
    avgMs: lat ? ms(lat[1]!) : NaN,
    minMs: lat ? ms(lat[2]!) : NaN,
    maxMs: lat ? ms(lat[3]!) : NaN,
    stddevMs: ms(/Latency StdDev \(s\):\s+([\d.]+)/.exec(text)?.[1] ?? 'NaN'),
    rcodes: /Response codes:\s+(.*)/.exec(text)?.[1]?.trim() ?? '',
  };
  if (run.perQuery && latencies.length) {
    const sorted = Float64Array.from(latencies).sort();
    result.p50Ms = round3(percentile(sorted, 50));
    result.p99Ms = round3(percentile(sorted, 99));
    result.p999Ms = round3(percentile(sorted, 99.9));
  }
  return result;
}

// ---------------------------------------------------------------- servers

interface ServerSpec {
  label: string;
  kind: 'nsd' | 'pulsedns' | 'floor';
  workers: number;
  /** Core the server is pinned to, or null. */
  core: number | null;
}

interface Started {
  proc: Proc;
  port: number;
}

async function startServer(spec: ServerSpec, dir: string, taskset: string | null): Promise<Started> {
  const port = await freePort();
  const core = taskset ? spec.core : null;
  if (spec.kind === 'nsd') {
    const conf = join(dir, `nsd-${port}.conf`);
    writeFileSync(conf, nsdConf(dir, port));
    const pidfile = join(dir, 'nsd.pid');
    rmSync(pidfile, { force: true });
    const [cmd, args] = pinned(taskset, core, NSD, ['-d', '-c', conf]);
    // With -d, NSD's first process becomes xfrd and the main process forks off;
    // its pid is in the pidfile, and it takes the serving child down with it.
    const proc = launch(spec.label, cmd, args, () => {
      try {
        const pid = Number(readFileSync(pidfile, 'utf8').trim());
        return Number.isInteger(pid) && pid > 1 ? pid : null;
      } catch {
        return null;
      }
    });
    await waitAnswering(proc, port);
    return { proc, port };
  }
  const serverArgs = spec.kind === 'floor'
    ? [join(dirname(CLI), '..', 'bench', 'floor.js'), String(port)]
    : [CLI, 'serve', '--zones', join(dir, 'zones'), '--listen', `127.0.0.1:${port}`, '--workers', String(spec.workers), '--admin', 'off', '--state-dir', 'off'];
  const [cmd, args] = pinned(taskset, core, process.execPath, serverArgs);
  const proc = launch(spec.label, cmd, args);
  const until = Date.now() + 20_000;
  while (!proc.tail.some((l) => l.includes('"msg":"ready"')) && Date.now() < until) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw await proc.deathNote();
    await sleep(50);
  }
  await waitAnswering(proc, port);
  return { proc, port };
}

// ---------------------------------------------------------------- report

interface ThroughputRow extends PerfResult {
  label: string;
  server: string;
  workers: number;
  pinnedCore: number | null;
  ratioToNsd: number;
}

interface LatencyRow extends PerfResult {
  label: string;
  targetQps: number;
  /** Why this load: which peak it is half of. */
  load: string;
}

const f3 = (n: number | undefined): string => (n !== undefined && Number.isFinite(n) ? n.toFixed(3) : '-');

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

// ---------------------------------------------------------------- main

interface DnsResults {
  setup: Record<string, unknown>;
  throughput: ThroughputRow[];
  latency: LatencyRow[];
  /** The tables, printed at the end. */
  text: string;
}

/** pulsedns against NSD: throughput flat out, then latency at fixed loads. */
async function runDns(opts: Options, taskset: string | null, dir: string): Promise<DnsResults> {
  const cores = availableParallelism();
  // Zone (YAML for us, master file for NSD) and queries.
  mkdirSync(join(dir, 'zones'));
  writeFileSync(join(dir, 'zones', `${ORIGIN}.yaml`), zoneYaml());
  const exp = spawnSync(process.execPath, [CLI, 'export', ORIGIN, '--zones', join(dir, 'zones')], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (exp.status !== 0) throw new Error(`pulsedns export failed (${exp.status}):\n${exp.stderr}`);
  writeFileSync(join(dir, `${ORIGIN}.zone`), exp.stdout);
  const queries = queryFile();
  const qfile = join(dir, 'queries.txt');
  writeFileSync(qfile, queries.text);

  const specs: ServerSpec[] = [
    { label: 'NSD (1 server, core 0)', kind: 'nsd', workers: 1, core: 0 },
    { label: 'pulsedns --workers 1 (core 0)', kind: 'pulsedns', workers: 1, core: 0 },
    { label: 'pulsedns --workers 2 (unpinned)', kind: 'pulsedns', workers: 2, core: null },
    { label: 'bare Node dgram floor (core 0)', kind: 'floor', workers: 1, core: 0 },
  ];
  const pin = (s: ServerSpec): string => (taskset && s.core !== null ? ` [taskset -c ${s.core}]` : '');
  const n = opts.duration;
  process.stdout.write(`pulsedns bench: ${HOSTS + CNAMES + MXES} names, ${QUERIES} queries ` +
    `(${Object.entries(queries.counts).map(([k, v]) => `${k} ${v}`).join(', ')}), ` +
    `${n} s per run, dnsperf -c ${CLIENTS} -q ${OUTSTANDING}${taskset && cores > 1 ? ' on core 1' : ''}; ${cores} cores\n`);

  // Throughput: flat out.
  const throughput: ThroughputRow[] = [];
  for (const spec of specs) {
    const s = await startServer(spec, dir, taskset);
    try {
      process.stdout.write(`  ${spec.label}${pin(spec)}: warm-up 1 s, then ${n} s flat out ... `);
      await dnsperf(taskset, { dir, port: s.port, seconds: 1, file: qfile, rate: null, perQuery: false });
      const r = await dnsperf(taskset, { dir, port: s.port, seconds: n, file: qfile, rate: null, perQuery: false });
      process.stdout.write(`${Math.round(r.qps)} q/s\n`);
      throughput.push({ ...r, label: spec.label, server: spec.kind, workers: spec.workers, pinnedCore: taskset ? spec.core : null, ratioToNsd: NaN });
    } finally {
      await s.proc.stop();
    }
  }
  const nsdQps = throughput[0]!.qps;
  for (const row of throughput) row.ratioToNsd = row.qps / nsdQps;

  // Latency: every server at the same offered load, half of NSD's peak, with
  // per-query latencies for percentiles. When that is beyond what pulsedns
  // can do (the "met" column shows it), a second load, half of pulsedns's
  // single-worker peak, shows its latency below saturation.
  const loads: Array<{ why: string; qps: number }> = [{ why: "half of NSD's peak", qps: Math.max(100, Math.round(nsdQps / 2)) }];
  const ownHalf = Math.max(100, Math.round(throughput[1]!.qps / 2));
  if (ownHalf < loads[0]!.qps * 0.9) loads.push({ why: 'half of pulsedns --workers 1 peak', qps: ownHalf });
  const latency: LatencyRow[] = [];
  for (const load of loads) {
    for (const spec of specs) {
      const s = await startServer(spec, dir, taskset);
      try {
        process.stdout.write(`  ${spec.label}: ${n} s at ${load.qps} q/s ... `);
        await dnsperf(taskset, { dir, port: s.port, seconds: 1, file: qfile, rate: load.qps, perQuery: false });
        const r = await dnsperf(taskset, { dir, port: s.port, seconds: n, file: qfile, rate: load.qps, perQuery: true });
        process.stdout.write(`p99 ${f3(r.p99Ms)} ms\n`);
        latency.push({ ...r, label: spec.label, targetQps: load.qps, load: load.why });
      } finally {
        await s.proc.stop();
      }
    }
  }

  const out: string[] = ['', `Throughput (dnsperf flat out, ${n} s each)`, table(
    ['server', 'q/s', 'vs NSD', 'avg ms', 'max ms', 'lost'],
    throughput.map((r) => [r.label, String(Math.round(r.qps)), `${(r.ratioToNsd * 100).toFixed(0)}%`, f3(r.avgMs), f3(r.maxMs), String(r.lost)]),
  )];
  for (const load of loads) {
    const rows = latency.filter((r) => r.targetQps === load.qps);
    out.push('', `Latency at ${load.qps} q/s offered (${load.why}), ${n} s each`, table(
      ['server', 'q/s', 'met', 'avg ms', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'lost'],
      rows.map((r) => [r.label, String(Math.round(r.qps)), `${Math.min(100, (100 * r.qps) / r.targetQps).toFixed(0)}%`,
        f3(r.avgMs), f3(r.p50Ms), f3(r.p99Ms), f3(r.p999Ms), f3(r.maxMs), String(r.lost)]),
    ));
  }
  out.push('');
  if (taskset && cores < 2) out.push('note: one core only: dnsperf and the server share it.');
  if (cores <= 2) out.push(`note: with ${cores} cores, "--workers 2" shares its cores with dnsperf.`);

  return {
    setup: { durationSeconds: n, clients: CLIENTS, outstanding: OUTSTANDING, names: HOSTS + CNAMES + MXES, queries: QUERIES, mix: queries.counts },
    throughput: throughput.map((r) => ({ ...r, ratioToNsd: Number(r.ratioToNsd.toFixed(3)) })),
    latency,
    text: out.join('\n') + '\n',
  };
}

/** The previous .bench/last.json, so a run of one part keeps the other part's figures. */
function previousReport(file: string): Record<string, unknown> {
  try {
    const old: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return typeof old === 'object' && old !== null && !Array.isArray(old) ? { ...old } : {};
  } catch {
    return {};
  }
}

async function main(): Promise<number> {
  const opts = options();
  const parts: Part[] = opts.only ? [opts.only] : ['dns', 'failover', 'dnssec', 'scale'];
  const { taskset } = checkTools(parts);
  const cores = availableParallelism();
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-bench-'));
  const onSignal = (): void => {
    void stopAll().then(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const dns = parts.includes('dns') ? await runDns(opts, taskset, dir) : undefined;
    let failover: FailoverReport | undefined;
    if (parts.includes('failover')) {
      failover = await runFailoverBench({
        dir,
        taskset,
        quick: opts.quick,
        qpsSeconds: Math.min(opts.duration, 4),
        launch,
        pinned,
        dnsperf,
        table,
      });
    }

    let dnssec: DnssecReport | undefined;
    if (parts.includes('dnssec')) {
      const mixFile = join(dir, 'dnssec-mix-queries.txt');
      writeFileSync(mixFile, queryFile().text);
      process.stdout.write('DNSSEC runs\n');
      dnssec = await runDnssecBench({ dir, taskset, seconds: Math.min(opts.duration, 5), cli: CLI, origin: ORIGIN, zoneYaml: zoneYaml(), mixFile, launch, pinned, dnsperf });
    }

    const scale = parts.includes('scale')
      ? await runZoneScaleBench({ dir, taskset, sizes: opts.scaleSizes, reloads: opts.reloads, reloadRate: 5000, seconds: opts.duration, launch, pinned, dnsperf, table, nsdConf, waitAnswering })
      : undefined;

    if (dns) process.stdout.write(dns.text);
    if (failover) process.stdout.write(failoverTables(failover, table));
    if (dnssec) process.stdout.write(dnssecTables(dnssec, table));
    if (scale) process.stdout.write(scaleTables(scale, table));

    const benchDir = join(ROOT, '.bench');
    const file = join(benchDir, 'last.json');
    // With --only, the other part's figures from the last run stay in the file.
    const report: Record<string, unknown> = opts.only ? previousReport(file) : {};
    const prevTools = typeof report.tools === 'object' && report.tools !== null ? report.tools : {};
    // `date` is the DNS part's; the failover part carries its own.
    if (dns || report.date === undefined) report.date = new Date().toISOString();
    Object.assign(report, {
      machine: { cores, cpu: cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform} ${process.arch}` },
      tools: {
        ...prevTools,
        ...(dns ? { nsd: versionOf(NSD, ['-v'], /NSD version (\S+)/) } : {}),
        dnsperf: versionOf(DNSPERF, ['-h'], /Version (\S+)/),
        ...(failover ? { redis: versionOf(REDIS, ['--version'], /v=(\S+)/) } : {}),
        taskset: taskset !== null,
      },
    });
    if (dns) Object.assign(report, { setup: dns.setup, throughput: dns.throughput, latency: dns.latency });
    if (failover) report.failover = failover;
    if (dnssec) report.dnssec = dnssec;
    if (scale) report.scale = scale;
    mkdirSync(benchDir, { recursive: true });
    writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
    process.stdout.write(`wrote ${file}\n`);
    return 0;
  } finally {
    await stopAll();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (opts.keep) process.stdout.write(`kept ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  async (e: unknown) => {
    await stopAll();
    process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
