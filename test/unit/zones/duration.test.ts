// One duration syntax for zone TTLs, SOA timers, master files and pool settings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { durationMs, durationSeconds, parseDuration } from '../../../server/zones/duration.js';
import { parseZoneYaml } from '../../../server/zones/parse.js';
import { fastParseZoneYaml } from '../../../server/zones/fastparse.js';
import { parsePoolsYaml } from '../../../server/pools/parse.js';
import { importMasterFile } from '../../../server/zones/import.js';

test('durations: seconds, units and combinations', () => {
  assert.equal(durationSeconds('300'), 300);
  assert.equal(durationSeconds('5m'), 300);
  assert.equal(durationSeconds('1h30m'), 5400);
  assert.equal(durationSeconds('2d'), 172800);
  assert.equal(durationSeconds('1w'), 604800);
  assert.equal(durationSeconds('1W2D'), 777600, 'BIND takes units in either case');
  assert.equal(durationSeconds('500ms'), undefined, 'a TTL is whole seconds');
  assert.equal(durationMs('500ms'), 500);
  assert.equal(durationMs('1.5s'), 1500);
  for (const bad of ['', 'soon', '5 m', '-5m', '1y', 'm5']) assert.equal(durationMs(bad), undefined, bad);
  assert.equal(parseDuration(2), 2000, 'a YAML number in a pool file is seconds');
  assert.equal(parseDuration('2s'), 2000);
});

const ZONE = `ttl: 1h
records:
  '@':
    - { type: SOA, value: { mname: ns1, rname: hostmaster, serial: 1, refresh: 2h, retry: 30m, expire: 2w, minimum: 5m } }
    - { type: NS, value: ns1 }
  ns1: { type: A, ttl: 1h30m, value: 192.0.2.1 }
  www: { type: A, ttl: 2d, value: 192.0.2.2 }
  w: { type: A, ttl: 1w, value: 192.0.2.3 }
  plain: { type: A, ttl: 300, value: 192.0.2.4 }
`;

test('zone TTLs and SOA timers take durations, in both parsers alike', () => {
  const full = parseZoneYaml(ZONE, 'shop.test.yaml', 'shop.test');
  assert.deepEqual(full.errors, []);
  const zone = full.zone!;
  assert.equal(zone.defaultTtl, 3600);
  assert.deepEqual(zone.records.map((r) => r.ttl), [3600, 3600, 5400, 172800, 604800, 300]);
  const soa = zone.records[0]!.rdata.text;
  assert.match(soa, / 1 7200 1800 1209600 300$/);
  const fast = fastParseZoneYaml(ZONE, 'shop.test.yaml', 'shop.test');
  assert.ok(fast, 'the fast path reads durations too');
  assert.deepEqual(fast.zone!.records.map((r) => [r.ttl, r.rdata.text]), zone.records.map((r) => [r.ttl, r.rdata.text]));
});

test('a bad zone TTL says which forms work, at its line', () => {
  const r = parseZoneYaml(ZONE.replace('ttl: 2d', 'ttl: 2 days'), 'shop.test.yaml', 'shop.test');
  assert.equal(r.errors.length, 1);
  assert.equal(r.errors[0]!.line, 7);
  assert.match(r.errors[0]!.message, /duration such as 5m, 1h30m/);
  const big = parseZoneYaml(ZONE.replace('ttl: 2d', 'ttl: 100000w'), 'shop.test.yaml', 'shop.test');
  assert.match(big.errors[0]!.message, /out of range/);
});

test('pools and master files read the same syntax', () => {
  const pools = parsePoolsYaml('checks:\n  web:\n    type: http\n    interval: 1m30s\n    timeout: 500ms\npools:\n  p:\n    check: web\n    members: [192.0.2.1]\n', '_pools.yaml');
  assert.deepEqual(pools.errors, []);
  assert.equal(pools.pools.checks.get('web')!.intervalMs, 90_000);
  assert.equal(pools.pools.checks.get('web')!.timeoutMs, 500);
  const ttls = parsePoolsYaml('pools:\n  p:\n    members: [192.0.2.1]\n    ttl: 1m\n    degraded_ttl: 30s\n', '_pools.yaml');
  assert.deepEqual(ttls.errors, []);
  assert.deepEqual([ttls.pools.pools.get('p')!.ttl, ttls.pools.pools.get('p')!.degradedTtl], [60, 30], 'pool TTLs take durations like zone TTLs');
  const badTtl = parsePoolsYaml('pools:\n  p:\n    members: [192.0.2.1]\n    ttl: soon\n', '_pools.yaml');
  assert.match(badTtl.errors[0]!.message, /ttl: TTL must be a whole number of seconds or a duration/);
  const imp = importMasterFile('$ORIGIN shop.test.\n$TTL 1h30m\n@ SOA ns1 hm 1 2h 30m 2w 5m\n NS ns1\nns1 1d A 192.0.2.1\n', {});
  assert.deepEqual(imp.errors, []);
  assert.match(imp.yaml, /ttl: 5400/);
  assert.match(imp.yaml, /ttl: 86400/);
});
