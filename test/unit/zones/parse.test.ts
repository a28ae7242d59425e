// Zone files: parsing, validation messages a person can act on, serial auto.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, utimesSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { parseZoneYaml } from '../../../server/zones/parse.js';
import { validateZone } from '../../../server/zones/validate.js';
import { loadZonesDir } from '../../../server/zones/load.js';
import { formatError, type ZoneError } from '../../../server/zones/model.js';
import { CLI } from '../../support/server.js';

const HEAD = `records:
  '@':
    - { type: SOA, value: { mname: ns1, rname: hostmaster } }
    - { type: NS, values: [ns1, ns2] }
  ns1: { type: A, value: 192.0.2.1 }
  ns2: { type: A, value: 192.0.2.2 }
`;

function errorsOf(text: string): ZoneError[] {
  const r = parseZoneYaml(text, 'z.yaml', 'example.com');
  return [...r.errors, ...(r.zone ? validateZone(r.zone) : [])];
}

function expectError(text: string, re: RegExp, line?: number): void {
  const errs = errorsOf(text);
  const hit = errs.find((e) => re.test(e.message));
  assert.ok(hit, `expected an error matching ${re}, got:\n${errs.map(formatError).join('\n')}`);
  if (line !== undefined) assert.equal(hit.line, line, formatError(hit));
  assert.ok(hit.col >= 1);
}

test('a valid zone has no errors and every type parses', () => {
  const text = HEAD + `  www: { type: A, ttl: 60, values: [192.0.2.10, 192.0.2.11] }
  v6: { type: AAAA, value: '2001:db8::1' }
  mail: { type: MX, values: [{ preference: 10, exchange: mx1.example.net. }, '20 mx2.example.net.'] }
  txt: { type: TXT, values: [hello, [part one, part two], '${'x'.repeat(600)}'] }
  _s._tcp: { type: SRV, value: { priority: 1, weight: 2, port: 443, target: www } }
  caa: { type: CAA, value: { flags: 0, tag: issue, value: ca.example.net } }
  ptr: { type: PTR, value: host.example.net. }
  alias: { type: CNAME, value: www }
  '*.wild': { type: A, value: 192.0.2.9 }
  odd: { type: TYPE65280, value: '\\# 3 abcdef' }
`;
  assert.deepEqual(errorsOf(text).map(formatError), []);
  const zone = parseZoneYaml(text, 'z.yaml', 'example.com').zone!;
  const long = zone.records.find((r) => r.type === 16 && r.rdata.wire.length > 600)!;
  assert.equal(long.rdata.wire[0], 255, 'strings longer than 255 bytes are split on the wire');
});

test('errors name the line and say what would be right', () => {
  expectError('records: [\n', /YAML syntax/);
  expectError(HEAD + '  bad: { type: BOGUS, value: x }\n', /unknown record type "BOGUS"/, 7);
  expectError(HEAD + '  bad: { type: A, value: 300.1.2.3 }\n', /not an IPv4 address/, 7);
  expectError(HEAD + '  bad: { type: AAAA, value: "2001:db8::g" }\n', /not an IPv6 address/, 7);
  expectError(HEAD + '  www.example.org.: { type: A, value: 192.0.2.1 }\n', /outside the zone/, 7);
  expectError(HEAD + '  c:\n    - { type: CNAME, value: www }\n    - { type: A, value: 192.0.2.1 }\n', /beside other data/);
  expectError(HEAD + '  d: { type: A, values: [192.0.2.1, 192.0.2.1] }\n', /duplicate A record/);
  expectError(HEAD + '  t: { type: A, ttl: 4294967295, value: 192.0.2.1 }\n', /out of range/, 7);
  expectError(HEAD + '  t: { type: A, ttl: soon, value: 192.0.2.1 }\n', /whole number/);
  expectError(HEAD + '  sub: { type: NS, value: ns.sub }\n', /no A or AAAA record \(glue\)/, 7);
  expectError(HEAD + '  x: { type: A, vlaue: 192.0.2.1 }\n', /unknown record key "vlaue"/, 7);
  expectError(`records:\n  '@': { type: NS, value: ns1.example.net. }\n`, /no SOA/);
  expectError(`records:\n  '@': { type: SOA, value: { mname: ns1.example.net., rname: h } }\n`, /no NS records/);
  expectError(HEAD + '  mx: { type: MX, value: { preference: 70000, exchange: a } }\n', /out of range/);
  expectError(HEAD + '  mx: { type: MX, value: { pref: 1, exchange: a } }\n', /unknown field "pref"/);
  expectError(HEAD + '  ns1: { type: AAAA, value: "2001:db8::1" }\n', /owner "ns1" appears twice \(first at line 5\)/, 7);
  expectError(HEAD + '  x: { type: A, type: AAAA, value: 192.0.2.1 }\n', /"type" appears twice in one record/, 7);
});

