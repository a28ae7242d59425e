// One contract for every HealthStore, run against the in-memory store,
// against RedisStore on a real redis-server, and through the relay workers
// use (over a MessagePort standing in for cluster IPC); then what only Redis
// can do wrong: go away, come back, ask for a password, lose messages.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { MemoryStore } from '../../../checks/store/memory.js';
import { RedisStore } from '../../../checks/store/redis.js';
import { RelayStore, serveStoreToWorkers, type RelayHub, type RelayLink } from '../../../checks/store/relay.js';
import type { FailoverLatch, HealthStore, Override, StoreChange, VantageReport } from '../../../checks/store/types.js';
import { memberKey } from '../../../checks/model.js';
import { needTool } from '../../support/tools.js';
import { startRedis, startSentinel, type RedisServer } from '../../support/redis.js';
import { freePort } from '../../support/ports.js';
import { Redis } from 'ioredis';

/**
 * Two handles on one shared store: `a` and `b` stand for two processes. For
 * the memory store they are the same object (it only exists in one process).
 */
interface Pair {
  a: HealthStore;
  b: HealthStore;
  close(): Promise<void>;
}

type OpenPair = () => Promise<Pair>;

const WAIT_MS = 3000;

async function waitFor(cond: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function collect(store: HealthStore): Promise<StoreChange[]> {
  const seen: StoreChange[] = [];
  return store.subscribe((c) => seen.push(c)).then(() => seen);
}

/** How long `p` takes to settle, and how; fails the test if it takes longer than `ms`. */
async function settlesWithin(p: Promise<unknown>, ms: number, what: string): Promise<{ ok: boolean; elapsed: number }> {
  const start = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    p.then(() => 'ok' as const, () => 'rejected' as const),
    new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), ms); }),
  ]);
  clearTimeout(timer);
  assert.notEqual(outcome, 'timeout', `${what} did not settle within ${ms} ms`);
  return { ok: outcome === 'ok', elapsed: Date.now() - start };
}

let seq = 0;
function report(vantage: string, up = true, extra: Partial<VantageReport> = {}): VantageReport {
  const now = Date.now();
  return { vantage, up, at: now + ++seq, intervalMs: 5000, since: now - 60_000, ...extra };
}

function byVantage(list: VantageReport[] | undefined): VantageReport[] {
  return [...(list ?? [])].sort((x, y) => x.vantage.localeCompare(y.vantage));
}

