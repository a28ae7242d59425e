// Pools from the files an operator writes to the bytes a resolver gets back:
// `_pools.yaml` and zone validation with positions, then the engine answering
// pool-backed names from a LiveHealth view over a MemoryStore (no sockets).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pino } from 'pino';
import { loadZonesDir, type LoadResult } from '../../../server/zones/load.js';
import { formatError, type ZoneError } from '../../../server/zones/model.js';
import { Catalog } from '../../../server/engine/catalog.js';
import { ask } from '../../support/engine.js';
import { LiveHealth, type HealthEvent } from '../../../checks/live.js';
import { MemoryStore } from '../../../checks/store/memory.js';
import { memberKey } from '../../../checks/model.js';
import type { OverrideMode } from '../../../checks/store/types.js';
import { buildQuery, parseMessage, type Message } from '../../support/dnsmsg.js';

const silent = pino({ level: 'silent' });
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function loadDir(zone: string, pools?: string): LoadResult {
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-pools-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'example.com.yaml'), zone);
  if (pools !== undefined) writeFileSync(join(dir, '_pools.yaml'), pools);
  return loadZonesDir(dir);
}

/** 1-based line of the only line containing `needle`, so expectations follow the text. */
function lineOf(text: string, needle: string): number {
  const lines = text.split('\n');
  const hits = lines.flatMap((l, i) => (l.includes(needle) ? [i + 1] : []));
  assert.equal(hits.length, 1, `"${needle}" should occur on exactly one line`);
  return hits[0]!;
}

function expectError(errors: ZoneError[], file: string, line: number, re: RegExp): ZoneError {
  const hit = errors.find((e) => re.test(e.message));
  const all = errors.map(formatError).join('\n');
  assert.ok(hit, `expected an error matching ${re}, got:\n${all}`);
  assert.equal(basename(hit.file), file, all);
  assert.equal(hit.line, line, `line of ${re}; all errors:\n${all}`);
  return hit;
}

const ZONE_HEAD = `records:
  '@':
    - { type: SOA, value: { mname: ns1, rname: hostmaster, serial: 1 } }
    - { type: NS, value: ns1 }
  ns1: { type: A, value: 192.0.2.53 }
`;

const GOOD_POOLS = `checks:
  web_http:
    type: http
    path: /healthz
    interval: 10s
    timeout: 2s
pools:
  web:
    check: web_http
    members: [192.0.2.10, 192.0.2.11]
`;

test('a valid zone and pools file load without errors', () => {
  const r = loadDir(ZONE_HEAD + '  www: { type: A, pool: web }\n', GOOD_POOLS);
  assert.deepEqual(r.errors.map(formatError), []);
  assert.equal(r.zones.length, 1);
  const web = r.pools.pools.get('web');
  assert.ok(web);
  assert.equal(web.check?.name, 'web_http');
  assert.equal(web.check?.timeoutMs, 2000);
  assert.equal(web.ttl, 60);
  assert.equal(web.degradedTtl, 30);
  assert.deepEqual(web.tiers[0]!.map((m) => m.key), ['web_http|192.0.2.10', 'web_http|192.0.2.11']);
});

test('pools file: unknown check named by a pool', () => {
  const pools = GOOD_POOLS.replace('check: web_http', 'check: web_htp');
  const r = loadDir(ZONE_HEAD + '  www: { type: A, pool: web }\n', pools);
  expectError(r.errors, '_pools.yaml', lineOf(pools, 'check: web_htp'), /pool "web": no check named "web_htp" under "checks:"/);
  assert.deepEqual(r.zones, [], 'nothing is served from a broken set');
});