test('every error of a file is reported, not just the first', () => {
  const errs = errorsOf(HEAD + '  a: { type: A, value: nope }\n  b: { type: AAAA, value: nope }\n  c: { type: WAT, value: 1 }\n');
  assert.equal(errs.length, 3);
  assert.deepEqual(errs.map((e) => e.line), [7, 8, 9]);
});

test('pulsedns check prints file:line:col and exits 1; exits 0 when clean', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-check-'));
  try {
    writeFileSync(join(dir, 'example.com.yaml'), HEAD);
    const ok = spawnSync(process.execPath, [CLI, 'check', dir], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    writeFileSync(join(dir, 'broken.test.yaml'), HEAD + '  x: { type: A, value: 1.2.3 }\n');
    const bad = spawnSync(process.execPath, [CLI, 'check', dir], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stdout, /broken\.test\.yaml:7:\d+: A: "1\.2\.3" is not an IPv4 address/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serial auto follows the file and only grows', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-serial-'));
  try {
    const file = join(dir, 'example.com.yaml');
    writeFileSync(file, HEAD);
    utimesSync(file, 1_700_000_000, 1_700_000_000);
    const first = loadZonesDir(dir);
    assert.equal(first.zones[0]!.serial, 1_700_000_000);
    // Same content again: same serial.
    assert.equal(loadZonesDir(dir, first.serials).zones[0]!.serial, 1_700_000_000);
    // Changed within the same second (or with an older mtime): still increases.
    writeFileSync(file, HEAD + '  www: { type: A, value: 192.0.2.80 }\n');
    utimesSync(file, 1_700_000_000, 1_700_000_000);
    const second = loadZonesDir(dir, first.serials);
    assert.equal(second.zones[0]!.serial, 1_700_000_001);
    // In a git work tree the commit time decides, identical on every checkout.
    const git = (...a: string[]): string => execFileSync('git', ['-C', dir, ...a], { encoding: 'utf8', env: { ...process.env, GIT_COMMITTER_DATE: '@1750000000 +0000', GIT_AUTHOR_DATE: '@1750000000 +0000' } });
    git('init', '-q');
    git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'add', '.');
    git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-qm', 'zone');
    assert.equal(loadZonesDir(dir).zones[0]!.serial, 1_750_000_000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an explicit serial is kept as written', () => {
  const text = HEAD.replace('{ mname: ns1, rname: hostmaster }', '{ mname: ns1, rname: hostmaster, serial: 2024010101 }');
  const z = parseZoneYaml(text, 'z.yaml', 'example.com').zone!;
  assert.equal(z.serialAuto, false);
  assert.match(z.records[0]!.rdata.text, / 2024010101 /);
});

test('export writes every configured member of a pool-backed name (what a secondary serves)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-export-'));
  try {
    writeFileSync(join(dir, 'example.com.yaml'), HEAD + '  www: { type: A, pool: web }\n');
    writeFileSync(join(dir, '_pools.yaml'), 'pools:\n  web:\n    members: [192.0.2.10, 192.0.2.11]\n    ttl: 120\n');
    const r = spawnSync(process.execPath, [CLI, 'export', 'example.com', '--zones', dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^www\.example\.com\.\s+120\s+IN\s+A\s+192\.0\.2\.10$/m);
    assert.match(r.stdout, /^www\.example\.com\.\s+120\s+IN\s+A\s+192\.0\.2\.11$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serial auto grows when only _pools.yaml changes (secondaries must refresh pool members)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-poolserial-'));
  try {
    const zoneFile = join(dir, 'example.com.yaml');
    const poolsFile = join(dir, '_pools.yaml');
    writeFileSync(zoneFile, HEAD + '  www: { type: A, pool: web }\n');
    writeFileSync(poolsFile, 'pools:\n  web:\n    members: [192.0.2.10]\n');
    utimesSync(zoneFile, 1_700_000_000, 1_700_000_000);
    utimesSync(poolsFile, 1_700_000_000, 1_700_000_000);
    const first = loadZonesDir(dir);
    assert.equal(first.zones[0]!.serial, 1_700_000_000);
    writeFileSync(poolsFile, 'pools:\n  web:\n    members: [192.0.2.10, 192.0.2.11]\n');
    utimesSync(poolsFile, 1_700_000_500, 1_700_000_500);
    assert.equal(loadZonesDir(dir, first.serials).zones[0]!.serial, 1_700_000_500);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
