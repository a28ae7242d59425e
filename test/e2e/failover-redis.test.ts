// Health-checked pools end to end, distributed mode: a real redis-server,
// DNS servers started with `serve --redis` (they only read health) and
// probers started with `probe --redis` (they only write it). Backends are
// node:http servers on their own 127.0.0.x address; probers bind their probe
// connections to their own --source address so a backend can answer each
// vantage differently (req.socket.remoteAddress).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { CLI, startPulse, type Spawned } from '../support/server.js';
import { startProber, type Prober } from '../support/prober.js';
import { query } from '../support/client.js';
import { Backend, DOWN_BOUND_MS, FAST, UP_BOUND_MS, portFreeOn, sleep, waitFor, fastHttpCheck } from '../support/backends.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { needTool } from '../support/tools.js';

const { INTERVAL_MS, FALL, RISE, TTL, DEGRADED_TTL } = FAST;
/** verdict.ts: a vantage silent for this many intervals no longer votes. */
const STALE_INTERVALS = 3;

const X = '127.0.0.41';
const Y = '127.0.0.42';
const Z = '127.0.0.43';
const MEMBERS = [X, Y, Z];
const SOURCES = ['127.0.0.31', '127.0.0.32', '127.0.0.33'];
const ZONE = 'pulse.test';

// ---------------------------------------------------------------- helpers

const PORT = await portFreeOn(MEMBERS);
const backends = new Map(MEMBERS.map((a) => [a, new Backend(a, PORT)]));
const be = (a: string): Backend => backends.get(a)!;

const CHECKS = `${fastHttpCheck(PORT)}pools:
  web:
    check: web-http
    policy: all
    members: [${MEMBERS.join(', ')}]
    ttl: ${TTL}
    degraded_ttl: ${DEGRADED_TTL}
`;

const ZONE_TEXT = `records:
  '@':
    - { type: SOA, value: { mname: ns1, rname: hostmaster, serial: 1 } }
    - { type: NS, value: ns1 }
  ns1: { type: A, value: 192.0.2.53 }
  www: { type: A, pool: web }
`;

const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
  await Promise.all([...backends.values()].map((b) => b.kill()));
});

interface Cluster {
  redis: RedisServer;
  dir: string;
  servers: Spawned[];
  probers: Prober[];
}

/**
 * A redis-server, a zones dir, two `serve --redis` servers and probers
 * (one per entry: vantage name and optional source); all stopped after the test.
 */
async function cluster(t: TestContext, probers: Array<{ vantage: string; source?: string }>): Promise<Cluster | undefined> {
  if (!needTool(t, 'redis-server')) return undefined;
  for (const b of backends.values()) {
    b.status = 200;
    b.decide = undefined;
    await b.start();
  }
  const redis = await startRedis();
  const stopRedis = (): Promise<void> => redis.stop().catch(() => undefined);
  cleanups.push(stopRedis);
  const dir = mkdtempSync(join(tmpdir(), 'pulse-redis-failover-'));
  const rmDir = (): void => rmSync(dir, { recursive: true, force: true });
  cleanups.push(rmDir);
  writeFileSync(join(dir, '_pools.yaml'), CHECKS);
  writeFileSync(join(dir, `${ZONE}.yaml`), ZONE_TEXT);
  const c: Cluster = { redis, dir, servers: [], probers: [] };
  const stopAll = async (): Promise<void> => {
    await Promise.all([...c.servers.map((s) => s.stop()), ...c.probers.map((p) => p.stop())]);
    await stopRedis();
    rmDir();
  };
  cleanups.push(stopAll);
  t.after(stopAll);
  const since = Date.now();
  for (const p of probers) c.probers.push(await startProber(dir, redis.url, p.vantage, p.source));
  for (let i = 0; i < 2; i++) c.servers.push(await startPulse(dir, ['--redis', redis.url]));
  await waitFor('first probes from every vantage', () => MEMBERS.every((m) => be(m).hitsSince(since) >= 2 * probers.length), 5000);
  await waitFor('both servers answering every member', async () => (await answers(c)).every((a) => a.sorted === set(...MEMBERS)), 5000);
  return c;
}

interface Answer {
  rcode: number;
  addrs: string[];
  sorted: string;
  ttl: number | undefined;
}

async function ask(s: Spawned): Promise<Answer> {
  const m = await query(s, `www.${ZONE}`, 'A');
  const addrs = m.answer.filter((r) => r.type === 1).map((r) => r.data);
  return { rcode: m.rcode, addrs, sorted: [...addrs].sort().join(','), ttl: m.answer[0]?.ttl };
}

