// `pulsedns check`: the classic mistakes a zone can be served with, and paths
// read for what they are (a zones directory, _pools.yaml, one zone file), and
// a signed zone's SOA expire, also logged when the zones are loaded.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { checkPaths, formatCheckReport } from '../../../server/zones/check.js';
import { formatError } from '../../../server/zones/model.js';
import { CLI } from '../../support/server.js';
import { pino } from 'pino';
import { createKey } from '../../../server/dnssec/keys.js';
import { nameFromText } from '../../../server/wire/names.js';
import { ServedZones } from '../../../server/runtime/reloader.js';
import { Stats } from '../../../server/runtime/stats.js';

const SHOP = `records:
  '@':
    - { type: SOA, value: { mname: ns1, rname: hostmaster } }
    - { type: NS, values: [ns1] }
    - type: MX
      values:
        - { preference: 10, exchange: mail }
        - { preference: 20, exchange: mx2.example.net }
  ns1: { type: A, value: 192.0.2.1 }
  mail: { type: A, value: 192.0.2.25 }
  lab: { type: NS, value: ns.lab }
  ns.lab: { type: A, value: 192.0.2.9 }
  www: { type: A, pool: web }
  enum: { type: NAPTR, value: { order: 1, preference: 1, flags: S, service: 'SIP+D2U', replacement: _sip._udp } }
`;
const POOLS = 'pools:\n  web:\n    members: [192.0.2.10, 192.0.2.11]\n';

function dir(t: TestContext, files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'pulsedns-check-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
  return d;
}

test('a relative name that looks like an outside one is a warning naming its line', (t) => {
  const d = dir(t, { 'shop.test.yaml': SHOP, '_pools.yaml': POOLS });
  const r = checkPaths([d]);
  assert.deepEqual(r.errors, []);
  assert.equal(r.warnings.length, 1, `only mx2.example.net (not ns.lab, not _sip._udp): ${r.warnings.map(formatError).join('\n')}`);
  const w = r.warnings[0]!;
  assert.deepEqual([w.file, w.line], [join(d, 'shop.test.yaml'), 8]);
  assert.match(w.message, /"mx2\.example\.net" has no trailing dot, so it means mx2\.example\.net\.shop\.test\..*write "mx2\.example\.net\."/);
  const out = formatCheckReport(r);
  assert.equal(out.exitCode, 0, 'warnings alone pass');
  assert.match(out.text, /shop\.test\.yaml:8:\d+: warning: /);
  assert.match(out.text, /ok: 1 zone valid, 1 warning/);
});

test('a CNAME loop is an error, within a zone and across zones', (t) => {
  const other = "records:\n  '@':\n    - { type: SOA, value: { mname: ns1.shop.test., rname: hostmaster } }\n    - { type: NS, value: ns1.shop.test. }\n  back: { type: CNAME, value: away.shop.test. }\n";
  const d = dir(t, {
    'shop.test.yaml': SHOP + '  l1: { type: CNAME, value: l2 }\n  l2: { type: CNAME, value: l1 }\n  away: { type: CNAME, value: back.other.test. }\n  fine: { type: CNAME, value: www }\n',
    'other.test.yaml': other,
    '_pools.yaml': POOLS,
  });
  const r = checkPaths([d]);
  const loops = r.errors.filter((e) => /CNAME loop/.test(e.message));
  assert.equal(loops.length, 2, r.errors.map(formatError).join('\n'));
  assert.ok(loops.some((e) => /l1\.shop\.test\. -> l2\.shop\.test\. -> l1\.shop\.test\./.test(e.message) && e.line === 15));
  assert.ok(loops.some((e) => /other\.test/.test(e.message) && /shop\.test/.test(e.message)));
  assert.equal(formatCheckReport(r).exitCode, 1);
});

test('an empty zones directory, or one with no zone files, fails', (t) => {
  const empty = dir(t, {});
  const onlyPools = dir(t, { '_pools.yaml': POOLS, 'README.md': 'x' });
  for (const d of [empty, onlyPools]) {
    const r = checkPaths([d]);
    assert.deepEqual(r.errors.map((e) => e.message), [`no zone files found in ${d} (zone files are named after their zone: example.com.yaml)`]);
  }
  const missing = checkPaths([join(empty, 'nope')]);
  assert.match(missing.errors[0]!.message, /cannot read zones directory/);
  const cli = spawnSync(process.execPath, [CLI, 'check', empty], { encoding: 'utf8' });
  assert.equal(cli.status, 1, 'CI fails on an empty zones directory');
  assert.match(cli.stdout, new RegExp(`^${empty}: no zone files found in ${empty}`, 'm'));
});