test('pools file: unknown keys at the top, in a check and in a pool', () => {
  const pools = `defaults: {}
checks:
  web_http: { type: http, retries: 3 }
pools:
  web:
    check: web_http
    colour: blue
    members: [192.0.2.10]
`;
  const r = loadDir(ZONE_HEAD + '  www: { type: A, pool: web }\n', pools);
  expectError(r.errors, '_pools.yaml', lineOf(pools, 'defaults'), /unknown key "defaults" \(expected checks, pools\)/);
  const check = expectError(r.errors, '_pools.yaml', lineOf(pools, 'retries'), /unknown check key "retries"/);
  assert.equal(check.col, pools.split('\n')[lineOf(pools, 'retries') - 1]!.indexOf('retries') + 1);
  expectError(r.errors, '_pools.yaml', lineOf(pools, 'colour'), /unknown pool key "colour"/);
});

test('pools file: a member that is not an address', () => {
  const pools = GOOD_POOLS.replace('members: [192.0.2.10, 192.0.2.11]', 'members:\n      - 192.0.2.10\n      - 192.0.2.300\n      - www.example.com');
  const r = loadDir(ZONE_HEAD + '  www: { type: A, pool: web }\n', pools);
  expectError(r.errors, '_pools.yaml', lineOf(pools, '192.0.2.300'), /"192\.0\.2\.300" is not an IPv4 or IPv6 address/);
  expectError(r.errors, '_pools.yaml', lineOf(pools, 'www.example.com'), /"www\.example\.com" is not an IPv4 or IPv6 address/);
});

test('pools file: the same address twice in a pool', () => {
  const pools = GOOD_POOLS.replace('[192.0.2.10, 192.0.2.11]', "[192.0.2.10, '2001:db8::1', '2001:DB8:0::1']");
  const r = loadDir(ZONE_HEAD + '  www: { type: A, pool: web }\n', pools);
  expectError(r.errors, '_pools.yaml', lineOf(pools, '2001:DB8:0::1'), /2001:db8::1 is listed twice in pool "web"/);
});

test('pools file: a timeout as long as the interval', () => {
  const pools = GOOD_POOLS.replace('interval: 10s', 'interval: 5s').replace('timeout: 2s', 'timeout: 5000ms');
  const r = loadDir(ZONE_HEAD + '  www: { type: A, pool: web }\n', pools);
  expectError(r.errors, '_pools.yaml', lineOf(pools, 'timeout: 5000ms'), /check "web_http": timeout \(5000 ms\) must be shorter than the interval \(5000 ms\)/);
  // Against the default 10 s interval too.
  const pools2 = GOOD_POOLS.replace('    interval: 10s\n', '').replace('timeout: 2s', 'timeout: 12s');
  const r2 = loadDir(ZONE_HEAD + '  www: { type: A, pool: web }\n', pools2);
  expectError(r2.errors, '_pools.yaml', lineOf(pools2, 'timeout: 12s'), /timeout \(12000 ms\) must be shorter than the interval \(10000 ms\)/);
});

test('pools file: a failover pool without tiers', () => {
  const pools = GOOD_POOLS.replace('    check: web_http\n', '    policy: failover\n    check: web_http\n');
  const r = loadDir(ZONE_HEAD + '  www: { type: A, pool: web }\n', pools);
  // Reported at the pool's mapping, which starts at its first key.
  expectError(r.errors, '_pools.yaml', lineOf(pools, 'policy: failover'), /pool "web": a failover pool lists "tiers"/);
  // The pool is dropped, so the zone's reference to it is an error of its own.
  assert.ok(r.errors.some((e) => basename(e.file) === 'example.com.yaml' && /no pool named "web"/.test(e.message)), r.errors.map(formatError).join('\n'));
});

test('pools file: on_all_down backup without a backup list', () => {
  const pools = GOOD_POOLS + '    on_all_down: backup\n';
  const r = loadDir(ZONE_HEAD + '  www: { type: A, pool: web }\n', pools);
  expectError(r.errors, '_pools.yaml', lineOf(pools, 'on_all_down'), /pool "web": on_all_down: backup needs a "backup:" list/);
});

test('pools file: every error is listed at once', () => {
  const pools = `checks:
  a: { type: tcp, port: 80, timeout: 20s }
  b: { type: dns }
pools:
  p1: { check: missing, members: [192.0.2.1] }
  p2: { check: a, members: [bogus] }
`;
  const r = loadDir(ZONE_HEAD, pools);
  assert.ok(r.errors.length >= 4, r.errors.map(formatError).join('\n'));
  assert.ok(r.errors.every((e) => basename(e.file) === '_pools.yaml'));
});

