// Health-checked pools end to end, embedded mode: one `pulsedns serve`
// process that probes real HTTP backends itself (no Redis). Backends are
// node:http servers on their own 127.0.0.x address and one shared port, with
// a /healthz we switch between 200 and 503, or close outright. Every failover
// and recovery is timed against what the check's interval, fall and rise allow.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { CLI, startPulse, type Spawned } from '../support/server.js';
import { query } from '../support/client.js';
import { Backend, DOWN_BOUND_MS, FAST, UP_BOUND_MS, portFreeOn, sleep, waitFor, fastHttpCheck } from '../support/backends.js';

const { INTERVAL_MS, TIMEOUT_MS, FALL, RISE, TTL, DEGRADED_TTL } = FAST;

const A = '127.0.0.11';
const B = '127.0.0.12';
const C = '127.0.0.13';
const BACKUP = '127.0.0.21';
const ALL = [A, B, C, BACKUP];
const ZONE = 'pulse.test';

// ---------------------------------------------------------------- helpers

const PORT = await portFreeOn(ALL);
const backends = new Map(ALL.map((a) => [a, new Backend(a, PORT)]));
const be = (a: string): Backend => backends.get(a)!;

const dirs: string[] = [];
const servers: Spawned[] = [];
const listeners: http.Server[] = [];

after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await Promise.all([...backends.values()].map((b) => b.kill()));
  for (const l of listeners) {
    l.closeAllConnections();
    l.close();
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const CHECKS = `${fastHttpCheck(PORT)}`;

function webPool(members: string[], extra = ''): string {
  return `  web:
    check: web-http
    policy: all
    members: [${members.join(', ')}]
    ttl: ${TTL}
    degraded_ttl: ${DEGRADED_TTL}
${extra}`;
}

const ZONE_TEXT = `records:
  '@':
    - { type: SOA, value: { mname: ns1, rname: hostmaster, serial: 1 } }
    - { type: NS, value: ns1 }
  ns1: { type: A, value: 192.0.2.53 }
  static: { type: A, value: 192.0.2.80 }
  www: { type: A, pool: web }
`;

interface Setup {
  dir: string;
  s: Spawned;
  poolsFile: string;
  zoneFile: string;
}

/** A zones dir with `_pools.yaml` = CHECKS + pools, and a server on it; all stopped after the test. */
async function setup(t: TestContext, pools: string, zone = ZONE_TEXT, extraArgs: string[] = []): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-failover-'));
  dirs.push(dir);
  const poolsFile = join(dir, '_pools.yaml');
  const zoneFile = join(dir, `${ZONE}.yaml`);
  writeFileSync(poolsFile, `${CHECKS}pools:\n${pools}`);
  writeFileSync(zoneFile, zone);
  const s = await startPulse(dir, extraArgs);
  servers.push(s);
  t.after(() => s.stop());
  return { dir, s, poolsFile, zoneFile };
}

/** Every backend running and healthy, then wait until `members` have each been probed twice by the server. */
async function healthyStart(members: string[]): Promise<void> {
  const since = Date.now();
  for (const b of backends.values()) {
    b.status = 200;
    await b.start();
  }
  await waitFor(`first probes of ${members.join(', ')}`, () => members.every((m) => be(m).hitsSince(since) >= 2), 5000);
}

interface Answer {
  rcode: number;
  addrs: string[];
  sorted: string;
  ttl: number | undefined;
}

async function ask(s: Spawned, name = `www.${ZONE}`): Promise<Answer> {
  const m = await query(s, name, 'A');
  const addrs = m.answer.filter((r) => r.type === 1).map((r) => r.data);
  return { rcode: m.rcode, addrs, sorted: [...addrs].sort().join(','), ttl: m.answer[0]?.ttl };
}

const set = (...a: string[]): string => [...a].sort().join(',');

