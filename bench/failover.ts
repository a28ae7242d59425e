// Failover benchmarks, run by bench/run.ts after the DNS throughput runs
// (`npm run bench`, or `npm run bench -- --only failover`):
//
//   1. failover time end to end: a member's HTTP backend is killed and DNS is
//      polled every 10 ms until the member has left the answers, for an
//      embedded server and for two servers fed by one prober through Redis;
//   2. propagation through Redis: from a report written with RedisStore to the
//      answers of a `serve --redis` server changing (polled every 1 ms);
//   3. prober capacity: the Scheduler with 10,000 HTTP checks on one core;
//   4. UDP q/s for a pool-backed name against a static name (dnsperf).
//
// Every process started here is started through the helpers of run.ts (so
// its clean-up stops them too), every phase is bounded in count and time, and
// only 127.0.0.x addresses are used. This file is also the entry point of two
// helper processes (`node dist/bench/failover.js backend|capacity ...`): a
// tiny HTTP backend and the pinned prober of the capacity run.
import dgram from 'node:dgram';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { pino } from 'pino';
import type { CheckSpec, ProbeResult } from '../checks/model.js';
import { runProbe } from '../checks/probes/index.js';
import { Scheduler, type Target } from '../checks/scheduler.js';
import { MemoryStore } from '../checks/store/memory.js';
import { RedisStore } from '../checks/store/redis.js';
import type { VantageReport } from '../checks/store/types.js';
import { buildQuery, parseMessage } from '../test/support/dnsmsg.js';
import { freePort } from '../test/support/ports.js';
import { startRedis, type RedisServer } from '../test/support/redis.js';
import type { PerfResult, PerfRun, Proc } from './support.js';

const SELF = fileURLToPath(import.meta.url);
const CLI = join(SELF, '..', '..', 'server', 'cli.js');

// ---------------------------------------------------------------- settings

/** The check of the failover runs (the brief's numbers). */
const CHECK = { intervalMs: 1000, timeoutMs: 500, fall: 3, rise: 2 } as const;
/** A member must leave the answers within interval x fall + 1 s, and come back within interval x rise + 1 s. */
const DOWN_TARGET_MS = CHECK.intervalMs * CHECK.fall + 1000;
const UP_TARGET_MS = CHECK.intervalMs * CHECK.rise + 1000;
const BACKENDS = ['127.0.0.11', '127.0.0.12', '127.0.0.13'];
const FO_ZONE = 'fo.test';
const POLL_MS = 10;
/** Give up on one kill (or one recovery) after this long; it is then reported as missed. */
const FO_CAP_MS = 10_000;

const PROP_ZONE = 'prop.test';
const PROP_FLIPS = 200;
const PROP_A = '127.0.0.21';
const PROP_B = '127.0.0.22';
const PROP_CHECK = 'bench-flip';
const PROP_INTERVAL_MS = 10_000;
const PROP_CAP_MS = 3000;
const PROP_TARGET_P99_MS = 100;

const CAP_TARGETS = 10_000;
const CAP_INTERVAL_MS = 10_000;
const CAP_SECONDS = 20;
/** The ceiling run: the same checks every second, so more is offered than one core can probe. */
const CEIL_INTERVAL_MS = 1000;
const CEIL_SECONDS = 9;
/** The ceiling run's first seconds are its cold start (a burst, then JIT warm-up); the rate is taken after them. */
const CEIL_WINDOW_FROM_S = 4;
/** Probe timeout of both capacity runs: the default, so an overloaded prober shows as lateness, not as failures. */
const CAP_TIMEOUT_MS = 5000;
/** monitorEventLoopDelay's sampling timer; its samples include this period. */
const ELD_RESOLUTION_MS = 10;

const QPS_TARGET_RATIO = 0.8;
/** static, pool, static, pool, ...: machine noise hits both names alike. */
const QPS_ROUNDS = 3;

/** Clock ticks per second of /proc/PID/stat times (USER_HZ: 100 on Linux). */
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

/** Child processes end by themselves after this long, whatever happens to the parent. */
const CHILD_MAX_SECONDS = 300;

// ---------------------------------------------------------------- what run.ts lends us

/** The helpers of run.ts this file reuses, handed over by its main(). */
export interface BenchKit {
  /** Scratch directory, removed by run.ts (unless --keep). */
  dir: string;
  taskset: string | null;
  /** Fewer repetitions and shorter dnsperf runs (--quick). */
  quick: boolean;
  /** Seconds per dnsperf run of the q/s comparison. */
  qpsSeconds: number;
  launch(name: string, cmd: string, args: string[]): Proc;
  pinned(taskset: string | null, core: number | null, cmd: string, args: string[]): [string, string[]];
  dnsperf(taskset: string | null, run: PerfRun): Promise<PerfResult>;
  table(head: string[], rows: string[][]): string;
}

// ---------------------------------------------------------------- results

export interface Stats {
  n: number;
  median: number;
  p99: number;
  max: number;
}

export interface FailoverKill {
  rep: number;
  victim: string;
  /** ms from the kill to the member gone from each server's answers; null when not within the cap. */
  embeddedDownMs: number | null;
  redisDownMs: Array<number | null>;
  /** Gone from both Redis-fed servers. */
  redisBothDownMs: number | null;
  /** ms from the backend listening again to the member back in the answers. */
  embeddedUpMs: number | null;
  redisBothUpMs: number | null;
  /** Answers during the run that lacked a member that was up, or came back empty or not NOERROR. */
  badAnswers: number;
}