async function contract(t: TestContext, open: OpenPair): Promise<void> {
  const member = memberKey('web', '192.0.2.10');

  await t.test('report then snapshot has it', async () => {
    const { a, b, close } = await open();
    try {
      const r = report('fra', false, { reason: 'HTTP 503' });
      await a.report(member, r, false);
      const snap = await b.snapshot();
      assert.deepEqual(snap.reports.get(member), [r]);
      assert.deepEqual(snap.overrides, []);
      assert.deepEqual(snap.latches, []);
      // A later report from the same vantage replaces the earlier one.
      const r2 = report('fra', true);
      await a.report(member, r2, true);
      assert.deepEqual((await b.snapshot()).reports.get(member), [r2]);
    } finally {
      await close();
    }
  });

  await t.test('two vantages on one member are both kept', async () => {
    const { a, b, close } = await open();
    try {
      const fra = report('fra', true);
      const iad = report('iad', false, { reason: 'timeout after 5000 ms' });
      const other = report('fra', true);
      await a.report(member, fra, false);
      await b.report(member, iad, true);
      await a.report(memberKey('web', '192.0.2.11'), other, false);
      const snap = await a.snapshot();
      assert.deepEqual(byVantage(snap.reports.get(member)), [fra, iad]);
      assert.deepEqual(snap.reports.get(memberKey('web', '192.0.2.11')), [other]);
      assert.equal(snap.reports.size, 2);
    } finally {
      await close();
    }
  });

  await t.test('subscribers see changed reports from another instance, not unchanged ones', async () => {
    const { a, b, close } = await open();
    try {
      const seen = await collect(b);
      const quiet = report('fra', true);
      const flip = report('fra', false, { reason: 'connect ECONNREFUSED' });
      await a.report(member, quiet, false);
      await a.report(member, flip, true);
      await waitFor(() => seen.length >= 1, 'the changed report');
      // Delivery is in order, so had the unchanged report been published it
      // would be here already; give stragglers a moment anyway.
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(seen, [{ kind: 'report', member, report: flip }]);
    } finally {
      await close();
    }
  });

  await t.test('overrides: set and clear show in snapshots and notify', async () => {
    const { a, b, close } = await open();
    try {
      const seen = await collect(b);
      const o: Override = { pool: 'web', address: '192.0.2.10', mode: 'drain', reason: 'kernel upgrade', by: 'alice', at: Date.now() };
      const all: Override = { pool: '*', address: '192.0.2.10', mode: 'force-down', reason: 'disk', by: 'bob', at: Date.now(), until: Date.now() + 3_600_000 };
      await a.setOverride(o);
      await waitFor(() => seen.length >= 1, 'override notification');
      assert.deepEqual(seen[0], { kind: 'override' });
      await a.setOverride(all);
      const snap = await b.snapshot();
      assert.deepEqual([...snap.overrides].sort((x, y) => x.pool.localeCompare(y.pool)), [all, o]);

      // Setting the same (pool, address) again replaces it.
      const again: Override = { ...o, mode: 'force-up', reason: 'false alarm' };
      await a.setOverride(again);
      assert.deepEqual((await b.snapshot()).overrides.find((x) => x.pool === 'web'), again);

      await waitFor(() => seen.length >= 3, 'three override notifications');
      assert.equal(await b.clearOverride('web', '192.0.2.10'), true);
      await waitFor(() => seen.length >= 4, 'notification of the clear');
      assert.deepEqual(seen, Array(4).fill({ kind: 'override' }));
      assert.deepEqual((await a.snapshot()).overrides, [all]);
      assert.equal(await a.clearOverride('web', '192.0.2.10'), false);
      assert.equal(await a.clearOverride('*', '192.0.2.10'), true);
      assert.deepEqual((await a.snapshot()).overrides, []);
    } finally {
      await close();
    }
  });

  await t.test('latch is set-if-absent; unlatch releases once', async () => {
    const { a, b, close } = await open();
    try {
      const seen = await collect(b);
      const first: FailoverLatch = { pool: 'web', tier: 1, since: Date.now() };
      const second: FailoverLatch = { pool: 'web', tier: 2, since: Date.now() + 1 };
      assert.equal(await a.latch(first), true);
      assert.equal(await b.latch(second), false);
      await waitFor(() => seen.length >= 1, 'latch notification');
      assert.deepEqual((await b.snapshot()).latches, [first]);
      assert.equal(await b.unlatch('web'), true);
      assert.equal(await a.unlatch('web'), false);
      await waitFor(() => seen.length >= 2, 'unlatch notification');
      assert.deepEqual(seen, [{ kind: 'latch' }, { kind: 'latch' }]);
      assert.deepEqual((await a.snapshot()).latches, []);
      assert.equal(await a.latch(second), true);
    } finally {
      await close();
    }
  });

  await t.test('claimEvent: once per id, again after expiry', async () => {
    const { a, b, close } = await open();
    try {
      assert.equal(await a.claimEvent('webhook:web:down:1', 300), true);
      assert.equal(await b.claimEvent('webhook:web:down:1', 300), false);
      assert.equal(await a.claimEvent('webhook:web:down:1', 300), false);
      assert.equal(await b.claimEvent('webhook:web:up:2', 300), true);
      await new Promise((r) => setTimeout(r, 450));
      assert.equal(await b.claimEvent('webhook:web:down:1', 300), true);
      assert.equal(await a.claimEvent('webhook:web:down:1', 300), false);
    } finally {
      await close();
    }
  });

  await t.test('a listener that throws does not stop delivery to others', async () => {
    const { a, b, close } = await open();
    try {
      await b.subscribe(() => {
        throw new Error('listener bug');
      });
      const seen = await collect(b);
      await a.latch({ pool: 'web', tier: 1, since: 1 });
      await a.unlatch('web');
      await waitFor(() => seen.length === 2, 'both notifications at the healthy listener');
    } finally {
      await close();
    }
  });

  await t.test('a follower sees every write made before its snapshot, routine reports included', async () => {
    const { a, b, close } = await open();
    try {
      await collect(b); // b now follows changes
      await b.snapshot();
      const first = report('fra', false);
      await a.report(member, first, true);
      // Only the time moves on: published compactly, applied all the same.
      const routine = { ...first, at: first.at + 1000 };
      await a.report(member, routine, false);
      assert.deepEqual((await b.snapshot()).reports.get(member), [routine]);
      const o: Override = { pool: 'web', address: '192.0.2.10', mode: 'drain', reason: 'r', by: 'x', at: Date.now() };
      await a.setOverride(o);
      assert.deepEqual((await b.snapshot()).overrides, [o]);
      await a.clearOverride('web', '192.0.2.10');
      assert.deepEqual((await b.snapshot()).overrides, []);
      await a.latch({ pool: 'web', tier: 1, since: 5 });
      assert.deepEqual((await b.snapshot()).latches, [{ pool: 'web', tier: 1, since: 5 }]);
      await a.unlatch('web');
      assert.deepEqual((await b.snapshot()).latches, []);
    } finally {
      await close();
    }
  });

  await t.test('healthy once in use', async () => {
    const { a, b, close } = await open();
    try {
      // A store may still be connecting right after construction; once a
      // command has gone through it must say it is healthy.
      await a.snapshot();
      await b.snapshot();
      assert.equal(a.healthy(), true);
      assert.equal(b.healthy(), true);
      assert.equal(a.problem(), undefined);
    } finally {
      await close();
    }
  });
}