test('zone file: a record naming an unknown pool', () => {
  const zone = ZONE_HEAD + '  www: { type: A, pool: wbe }\n';
  const r = loadDir(zone, GOOD_POOLS);
  expectError(r.errors, 'example.com.yaml', lineOf(zone, 'pool: wbe'), /no pool named "wbe" in _pools\.yaml \(known: web\)/);
});

test('zone file: a pool record with no _pools.yaml at all', () => {
  const zone = ZONE_HEAD + '  www: { type: A, pool: web }\n';
  const r = loadDir(zone);
  expectError(r.errors, 'example.com.yaml', lineOf(zone, 'pool: web'), /no pool named "web" in _pools\.yaml$/);
});

test('zone file: AAAA from a pool with no IPv6 members', () => {
  const zone = ZONE_HEAD + '  www:\n    - { type: A, pool: web }\n    - { type: AAAA, pool: web }\n';
  const r = loadDir(zone, GOOD_POOLS);
  expectError(r.errors, 'example.com.yaml', lineOf(zone, 'AAAA'), /pool "web" has no IPv6 members to answer AAAA queries/);
  assert.equal(r.errors.length, 1, r.errors.map(formatError).join('\n'));
});

test('zone file: a pool-backed A beside a static A, or beside a CNAME', () => {
  const zone = ZONE_HEAD + '  www:\n    - { type: A, pool: web }\n    - { type: A, value: 192.0.2.99 }\n';
  const r = loadDir(zone, GOOD_POOLS);
  expectError(r.errors, 'example.com.yaml', lineOf(zone, 'pool: web'), new RegExp(`"www" has a A record \\(line ${lineOf(zone, '192.0.2.99')}\\) beside its pool-backed A`));
  const zone2 = ZONE_HEAD + '  www:\n    - { type: A, pool: web }\n    - { type: CNAME, value: ns1 }\n';
  const r2 = loadDir(zone2, GOOD_POOLS);
  expectError(r2.errors, 'example.com.yaml', lineOf(zone2, 'pool: web'), /"www" has a CNAME record .* beside its pool-backed A/);
});

test('zone file: two pool records for one RRset', () => {
  const pools = GOOD_POOLS + '  api: { members: [192.0.2.20] }\n';
  const zone = ZONE_HEAD + '  www:\n    - { type: A, pool: web }\n    - { type: A, pool: api }\n';
  const r = loadDir(zone, pools);
  expectError(r.errors, 'example.com.yaml', lineOf(zone, 'pool: api'), /"www" already takes its A answers from a pool/);
});

test('zone file: a ttl on a pool record', () => {
  const zone = ZONE_HEAD + '  www: { type: A, ttl: 300, pool: web }\n';
  const r = loadDir(zone, GOOD_POOLS);
  expectError(r.errors, 'example.com.yaml', lineOf(zone, 'ttl: 300'), /the TTL of a pool-backed name comes from the pool/);
});

test('zone file: a pool on a type other than A or AAAA, or with values', () => {
  const zone = ZONE_HEAD + '  www: { type: TXT, pool: web }\n  api: { type: A, pool: web, value: 192.0.2.1 }\n';
  const r = loadDir(zone, GOOD_POOLS);
  expectError(r.errors, 'example.com.yaml', lineOf(zone, 'TXT'), /a pool answers A or AAAA queries/);
  expectError(r.errors, 'example.com.yaml', lineOf(zone, 'api:'), /takes its addresses from the pool; remove "value"/);
});

// ---------------------------------------------------------------------------
// The engine end to end.