export interface FailoverReport {
  date: string;
  /** Wall time of the whole failover part, start-up and clean-up included. */
  seconds: number;
  failoverTime: {
    check: typeof CHECK;
    pollMs: number;
    downTargetMs: number;
    upTargetMs: number;
    kills: FailoverKill[];
    embeddedDown: Stats;
    redisBothDown: Stats;
    embeddedUp: Stats;
    redisBothUp: Stats;
    missed: number;
    badAnswers: number;
    seconds: number;
  };
  propagation: {
    flips: number;
    /** From the write to each server showing the change (every server, every flip). */
    perServer: Stats;
    /** From the write to both servers showing it. */
    both: Stats;
    /** Round trip of the report's MULTI/EXEC as the writer saw it. */
    write: Stats;
    missed: number;
    /** A server that had shown a flip and later showed the state before it again. */
    reverts: number;
    targetP99Ms: number;
    seconds: number;
  };
  capacity: {
    pinnedCore: number | null;
    backendCore: number | null;
    steady: CapacityResult;
    ceiling: CapacityResult;
    seconds: number;
  };
  qps: {
    /** Seconds per measured dnsperf run. */
    runSeconds: number;
    pinnedCore: number | null;
    pool: QpsRun[];
    static: QpsRun[];
    poolQps: number;
    staticQps: number;
    /** Median of pairRatios: a burst of outside load spoils one pair, not the figure. Still noisy on a shared machine: cpuRatio is the steadier one. */
    ratio: number;
    /** Each pool run against the static run just before it. */
    pairRatios: number[];
    /** Mean pool q/s over mean static q/s. */
    ratioOfMeans: number;
    /** Server CPU per answer (all runs of a name together), and static's over pool's: the q/s ratio a full core would give. */
    poolCpuUsPerQuery: number | null;
    staticCpuUsPerQuery: number | null;
    cpuRatio: number | null;
    target: number;
    /** Wall time of the whole q/s part. */
    totalSeconds: number;
  };
}

export interface QpsRun extends PerfResult {
  /** Server CPU time during the run over the queries it answered; null without /proc. */
  cpuUsPerQuery: number | null;
}

/** What the capacity child writes to its --out file. */
export interface CapacityResult {
  targets: number;
  intervalMs: number;
  seconds: number;
  /** Offered probes per second: targets / interval. */
  offeredPerSecond: number;
  /** Scheduler.completed at the end. */
  completed: number;
  ok: number;
  failed: number;
  failReasons: Record<string, number>;
  /** The window the rate and lateness are taken over, in seconds from the start. */
  windowFromS: number;
  windowToS: number;
  windowCompleted: number;
  perSecond: number[];
  /** Probes completed per second within the window, and those that passed. */
  rate: number;
  okRate: number;
  /** Probe start minus its scheduled time (previous probe's end + interval), for probes started in the window. */
  lateness: Stats & { over100ms: number };
  /** CPU time of the prober process within the window, as a share of one core. */
  cpuShare: number;
  eventLoopDelay: { p50: number; p99: number; max: number };
}

// ---------------------------------------------------------------- small helpers

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const round1 = (n: number): number => Math.round(n * 10) / 10;
const round3 = (n: number): number => Math.round(n * 1000) / 1000;

function statsOf(values: ReadonlyArray<number | null>): Stats {
  const v = Float64Array.from(values.filter((x): x is number => x !== null && Number.isFinite(x))).sort();
  const at = (p: number): number => (v.length ? v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))]! : NaN);
  // Median of an even count: the mean of the two middle values.
  const median = v.length === 0 ? NaN : v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
  return { n: v.length, median: round3(median), p99: round3(at(99)), max: round3(v.length ? v[v.length - 1]! : NaN) };
}

const sec = (ms: number): string => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : '-');
const msText = (ms: number): string => (Number.isFinite(ms) ? `${ms.toFixed(ms < 10 ? 2 : 1)} ms` : '-');
const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');

function log(text: string): void {
  process.stdout.write(text);
}

async function waitLine(proc: Proc, re: RegExp, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!proc.tail.some((l) => re.test(l))) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw await proc.deathNote();
    if (Date.now() > until) throw new Error(`${proc.name}: no ${re} within ${timeoutMs} ms:\n${proc.tail.join('\n')}`);
    await sleep(20);
  }
}