test('MemoryStore meets the HealthStore contract', async (t) => {
  await contract(t, async () => {
    const store = new MemoryStore();
    return { a: store, b: store, close: () => store.close() };
  });
});

/**
 * The relay in front of `backing`: a primary's end and one worker's end per
 * call of link(), joined by MessagePorts (structured clone, asynchronous,
 * like cluster IPC).
 */
function relayTo(backing: HealthStore): { link(): RelayStore; close(): void } {
  const ports: MessagePort[] = [];
  const handlers: Array<(msg: unknown, reply: (m: unknown) => void) => void> = [];
  const primaryEnds: MessagePort[] = [];
  const hub: RelayHub = {
    broadcast: (msg) => primaryEnds.forEach((p) => p.postMessage(msg)),
    onMessage: (h) => void handlers.push(h),
  };
  const served = serveStoreToWorkers(backing, hub);
  return {
    link() {
      const { port1, port2 } = new MessageChannel();
      ports.push(port1, port2);
      primaryEnds.push(port1);
      port1.on('message', (m: unknown) => handlers.forEach((h) => h(m, (r) => port1.postMessage(r))));
      const end: RelayLink = {
        send: (m) => void served.then(() => port2.postMessage(m)),
        onMessage: (h) => void port2.on('message', h),
        connected: () => true,
      };
      return new RelayStore(end);
    },
    close() {
      for (const p of ports) p.close();
    },
  };
}

test('RelayStore (workers over IPC) meets the HealthStore contract', async (t) => {
  await contract(t, async () => {
    const backing = new MemoryStore();
    const relay = relayTo(backing);
    const a = relay.link();
    const b = relay.link();
    return { a, b, close: async () => { await Promise.all([a.close(), b.close(), backing.close()]); relay.close(); } };
  });
});

/** Redis needed; skips (or fails in CI) without it. */
async function withRedis(t: TestContext, opts: { password?: string; tls?: boolean } = {}): Promise<RedisServer | undefined> {
  if (!needTool(t, 'redis-server', 'redis-server')) return undefined;
  const redis = await startRedis(opts);
  t.after(() => redis.stop());
  return redis;
}

let prefixSeq = 0;
function uniquePrefix(): string {
  return `pulsedns-test-${process.pid}-${++prefixSeq}:`;
}