/** Time until the answer set equals `want`, then checks it stays so for a few queries. */
async function timeUntilAnswer(s: Spawned, want: string, bound: number, what: string, from = Date.now(), name?: string): Promise<number> {
  let last: Answer | undefined;
  await waitFor(() => `${what} (want ${want}; last answer: rcode ${last?.rcode} ${last?.sorted})`, async () => {
    last = await ask(s, name);
    return last.rcode === 0 && last.sorted === want;
  }, bound + 4000, 20);
  const elapsed = Date.now() - from;
  for (let i = 0; i < 5; i++) assert.equal((await ask(s, name)).sorted, want, `${what}: answers went back after settling`);
  return elapsed;
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 10_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

interface StatusJson {
  pools: Array<{
    name: string;
    answeringTier: number | null;
    latched: { tier: number } | null;
    members: Array<{ address: string; state: string; override?: { mode: string; reason: string; by: string; until?: string } }>;
  }>;
}

// ---------------------------------------------------------------- tests

test('all healthy members answer, shuffled differently across queries, with the pool TTL', async (t) => {
  const { s } = await setup(t, webPool([A, B, C]));
  await healthyStart([A, B, C]);
  const orders = new Set<string>();
  for (let i = 0; i < 40; i++) {
    const a = await ask(s);
    assert.equal(a.rcode, 0);
    assert.equal(a.sorted, set(A, B, C));
    assert.equal(a.ttl, TTL);
    orders.add(a.addrs.join(','));
  }
  // 40 draws of 6 orders: fewer than 3 distinct would mean no real shuffle.
  assert.ok(orders.size >= 3, `only ${orders.size} distinct orders in 40 answers: ${[...orders].join(' | ')}`);
  // A static name next to the pool is untouched.
  assert.deepEqual((await ask(s, `static.${ZONE}`)).addrs, ['192.0.2.80']);
});

test('a member answering 503 leaves within interval x fall + 1 s (degraded TTL) and returns after rise good checks', async (t) => {
  const { s } = await setup(t, webPool([A, B, C]));
  await healthyStart([A, B, C]);
  assert.equal((await ask(s)).ttl, TTL);

  const failedAt = Date.now();
  be(B).status = 503;
  const downMs = await timeUntilAnswer(s, set(A, C), DOWN_BOUND_MS, `${B} leaving after 503`, failedAt);
  t.diagnostic(`503 -> out of answers in ${downMs} ms (bound ${DOWN_BOUND_MS} ms)`);
  assert.ok(downMs <= DOWN_BOUND_MS, `took ${downMs} ms, bound ${DOWN_BOUND_MS} ms`);
  assert.ok(be(B).hitsSince(failedAt, { status: 503 }) >= FALL, `left after ${be(B).hitsSince(failedAt, { status: 503 })} failed checks; fall is ${FALL}`);
  const degraded = await ask(s);
  assert.equal(degraded.ttl, DEGRADED_TTL, 'TTL drops to degraded_ttl while a member is down');

  const fixedAt = Date.now();
  be(B).status = 200;
  const upMs = await timeUntilAnswer(s, set(A, B, C), UP_BOUND_MS, `${B} returning`, fixedAt);
  const good = be(B).hits.filter((h) => h.at >= fixedAt && h.status === 200);
  t.diagnostic(`200 again -> back in answers in ${upMs} ms after ${good.length} good checks (bound ${UP_BOUND_MS} ms)`);
  assert.ok(upMs <= UP_BOUND_MS, `took ${upMs} ms, bound ${UP_BOUND_MS} ms`);
  assert.ok(good.length >= RISE, `back after ${good.length} good checks; rise is ${RISE}`);
  assert.equal((await ask(s)).ttl, TTL, 'TTL back to the pool ttl once all are up');
});

test('a killed backend leaves within interval x fall + 1 s and returns when restarted', async (t) => {
  const { s } = await setup(t, webPool([A, B, C]));
  await healthyStart([A, B, C]);
  const killedAt = Date.now();
  await be(C).kill();
  const downMs = await timeUntilAnswer(s, set(A, B), DOWN_BOUND_MS, `${C} leaving after kill`, killedAt);
  t.diagnostic(`killed -> out of answers in ${downMs} ms (bound ${DOWN_BOUND_MS} ms)`);
  assert.ok(downMs <= DOWN_BOUND_MS, `took ${downMs} ms, bound ${DOWN_BOUND_MS} ms`);
  assert.equal((await ask(s)).ttl, DEGRADED_TTL);

  const restartedAt = Date.now();
  await be(C).start();
  const upMs = await timeUntilAnswer(s, set(A, B, C), UP_BOUND_MS, `${C} returning after restart`, restartedAt);
  t.diagnostic(`restarted -> back in answers in ${upMs} ms (bound ${UP_BOUND_MS} ms)`);
  assert.ok(upMs <= UP_BOUND_MS, `took ${upMs} ms, bound ${UP_BOUND_MS} ms`);
  assert.ok(be(C).hitsSince(restartedAt, { status: 200 }) >= RISE);
});

const FAILOVER_POOL = (failback: 'auto' | 'manual'): string => `  web:
    check: web-http
    policy: failover
    tiers: [[${A}, ${B}], [${BACKUP}]]
    failback: ${failback}
    ttl: ${TTL}
    degraded_ttl: ${DEGRADED_TTL}
`;

test('failover pool: both primaries killed -> the backup tier answers; restarted -> automatic failback', async (t) => {
  const { s } = await setup(t, FAILOVER_POOL('auto'));
  await healthyStart([A, B, BACKUP]);
  assert.equal((await ask(s)).sorted, set(A, B), 'only tier 1 answers while it is healthy');

  const killedAt = Date.now();
  await Promise.all([be(A).kill(), be(B).kill()]);
  const overMs = await timeUntilAnswer(s, set(BACKUP), DOWN_BOUND_MS, 'failover to the backup tier', killedAt);
  t.diagnostic(`primaries killed -> backup answering in ${overMs} ms (bound ${DOWN_BOUND_MS} ms)`);
  assert.ok(overMs <= DOWN_BOUND_MS, `took ${overMs} ms, bound ${DOWN_BOUND_MS} ms`);
  assert.equal((await ask(s)).ttl, DEGRADED_TTL, 'a failed-over answer carries the degraded TTL');

  const restartedAt = Date.now();
  await Promise.all([be(A).start(), be(B).start()]);
  const backMs = await timeUntilAnswer(s, set(A, B), UP_BOUND_MS, 'automatic failback to tier 1', restartedAt);
  t.diagnostic(`primaries restarted -> failback in ${backMs} ms (bound ${UP_BOUND_MS} ms)`);
  assert.ok(backMs <= UP_BOUND_MS, `took ${backMs} ms, bound ${UP_BOUND_MS} ms`);
  assert.equal((await ask(s)).ttl, TTL);
});

test('failback: manual holds the backup tier until `pulsedns failback POOL`', async (t) => {
  const { s } = await setup(t, FAILOVER_POOL('manual'));
  await healthyStart([A, B, BACKUP]);
  assert.equal((await ask(s)).sorted, set(A, B));

  const killedAt = Date.now();
  await Promise.all([be(A).kill(), be(B).kill()]);
  const overMs = await timeUntilAnswer(s, set(BACKUP), DOWN_BOUND_MS, 'failover to the backup tier', killedAt);
  t.diagnostic(`manual pool: failover in ${overMs} ms`);

  const restartedAt = Date.now();
  await Promise.all([be(A).start(), be(B).start()]);
  // Well past rise: the primaries are healthy again, yet the pool stays put.
  await waitFor('primaries to pass rise checks', () => be(A).hitsSince(restartedAt, { status: 200 }) >= RISE + 2 && be(B).hitsSince(restartedAt, { status: 200 }) >= RISE + 2, 5000);
  const holdUntil = Date.now() + 1000;
  while (Date.now() < holdUntil) {
    assert.equal((await ask(s)).sorted, set(BACKUP), 'a manual-failback pool must not return to its primaries by itself');
    await sleep(50);
  }
  const st = JSON.parse((await cli(['status', '--admin', s.admin, '--json'])).stdout) as StatusJson;
  const pool = st.pools.find((p) => p.name === 'web')!;
  assert.equal(pool.latched?.tier, 2, 'status shows the pool held on tier 2 (tiers numbered from 1)');
  assert.equal(pool.answeringTier, 2);
  assert.ok(pool.members.filter((m) => m.address === A || m.address === B).every((m) => m.state === 'up'), 'the primaries are up again');

  const r = await cli(['failback', 'web', '--admin', s.admin]);
  assert.equal(r.code, 0, `failback failed: ${r.stderr}`);
  assert.match(r.stdout, /failing back/);
  const cmdAt = Date.now();
  const backMs = await timeUntilAnswer(s, set(A, B), 1000, 'return to tier 1 after `pulsedns failback`', cmdAt);
  t.diagnostic(`manual failback command -> primaries answering in ${backMs} ms`);
  const again = await cli(['failback', 'web', '--admin', s.admin]);
  assert.notEqual(again.code, 0, 'a second failback has nothing to release');
  assert.match(again.stderr, /not held/);
});

test('drain via the CLI removes a member, status --json shows the override and reason, undrain restores', async (t) => {
  const { s } = await setup(t, webPool([A, B, C]));
  await healthyStart([A, B, C]);

  const d = await cli(['drain', 'web', B, '--reason', 'kernel upgrade', '--admin', s.admin]);
  assert.equal(d.code, 0, `drain failed: ${d.stderr}`);
  await timeUntilAnswer(s, set(A, C), 0, 'drained member out of answers');
  const drained = await ask(s);
  assert.equal(drained.ttl, DEGRADED_TTL, 'answers while a member is drained carry degraded_ttl');

  const st = await cli(['status', '--admin', s.admin, '--json']);
  assert.equal(st.code, 0, st.stderr);
  const status = JSON.parse(st.stdout) as StatusJson;
  const m = status.pools.find((p) => p.name === 'web')!.members.find((x) => x.address === B)!;
  assert.equal(m.state, 'drain');
  assert.equal(m.override?.mode, 'drain');
  assert.equal(m.override?.reason, 'kernel upgrade');
  assert.ok(m.override?.by, 'the override records who set it');
  assert.equal(m.override?.until, undefined);
  const text = await cli(['status', '--admin', s.admin]);
  assert.match(text.stdout, /kernel upgrade/);

  // Not a member, or not a pool: refused with a message.
  const wrong = await cli(['drain', 'web', '127.0.0.99', '--reason', 'x', '--admin', s.admin]);
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /not a member/);

  const u = await cli(['undrain', 'web', B, '--admin', s.admin]);
  assert.equal(u.code, 0, `undrain failed: ${u.stderr}`);
  await timeUntilAnswer(s, set(A, B, C), 0, 'undrained member back in answers');
  const after2 = JSON.parse((await cli(['status', '--admin', s.admin, '--json'])).stdout) as StatusJson;
  assert.equal(after2.pools[0]!.members.find((x) => x.address === B)!.override, undefined);
});