/** One answer from each server, asked at the same moment. */
function answers(c: Cluster): Promise<Answer[]> {
  return Promise.all(c.servers.map((s) => ask(s)));
}

const set = (...a: string[]): string => [...a].sort().join(',');

/**
 * Ms from `from` until each server answers `want` (polled together), then
 * checks that both keep answering it and agree.
 */
async function timeUntilBoth(c: Cluster, want: string, bound: number, what: string, from = Date.now()): Promise<number[]> {
  const reached: Array<number | undefined> = c.servers.map(() => undefined);
  let last: Answer[] = [];
  await waitFor(() => `${what} (want ${want}; last: ${last.map((a) => `rcode ${a.rcode} ${a.sorted}`).join(' / ')})`, async () => {
    last = await answers(c);
    last.forEach((a, i) => {
      if (reached[i] === undefined && a.rcode === 0 && a.sorted === want) reached[i] = Date.now() - from;
    });
    return reached.every((r) => r !== undefined);
  }, bound + 4000, 20);
  for (let i = 0; i < 5; i++) {
    const now = await answers(c);
    assert.deepEqual(now.map((a) => a.sorted), c.servers.map(() => want), `${what}: the servers disagree or went back`);
  }
  return reached as number[];
}

interface StatusJson {
  store: { healthy: boolean };
  pools: Array<{
    name: string;
    members: Array<{ address: string; state: string; verdict: { up: boolean; freshVantages: number; downVotes: number } | null; vantages: Array<{ vantage: string; up: boolean; stale: boolean }> }>;
  }>;
}

async function status(s: Spawned): Promise<StatusJson> {
  const res = await fetch(`${s.admin}/status`, { signal: AbortSignal.timeout(3000) });
  return (await res.json()) as StatusJson;
}