test('RedisStore meets the HealthStore contract', async (t) => {
  const redis = await withRedis(t);
  if (!redis) return;
  await contract(t, async () => {
    // A fresh prefix per case keeps cases apart on one server, and proves the
    // prefix is honoured everywhere, the channel included.
    const prefix = uniquePrefix();
    const a = new RedisStore({ url: redis.url, prefix });
    const b = new RedisStore({ url: redis.url, prefix });
    return { a, b, close: async () => { await Promise.all([a.close(), b.close()]); } };
  });

  await t.test('through the relay too', async (tt) => {
    await contract(tt, async () => {
      const backing = new RedisStore({ url: redis.url, prefix: uniquePrefix() });
      const direct = new RedisStore({ url: redis.url, prefix: (backing as unknown as { prefix: string }).prefix });
      const relay = relayTo(backing);
      const a = relay.link();
      return { a, b: direct, close: async () => { await Promise.all([a.close(), direct.close(), backing.close()]); relay.close(); } };
    });
  });

  await t.test('stores with different prefixes do not see each other', async () => {
    const a = new RedisStore({ url: redis.url, prefix: uniquePrefix() });
    const b = new RedisStore({ url: redis.url, prefix: uniquePrefix() });
    try {
      const seen = await collect(b);
      await a.report('web|192.0.2.1', report('fra'), true);
      await a.setOverride({ pool: 'web', address: '192.0.2.1', mode: 'drain', reason: '', by: 'x', at: 1 });
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(seen, []);
      const snap = await b.snapshot();
      assert.equal(snap.reports.size, 0);
      assert.deepEqual(snap.overrides, []);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

test('RedisStore survives Redis going away and coming back', async (t) => {
  const redis = await withRedis(t);
  if (!redis) return;
  const prefix = uniquePrefix();
  const prober = new RedisStore({ url: redis.url, prefix });
  const server = new RedisStore({ url: redis.url, prefix });
  let late: RedisStore | undefined;
  t.after(async () => {
    await Promise.all([prober.close(), server.close(), late?.close()]);
  });
  const member = memberKey('web', '192.0.2.10');
  const seen = await collect(server);
  // Both connections up (on a busy machine the command one may lag the subscription).
  await waitFor(() => server.healthy(), 'the server store healthy at start');
  await prober.report(member, report('fra'), true);
  await waitFor(() => seen.length === 1, 'the first change');

  await redis.stop();
  await waitFor(() => !prober.healthy() && !server.healthy(), 'healthy() to turn false', 4000);

  for (const [what, op] of [
    ['report', () => prober.report(member, report('fra', false), true)],
    ['snapshot', () => server.snapshot()],
    ['setOverride', () => prober.setOverride({ pool: 'web', address: '192.0.2.10', mode: 'drain', reason: '', by: 't', at: 1 })],
    ['latch', () => prober.latch({ pool: 'web', tier: 1, since: 1 })],
    ['claimEvent', () => prober.claimEvent('e', 1000)],
  ] as const) {
    const { ok, elapsed } = await settlesWithin(op(), 1500, `${what} with Redis down`);
    assert.equal(ok, false, `${what} with Redis down should reject, not pretend to succeed`);
    assert.ok(elapsed < 2500, `${what} took ${elapsed} ms`); // fails fast (commandTimeout 1 s), with room for a loaded machine
  }
  assert.equal(prober.healthy(), false);

  // A process that starts during the outage: subscribe returns, commands
  // fail fast, and it catches up when Redis is back.
  late = new RedisStore({ url: redis.url, prefix });
  const lateSeen: StoreChange[] = [];
  await settlesWithin(late.subscribe((c) => lateSeen.push(c)), 2500, 'subscribe with Redis down');
  await settlesWithin(late.snapshot(), 2500, 'first snapshot with Redis down');
  assert.equal(late.healthy(), false);

  const seenBefore = seen.length;
  await redis.restart();
  await waitFor(() => prober.healthy() && server.healthy() && late!.healthy(), 'healthy() after restart', 5000);

  // Changes published during the outage are lost, so subscribers are told
  // to resync (documented as a payload-less override notice).
  await waitFor(() => seen.length > seenBefore, 'resync notice to the server');
  assert.deepEqual(seen.slice(seenBefore), [{ kind: 'override' }]);
  await waitFor(() => lateSeen.length > 0, 'resync notice to the late starter');
  assert.deepEqual(lateSeen, [{ kind: 'override' }]);

  const back = report('fra', false, { reason: 'HTTP 502' });
  await prober.report(member, back, true);
  await waitFor(() => seen.length > seenBefore + 1, 'a change after the restart (resubscribed)');
  assert.deepEqual(seen.at(-1), { kind: 'report', member, report: back });
  await waitFor(() => lateSeen.length > 1, 'a change for the late starter');
  assert.deepEqual((await server.snapshot()).reports.get(member), [back]);
  assert.deepEqual((await late.snapshot()).reports.get(member), [back]);
});

test('RedisStore notices a Redis that stops answering', async (t) => {
  const redis = await withRedis(t);
  if (!redis) return;
  const prefix = uniquePrefix();
  // A short heartbeat so the test does not wait for the 5 s default.
  const prober = new RedisStore({ url: redis.url, prefix, heartbeatMs: 200 });
  const server = new RedisStore({ url: redis.url, prefix, heartbeatMs: 200 });
  t.after(async () => {
    redis.resume();
    await Promise.all([prober.close(), server.close()]);
  });
  const seen = await collect(server);
  await prober.snapshot();
  assert.equal(server.healthy() && prober.healthy(), true);

  redis.pause();
  const { ok, elapsed } = await settlesWithin(prober.report('web|192.0.2.1', report('fra'), true), 1900, 'report to a stuck Redis');
  assert.equal(ok, false);
  assert.ok(elapsed < 1900);
  await waitFor(() => !prober.healthy() && !server.healthy(), 'healthy() to turn false', 3000);
  const snap = await settlesWithin(server.snapshot(), 1900, 'snapshot from a stuck Redis');
  assert.equal(snap.ok, false);

  redis.resume();
  await waitFor(() => prober.healthy() && server.healthy(), 'healthy() after resume', 5000);
  await waitFor(() => seen.some((c) => c.kind === 'override'), 'resync notice');
  const r = report('fra', false);
  await prober.report('web|192.0.2.1', r, true);
  await waitFor(() => seen.some((c) => c.kind === 'report' && c.report.at === r.at), 'a change after resume');
});

test('RedisStore with nothing listening fails fast and never crashes', async () => {
  const port = await freePort();
  const store = new RedisStore({ url: `redis://127.0.0.1:${port}`, prefix: uniquePrefix() });
  try {
    await settlesWithin(store.subscribe(() => undefined), 2500, 'subscribe');
    const { ok } = await settlesWithin(store.report('m', report('fra'), true), 2500, 'report');
    assert.equal(ok, false);
    const again = await settlesWithin(store.snapshot(), 500, 'a later snapshot');
    assert.equal(again.ok, false);
    assert.equal(store.healthy(), false);
  } finally {
    await settlesWithin(store.close(), 1000, 'close');
  }
});

test('RedisStore authenticates with requirepass', async (t) => {
  const password = 'p@ss w/ord:1';
  const redis = await withRedis(t, { password });
  if (!redis) return;
  assert.match(redis.url, /^redis:\/\/:[^@]+@127\.0\.0\.1:\d+$/);
  const prefix = uniquePrefix();
  const a = new RedisStore({ url: redis.url, prefix });
  const b = new RedisStore({ url: redis.url, prefix });
  const wrong = new RedisStore({ url: `redis://:nope@127.0.0.1:${redis.port}`, prefix });
  t.after(async () => {
    await Promise.all([a.close(), b.close(), wrong.close()]);
  });
  const seen = await collect(b);
  const r = report('fra');
  await a.report('web|192.0.2.1', r, true);
  await waitFor(() => seen.length === 1, 'change through an authenticated subscriber');
  assert.deepEqual((await b.snapshot()).reports.get('web|192.0.2.1'), [r]);
  assert.equal(a.healthy() && b.healthy(), true);

  const { ok } = await settlesWithin(wrong.snapshot(), 2500, 'snapshot with a wrong password');
  assert.equal(ok, false);
  assert.equal(wrong.healthy(), false);
  assert.equal(wrong.problem()?.kind, 'auth', 'a refused password is not an outage');
  assert.match(wrong.problem()!.message, /WRONGPASS/);
  assert.doesNotMatch(wrong.problem()!.message, /nope/, 'the password itself is never repeated');

  // No password at all where one is required: NOAUTH, the same kind of problem.
  const none = new RedisStore({ url: `redis://127.0.0.1:${redis.port}`, prefix });
  t.after(() => none.close());
  await settlesWithin(none.snapshot(), 2500, 'snapshot without a password');
  assert.equal(none.problem()?.kind, 'auth');
  assert.match(none.problem()!.message, /NOAUTH/);
});

test('RedisStore reports an ACL user without the permissions it needs (NOPERM)', async (t) => {
  const redis = await withRedis(t);
  if (!redis) return;
  const raw = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  t.after(() => raw.disconnect());
  // Everything the documented ACL grants, except scripting.
  await raw.call('ACL', 'SETUSER', 'weak', 'on', '>pw', '~*', '&*', '+@read', '+@write', '+@pubsub', '+@transaction', '+@connection', '+info');
  const store = new RedisStore({ url: `redis://weak:pw@127.0.0.1:${redis.port}`, prefix: uniquePrefix() });
  t.after(() => store.close());
  await store.snapshot();
  assert.equal(store.problem(), undefined);
  const { ok } = await settlesWithin(store.report('web|192.0.2.1', report('fra'), true), 2500, 'report without EVAL');
  assert.equal(ok, false);
  assert.equal(store.problem()?.kind, 'auth');
  assert.match(store.problem()!.message, /NOPERM/);
  assert.equal(store.healthy(), false);
});

/** Calls per command name since the last CONFIG RESETSTAT. */
async function commandCounts(raw: Redis): Promise<Map<string, number>> {
  const info = await raw.info('commandstats');
  const out = new Map<string, number>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

test('RedisStore follower: one full read, then only the version; a gap or a lost Redis means reading again', async (t) => {
  const redis = await withRedis(t);
  if (!redis) return;
  const prefix = uniquePrefix();
  const prober = new RedisStore({ url: redis.url, prefix, batchLingerMs: 20 });
  const server = new RedisStore({ url: redis.url, prefix });
  const raw = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  t.after(async () => {
    await Promise.all([prober.close(), server.close()]);
    raw.disconnect();
  });
  const members = Array.from({ length: 50 }, (_, i) => memberKey('web', `192.0.2.${i + 1}`));
  await Promise.all(members.map((m) => prober.report(m, report('fra'), false)));
  const seen = await collect(server);
  assert.equal((await server.snapshot()).reports.size, 50);

  await raw.config('RESETSTAT');
  for (let round = 0; round < 5; round++) {
    await Promise.all(members.map((m) => prober.report(m, report('fra'), false)));
    const snap = await server.snapshot();
    assert.equal(snap.reports.size, 50);
    const newest = Math.max(...[...snap.reports.values()].map((l) => l[0]!.at));
    assert.ok(Date.now() - newest < 1000, 'routine reports reach a follower without a full read');
  }
  const counts = await commandCounts(raw);
  assert.equal(counts.get('hgetall') ?? 0, 0, `a follower in sync re-read report hashes: ${JSON.stringify([...counts])}`);
  assert.equal(counts.get('smembers') ?? 0, 0);
  assert.equal(counts.get('get'), 5, 'one version check per snapshot');
  // 50 reports x 5 rounds, written in batches: far fewer scripts than reports.
  const scripts = (counts.get('evalsha') ?? 0) + (counts.get('eval') ?? 0);
  assert.ok(scripts <= 15, `${scripts} script calls for 250 reports`);

  // A message lost on the way (simulated: the counter jumps without one):
  // the next change shows a gap, listeners are told to resync, and the
  // next snapshot reads everything.
  await raw.incrby(`${prefix}version`, 3);
  const before = seen.length;
  await prober.report(members[0]!, report('fra', false), true);
  await waitFor(() => seen.slice(before).some((c) => c.kind === 'override'), 'a resync notice after the gap');
  await raw.config('RESETSTAT');
  await server.snapshot();
  // 50 report hashes, the overrides and the latches.
  assert.equal((await commandCounts(raw)).get('hgetall'), 52, 'a full read after the gap');
  await raw.config('RESETSTAT');
  await server.snapshot();
  assert.equal((await commandCounts(raw)).get('hgetall') ?? 0, 0, 'and in sync again after it');

  // The counter going backwards means Redis lost its data: read everything.
  await raw.set(`${prefix}version`, '1');
  await raw.config('RESETSTAT');
  await server.snapshot();
  assert.equal((await commandCounts(raw)).get('hgetall'), 52, 'a full read after the counter went back');
});

/** A second instance sees a changed report from the first, and both read it back. */
async function roundTrip(a: HealthStore, b: HealthStore): Promise<void> {
  const seen = await collect(b);
  const r = report('fra', false, { reason: 'HTTP 503' });
  await a.report('web|192.0.2.1', r, true);
  await waitFor(() => seen.length === 1, 'the change at the other instance');
  assert.deepEqual(seen, [{ kind: 'report', member: 'web|192.0.2.1', report: r }]);
  assert.deepEqual((await a.snapshot()).reports.get('web|192.0.2.1'), [r]);
  assert.deepEqual((await b.snapshot()).reports.get('web|192.0.2.1'), [r]);
  assert.equal(a.healthy() && b.healthy(), true);
}

test('RedisStore over TLS (rediss://)', async (t) => {
  if (!needTool(t, 'openssl', 'openssl')) return;
  const redis = await withRedis(t, { tls: true });
  if (!redis) return;
  assert.match(redis.url, /^rediss:\/\//);
  const prefix = uniquePrefix();
  const a = new RedisStore({ url: redis.url, prefix, tls: { ca: redis.ca } });
  const b = new RedisStore({ url: redis.url, prefix, tls: { ca: redis.ca } });
  // Without the private CA the certificate must be refused, not waved through.
  const untrusting = new RedisStore({ url: redis.url, prefix });
  t.after(async () => {
    await Promise.all([a.close(), b.close(), untrusting.close()]);
  });
  await roundTrip(a, b);
  const { ok } = await settlesWithin(untrusting.snapshot(), 2500, 'snapshot with an untrusted certificate');
  assert.equal(ok, false);
  assert.equal(untrusting.healthy(), false);
});

test('RedisStore finds the primary through Sentinel', async (t) => {
  const redis = await withRedis(t);
  if (!redis) return;
  const sentinel = await startSentinel(redis, 'pulse-primary');
  t.after(() => sentinel.stop());
  const prefix = uniquePrefix();
  const viaSentinel = new RedisStore({ sentinels: [{ host: '127.0.0.1', port: sentinel.port }], sentinelName: 'pulse-primary', prefix });
  const direct = new RedisStore({ url: redis.url, prefix });
  t.after(async () => {
    await Promise.all([viaSentinel.close(), direct.close()]);
  });
  await roundTrip(viaSentinel, direct);
  await roundTrip(direct, viaSentinel);
});

// docs/redis.md promises this layout to operators; a raw client checks it.
test('RedisStore key layout is the documented one', async (t) => {
  const redis = await withRedis(t);
  if (!redis) return;
  const prefix = uniquePrefix();
  const store = new RedisStore({ url: redis.url, prefix });
  const raw = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  const rawSub = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  t.after(async () => {
    await store.close();
    raw.disconnect();
    rawSub.disconnect();
  });
  const messages: string[] = [];
  rawSub.on('message', (_channel: string, m: string) => messages.push(m));
  await rawSub.subscribe(`${prefix}changes`);

  const member = memberKey('web', '192.0.2.10');
  const r = report('fra');
  await store.report(member, r, true);
  assert.equal(await raw.type(`${prefix}report:${member}`), 'hash');
  assert.deepEqual(JSON.parse((await raw.hget(`${prefix}report:${member}`, 'fra'))!), r);
  const ttl = await raw.ttl(`${prefix}report:${member}`);
  assert.ok(ttl > 86_000 && ttl <= 86_400, `report TTL ${ttl}`);
  assert.deepEqual(await raw.smembers(`${prefix}members`), [member]);

  const o: Override = { pool: 'web', address: '192.0.2.10', mode: 'drain', reason: 'r', by: 'b', at: 1 };
  await store.setOverride(o);
  assert.deepEqual(JSON.parse((await raw.hget(`${prefix}overrides`, 'web|192.0.2.10'))!), o);
  const l: FailoverLatch = { pool: 'web', tier: 1, since: 2 };
  await store.latch(l);
  assert.deepEqual(JSON.parse((await raw.hget(`${prefix}latches`, 'web'))!), l);
  await store.claimEvent('hook-1', 60_000);
  const pttl = await raw.pttl(`${prefix}event:hook-1`);
  assert.ok(pttl > 50_000 && pttl <= 60_000, `event PTTL ${pttl}`);

  await store.clearOverride('web', '192.0.2.10');
  await store.report(member, r, false);

  await waitFor(() => messages.length === 5, 'five messages on the channel');
  assert.deepEqual(messages.map((m) => JSON.parse(m)), [
    { v: 1, changes: [{ kind: 'report', member, report: r, changed: true }] },
    { v: 2, changes: [{ kind: 'override', field: 'web|192.0.2.10', override: o }] },
    { v: 3, changes: [{ kind: 'latch', pool: 'web', latch: l }] },
    { v: 4, changes: [{ kind: 'override', field: 'web|192.0.2.10', override: null }] },
    // A routine re-report (only its time would move) is published compactly.
    { v: 5, changes: [{ kind: 'seen', vantage: 'fra', at: r.at, members: [member] }] },
  ]);
  assert.equal(await raw.get(`${prefix}version`), '5');

  const keys = (await raw.keys(`${prefix}*`)).sort();
  // (The overrides hash went away with its last field.)
  assert.deepEqual(keys, [`${prefix}event:hook-1`, `${prefix}latches`, `${prefix}members`, `${prefix}report:${member}`, `${prefix}version`]);
});

test('RedisStore skips what it cannot read and forgets members whose reports expired', async (t) => {
  const redis = await withRedis(t);
  if (!redis) return;
  const prefix = uniquePrefix();
  const store = new RedisStore({ url: redis.url, prefix });
  const raw = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  t.after(async () => {
    await store.close();
    raw.disconnect();
  });
  const seen = await collect(store);
  const good = report('fra');
  await store.report('web|192.0.2.1', good, false);
  await store.report('web|192.0.2.2', report('fra'), false);
  await raw.hset(`${prefix}report:web|192.0.2.1`, 'iad', '{not json');
  await raw.hset(`${prefix}overrides`, 'web|192.0.2.9', JSON.stringify({ pool: 'web', mode: 'explode' }));
  await raw.publish(`${prefix}changes`, 'garbage');
  await raw.publish(`${prefix}changes`, JSON.stringify({ kind: 'latch' }));
  // As if the day-long TTL had run out for a member that left the zones.
  await raw.del(`${prefix}report:web|192.0.2.2`);

  const snap = await store.snapshot();
  assert.deepEqual(snap.reports.get('web|192.0.2.1'), [good]);
  assert.equal(snap.reports.has('web|192.0.2.2'), false);
  assert.deepEqual(snap.overrides, []);
  await waitFor(() => seen.length === 1, 'the well-formed message');
  assert.deepEqual(seen, [{ kind: 'latch' }]);
  const deadline = Date.now() + 2000;
  while ((await raw.sismember(`${prefix}members`, 'web|192.0.2.2')) === 1) {
    assert.ok(Date.now() < deadline, 'expired member still in the members set');
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(await raw.sismember(`${prefix}members`, 'web|192.0.2.1'), 1);
});