test('drain --for 3s expires by itself', async (t) => {
  const { s } = await setup(t, webPool([A, B, C]));
  await healthyStart([A, B, C]);
  const setAt = Date.now();
  const d = await cli(['drain', 'web', A, '--reason', 'quick restart', '--for', '3s', '--admin', s.admin]);
  assert.equal(d.code, 0, `drain failed: ${d.stderr}`);
  assert.equal((await ask(s)).sorted, set(B, C));
  // Read status over HTTP: spawning the CLI again could outlast a short drain on a busy machine.
  const st = (await (await fetch(`${s.admin}/status`)).json()) as StatusJson;
  assert.ok(st.pools[0]!.members.find((x) => x.address === A)!.override?.until, 'a timed drain shows its expiry');
  const backMs = await timeUntilAnswer(s, set(A, B, C), 3000, 'timed drain expiring', setAt);
  t.diagnostic(`drain --for 3s lifted after ${backMs} ms`);
  assert.ok(backMs >= 3000, `drain lifted after only ${backMs} ms`);
  // The drain starts when the CLI's request lands, a little after setAt.
  assert.ok(backMs <= 5000, `drain lifted after ${backMs} ms`);
});

test('on_all_down: servfail answers SERVFAIL when every member is down', async (t) => {
  const { s } = await setup(t, webPool([A, B, C], '    on_all_down: servfail\n'));
  await healthyStart([A, B, C]);
  const killedAt = Date.now();
  await Promise.all([A, B, C].map((a) => be(a).kill()));
  const ms = await waitFor('SERVFAIL', async () => (await ask(s)).rcode === 2, DOWN_BOUND_MS + 4000, 20);
  t.diagnostic(`all members killed -> SERVFAIL after ${Date.now() - killedAt} ms`);
  assert.ok(ms <= DOWN_BOUND_MS, `took ${ms} ms`);
  for (let i = 0; i < 5; i++) {
    const a = await ask(s);
    assert.equal(a.rcode, 2);
    assert.deepEqual(a.addrs, []);
  }
  // Static names in the same zone are not affected.
  assert.equal((await ask(s, `static.${ZONE}`)).rcode, 0);
  await Promise.all([A, B, C].map((a) => be(a).start()));
  await timeUntilAnswer(s, set(A, B, C), UP_BOUND_MS, 'recovery from all down');
});