function memberStatus(st: StatusJson, address: string): StatusJson['pools'][number]['members'][number] {
  return st.pools.find((p) => p.name === 'web')!.members.find((m) => m.address === address)!;
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 10_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

// ---------------------------------------------------------------- tests

test('two servers, one prober: a killed backend leaves both servers within interval x fall + 1 s, and returns to both', async (t) => {
  const c = await cluster(t, [{ vantage: 'p1' }]);
  if (!c) return;
  const killedAt = Date.now();
  await be(Y).kill();
  const down = await timeUntilBoth(c, set(X, Z), DOWN_BOUND_MS, `${Y} leaving both servers`, killedAt);
  t.diagnostic(`killed -> out of answers on server 1 after ${down[0]} ms, server 2 after ${down[1]} ms (bound ${DOWN_BOUND_MS} ms)`);
  for (const ms of down) assert.ok(ms <= DOWN_BOUND_MS, `took ${ms} ms, bound ${DOWN_BOUND_MS} ms`);
  for (const a of await answers(c)) assert.equal(a.ttl, DEGRADED_TTL);

  const restartedAt = Date.now();
  await be(Y).start();
  const up = await timeUntilBoth(c, set(X, Y, Z), UP_BOUND_MS, `${Y} returning to both servers`, restartedAt);
  t.diagnostic(`restarted -> back on server 1 after ${up[0]} ms, server 2 after ${up[1]} ms (bound ${UP_BOUND_MS} ms)`);
  for (const ms of up) assert.ok(ms <= UP_BOUND_MS, `took ${ms} ms, bound ${UP_BOUND_MS} ms`);
  for (const a of await answers(c)) assert.equal(a.ttl, TTL);
});

test('quorum of three probers: one vantage seeing 503 does not take a member down; two do', async (t) => {
  const c = await cluster(t, SOURCES.map((source, i) => ({ vantage: `v${i + 1}`, source })));
  if (!c) return;
  // Each vantage's probes really come from its own --source.
  const since = Date.now() - 1000;
  for (const src of SOURCES) assert.ok(be(X).hitsSince(since, { from: src }) >= 1, `no probe of ${X} from ${src}: ${JSON.stringify(be(X).hits.slice(-6))}`);

  be(X).decide = (from) => (from === SOURCES[0] ? 503 : 200);
  const oneAt = Date.now();
  await waitFor('v1 reporting X down while v2 and v3 report up', async () => {
    const m = memberStatus(await status(c.servers[0]!), X);
    return m.vantages.length === 3 && m.vantages.filter((v) => !v.up && !v.stale).map((v) => v.vantage).join() === 'v1' && m.vantages.filter((v) => v.up && !v.stale).length === 2;
  }, DOWN_BOUND_MS + 3000);
  // Hold a while longer: the minority must never take it out.
  const holdUntil = Math.max(Date.now() + 1000, oneAt + DOWN_BOUND_MS + 500);
  while (Date.now() < holdUntil) {
    for (const a of await answers(c)) assert.equal(a.sorted, set(...MEMBERS), 'one vantage of three must not take a member down');
    await sleep(50);
  }
  for (const s of c.servers) {
    const m = memberStatus(await status(s), X);
    assert.equal(m.state, 'up');
    assert.deepEqual({ up: m.verdict?.up, fresh: m.verdict?.freshVantages, down: m.verdict?.downVotes }, { up: true, fresh: 3, down: 1 });
  }

  const twoAt = Date.now();
  be(X).decide = (from) => (from === SOURCES[0] || from === SOURCES[1] ? 503 : 200);
  const down = await timeUntilBoth(c, set(Y, Z), DOWN_BOUND_MS, 'X leaving once two of three vantages see it fail', twoAt);
  t.diagnostic(`2 of 3 vantages failing -> out on server 1 after ${down[0]} ms, server 2 after ${down[1]} ms (bound ${DOWN_BOUND_MS} ms)`);
  for (const ms of down) assert.ok(ms <= DOWN_BOUND_MS, `took ${ms} ms, bound ${DOWN_BOUND_MS} ms`);
  const m = memberStatus(await status(c.servers[1]!), X);
  assert.deepEqual({ up: m.verdict?.up, down: m.verdict?.downVotes }, { up: false, down: 2 });

  be(X).decide = undefined;
  await timeUntilBoth(c, set(...MEMBERS), UP_BOUND_MS, 'X back once every vantage sees it healthy');
});

test('redis killed: both servers keep answering from their last view; restarted: a later change reaches both', async (t) => {
  const c = await cluster(t, [{ vantage: 'p1' }]);
  if (!c) return;
  be(Y).status = 503;
  await timeUntilBoth(c, set(X, Z), DOWN_BOUND_MS, `${Y} leaving before the outage`);

  const outageAt = Date.now();
  await c.redis.stop();
  // Long past staleness (3 intervals) of every report the servers hold.
  let n = 0;
  while (Date.now() < outageAt + INTERVAL_MS * STALE_INTERVALS * 3) {
    const as = await answers(c);
    for (const a of as) {
      assert.equal(a.rcode, 0, 'still answering while redis is down');
      assert.equal(a.sorted, set(X, Z), 'answers from the last view while redis is down');
    }
    n++;
    await sleep(50);
  }
  t.diagnostic(`${n * 2} queries answered from the last view during the outage`);
  for (const s of c.servers) assert.equal((await status(s)).store.healthy, false, 'status says the store is unreachable');
  assert.ok(c.servers.every((s) => s.output.some((l) => /redis unreachable/.test(l))), 'servers log that redis is unreachable');

  // Restarted empty on the same port: the prober writes its view again and
  // both servers resync from it.
  const restartAt = Date.now();
  await c.redis.restart();
  await waitFor('both servers reconnected', async () => (await Promise.all(c.servers.map((s) => status(s)))).every((st) => st.store.healthy), 8000);
  t.diagnostic(`servers reconnected ${Date.now() - restartAt} ms after redis restarted`);
  // (Whether ${Y} flickers back in between is the next test's subject.)
  await timeUntilBoth(c, set(X, Z), INTERVAL_MS + 1000, 'the prober\'s view restored after the restart');

  // A change after the restart reaches both servers.
  const killedAt = Date.now();
  await be(Z).kill();
  const down = await timeUntilBoth(c, set(X), DOWN_BOUND_MS, `${Z} leaving after the redis restart`, killedAt);
  t.diagnostic(`after the redis restart: killed -> out on server 1 after ${down[0]} ms, server 2 after ${down[1]} ms`);
  for (const ms of down) assert.ok(ms <= DOWN_BOUND_MS, `took ${ms} ms, bound ${DOWN_BOUND_MS} ms`);
  be(Y).status = 200;
  await be(Z).start();
  await timeUntilBoth(c, set(...MEMBERS), UP_BOUND_MS, 'all back after the redis restart');
});

test('a prober killed: once its reports are stale the remaining two decide', async (t) => {
  const c = await cluster(t, SOURCES.map((source, i) => ({ vantage: `v${i + 1}`, source })));
  if (!c) return;
  // Y fails for v2 and v3: down, two votes of three.
  be(Y).decide = (from) => (from === SOURCES[1] || from === SOURCES[2] ? 503 : 200);
  await timeUntilBoth(c, set(X, Z), DOWN_BOUND_MS, 'Y down on two votes of three');

  const killedAt = Date.now();
  await c.probers[2]!.kill();
  // v3's down vote expires after 3 intervals; v1 (up) and v2 (down) tie, and a tie stays up.
  const back = await timeUntilBoth(c, set(...MEMBERS), INTERVAL_MS * STALE_INTERVALS + 1000, 'the dead prober\'s vote expiring', killedAt);
  t.diagnostic(`prober killed -> its vote dropped after ${back[0]} / ${back[1]} ms (stale after ${INTERVAL_MS * STALE_INTERVALS} ms)`);
  // Its last report may be up to one interval (+10% jitter) older than the kill.
  const earliest = INTERVAL_MS * STALE_INTERVALS - INTERVAL_MS * 1.1 - 50;
  for (const ms of back) assert.ok(ms >= earliest, `the dead prober's vote stopped counting after only ${ms} ms (earliest ${earliest} ms)`);
  for (const s of c.servers) {
    const m = memberStatus(await status(s), Y);
    assert.equal(m.vantages.find((v) => v.vantage === 'v3')?.stale, true, 'status marks the dead vantage stale');
    assert.deepEqual({ fresh: m.verdict?.freshVantages, down: m.verdict?.downVotes, up: m.verdict?.up }, { fresh: 2, down: 1, up: true });
  }

  // The two left still take a member down on their own, and bring it back.
  be(Y).decide = undefined;
  const killed2 = Date.now();
  await be(X).kill();
  const down = await timeUntilBoth(c, set(Y, Z), DOWN_BOUND_MS, 'X leaving on the two remaining vantages', killed2);
  t.diagnostic(`two probers left: killed -> out after ${down[0]} / ${down[1]} ms (bound ${DOWN_BOUND_MS} ms)`);
  for (const ms of down) assert.ok(ms <= DOWN_BOUND_MS, `took ${ms} ms, bound ${DOWN_BOUND_MS} ms`);
  const m = memberStatus(await status(c.servers[0]!), X);
  assert.deepEqual({ fresh: m.verdict?.freshVantages, down: m.verdict?.downVotes }, { fresh: 2, down: 2 });
  const restarted = Date.now();
  await be(X).start();
  const up = await timeUntilBoth(c, set(...MEMBERS), UP_BOUND_MS, 'X back on the two remaining vantages', restarted);
  for (const ms of up) assert.ok(ms <= UP_BOUND_MS, `took ${ms} ms, bound ${UP_BOUND_MS} ms`);
});

/** Answer-set changes seen on each server while polling for `ms`, and the shortest gap between two changes. */
async function watchChanges(c: Cluster, ms: number): Promise<{ changes: number[]; minGap: number; samples: number }> {
  const last: Array<string | undefined> = c.servers.map(() => undefined);
  const lastChange: Array<number | undefined> = c.servers.map(() => undefined);
  const changes = c.servers.map(() => 0);
  let minGap = Infinity;
  let samples = 0;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const as = await answers(c);
    const now = Date.now();
    as.forEach((a, i) => {
      assert.equal(a.rcode, 0);
      if (last[i] !== undefined && a.sorted !== last[i]) {
        changes[i]!++;
        if (lastChange[i] !== undefined) minGap = Math.min(minGap, now - lastChange[i]!);
        lastChange[i] = now;
      }
      last[i] = a.sorted;
    });
    samples++;
    await sleep(25);
  }
  return { changes, minGap, samples };
}