/** `pulsedns check` on a zones directory we wrote: a mistake here should say so, not time out later. */
function checkZones(dir: string): void {
  const r = spawnSync(process.execPath, [CLI, 'check', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pulsedns check ${dir} failed:\n${r.stdout}${r.stderr}`);
}

/** CPU time (user + system) a process has used so far, in ms; null where /proc is not there. */
function cpuMsOf(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    // Fields after the parenthesised command name start at field 3 (state); utime and stime are fields 14 and 15.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- DNS over UDP

interface Answer {
  rcode: number;
  addresses: string[];
}

/** One UDP socket, many servers: queries matched to answers by id. */
class Asker {
  private readonly sock = dgram.createSocket('udp4');
  private nextId = Math.floor(Math.random() * 65536);
  private readonly pending = new Map<number, (b: Buffer | null) => void>();

  async open(): Promise<void> {
    this.sock.on('message', (m) => {
      if (m.length < 12) return;
      const done = this.pending.get(m.readUInt16BE(0));
      if (done) {
        this.pending.delete(m.readUInt16BE(0));
        done(m);
      }
    });
    this.sock.on('error', () => undefined);
    await new Promise<void>((r) => this.sock.bind(0, '127.0.0.1', () => r()));
  }

  /** The A records of `name` from the server on 127.0.0.1:`port`, or null on a timeout. */
  ask(port: number, name: string, timeoutMs = 500): Promise<Answer | null> {
    let id = this.nextId;
    while (this.pending.has(id)) id = (id + 1) & 0xffff;
    this.nextId = (id + 1) & 0xffff;
    return new Promise((resolveAnswer) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolveAnswer(null);
      }, timeoutMs);
      this.pending.set(id, (buf) => {
        clearTimeout(timer);
        if (!buf) return resolveAnswer(null);
        try {
          const m = parseMessage(buf);
          resolveAnswer({ rcode: m.rcode, addresses: m.answer.filter((rr) => rr.type === 1).map((rr) => rr.data) });
        } catch {
          resolveAnswer(null);
        }
      });
      this.sock.send(buildQuery(name, 'A', { id }), port, '127.0.0.1');
    });
  }

  close(): void {
    for (const done of this.pending.values()) done(null);
    this.pending.clear();
    this.sock.close();
  }
}

/**
 * Asks every `everyMs` until `done(answer)` holds; returns ms since `t0`
 * (performance.now()) at the answer that showed it, or null after `capMs`.
 */
async function pollUntil(asker: Asker, port: number, name: string, done: (a: Answer) => boolean, t0: number, everyMs: number, capMs: number, onOther?: (a: Answer | null) => void): Promise<number | null> {
  for (;;) {
    const a = await asker.ask(port, name, 250);
    const now = performance.now();
    if (a && done(a)) return now - t0;
    onOther?.(a);
    if (now - t0 > capMs) return null;
    await sleep(everyMs);
  }
}

// ---------------------------------------------------------------- processes we start

interface Backend {
  address: string;
  port: number;
  proc: Proc;
}

async function startBackend(kit: BenchKit, address: string, port: number, core: number | null): Promise<Backend> {
  const [cmd, args] = kit.pinned(kit.taskset, core, process.execPath, [SELF, 'backend', '--host', address, '--port', String(port)]);
  const proc = kit.launch(`http backend ${address}:${port}`, cmd, args);
  await waitLine(proc, /^listening/, 10_000);
  return { address, port, proc };
}

/** The three backends on one port; a port taken on one of the addresses means trying another. */
async function startBackends(kit: BenchKit): Promise<Backend[]> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort(BACKENDS[0]);
    const started = await Promise.allSettled(BACKENDS.map((a) => startBackend(kit, a, port, null)));
    const ok = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    if (ok.length === BACKENDS.length) return ok;
    await Promise.all(ok.map((b) => b.proc.stop()));
    if (attempt >= 2) throw started.find((s): s is PromiseRejectedResult => s.status === 'rejected')!.reason;
  }
}

interface Server {
  label: string;
  port: number;
  proc: Proc;
}

async function startServe(kit: BenchKit, label: string, zones: string, extra: string[], core: number | null, probeName: string): Promise<Server> {
  const port = await freePort();
  const [cmd, args] = kit.pinned(kit.taskset, core, process.execPath,
    [CLI, 'serve', '--zones', zones, '--listen', `127.0.0.1:${port}`, '--workers', '1', '--state-dir', 'off', ...extra]);
  const proc = kit.launch(label, cmd, args);
  const asker = new Asker();
  await asker.open();
  try {
    const until = Date.now() + 20_000;
    for (;;) {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw await proc.deathNote();
      const a = await asker.ask(port, probeName, 300);
      if (a && a.rcode === 0 && a.addresses.length > 0) break;
      if (Date.now() > until) throw new Error(`${label} did not answer ${probeName} within 20 s:\n${proc.tail.join('\n')}`);
      await sleep(100);
    }
  } finally {
    asker.close();
  }
  return { label, port, proc };
}

// ---------------------------------------------------------------- zones

function writeFailoverZones(dir: string, backendPort: number): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${FO_ZONE}.yaml`), [
    '# Generated by bench/failover.ts.',
    'ttl: 300',
    'records:',
    "  '@':",
    '    - type: SOA',
    '      value: { mname: ns1, rname: hostmaster, serial: 1, refresh: 7200, retry: 3600, expire: 1209600, minimum: 300 }',
    '    - type: NS',
    '      values: [ns1]',
    '  ns1: { type: A, value: 192.0.2.1 }',
    '  # Pool-backed: the healthy members of "web".',
    '  www: { type: A, pool: web }',
    '  # The same three addresses as plain data, for the q/s comparison.',
    '  static:',
    '    type: A',
    `    values: [${BACKENDS.join(', ')}]`,
    '',
  ].join('\n'));
  writeFileSync(join(dir, '_pools.yaml'), [
    'checks:',
    '  web-http:',
    '    type: http',
    `    port: ${backendPort}`,
    '    path: /healthz',
    `    interval: ${CHECK.intervalMs}ms`,
    `    timeout: ${CHECK.timeoutMs}ms`,
    `    fall: ${CHECK.fall}`,
    `    rise: ${CHECK.rise}`,
    'pools:',
    '  web:',
    '    check: web-http',
    '    policy: all',
    `    members: [${BACKENDS.join(', ')}]`,
    '',
  ].join('\n'));
  checkZones(dir);
}