test('a webhook receiver gets member.down and member.up JSON events', async (t) => {
  const events: Array<Record<string, unknown>> = [];
  const headers: http.IncomingHttpHeaders[] = [];
  const receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      headers.push(req.headers);
      try {
        events.push(JSON.parse(body) as Record<string, unknown>);
      } catch {
        events.push({ unparsable: body });
      }
      res.writeHead(204).end();
    });
  });
  listeners.push(receiver);
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  t.after(() => {
    receiver.closeAllConnections();
    receiver.close();
  });
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const { s } = await setup(t, webPool([A, B, C]), ZONE_TEXT, ['--webhook', url]);
  await healthyStart([A, B, C]);

  be(C).status = 503;
  await waitFor('member.down webhook', () => events.some((e) => e.type === 'member.down' && e.address === C), DOWN_BOUND_MS + 4000);
  const down = events.find((e) => e.type === 'member.down')!;
  assert.equal(down.member, `web-http|${C}`);
  assert.equal(typeof down.id, 'string');
  assert.ok(!Number.isNaN(Date.parse(String(down.time))), 'the event has an ISO time');
  assert.match(String(down.reason ?? ''), /503/, 'member.down carries the failure reason');
  assert.equal(headers[events.indexOf(down)]!['content-type'], 'application/json');
  assert.equal(headers[events.indexOf(down)]!['x-pulsedns-event'], 'member.down');

  be(C).status = 200;
  await waitFor('member.up webhook', () => events.some((e) => e.type === 'member.up' && e.address === C), UP_BOUND_MS + 4000);
  assert.equal((await ask(s)).sorted, set(A, B, C));
  // One event per change, no duplicates.
  assert.equal(events.filter((e) => e.type === 'member.down').length, 1, JSON.stringify(events));
  assert.equal(events.filter((e) => e.type === 'member.up').length, 1, JSON.stringify(events));
});