const ENGINE_ZONE = `records:
  '@':
    - { type: SOA, value: { mname: ns1, rname: hostmaster, serial: 1, minimum: 300 } }
    - { type: NS, value: ns1 }
    - { type: MX, value: { preference: 10, exchange: mail } }
  ns1: { type: A, value: 192.0.2.53 }
  www:
    - { type: A, pool: web }
    - { type: AAAA, pool: web }
  alias: { type: CNAME, value: www }
  mail: { type: A, pool: mailpool }
  strict: { type: A, pool: strict }
  strict-alias: { type: CNAME, value: strict }
  quiet: { type: A, pool: quiet }
  ds: { type: AAAA, pool: ds }
  static: { type: A, pool: unchecked }
  fo: { type: A, pool: fo }
  mx2: { type: MX, value: { preference: 10, exchange: strict } }
  mixed:
    - { type: A, pool: strict }
    - { type: TXT, value: hello }
`;

const ENGINE_POOLS = `checks:
  web_http: { type: http, path: /healthz, interval: 10s, timeout: 2s }
pools:
  web:
    check: web_http
    members: [192.0.2.10, 192.0.2.11, '2001:db8::10']
  mailpool: { check: web_http, members: [192.0.2.25, 192.0.2.26] }
  strict: { check: web_http, members: [192.0.2.30], on_all_down: servfail }
  quiet: { check: web_http, members: [192.0.2.40], on_all_down: empty }
  unchecked: { members: [192.0.2.50, 192.0.2.51] }
  fo:
    check: web_http
    policy: failover
    failback: manual
    tiers: [[192.0.2.60], [192.0.2.61]]
  ds:
    check: web_http
    policy: failover
    failback: manual
    tiers: [[192.0.2.70, '2001:db8::70'], [192.0.2.71, '2001:db8::71']]
`;

interface Rig {
  catalog: Catalog;
  store: MemoryStore;
  live: LiveHealth;
  events: HealthEvent[];
  ask(name: string, type: string): Message;
  report(address: string, up: boolean): Promise<void>;
  override(pool: string, address: string, mode: OverrideMode, until?: number): Promise<void>;
}

async function rig(): Promise<Rig> {
  const r = loadDir(ENGINE_ZONE, ENGINE_POOLS);
  assert.deepEqual(r.errors.map(formatError), []);
  const catalog = new Catalog(r.zones, r.pools);
  const store = new MemoryStore();
  const live = new LiveHealth(store, silent);
  const events: HealthEvent[] = [];
  live.onEvent((e) => events.push(e));
  live.setPools(r.pools);
  await live.sync();
  catalog.health = live;
  return {
    catalog,
    store,
    live,
    events,
    ask(name, type) {
      const out = ask(catalog, buildQuery(name, type), 'udp');
      assert.ok(out, 'expected a response');
      return parseMessage(out);
    },
    async report(address, up) {
      const now = Date.now();
      await store.report(memberKey('web_http', address), { vantage: 'v1', up, at: now, intervalMs: 10_000, since: now, ...(up ? {} : { reason: 'HTTP 503' }) }, true);
      await live.sync();
    },
    async override(pool, address, mode, until) {
      await store.setOverride({ pool, address, mode, reason: 'test', by: 'tester', at: Date.now(), ...(until !== undefined ? { until } : {}) });
      await live.sync();
    },
  };
}

const addrs = (rrs: Message['answer'], type = 1): string[] => rrs.filter((r) => r.type === type).map((r) => r.data).sort();
const ttls = (rrs: Message['answer'], type = 1): number[] => [...new Set(rrs.filter((r) => r.type === type).map((r) => r.ttl))];

test('engine: all healthy answers every member with the pool ttl', async () => {
  const t = await rig();
  const a = t.ask('www.example.com', 'A');
  assert.equal(a.rcode, 0);
  assert.ok(a.aa);
  assert.deepEqual(addrs(a.answer), ['192.0.2.10', '192.0.2.11']);
  assert.deepEqual(ttls(a.answer), [60]);
  const aaaa = t.ask('www.example.com', 'AAAA');
  assert.deepEqual(addrs(aaaa.answer, 28), ['2001:db8:0:0:0:0:0:10']);
  assert.deepEqual(ttls(aaaa.answer, 28), [60]);
});