test('a flapping backend never changes the answers faster than fall/rise allow', async (t) => {
  const c = await cluster(t, [{ vantage: 'p1' }]);
  if (!c) return;
  const WATCH_MS = 5000;
  // Every change needs min(fall, rise) probes in a row agreeing, so at most one change per that many intervals.
  const minProbesPerChange = Math.min(FALL, RISE);
  const bound = Math.floor(WATCH_MS / (INTERVAL_MS * 0.9 * minProbesPerChange)) + 1;

  // 200, 503, 200, 503...: never `fall` failures in a row, so never down.
  const start = be(X).hits.length;
  be(X).decide = (_from, n) => ((n - start) % 2 === 0 ? 200 : 503);
  const alt = await watchChanges(c, WATCH_MS);
  t.diagnostic(`alternating 200/503: answer-set changes per server ${alt.changes.join(' / ')} over ${WATCH_MS} ms (${alt.samples} samples; bound ${bound}, fall/rise imply 0)`);
  for (const n of alt.changes) assert.ok(n <= bound, `${n} changes in ${WATCH_MS} ms, bound ${bound}`);
  assert.deepEqual(alt.changes, [0, 0], 'strictly alternating results never reach fall=2 failures in a row');

  // 503, 503, 200, 200...: a flip every two probes, exactly as fast as fall/rise allow, and no faster.
  const start2 = be(X).hits.length;
  be(X).decide = (_from, n) => (Math.floor((n - start2) / 2) % 2 === 0 ? 503 : 200);
  const pairs = await watchChanges(c, WATCH_MS);
  t.diagnostic(`503,503,200,200: changes per server ${pairs.changes.join(' / ')}, shortest gap ${pairs.minGap} ms (bound ${bound} changes)`);
  for (const n of pairs.changes) {
    assert.ok(n <= bound, `${n} changes in ${WATCH_MS} ms, bound ${bound}`);
    assert.ok(n >= 2, `a member failing twice in a row every 4 probes should flap (saw ${n} changes)`);
  }
  assert.ok(pairs.minGap >= INTERVAL_MS * minProbesPerChange * 0.6, `two answer changes only ${pairs.minGap} ms apart`);
  be(X).decide = undefined;
  await timeUntilBoth(c, set(...MEMBERS), UP_BOUND_MS, 'X settling healthy');
});