test('_pools.yaml given by name is checked as pools, not as a zone', (t) => {
  const d = dir(t, { 'shop.test.yaml': SHOP, '_pools.yaml': POOLS });
  const ok = checkPaths([join(d, '_pools.yaml')]);
  assert.deepEqual(ok.errors, []);
  assert.match(formatCheckReport(ok).text, /^ok: 1 pools file valid/);
  writeFileSync(join(d, '_pools.yaml'), 'pools:\n  web:\n    members: [192.0.2.10]\n    ttl: soon\n');
  const bad = checkPaths([join(d, '_pools.yaml')]);
  assert.equal(bad.errors.length, 1);
  assert.equal(bad.errors[0]!.line, 4);
  assert.doesNotMatch(bad.errors[0]!.message, /zone key|records/);
});

test('one zone file is checked against the _pools.yaml beside it', (t) => {
  const d = dir(t, { 'shop.test.yaml': SHOP.replace('pool: web', 'pool: webb'), '_pools.yaml': POOLS });
  const r = checkPaths([join(d, 'shop.test.yaml')]);
  assert.deepEqual(r.errors.map((e) => [e.line, e.message]), [[13, 'no pool named "webb" in _pools.yaml (known: web)']]);
  writeFileSync(join(d, '_pools.yaml'), 'pools:\n  web:\n\tmembers: [192.0.2.10]\n');
  const broken = checkPaths([join(d, 'shop.test.yaml')]);
  assert.ok(broken.errors.some((e) => e.file === join(d, '_pools.yaml') && e.line === 3), 'the broken pools file is named, not just the missing pool');
  mkdirSync(join(d, 'sub'));
  writeFileSync(join(d, 'sub', 'shop.test.yaml'), SHOP);
  const alone = checkPaths([join(d, 'sub', 'shop.test.yaml')]);
  assert.match(alone.errors[0]!.message, /no pool named "web" in _pools\.yaml/);
});

test('a signed zone whose SOA expire outlives its signatures is a warning at its SOA, from check and on every load', async (t) => {
  const zone = (dnssec: string, expire: string): string =>
    `${dnssec}records:\n  '@':\n    - type: SOA\n      value: { mname: ns1, rname: hostmaster, serial: 1${expire} }\n    - { type: NS, value: ns1 }\n  ns1: { type: A, value: 192.0.2.1 }\n`;
  const d = dir(t, {
    'long.test.yaml': zone('dnssec: true\n', ', expire: 2w'),
    // Left out, the expire is 6 days in a signed zone and 14 days in the others.
    'signed.test.yaml': zone('dnssec: true\n', ''),
    'short.test.yaml': zone('dnssec: true\n', ', expire: 6d'),
    'plain.test.yaml': zone('', ''),
  });
  const cli = spawnSync(process.execPath, [CLI, 'check', d], { encoding: 'utf8' });
  assert.equal(cli.status, 0, 'a warning never fails the check');
  const warning = `${join(d, 'long.test.yaml')}:5:14: warning: SOA expire 1209600 (14 days) is above 518400 (6 days), the limit for a zone served signed (dnssec:): a secondary cut off from pulsedns would go on answering for long.test. with signatures that have expired, which validating resolvers reject; set expire to 6d or less`;
  assert.equal(cli.stdout, `${warning}\nok: 4 zones valid, 1 warning\n`, 'not the zones at 6 days, not the unsigned one');

  // Loading serves the zone and logs the same line, as a warning.
  const keysDir = mkdtempSync(join(tmpdir(), 'pulsedns-check-keys-'));
  t.after(() => rmSync(keysDir, { recursive: true, force: true }));
  for (const z of ['long.test.', 'signed.test.', 'short.test.']) createKey(keysDir, nameFromText(z), 13);
  const lines: Array<{ level: number; msg: string }> = [];
  const served = new ServedZones(d, pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) }), new Stats(), { keysDir });
  assert.ok(await served.reload(), 'served all the same');
  assert.ok(served.current.signed.has(nameFromText('long.test.')));
  assert.deepEqual(
    lines.filter((l) => l.level === 40).map((l) => l.msg),
    [warning.replace(': warning: ', ': ')],
  );
  const expire = (z: string): number => {
    const wire = served.current.zones.get(nameFromText(z))!.soa.rdata[0]!.wire;
    return wire.readUInt32BE(wire.length - 8);
  };
  assert.deepEqual(['signed.test.', 'plain.test.'].map(expire), [518400, 1209600]);
});