test('a broken edit of _pools.yaml or of the zone leaves answers and checks as they were', async (t) => {
  const { s, poolsFile, zoneFile } = await setup(t, webPool([A, B, C]));
  await healthyStart([A, B, C]);
  const goodPools = readFileSync(poolsFile, 'utf8');
  const refusals = (): number => s.output.filter((l) => /zone load refused/.test(l)).length;

  // Drops C and breaks the interval on line 6 ("interval: soon"): refused as a whole.
  const before = refusals();
  const brokenPools = `${CHECKS.replace(`interval: ${INTERVAL_MS}ms`, 'interval: soon')}pools:\n${webPool([A, B])}`;
  assert.match(brokenPools.split('\n')[5]!, /interval: soon/);
  writeFileSync(poolsFile, brokenPools);
  const line = await s.waitForLog(/_pools\.yaml:6:\d+: interval must be a duration/, 5000);
  assert.match(line, /"level":"error"/);
  await waitFor('refusal', () => refusals() > before, 3000);
  const editedAt = Date.now();
  await sleep(INTERVAL_MS * 4);
  assert.equal((await ask(s)).sorted, set(A, B, C), 'answers unchanged after a refused pools edit');
  for (const m of [A, B, C]) {
    const n = be(m).hitsSince(editedAt);
    assert.ok(n >= 2, `${m} probed ${n} times in ${INTERVAL_MS * 4} ms after the refused edit; the old checks must keep running`);
  }
  // And they still act: a failure is still noticed with the old settings.
  const failedAt = Date.now();
  be(C).status = 503;
  const downMs = await timeUntilAnswer(s, set(A, B), DOWN_BOUND_MS, 'failure noticed under the old checks', failedAt);
  assert.ok(downMs <= DOWN_BOUND_MS, `took ${downMs} ms`);
  be(C).status = 200;
  await timeUntilAnswer(s, set(A, B, C), UP_BOUND_MS, 'recovery under the old checks');

  // A broken zone edit: pool name that does not exist.
  const goodZone = readFileSync(zoneFile, 'utf8');
  const before2 = refusals();
  writeFileSync(zoneFile, goodZone.replace('www: { type: A, pool: web }', 'www: { type: A, pool: nosuch }'));
  const zline = await s.waitForLog(new RegExp(`${ZONE.replace('.', '\\.')}\\.yaml:\\d+:\\d+: .*nosuch`), 5000);
  t.diagnostic(`zone refusal logged: ${JSON.parse(zline).msg}`);
  await waitFor('zone refusal', () => refusals() > before2, 3000);
  assert.equal((await ask(s)).sorted, set(A, B, C), 'answers unchanged after a refused zone edit');

  // Fixing both files loads again.
  const loads = s.output.filter((l) => /zones loaded/.test(l)).length;
  writeFileSync(zoneFile, goodZone);
  writeFileSync(poolsFile, goodPools);
  await waitFor('reload after the fix', () => s.output.filter((l) => /zones loaded/.test(l)).length > loads, 5000);
  assert.equal((await ask(s)).sorted, set(A, B, C));
});

