// Distributed mode when Redis is not there for a server, or will not have
// it: a server restarted during an outage starts from its saved view and
// agrees with its peer; both announce that every vantage went stale before
// they fail open, at the same moment; a wrong password is loud (probe exits,
// serve stays up but not ready); workers read Redis through their primary,
// and in steady state nobody re-reads every member. Real redis-server, real
// processes, real HTTP backends on their own 127.0.0.x addresses.
import { test, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, statSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { CLI, startPulse, type Spawned } from '../support/server.js';
import { startProber, type Prober } from '../support/prober.js';
import { query } from '../support/client.js';
import { Backend, DOWN_BOUND_MS, FAST, portFreeOn, sleep, waitFor, fastHttpCheck } from '../support/backends.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { needTool } from '../support/tools.js';

const { INTERVAL_MS } = FAST;
// Addresses of their own, so this file can run beside failover-redis.
const X = '127.0.0.61';
const Y = '127.0.0.62';
const Z = '127.0.0.63';
const MEMBERS = [X, Y, Z];
const ZONE = 'outage.test';
// Long enough that a restart on a busy machine still lands inside the hold.
const HOLD_S = 12;

const PORT = await portFreeOn(MEMBERS);
const backends = new Map(MEMBERS.map((a) => [a, new Backend(a, PORT)]));
const be = (a: string): Backend => backends.get(a)!;
const cleanups: Array<() => Promise<unknown> | void> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
  await Promise.all([...backends.values()].map((b) => b.kill()));
});

const POOLS = `${fastHttpCheck(PORT)}pools:
  web:
    check: web-http
    policy: all
    members: [${MEMBERS.join(', ')}]
`;

const ZONE_TEXT = `records:
  '@':
    - { type: SOA, value: { mname: ns1, rname: hostmaster, serial: 1 } }
    - { type: NS, value: ns1 }
  ns1: { type: A, value: 192.0.2.53 }
  www: { type: A, pool: web }
`;

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function zonesDir(): string {
  const dir = tempDir('pulse-outage-zones-');
  writeFileSync(join(dir, '_pools.yaml'), POOLS);
  writeFileSync(join(dir, `${ZONE}.yaml`), ZONE_TEXT);
  return dir;
}

async function backendsUp(): Promise<void> {
  for (const b of backends.values()) {
    b.status = 200;
    b.decide = undefined;
    await b.start();
  }
}

async function redisFor(t: TestContext, password?: string): Promise<RedisServer | undefined> {
  if (!needTool(t, 'redis-server')) return undefined;
  const redis = await startRedis(password !== undefined ? { password } : {});
  cleanups.push(() => redis.stop().catch(() => undefined));
  return redis;
}

async function serve(dir: string, args: string[]): Promise<Spawned> {
  const s = await startPulse(dir, args, '127.0.0.1', { readyTimeoutMs: 30_000 });
  cleanups.push(() => s.stop());
  return s;
}

async function probe(dir: string, url: string, vantage: string): Promise<Prober> {
  const p = await startProber(dir, url, vantage);
  cleanups.push(() => p.stop());
  return p;
}

const set = (...a: string[]): string => [...a].sort().join(',');

async function ask(s: Spawned): Promise<string> {
  const m = await query(s, `www.${ZONE}`, 'A');
  assert.equal(m.rcode, 0);
  return m.answer.filter((r) => r.type === 1).map((r) => r.data).sort().join(',');
}

async function untilBoth(servers: Spawned[], want: string, ms: number, what: string): Promise<void> {
  await waitFor(what, async () => (await Promise.all(servers.map(ask))).every((a) => a === want), ms, 20);
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
  return (await res.json()) as T;
}