test('engine: a member the only vantage reports down leaves the answer, TTL drops to degraded_ttl', async () => {
  const t = await rig();
  await t.report('192.0.2.10', false);
  const a = t.ask('www.example.com', 'A');
  assert.deepEqual(addrs(a.answer), ['192.0.2.11']);
  assert.deepEqual(ttls(a.answer), [30]);
  // The IPv6 side of the same name is unaffected.
  assert.deepEqual(ttls(t.ask('www.example.com', 'AAAA').answer, 28), [60]);
  assert.ok(t.events.some((e) => e.type === 'member.down' && e.address === '192.0.2.10' && e.reason === 'HTTP 503'));
  await t.report('192.0.2.10', true);
  const back = t.ask('www.example.com', 'A');
  assert.deepEqual(addrs(back.answer), ['192.0.2.10', '192.0.2.11']);
  assert.deepEqual(ttls(back.answer), [60]);
});

test('engine: a pushed report takes effect without a full sync (LiveHealth.start subscription)', async () => {
  const t = await rig();
  // Long timers so only the pushed change can explain the new answer.
  const live = new LiveHealth(t.store, silent, { reconcileMs: 60_000, tickMs: 60_000 });
  live.setPools(t.catalog.pools);
  await live.start();
  t.catalog.health = live;
  try {
    const now = Date.now();
    await t.store.report(memberKey('web_http', '192.0.2.11'), { vantage: 'v1', up: false, at: now, intervalMs: 10_000, since: now }, true);
    // The store delivers on a microtask, as Redis would after a round trip.
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(addrs(t.ask('www.example.com', 'A').answer), ['192.0.2.10']);
    // A report flagged unchanged is stored but not pushed; it waits for the next sync.
    await t.store.report(memberKey('web_http', '192.0.2.10'), { vantage: 'v1', up: false, at: now, intervalMs: 10_000, since: now }, false);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(addrs(t.ask('www.example.com', 'A').answer), ['192.0.2.10']);
    await live.sync();
    // Both down now: on_all_down all fails open with every member.
    const m = t.ask('www.example.com', 'A');
    assert.deepEqual(addrs(m.answer), ['192.0.2.10', '192.0.2.11']);
    assert.deepEqual(ttls(m.answer), [30]);
  } finally {
    live.stop();
    await t.store.close();
  }
});

test('engine: a drain override takes the member out; expiry and clearing bring it back', async () => {
  const t = await rig();
  await t.override('web', '192.0.2.11', 'drain');
  assert.deepEqual(addrs(t.ask('www.example.com', 'A').answer), ['192.0.2.10']);
  assert.ok(t.events.some((e) => e.type === 'override.set' && e.address === '192.0.2.11'));
  await t.store.clearOverride('web', '192.0.2.11');
  await t.live.sync();
  assert.deepEqual(addrs(t.ask('www.example.com', 'A').answer), ['192.0.2.10', '192.0.2.11']);
  // An override for every pool ('*') applies here too.
  await t.override('*', '192.0.2.10', 'drain');
  assert.deepEqual(addrs(t.ask('www.example.com', 'A').answer), ['192.0.2.11']);
});

test('engine: an override whose until has passed is ignored', async () => {
  const t = await rig();
  await t.override('web', '192.0.2.11', 'drain', Date.now() - 1000);
  assert.deepEqual(addrs(t.ask('www.example.com', 'A').answer), ['192.0.2.10', '192.0.2.11']);
  await t.override('web', '192.0.2.10', 'force-down', Date.now() - 1);
  assert.deepEqual(addrs(t.ask('www.example.com', 'A').answer), ['192.0.2.10', '192.0.2.11']);
  assert.equal(t.live.overrideFor('web', '192.0.2.10'), undefined);
  // One still in force next to them does apply.
  await t.override('web', '192.0.2.11', 'drain', Date.now() + 60_000);
  assert.deepEqual(addrs(t.ask('www.example.com', 'A').answer), ['192.0.2.10']);
});