test('removing a member from the pool stops its probes', async (t) => {
  const { s, poolsFile } = await setup(t, webPool([A, B, C]));
  await healthyStart([A, B, C]);
  const loads = s.output.filter((l) => /zones loaded/.test(l)).length;
  writeFileSync(poolsFile, `${CHECKS}pools:\n${webPool([A, B])}`);
  await waitFor('reload', () => s.output.filter((l) => /zones loaded/.test(l)).length > loads, 5000);
  const reloadedAt = Date.now();
  await timeUntilAnswer(s, set(A, B), 0, 'removed member out of answers', reloadedAt);
  // A probe already on its way may still land; nothing after that.
  await sleep(TIMEOUT_MS + 50);
  const quietFrom = Date.now();
  await sleep(INTERVAL_MS * 5);
  const late = be(C).hits.filter((h) => h.at >= quietFrom);
  assert.equal(late.length, 0, `${C} still probed ${late.length} times in ${INTERVAL_MS * 5} ms after leaving the pool`);
  for (const m of [A, B]) assert.ok(be(m).hitsSince(quietFrom) >= 3, `${m} must still be probed`);
  // Status no longer lists it.
  const st = JSON.parse((await cli(['status', '--admin', s.admin, '--json'])).stdout) as StatusJson;
  assert.deepEqual(st.pools[0]!.members.map((m) => m.address).sort(), [A, B]);
});

test('a reload that only retunes the check keeps a down member out of the answers', async (t) => {
  const { s, poolsFile } = await setup(t, webPool([A, B, C]));
  await healthyStart([A, B, C]);
  be(C).status = 503;
  await timeUntilAnswer(s, set(A, B), DOWN_BOUND_MS, `${C} leaving after 503`);
  const loads = s.output.filter((l) => /zones loaded/.test(l)).length;
  // Same check, a slightly longer timeout: C is still failing every probe.
  writeFileSync(poolsFile, `${CHECKS.replace(`timeout: ${TIMEOUT_MS}ms`, `timeout: ${TIMEOUT_MS + 50}ms`)}pools:\n${webPool([A, B, C])}`);
  await waitFor('reload', () => s.output.filter((l) => /zones loaded/.test(l)).length > loads, 5000);
  const seen = new Set<string>();
  const reloadedAt = Date.now();
  const until = reloadedAt + INTERVAL_MS * 6;
  let backFor = 0;
  while (Date.now() < until) {
    const a = (await ask(s)).sorted;
    seen.add(a);
    if (a.includes(C)) backFor = Date.now() - reloadedAt;
    await sleep(20);
  }
  const events = s.output.filter((l) => /member\.(up|down)/.test(l) && l.includes(C)).map((l) => { const j = JSON.parse(l) as { msg: string; time: string }; return `${j.msg}@${j.time}`; });
  assert.deepEqual([...seen], [set(A, B)], `a failing member came back after a check edit (last seen ${backFor} ms after the reload): ${[...seen].join(' | ')}; events: ${events.join(', ')}`);
});