test('a redis restart does not bring a failing member back before the probers have reported again', async (t) => {
  const c = await cluster(t, [{ vantage: 'p1' }]);
  if (!c) return;
  be(Y).status = 503;
  await timeUntilBoth(c, set(X, Z), DOWN_BOUND_MS, `${Y} leaving before the outage`);
  // The prober is slower to come back than the servers (its reconnect backoff
  // is random, up to 1 s): paused across the restart, it writes nothing.
  const prober = c.probers[0]!;
  prober.proc.kill('SIGSTOP');
  const resume = (): void => void prober.proc.kill('SIGCONT');
  t.after(resume);
  const seen = new Set<string>();
  try {
    await c.redis.stop();
    await sleep(500);
    await c.redis.restart();
    await waitFor('both servers reconnected to the restarted redis', async () => {
      for (const a of await answers(c)) seen.add(a.sorted);
      return (await Promise.all(c.servers.map((s) => status(s)))).every((st) => st.store.healthy);
    }, 8000);
    const until = Date.now() + INTERVAL_MS * 3;
    while (Date.now() < until) {
      for (const a of await answers(c)) seen.add(a.sorted);
      await sleep(20);
    }
  } finally {
    resume();
  }
  t.diagnostic(`answers seen across the restart: ${[...seen].join(' | ')}`);
  await timeUntilBoth(c, set(X, Z), INTERVAL_MS + 2000, 'the prober\'s view once it is back');
  const log = c.servers[0]!.output.filter((l) => /redis|resync|member\./.test(l)).join('\n');
  assert.deepEqual([...seen], [set(X, Z)], `${Y} fails every probe, yet the servers answered with it after resyncing from an empty redis: ${[...seen].join(' | ')}\nserver 1:\n${log}`);
});

test('an operator drain written straight to redis reaches both servers; undrain through one server reaches the other', async (t) => {
  const c = await cluster(t, [{ vantage: 'p1' }]);
  if (!c) return;
  const d = await cli(['drain', 'web', Z, '--reason', 'disk swap', '--redis', c.redis.url]);
  assert.equal(d.code, 0, `drain --redis failed: ${d.stderr}`);
  const drainMs = await timeUntilBoth(c, set(X, Y), 1000, 'the drain reaching both servers');
  t.diagnostic(`drain --redis -> out on server 1 after ${drainMs[0]} ms, server 2 after ${drainMs[1]} ms`);
  for (const a of await answers(c)) assert.equal(a.ttl, DEGRADED_TTL, 'answers while a member is drained carry degraded_ttl');
  for (const s of c.servers) {
    const m = memberStatus(await status(s), Z) as ReturnType<typeof memberStatus> & { override?: { mode: string; reason: string } };
    assert.equal(m.state, 'drain');
    assert.deepEqual({ mode: m.override?.mode, reason: m.override?.reason }, { mode: 'drain', reason: 'disk swap' });
  }
  const u = await cli(['undrain', 'web', Z, '--admin', c.servers[1]!.admin]);
  assert.equal(u.code, 0, `undrain failed: ${u.stderr}`);
  const backMs = await timeUntilBoth(c, set(...MEMBERS), 1000, 'the undrain reaching both servers');
  t.diagnostic(`undrain via server 2 -> back on server 1 after ${backMs[0]} ms, server 2 after ${backMs[1]} ms`);
});