test('engine: force-up beats a down verdict, force-down beats an up one, and unchecked pools obey overrides', async () => {
  const t = await rig();
  await t.report('192.0.2.10', false);
  await t.override('web', '192.0.2.10', 'force-up');
  await t.override('web', '192.0.2.11', 'force-down');
  assert.deepEqual(addrs(t.ask('www.example.com', 'A').answer), ['192.0.2.10']);
  assert.deepEqual(addrs(t.ask('static.example.com', 'A').answer), ['192.0.2.50', '192.0.2.51']);
  await t.override('unchecked', '192.0.2.51', 'drain');
  assert.deepEqual(addrs(t.ask('static.example.com', 'A').answer), ['192.0.2.50']);
});

test('engine: on_all_down servfail answers SERVFAIL, also through a CNAME', async () => {
  const t = await rig();
  assert.deepEqual(addrs(t.ask('strict.example.com', 'A').answer), ['192.0.2.30']);
  await t.report('192.0.2.30', false);
  const m = t.ask('strict.example.com', 'A');
  assert.equal(m.rcode, 2);
  assert.deepEqual(m.answer, []);
  assert.deepEqual(m.authority, []);
  const viaAlias = t.ask('strict-alias.example.com', 'A');
  assert.equal(viaAlias.rcode, 2);
  assert.deepEqual(viaAlias.answer, []);
  // Other types at the name are not the pool's business.
  const txt = t.ask('mixed.example.com', 'TXT');
  assert.equal(txt.rcode, 0);
  assert.equal(txt.answer.length, 1);
  assert.ok(t.events.some((e) => e.type === 'pool.all_down' && e.pool === 'strict'));
});

test('engine: ANY over TCP never sends RRsets under SERVFAIL', async () => {
  const t = await rig();
  await t.report('192.0.2.30', false);
  const out = ask(t.catalog, buildQuery('mixed.example.com', 'ANY'), 'tcp');
  assert.ok(out);
  const m = parseMessage(out);
  if (m.rcode === 2) assert.deepEqual(m.answer, [], 'SERVFAIL carrying a TXT answer');
});

test('engine: on_all_down empty answers NOERROR with the SOA', async () => {
  const t = await rig();
  await t.report('192.0.2.40', false);
  const m = t.ask('quiet.example.com', 'A');
  assert.equal(m.rcode, 0);
  assert.ok(m.aa);
  assert.deepEqual(m.answer, []);
  assert.equal(m.authority.length, 1);
  assert.equal(m.authority[0]!.type, 6);
  assert.equal(m.authority[0]!.name, 'example.com.');
  assert.equal(m.authority[0]!.ttl, 300);
});

test('engine: a CNAME to a pool-backed name gets the healthy members', async () => {
  const t = await rig();
  await t.report('192.0.2.11', false);
  const m = t.ask('alias.example.com', 'A');
  assert.equal(m.rcode, 0);
  assert.equal(m.answer[0]!.type, 5);
  assert.equal(m.answer[0]!.data, 'www.example.com.');
  assert.deepEqual(addrs(m.answer), ['192.0.2.10']);
  assert.ok(m.answer.filter((r) => r.type === 1).every((r) => r.name === 'www.example.com.' && r.ttl === 30));
});

test('engine: an MX whose exchange is pool-backed lists the healthy addresses in additional', async () => {
  const t = await rig();
  const before = t.ask('example.com', 'MX');
  assert.deepEqual(before.answer.map((r) => r.data), ['10 mail.example.com.']);
  assert.deepEqual(addrs(before.additional), ['192.0.2.25', '192.0.2.26']);
  await t.report('192.0.2.25', false);
  const after = t.ask('example.com', 'MX');
  assert.deepEqual(addrs(after.additional), ['192.0.2.26']);
  assert.deepEqual(ttls(after.additional), [30]);
});

test('engine: an MX whose exchange pool says servfail still answers, without the address', async () => {
  const t = await rig();
  await t.report('192.0.2.30', false);
  const m = t.ask('mx2.example.com', 'MX');
  assert.equal(m.rcode, 0, 'additional data is optional; it never fails the answer');
  assert.deepEqual(m.answer.map((r) => r.data), ['10 strict.example.com.']);
  assert.deepEqual(m.additional, []);
});