async function metric(s: Spawned, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${s.admin}/metrics`, { signal: AbortSignal.timeout(3000) })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

interface Status {
  store: { healthy: boolean; problem?: { kind: string; message: string } };
  vantages: { known: number; fresh: number; allStale: boolean; failOpenAt?: string };
}

/** A webhook receiver on loopback: every event's type and when it arrived. */
async function receiver(): Promise<{ url: string; events: Array<{ type: string; at: number; id: string }> }> {
  const events: Array<{ type: string; at: number; id: string }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const e = JSON.parse(body) as { type: string; id: string };
      events.push({ type: e.type, id: e.id, at: Date.now() });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, events };
}

test('a server restarted during a Redis outage serves the last known view, agrees with its peer, and both warn, then fail open together', async (t) => {
  const redis = await redisFor(t);
  if (!redis) return;
  await backendsUp();
  const dir = zonesDir();
  const hook = await receiver();
  const stateA = tempDir('pulse-state-a-');
  const stateB = tempDir('pulse-state-b-');
  const args = (state: string): string[] => ['--redis', redis.url, '--state-dir', state, '--stale-hold', `${HOLD_S}s`, '--webhook', hook.url];
  await probe(dir, redis.url, 'p1');
  const a = await serve(dir, args(stateA));
  let b = await serve(dir, args(stateB));
  await untilBoth([a, b], set(X, Y, Z), 5000, 'both servers answering every member');

  be(Y).status = 503;
  await untilBoth([a, b], set(X, Z), DOWN_BOUND_MS + 2000, `${Y} leaving both servers`);
  // One prober: each server says, once, that this pool cannot outvote a bad vantage.
  await a.waitForLog(/judged by 1 vantage.*run at least 3 probers/, 5000);

  // The view is on disk, private to the server's user.
  await sleep(1200);
  const files = readdirSync(stateB).filter((f) => f.endsWith('.json'));
  assert.equal(files.length, 1, `state dir holds ${files.join(', ')}`);
  assert.equal(statSync(join(stateB, files[0]!)).mode & 0o777, 0o600);

  // Redis goes away; then b dies without a chance to save anything more,
  // and comes back while Redis is still away.
  await redis.stop();
  const outageAt = Date.now();
  await sleep(INTERVAL_MS * 2);
  b.proc.kill('SIGKILL');
  b = await serve(dir, args(stateB));
  const readyAfter = Date.now() - outageAt;
  t.diagnostic(`restarted during the outage, ready after ${readyAfter} ms`);
  assert.ok(readyAfter < (HOLD_S - 2) * 1000, `the restart took ${readyAfter} ms, too close to the ${HOLD_S} s hold to test it`);
  assert.equal(await ask(b), set(X, Z), `a server restarted during the outage answers with ${Y}, known to be dead`);
  const st = await getJson<Status>(`${b.admin}/status`);
  assert.equal(st.store.healthy, false);
  assert.equal(st.store.problem?.kind, 'unreachable');

  // Both hold the same view, then fail open at the same moment.
  const openedAt: Array<number | undefined> = [undefined, undefined];
  let sawAllStale = false;
  const deadline = outageAt + (HOLD_S + 6) * 1000;
  while (openedAt.some((o) => o === undefined)) {
    assert.ok(Date.now() < deadline, `no fail-open within ${HOLD_S + 6} s of the outage: ${JSON.stringify(openedAt)}`);
    const answers = await Promise.all([ask(a), ask(b)]);
    answers.forEach((ans, i) => {
      if (openedAt[i] === undefined && ans === set(X, Y, Z)) openedAt[i] = Date.now();
    });
    if (openedAt.every((o) => o === undefined)) {
      assert.deepEqual(answers, [set(X, Z), set(X, Z)], 'the servers disagree while both hold the last view');
      if (!sawAllStale && (await getJson<Status>(`${b.admin}/status`)).vantages.allStale) {
        sawAllStale = true;
        assert.equal(await metric(a, 'pulsedns_vantages_all_stale'), 1);
      }
    }
    await sleep(25);
  }
  const [openA, openB] = openedAt as [number, number];
  t.diagnostic(`failed open ${openA - outageAt} ms (peer) and ${openB - outageAt} ms (restarted) after the outage began`);
  assert.ok(sawAllStale, 'status never showed every vantage stale before the fail-open');
  assert.ok(Math.abs(openA - openB) <= 500, `the two servers failed open ${Math.abs(openA - openB)} ms apart`);
  assert.ok(openA - outageAt >= (HOLD_S - 1) * 1000, `failed open after only ${openA - outageAt} ms (hold ${HOLD_S} s)`);

  // The warning went out before the fail-open, as a webhook event too.
  await waitFor('the fail-open webhook', () => hook.events.some((e) => e.type === 'verdict.failed_open'), 5000);
  const stale = hook.events.find((e) => e.type === 'vantages-stale');
  const failedOpen = hook.events.find((e) => e.type === 'verdict.failed_open');
  assert.ok(stale, `no vantages-stale event: ${JSON.stringify(hook.events)}`);
  assert.ok(stale.at <= failedOpen!.at - (HOLD_S - 2) * 1000, `vantages-stale arrived ${failedOpen!.at - stale.at} ms before the fail-open`);
  assert.ok(a.output.some((l) => /"event":"vantages-stale"/.test(l)), 'the peer logs the event');
});

test('a wrong Redis password: probe exits non-zero with one line; serve keeps its last view but is not ready', async (t) => {
  const password = 'right-horse-battery';
  const redis = await redisFor(t, password);
  if (!redis) return;
  await backendsUp();
  const dir = zonesDir();
  const state = tempDir('pulse-state-auth-');
  await probe(dir, redis.url, 'p1');
  const first = await serve(dir, ['--redis', redis.url, '--state-dir', state]);
  await untilBoth([first], set(X, Y, Z), 5000, 'answering every member');
  be(Y).status = 503;
  await untilBoth([first], set(X, Z), DOWN_BOUND_MS + 2000, `${Y} leaving`);
  await first.stop();

  const wrong = `redis://:not-the-password@127.0.0.1:${redis.port}`;
  const started = Date.now();
  const res = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    execFile(process.execPath, [CLI, 'probe', '--redis', wrong, '--zones', dir, '--vantage', 'bad'], { timeout: 15_000 }, (err, _stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stderr });
    });
  });
  t.diagnostic(`probe with a wrong password exited ${res.code} after ${Date.now() - started} ms: ${res.stderr.trim()}`);
  assert.equal(res.code, 1);
  const lines = res.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${res.stderr}`);
  assert.match(lines[0]!, /WRONGPASS/);
  assert.doesNotMatch(res.stderr, /not-the-password/, 'the password is never printed');

  const s = await serve(dir, ['--redis', wrong, '--state-dir', state]);
  assert.equal(await ask(s), set(X, Z), 'answers from the last view, without the member known to be down');
  const ready = await fetch(`${s.admin}/readyz`, { signal: AbortSignal.timeout(3000) });
  const why = await ready.text();
  assert.equal(ready.status, 503);
  assert.match(why, /WRONGPASS/);
  assert.equal(await metric(s, 'pulsedns_health_store_auth_failed'), 1);
  const st = await getJson<Status>(`${s.admin}/status`);
  assert.equal(st.store.problem?.kind, 'auth');
  assert.ok(s.output.some((l) => /"level":"error".*refused our credentials/.test(l)), 'an error line says why');
  assert.ok(!s.output.some((l) => /redis unreachable/.test(l)), 'refused credentials are not reported as an outage');
  assert.equal(await ask(s), set(X, Z));
});

/** Calls per command since the last CONFIG RESETSTAT. */
async function commandCounts(raw: Redis): Promise<Map<string, number>> {
  const info = await raw.info('commandstats');
  return new Map([...info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
}

test('workers read Redis through their primary; in steady state nobody re-reads every member; failover stays fast', async (t) => {
  const redis = await redisFor(t);
  if (!redis) return;
  await backendsUp();
  const dir = zonesDir();
  await probe(dir, redis.url, 'p1');
  // (Two workers on one host and one on the other: enough to see the relay
  // without starving a 2-core test machine.)
  const servers = [await serve(dir, ['--redis', redis.url, '--workers', '2']), await serve(dir, ['--redis', redis.url])];
  await untilBoth(servers, set(X, Y, Z), 5000, 'every worker answering every member');

  const raw = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  cleanups.push(() => raw.disconnect());
  const clients = String(await raw.client('LIST'));
  const named = (name: string): number => clients.split('\n').filter((l) => l.includes(`name=${name} `)).length;
  // One prober and two hosts: three of each, however many workers.
  assert.equal(named('pulsedns-command'), 3, clients);
  assert.equal(named('pulsedns-subscriber'), 3, clients);

  await raw.config('RESETSTAT');
  await sleep(2000);
  const counts = await commandCounts(raw);
  t.diagnostic(`2 s of steady state: ${JSON.stringify(Object.fromEntries(counts))}`);
  assert.equal(counts.get('hgetall') ?? 0, 0, 'a process re-read report hashes in steady state');
  assert.equal(counts.get('smembers') ?? 0, 0);

  const killedAt = Date.now();
  await be(Y).kill();
  await untilBoth(servers, set(X, Z), DOWN_BOUND_MS + 2000, `${Y} leaving every worker`);
  const took = Date.now() - killedAt;
  t.diagnostic(`killed -> out of every worker's answers after ${took} ms (bound ${DOWN_BOUND_MS} ms)`);
  assert.ok(took <= DOWN_BOUND_MS, `took ${took} ms`);
  // Each query lands on either worker; none may lag.
  for (let i = 0; i < 20; i++) for (const s of servers) assert.equal(await ask(s), set(X, Z));
  await be(Y).start();
});