function writePropagationZones(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${PROP_ZONE}.yaml`), [
    '# Generated by bench/failover.ts.',
    'ttl: 300',
    'records:',
    "  '@':",
    '    - type: SOA',
    '      value: { mname: ns1, rname: hostmaster, serial: 1, refresh: 7200, retry: 3600, expire: 1209600, minimum: 300 }',
    '    - type: NS',
    '      values: [ns1]',
    '  ns1: { type: A, value: 192.0.2.1 }',
    '  flip: { type: A, pool: flip }',
    '',
  ].join('\n'));
  // Nobody probes this check: the member states come from reports the bench writes.
  writeFileSync(join(dir, '_pools.yaml'), [
    'checks:',
    `  ${PROP_CHECK}:`,
    '    type: tcp',
    '    port: 9',
    `    interval: ${PROP_INTERVAL_MS}ms`,
    'pools:',
    '  flip:',
    `    check: ${PROP_CHECK}`,
    '    policy: all',
    `    members: [${PROP_A}, ${PROP_B}]`,
    '',
  ].join('\n'));
  checkZones(dir);
}

// ---------------------------------------------------------------- 1. failover time

interface FailoverSetup {
  backends: Backend[];
  embedded: Server;
  redisServers: Server[];
  prober: Proc;
}

async function failoverTime(kit: BenchKit, setup: FailoverSetup, reps: number): Promise<FailoverReport['failoverTime']> {
  const started = performance.now();
  const asker = new Asker();
  await asker.open();
  const name = `www.${FO_ZONE}`;
  const all = [setup.embedded, ...setup.redisServers];
  const kills: FailoverKill[] = [];
  try {
    // Every server answers with all three before the first kill.
    for (const s of all) {
      const t = await pollUntil(asker, s.port, name, (a) => a.addresses.length === BACKENDS.length, performance.now(), POLL_MS, FO_CAP_MS);
      if (t === null) throw new Error(`${s.label} does not answer with all of ${BACKENDS.join(', ')}`);
    }
    for (let rep = 0; rep < reps; rep++) {
      const i = rep % setup.backends.length;
      const victim = setup.backends[i]!;
      const others = BACKENDS.filter((a) => a !== victim.address);
      let bad = 0;
      const judge = (a: Answer | null): void => {
        if (!a || a.rcode !== 0 || !others.every((o) => a.addresses.includes(o))) bad++;
      };
      // A random phase against the probe schedule, as a real failure would have.
      await sleep(Math.random() * CHECK.intervalMs);
      log(`    kill ${rep + 1}/${reps}: ${victim.address} ... `);
      const t0 = performance.now();
      victim.proc.child.kill('SIGKILL');
      const down = await Promise.all(all.map((s) => pollUntil(asker, s.port, name, (a) => a.rcode === 0 && !a.addresses.includes(victim.address), t0, POLL_MS, FO_CAP_MS, judge)));
      await victim.proc.stop();
      // Back on its feet: same address and port.
      const back = await startBackend(kit, victim.address, victim.port, null);
      setup.backends[i] = back;
      const t1 = performance.now();
      const up = await Promise.all(all.map((s) => pollUntil(asker, s.port, name, (a) => a.addresses.length === BACKENDS.length, t1, POLL_MS, FO_CAP_MS)));
      const ms = (x: number | null | undefined): number | null => (x === null || x === undefined ? null : Math.round(x));
      // Gone from (or back in) every one of them: the slowest, or null if one never did.
      const slowest = (xs: Array<number | null>): number | null => (xs.some((x) => x === null) ? null : ms(Math.max(...(xs as number[]))));
      const k: FailoverKill = {
        rep: rep + 1,
        victim: victim.address,
        embeddedDownMs: ms(down[0]),
        redisDownMs: down.slice(1).map(ms),
        redisBothDownMs: slowest(down.slice(1)),
        embeddedUpMs: ms(up[0]),
        redisBothUpMs: slowest(up.slice(1)),
        badAnswers: bad,
      };
      kills.push(k);
      const show = (x: number | null): string => (x === null ? `not within ${FO_CAP_MS / 1000} s` : sec(x));
      log(`gone: embedded ${show(k.embeddedDownMs)}, redis ${show(k.redisBothDownMs)}; back: embedded ${show(k.embeddedUpMs)}, redis ${show(k.redisBothUpMs)}\n`);
    }
  } finally {
    asker.close();
  }
  const missed = kills.reduce((n, k) => n + [k.embeddedDownMs, k.redisBothDownMs, k.embeddedUpMs, k.redisBothUpMs].filter((x) => x === null).length, 0);
  return {
    check: CHECK,
    pollMs: POLL_MS,
    downTargetMs: DOWN_TARGET_MS,
    upTargetMs: UP_TARGET_MS,
    kills,
    embeddedDown: statsOf(kills.map((k) => k.embeddedDownMs)),
    redisBothDown: statsOf(kills.map((k) => k.redisBothDownMs)),
    embeddedUp: statsOf(kills.map((k) => k.embeddedUpMs)),
    redisBothUp: statsOf(kills.map((k) => k.redisBothUpMs)),
    missed,
    badAnswers: kills.reduce((n, k) => n + k.badAnswers, 0),
    seconds: round1((performance.now() - started) / 1000),
  };
}

// ---------------------------------------------------------------- 2. propagation through Redis

async function propagation(kit: BenchKit, redis: RedisServer): Promise<FailoverReport['propagation']> {
  const started = performance.now();
  const zones = join(kit.dir, 'failover-prop-zones');
  writePropagationZones(zones);
  const prefix = 'bench-prop:';
  const name = `flip.${PROP_ZONE}`;
  const store = new RedisStore({ url: redis.url, prefix });
  const asker = new Asker();
  await asker.open();
  const servers: Server[] = [];
  const keyA = `${PROP_CHECK}|${PROP_A}`;
  const keyB = `${PROP_CHECK}|${PROP_B}`;
  const report = (up: boolean): VantageReport => {
    const now = Date.now();
    return { vantage: 'bench', up, at: now, intervalMs: PROP_INTERVAL_MS, since: now };
  };
  const perServer: number[] = [];
  const both: Array<number | null> = [];
  const writes: number[] = [];
  let missed = 0;
  let reverts = 0;
  try {
    await store.report(keyA, report(true), true);
    await store.report(keyB, report(true), true);
    for (let i = 0; i < 2; i++) {
      servers.push(await startServe(kit, `pulsedns --redis (propagation ${i + 1})`, zones,
        ['--redis', redis.url, '--redis-prefix', prefix, '--no-probe', '--admin', 'off'], null, name));
    }
    const shows = (up: boolean) => (a: Answer): boolean => a.rcode === 0 && a.addresses.includes(PROP_A) && a.addresses.includes(PROP_B) === up;
    for (const s of servers) {
      if ((await pollUntil(asker, s.port, name, shows(true), performance.now(), 10, 5000)) === null) throw new Error(`${s.label} never answered with both members`);
    }
    log(`    ${PROP_FLIPS} flips of ${PROP_B} through Redis, 2 servers polled every 1 ms ... `);
    let state = true;
    for (let i = 0; i < PROP_FLIPS; i++) {
      // The previous flip must still be in force everywhere: a server that went
      // back to older state would make this flip look instant.
      for (const s of servers) {
        const a = await asker.ask(s.port, name, 250);
        if (!a || !shows(state)(a)) {
          reverts++;
          await pollUntil(asker, s.port, name, shows(state), performance.now(), 5, 8000);
        }
      }
      state = !state;
      const next = report(state);
      const t0 = performance.now();
      const written = store.report(keyB, next, true).then(() => performance.now() - t0, () => NaN);
      const seen = await Promise.all(servers.map((s) => pollUntil(asker, s.port, name, shows(state), t0, 1, PROP_CAP_MS)));
      writes.push(await written);
      for (const x of seen) {
        if (x === null) missed++;
        else perServer.push(x);
      }
      both.push(seen.some((x) => x === null) ? null : Math.max(...(seen as number[])));
      // Let the flips land at varied moments against the servers' timers.
      await sleep(5 + Math.random() * 15);
    }
  } finally {
    asker.close();
    await Promise.all(servers.map((s) => s.proc.stop()));
    await store.close();
  }
  const result = {
    flips: PROP_FLIPS,
    perServer: statsOf(perServer),
    both: statsOf(both),
    write: statsOf(writes),
    missed,
    reverts,
    targetP99Ms: PROP_TARGET_P99_MS,
    seconds: round1((performance.now() - started) / 1000),
  };
  log(`p50 ${msText(result.both.median)}, p99 ${msText(result.both.p99)}\n`);
  return result;
}

// ---------------------------------------------------------------- 3. prober capacity

async function capacityRun(kit: BenchKit, backendPort: number, opts: { targets: number; intervalMs: number; seconds: number; batches: number; windowFromS: number }): Promise<CapacityResult> {
  const out = join(kit.dir, `capacity-${opts.intervalMs}.json`);
  const [cmd, args] = kit.pinned(kit.taskset, kit.taskset ? 0 : null, process.execPath, [SELF, 'capacity',
    '--host', '127.0.0.1', '--port', String(backendPort), '--targets', String(opts.targets), '--interval', String(opts.intervalMs),
    '--seconds', String(opts.seconds), '--batches', String(opts.batches), '--window-from', String(opts.windowFromS), '--out', out]);
  const proc = kit.launch(`prober capacity (${opts.targets} checks every ${opts.intervalMs} ms)`, cmd, args);
  await Promise.race([proc.exited, sleep((opts.seconds + 20) * 1000)]);
  const finished = proc.child.exitCode === 0;
  await proc.stop();
  if (!finished) throw new Error(`${proc.name} did not finish:\n${proc.tail.join('\n')}`);
  return JSON.parse(readFileSync(out, 'utf8')) as CapacityResult;
}

async function capacity(kit: BenchKit): Promise<FailoverReport['capacity']> {
  const started = performance.now();
  const cores = kit.taskset ? 1 : null;
  const port = await freePort('127.0.0.1');
  const backend = await startBackend(kit, '127.0.0.1', port, cores);
  try {
    log(`    ${CAP_TARGETS} http checks every ${CAP_INTERVAL_MS / 1000} s for ${CAP_SECONDS} s${kit.taskset ? ' on core 0 (backend on core 1)' : ''} ... `);
    // Added in batches over one interval: each batch's first probes spread
    // over a second, so the load is an even 1,000/s from the start.
    const steady = await capacityRun(kit, port, { targets: CAP_TARGETS, intervalMs: CAP_INTERVAL_MS, seconds: CAP_SECONDS, batches: CAP_INTERVAL_MS / 1000, windowFromS: CAP_INTERVAL_MS / 1000 });
    log(`${int(steady.rate)}/s, lateness p99 ${msText(steady.lateness.p99)}\n`);
    log(`    ceiling: the same checks every ${CEIL_INTERVAL_MS / 1000} s for ${CEIL_SECONDS} s ... `);
    const ceiling = await capacityRun(kit, port, { targets: CAP_TARGETS, intervalMs: CEIL_INTERVAL_MS, seconds: CEIL_SECONDS, batches: 1, windowFromS: CEIL_WINDOW_FROM_S });
    log(`${int(ceiling.okRate)}/s\n`);
    return { pinnedCore: kit.taskset ? 0 : null, backendCore: cores, steady, ceiling, seconds: round1((performance.now() - started) / 1000) };
  } finally {
    await backend.proc.stop();
  }
}

/** The capacity child: the Scheduler, a MemoryStore and real HTTP probes, in one process. */
async function capacityChild(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string' }, port: { type: 'string' }, targets: { type: 'string' }, interval: { type: 'string' },
      seconds: { type: 'string' }, batches: { type: 'string' }, 'window-from': { type: 'string' }, out: { type: 'string' },
    },
  });
  const host = values.host ?? '127.0.0.1';
  const port = Number(values.port);
  const n = Number(values.targets);
  const intervalMs = Number(values.interval);
  const seconds = Number(values.seconds);
  const batches = Math.max(1, Number(values.batches ?? 1));
  const windowFromS = Number(values['window-from'] ?? 0);
  const out = values.out;
  if (!out || ![port, n, intervalMs, seconds].every((x) => Number.isFinite(x) && x > 0)) throw new Error('capacity: bad arguments');

  const t0 = performance.now();
  const windowFrom = t0 + windowFromS * 1000;
  const windowTo = t0 + seconds * 1000;
  const lastEnd = new Float64Array(n).fill(NaN);
  const lateness: number[] = [];
  const perSecond = new Array<number>(Math.ceil(seconds) + 1).fill(0);
  let windowCompleted = 0;
  let windowOk = 0;
  let ok = 0;
  let failed = 0;
  const reasons = new Map<string, number>();
  let cpuAtWindow: NodeJS.CpuUsage | undefined;
  const eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });

  // The real probe, timed: its start against the schedule, its end for the next one's schedule.
  const probe = async (address: string, check: CheckSpec, signal: AbortSignal): Promise<ProbeResult> => {
    const i = Number(check.name.slice(1));
    const start = performance.now();
    const prev = lastEnd[i]!;
    // With no jitter the scheduler sets the next probe exactly one interval after this one's result.
    if (!Number.isNaN(prev) && start >= windowFrom && start <= windowTo) lateness.push(start - (prev + check.intervalMs));
    const r = await runProbe(address, check, signal);
    const end = performance.now();
    lastEnd[i] = end;
    if (end <= windowTo) {
      perSecond[Math.floor((end - t0) / 1000)]!++;
      if (end >= windowFrom) {
        windowCompleted++;
        if (r.ok) windowOk++;
      }
      if (r.ok) ok++;
      else {
        failed++;
        const why = (r.reason ?? 'unknown').replace(/\d+/g, 'N');
        reasons.set(why, (reasons.get(why) ?? 0) + 1);
      }
    }
    return r;
  };

  const checks: CheckSpec[] = [];
  for (let i = 0; i < n; i++) {
    checks.push({ name: `c${i}`, type: 'http', port, path: '/healthz', intervalMs, timeoutMs: CAP_TIMEOUT_MS, fall: 3, rise: 2 });
  }
  // One probe runs per unique (check, address): distinct check names on one address are distinct targets.
  const targets: Target[] = checks.map((check) => ({ address: host, check }));
  const scheduler = new Scheduler({ vantage: 'bench', store: new MemoryStore(), log: pino({ level: 'silent' }), probe, jitter: 0 });

  const windowTimer = setTimeout(() => {
    cpuAtWindow = process.cpuUsage();
    eld.enable();
  }, Math.max(0, windowFrom - performance.now()));
  for (let b = 1; b <= batches; b++) {
    scheduler.update(targets.slice(0, Math.round((b * n) / batches)));
    if (b < batches) await sleep(intervalMs / batches);
  }
  await sleep(Math.max(0, windowTo - performance.now()));
  clearTimeout(windowTimer);
  const cpu = process.cpuUsage(cpuAtWindow);
  eld.disable();
  const completed = scheduler.completed;
  scheduler.stop();

  const windowS = (windowTo - windowFrom) / 1000;
  const late = statsOf(lateness);
  const result: CapacityResult = {
    targets: n,
    intervalMs,
    seconds,
    offeredPerSecond: round1(n / (intervalMs / 1000)),
    completed,
    ok,
    failed,
    failReasons: Object.fromEntries([...reasons].sort((a, b) => b[1] - a[1]).slice(0, 5)),
    windowFromS,
    windowToS: seconds,
    windowCompleted,
    perSecond: perSecond.slice(0, Math.ceil(seconds)),
    rate: round1(windowCompleted / windowS),
    okRate: round1(windowOk / windowS),
    lateness: { ...late, over100ms: lateness.filter((x) => x > 100).length },
    cpuShare: round3((cpu.user + cpu.system) / 1000 / (windowS * 1000)),
    eventLoopDelay: {
      p50: round3(Math.max(0, eld.percentile(50) / 1e6 - ELD_RESOLUTION_MS)),
      p99: round3(Math.max(0, eld.percentile(99) / 1e6 - ELD_RESOLUTION_MS)),
      max: round3(Math.max(0, eld.max / 1e6 - ELD_RESOLUTION_MS)),
    },
  };
  writeFileSync(out, JSON.stringify(result) + '\n');
}

/** The backend child: 200 on every request, a fresh connection each time (as the probe asks). */
async function backendChild(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { host: { type: 'string' }, port: { type: 'string' } } });
  const host = values.host ?? '127.0.0.1';
  const port = Number(values.port);
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' });
    res.end('ok\n');
  });
  await new Promise<void>((ready, fail) => {
    server.once('error', fail);
    server.listen({ host, port, backlog: 4096 }, () => ready());
  });
  process.stdout.write(`listening ${host}:${port}\n`);
  process.on('SIGTERM', () => process.exit(0));
}

// ---------------------------------------------------------------- 4. q/s pool-backed vs static

async function qps(kit: BenchKit, zones: string): Promise<FailoverReport['qps']> {
  const started = performance.now();
  const core = kit.taskset ? 0 : null;
  const server = await startServe(kit, 'pulsedns --workers 1 (q/s, core 0)', zones, ['--admin', 'off'], core, `www.${FO_ZONE}`);
  const poolFile = join(kit.dir, 'failover-pool.txt');
  const staticFile = join(kit.dir, 'failover-static.txt');
  writeFileSync(poolFile, `www.${FO_ZONE} A\n`);
  writeFileSync(staticFile, `static.${FO_ZONE} A\n`);
  const pid = server.proc.child.pid;
  // taskset execs the server, so the pid is the server's; CPU time shows its cost per answer
  // even when another process takes part of core 0 (which lowers q/s but not the cost).
  const run = async (file: string, seconds: number): Promise<QpsRun> => {
    const cpu0 = cpuMsOf(pid);
    const r = await kit.dnsperf(kit.taskset, { dir: kit.dir, port: server.port, seconds, file, rate: null, perQuery: false });
    const cpu1 = cpuMsOf(pid);
    return { ...r, cpuUsPerQuery: cpu0 !== null && cpu1 !== null && r.completed > 0 ? round3(((cpu1 - cpu0) * 1000) / r.completed) : null };
  };
  const pool: QpsRun[] = [];
  const stat: QpsRun[] = [];
  try {
    log(`    q/s, www (pool) against static, ${kit.qpsSeconds} s each, alternating ${QPS_ROUNDS} times ... `);
    await run(poolFile, 1);
    for (let round = 0; round < QPS_ROUNDS; round++) {
      stat.push(await run(staticFile, kit.qpsSeconds));
      pool.push(await run(poolFile, kit.qpsSeconds));
    }
  } finally {
    await server.proc.stop();
  }
  const mean = (rs: PerfResult[]): number => Math.round(rs.reduce((s, r) => s + r.qps, 0) / rs.length);
  const cpuPer = (rs: QpsRun[]): number | null => {
    if (rs.some((r) => r.cpuUsPerQuery === null)) return null;
    const queries = rs.reduce((s, r) => s + r.completed, 0);
    return round3(rs.reduce((s, r) => s + r.cpuUsPerQuery! * r.completed, 0) / queries);
  };
  const poolCpu = cpuPer(pool);
  const staticCpu = cpuPer(stat);
  const poolQps = mean(pool);
  const staticQps = mean(stat);
  const pairRatios = pool.map((p, i) => round3(p.qps / stat[i]!.qps));
  log(`pool ${int(poolQps)} q/s, static ${int(staticQps)} q/s, pool/static ${pairRatios.map((x) => `${Math.round(x * 100)}%`).join(' ')}\n`);
  return {
    runSeconds: kit.qpsSeconds,
    pinnedCore: core,
    pool,
    static: stat,
    poolQps,
    staticQps,
    ratio: statsOf(pairRatios).median,
    pairRatios,
    ratioOfMeans: round3(poolQps / staticQps),
    poolCpuUsPerQuery: poolCpu,
    staticCpuUsPerQuery: staticCpu,
    cpuRatio: poolCpu !== null && staticCpu !== null ? round3(staticCpu / poolCpu) : null,
    target: QPS_TARGET_RATIO,
    totalSeconds: round1((performance.now() - started) / 1000),
  };
}

// ---------------------------------------------------------------- entry for run.ts

/** Runs the four failover benchmarks; every process it starts is stopped before it returns. */
export async function runFailoverBench(kit: BenchKit): Promise<FailoverReport> {
  const started = performance.now();
  const reps = kit.quick ? 3 : 5;
  const zones = join(kit.dir, 'failover-zones');
  log(`failover bench: http check every ${CHECK.intervalMs} ms (timeout ${CHECK.timeoutMs} ms, fall ${CHECK.fall}, rise ${CHECK.rise}), backends on ${BACKENDS.join(', ')}\n`);
  const redis = await startRedis();
  let backends: Backend[] = [];
  let result: Omit<FailoverReport, 'seconds'>;
  try {
    backends = await startBackends(kit);
    writeFailoverZones(zones, backends[0]!.port);
    const adminPort = await freePort();
    const name = `www.${FO_ZONE}`;
    // Started side by side; both watch the same kills.
    const [embedded, r1, r2, prober] = await Promise.all([
      startServe(kit, 'pulsedns embedded', zones, ['--admin', `127.0.0.1:${adminPort}`], null, name),
      startServe(kit, 'pulsedns --redis 1', zones, ['--redis', redis.url, '--redis-prefix', 'bench-fo:', '--admin', 'off'], null, name),
      startServe(kit, 'pulsedns --redis 2', zones, ['--redis', redis.url, '--redis-prefix', 'bench-fo:', '--admin', 'off'], null, name),
      (async (): Promise<Proc> => {
        const p = kit.launch('pulsedns probe', process.execPath, [CLI, 'probe', '--redis', redis.url, '--redis-prefix', 'bench-fo:', '--zones', zones, '--vantage', 'bench-prober']);
        await waitLine(p, /"msg":"ready"/, 20_000);
        return p;
      })(),
    ]);
    const setup: FailoverSetup = { backends, embedded, redisServers: [r1, r2], prober };
    log(`  failover time: ${reps} kills, embedded server and 2 servers + 1 prober through redis, DNS polled every ${POLL_MS} ms\n`);
    let failover: FailoverReport['failoverTime'];
    try {
      failover = await failoverTime(kit, setup, reps);
    } finally {
      backends = setup.backends;
      await Promise.all([embedded, r1, r2].map((s) => s.proc.stop()).concat(prober.stop()));
    }
    log('  q/s for a pool-backed name and a static one (embedded server, backends up)\n');
    const q = await qps(kit, zones);
    await Promise.all(backends.map((b) => b.proc.stop()));
    backends = [];
    log('  propagation through redis\n');
    const prop = await propagation(kit, redis);
    log('  prober capacity\n');
    const cap = await capacity(kit);
    result = { date: new Date().toISOString(), failoverTime: failover, propagation: prop, capacity: cap, qps: q };
  } finally {
    await Promise.all(backends.map((b) => b.proc.stop()));
    await redis.stop();
  }
  return { ...result, seconds: round1((performance.now() - started) / 1000) };
}

/** The summary tables, printed by run.ts at the end. */
export function failoverTables(r: FailoverReport, table: BenchKit['table']): string {
  const f = r.failoverTime;
  const within = (xs: Array<number | null>, target: number): string => `${xs.filter((x) => x !== null && x <= target).length}/${xs.length}`;
  const out: string[] = [
    '',
    `Failover benchmarks (${r.seconds} s in all)`,
    '',
    `Failover time (http check: interval ${f.check.intervalMs / 1000} s, timeout ${f.check.timeoutMs} ms, fall ${f.check.fall}, rise ${f.check.rise}; ` +
      `${f.kills.length} kills; DNS polled every ${f.pollMs} ms)`,
    table(['setup', 'event', 'target', 'median', 'max', 'within'], [
      ['embedded (1 server)', 'member killed -> gone', sec(f.downTargetMs), sec(f.embeddedDown.median), sec(f.embeddedDown.max), within(f.kills.map((k) => k.embeddedDownMs), f.downTargetMs)],
      ['redis (2 servers + 1 prober)', 'member killed -> gone from both', sec(f.downTargetMs), sec(f.redisBothDown.median), sec(f.redisBothDown.max), within(f.kills.map((k) => k.redisBothDownMs), f.downTargetMs)],
      ['embedded (1 server)', 'backend back -> answered', sec(f.upTargetMs), sec(f.embeddedUp.median), sec(f.embeddedUp.max), within(f.kills.map((k) => k.embeddedUpMs), f.upTargetMs)],
      ['redis (2 servers + 1 prober)', 'backend back -> in both', sec(f.upTargetMs), sec(f.redisBothUp.median), sec(f.redisBothUp.max), within(f.kills.map((k) => k.redisBothUpMs), f.upTargetMs)],
    ]),
  ];
  if (f.badAnswers) out.push(`note: ${f.badAnswers} answers during the kills lacked a healthy member or were not NOERROR`);
  const p = r.propagation;
  out.push('', `Propagation through Redis (report written -> answer changed; ${p.flips} flips, 2 servers, polled every 1 ms)`, table(
    ['measure', 'n', 'p50', 'p99', 'max'],
    [
      ['per server', String(p.perServer.n), msText(p.perServer.median), msText(p.perServer.p99), msText(p.perServer.max)],
      ['both servers', String(p.both.n), msText(p.both.median), msText(p.both.p99), msText(p.both.max)],
      ['writer MULTI/EXEC round trip', String(p.write.n), msText(p.write.median), msText(p.write.p99), msText(p.write.max)],
    ],
  ), `target p99 < ${p.targetP99Ms} ms: ${p.both.p99 < p.targetP99Ms && p.missed === 0 ? 'met' : 'NOT met'}; missed ${p.missed}, reverted ${p.reverts}`);
  const c = r.capacity;
  const capRow = (label: string, x: CapacityResult): string[] => [label, int(x.offeredPerSecond), int(x.rate), int(x.okRate), `${x.windowFromS}-${x.windowToS} s`,
    msText(x.lateness.median), msText(x.lateness.p99), msText(x.lateness.max), msText(x.eventLoopDelay.p99), `${Math.round(x.cpuShare * 100)}%`];
  out.push('', `Prober capacity (${int(c.steady.targets)} http checks, Scheduler + MemoryStore${c.pinnedCore !== null ? ', one process on core 0, backend on core 1' : ''})`, table(
    ['run', 'offered/s', 'probes/s', 'passed/s', 'window', 'late p50', 'late p99', 'late max', 'loop lag p99', 'cpu'],
    [capRow(`every ${c.steady.intervalMs / 1000} s`, c.steady), capRow(`every ${c.ceiling.intervalMs / 1000} s (ceiling)`, c.ceiling)],
  ));
  const q = r.qps;
  const pct = (x: number): string => `${(x * 100).toFixed(0)}%`;
  const runs = q.static.map((_, i) => `run ${i + 1}`);
  out.push('', `UDP q/s, pool-backed name against static name (pulsedns --workers 1${q.pinnedCore !== null ? ' on core 0' : ''}, ${q.runSeconds} s runs, alternating)`, table(
    ['name', ...runs, 'mean q/s'],
    [
      ['static.fo.test A (3 addresses)', ...q.static.map((r) => int(r.qps)), int(q.staticQps)],
      ['www.fo.test A (pool of 3)', ...q.pool.map((r) => int(r.qps)), int(q.poolQps)],
      ['pool / static', ...q.pairRatios.map(pct), pct(q.ratioOfMeans)],
    ],
  ), `q/s: pool-backed at ${pct(q.ratio)} of static (median of the run-by-run ratios)`);
  if (q.cpuRatio !== null) {
    out.push(`server CPU per answer: static ${q.staticCpuUsPerQuery} us, pool-backed ${q.poolCpuUsPerQuery} us, ` +
      `so on a full core pool-backed answers ${pct(q.cpuRatio)} of static's q/s`);
  }
  // CPU per answer holds steady when other work takes part of the core; q/s does not, so it decides.
  const decisive = q.cpuRatio ?? q.ratio;
  out.push(`target: pool-backed within ${Math.round((1 - q.target) * 100)}% of static: ${decisive >= q.target ? 'met' : 'NOT met'} ` +
    `(${q.cpuRatio !== null ? 'by CPU per answer' : 'by q/s'})`);
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------- helper process entry

if (process.argv[1] !== undefined && resolve(process.argv[1]) === SELF) {
  const [mode, ...rest] = process.argv.slice(2);
  // Whatever happens to the parent, a helper does not outlive the benchmark by much.
  setTimeout(() => process.exit(3), CHILD_MAX_SECONDS * 1000).unref();
  const run = mode === 'backend' ? backendChild(rest) : mode === 'capacity' ? capacityChild(rest).then(() => process.exit(0)) : Promise.reject(new Error(`unknown mode ${mode ?? ''}`));
  run.catch((e: unknown) => {
    process.stderr.write(`bench/failover ${mode ?? ''}: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  });
}