test('engine: pool-backed answers are not served from the response cache', async () => {
  const t = await rig();
  const first = addrs(t.ask('www.example.com', 'A').answer);
  assert.deepEqual(first, addrs(t.ask('www.example.com', 'A').answer));
  const mx = addrs(t.ask('example.com', 'MX').additional);
  const alias = addrs(t.ask('alias.example.com', 'A').answer);
  await t.report('192.0.2.10', false);
  await t.report('192.0.2.25', false);
  const second = addrs(t.ask('www.example.com', 'A').answer);
  assert.notDeepEqual(second, first);
  assert.deepEqual(second, ['192.0.2.11']);
  assert.notDeepEqual(addrs(t.ask('example.com', 'MX').additional), mx);
  assert.notDeepEqual(addrs(t.ask('alias.example.com', 'A').answer), alias);
  // Static answers still are cached: the cache is in use, just not for pools.
  t.ask('ns1.example.com', 'A');
  t.ask('ns1.example.com', 'A');
  assert.ok(t.catalog.cache.size > 0);
  for (const k of t.catalog.cache.names()) assert.ok(!/www|mail|alias/.test(k), `cached a pool-backed answer under ${JSON.stringify(k)}`);
});

test('engine: manual failback stays on the backup tier until released', async () => {
  const t = await rig();
  assert.deepEqual(addrs(t.ask('fo.example.com', 'A').answer), ['192.0.2.60']);
  await t.report('192.0.2.60', false);
  const failed = t.ask('fo.example.com', 'A');
  assert.deepEqual(addrs(failed.answer), ['192.0.2.61']);
  assert.deepEqual(ttls(failed.answer), [30]);
  assert.equal(t.live.latchOf('fo')?.tier, 1);
  assert.equal((await t.store.snapshot()).latches.find((l) => l.pool === 'fo')?.tier, 1, 'the latch is shared through the store');
  await t.report('192.0.2.60', true);
  assert.deepEqual(addrs(t.ask('fo.example.com', 'A').answer), ['192.0.2.61'], 'primary healthy again, still latched');
  assert.equal(t.live.tierOf('fo'), 1);
  assert.ok(!t.events.some((e) => e.type === 'pool.failback'));
  await t.store.unlatch('fo');
  await t.live.sync();
  assert.deepEqual(addrs(t.ask('fo.example.com', 'A').answer), ['192.0.2.60']);
  assert.ok(t.events.some((e) => e.type === 'pool.failback' && e.pool === 'fo'));
});

test('engine: ANY at a name whose only RRset is an empty pool is NODATA with the SOA', async () => {
  const t = await rig();
  await t.report('192.0.2.40', false);
  for (const transport of ['udp', 'tcp'] as const) {
    const out = ask(t.catalog, buildQuery('quiet.example.com', 'ANY'), transport);
    assert.ok(out);
    const m = parseMessage(out);
    assert.equal(m.rcode, 0);
    assert.deepEqual(m.answer, []);
    assert.equal(m.authority[0]?.type, 6, `${transport}: NODATA needs the SOA (RFC 2308 section 2.2)`);
  }
});

test('engine: manual failback also holds for AAAA when only the IPv6 primaries fail', async () => {
  const t = await rig();
  await t.report('2001:db8::70', false);
  assert.deepEqual(addrs(t.ask('ds.example.com', 'AAAA').answer, 28), ['2001:db8:0:0:0:0:0:71']);
  assert.ok(t.events.some((e) => e.type === 'pool.failover' && e.pool === 'ds'), 'AAAA answers moved to the second tier without a pool.failover event');
  await t.report('2001:db8::70', true);
  assert.deepEqual(addrs(t.ask('ds.example.com', 'AAAA').answer, 28), ['2001:db8:0:0:0:0:0:71'], 'failback: manual, yet AAAA went back to the primary by itself');
});
