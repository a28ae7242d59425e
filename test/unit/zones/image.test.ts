// The compiled image against today's compiled Zone: same names, RRsets, TTLs,
// RDATA, cuts, wildcards and SOA for the fixtures and a random zone; the same
// answers from the engine run over the image; the worker compile answers
// errors without crashing; nesting and error floods are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, copyFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadZonesDir } from '../../../server/zones/load.js';
import { compactZoneFromText, zoneFromText } from '../../../server/zones/source.js';
import { parseZoneYaml } from '../../../server/zones/parse.js';
import { fastParseZoneYaml } from '../../../server/zones/fastparse.js';
import { validateZone } from '../../../server/zones/validate.js';
import { compileZone, type Zone } from '../../../server/zones/compile.js';
import { buildImage } from '../../../server/zones/image/build.js';
import { ZoneImage } from '../../../server/zones/image/view.js';
import { imageZones, type ZoneLike } from '../../../server/zones/image/adapter.js';
import { compileZonesDir } from '../../../server/zones/image/compiler.js';
import { imagePools, readImageFile, writeImageFile } from '../../../server/zones/image/file.js';
import { ImageError } from '../../../server/zones/image/format.js';
import { compareNamesCanonical } from '../../../server/zones/export.js';
import { canonicalKey, idOfKey } from '../../../server/zones/image/canonical.js';
import { findCut } from '../../../server/engine/referral.js';
import { Catalog } from '../../../server/engine/catalog.js';
import { ask } from '../../support/engine.js';
import { type Name, nameFromText, nameToText, parentName, wildcardOf } from '../../../server/wire/names.js';
import { formatError } from '../../../server/zones/model.js';
import { buildQuery } from '../../support/dnsmsg.js';
import { makeRng } from '../../support/rng.js';
import type { PoolSet } from '../../../server/pools/model.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const NO_POOLS: PoolSet = { pools: new Map(), checks: new Map() };

function imageOf(zones: Zone[], pools: PoolSet): ZoneImage {
  return new ZoneImage(buildImage(zones.map((z) => z.source), pools));
}

/** Every observable of `zone` equals what the image holds for zone `z`. */
function assertSame(zone: Zone, img: ZoneImage, z: number): void {
  const where = nameToText(zone.origin);
  assert.equal(img.origin(z), zone.origin);
  assert.equal(img.serial(z), zone.serial, `${where} serial`);
  assert.equal(img.negativeTtl(z), zone.negativeTtl, `${where} negative TTL`);
  assert.equal(img.hasWildcards(z), zone.hasWildcards, `${where} wildcards`);
  assert.equal(img.nodesIn(z), zone.nodes.size, `${where} node count`);
  assert.equal(img.ttl(img.soa(z)), zone.soa.ttl);
  const cuts = new Set<Name>();
  for (const [name, node] of zone.nodes) {
    const n = img.findNode(z, name);
    assert.ok(n >= 0, `${nameToText(name)} is in the image`);
    assert.equal(img.name(n), name);
    if (img.isCut(n)) cuts.add(name);
    assert.equal(img.isEmpty(n), node.rrsets.size === 0);
    const types = [...node.rrsets.keys()].sort((a, b) => a - b);
    const got: number[] = [];
    for (let r = img.rrsetStart(n); r < img.rrsetEnd(n); r++) got.push(img.type(r));
    assert.deepEqual(got, types, `${nameToText(name)} types`);
    for (const [type, set] of node.rrsets) {
      const r = img.findRRset(n, type);
      const label = `${nameToText(name)} type ${type}`;
      assert.equal(img.ttl(r), set.ttl, `${label} ttl`);
      assert.equal(img.count(r), set.rdata.length, `${label} count`);
      assert.equal(img.pool(r), set.pool?.name, `${label} pool`);
      let off = img.dataStart(r);
      for (const rd of set.rdata) {
        const len = img.rdlength(off);
        assert.deepEqual(Buffer.from(img.bytes.subarray(off + 2, off + 2 + len)), rd.wire, `${label} rdata`);
        assert.equal(img.target(type, off), rd.target, `${label} target`);
        off = img.nextRecord(off);
      }
      assert.equal(off, img.dataEnd(r));
    }
  }
  assert.deepEqual([...cuts].sort(), [...zone.cuts].sort(), `${where} cuts`);
  // Canonical order: the image's node order is RFC 4034 6.1 order.
  const sorted = [...zone.nodes.keys()].sort(compareNamesCanonical);
  const apex = img.apex(z);
  sorted.forEach((name, i) => assert.equal(img.name(apex + i), name, `canonical position ${i}`));
}

/** The engine's closest-encloser walk, as lookup.ts wildcardFor does it. */
function encloserOf(zone: Zone, qname: Name): Name {
  let e = qname;
  while (!zone.nodes.has(e)) e = parentName(e);
  return e;
}

function assertLookupsSame(zone: Zone, img: ZoneImage, z: number, queries: Name[]): void {
  const sorted = [...zone.nodes.keys()].sort(compareNamesCanonical);
  for (const q of queries) {
    const enc = encloserOf(zone, q);
    const n = img.closestEncloser(z, q);
    assert.equal(img.name(n), enc, `closest encloser of ${nameToText(q)}`);
    const cut = findCut(zone, q);
    const c = img.findCut(z, q);
    assert.equal(c < 0 ? undefined : img.name(c), cut, `cut above ${nameToText(q)}`);
    const wild = zone.nodes.has(wildcardOf(enc)) ? wildcardOf(enc) : undefined;
    const w = img.wildcardChild(n);
    assert.equal(w < 0 ? undefined : img.name(w), wild, `wildcard for ${nameToText(q)}`);
    // Predecessor: the last name at or before q in canonical order.
    let pred = sorted[0]!;
    for (const s of sorted) if (compareNamesCanonical(s, q) <= 0) pred = s;
    assert.equal(img.name(img.predecessor(z, q)), pred, `predecessor of ${nameToText(q)}`);
  }
}

/** Some names of the zone, their children, siblings and misses. */
function probeNames(zone: Zone, rnd: () => number, count: number): Name[] {
  const names = [...zone.nodes.keys()];
  const out: Name[] = [];
  for (let i = 0; i < count; i++) {
    const base = names[Math.floor(rnd() * names.length)]!;
    const k = rnd();
    if (k < 0.3) out.push(base);
    else if (k < 0.6) out.push(nameFromText(`q${i}`, base));
    else if (k < 0.8) out.push(nameFromText(`a.b${i}`, base));
    else out.push(nameFromText(`\\000x${i}`, base));
  }
  return out;
}

function randomZoneText(seed: number, owners: number): string {
  const rnd = makeRng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const labels = ['a', 'b', 'mail', 'www', 'x-1', 'Z', 'deep', '0', 'a0', 'aa', '_tcp', 'ab'];
  const lines = [
    'ttl: 600',
    'records:',
    "  '@':",
    '    - { type: SOA, value: { mname: ns1, rname: hostmaster, serial: 42, minimum: 120 } }',
    '    - { type: NS, values: [ns1, ns2.example.net.] }',
    '  ns1: { type: A, value: 192.0.2.1 }',
  ];
  const seen = new Set<string>(['@', 'ns1']);
  for (let i = 0; i < owners; i++) {
    const depth = 1 + Math.floor(rnd() * 4);
    const parts: string[] = [];
    for (let d = 0; d < depth; d++) parts.push(pick(labels) + (rnd() < 0.3 ? String(i % 7) : ''));
    if (rnd() < 0.08) parts[0] = '*';
    const owner = parts.join('.');
    if (seen.has(owner.toLowerCase()) || parts.slice(1).some((p) => p === '*')) continue;
    seen.add(owner.toLowerCase());
    const k = rnd();
    const q = (s: string): string => `'${s}'`;
    if (k < 0.3) lines.push(`  ${q(owner)}: { type: A, values: [10.0.${i & 255}.1, 10.0.${i & 255}.2] }`);
    else if (k < 0.4) lines.push(`  ${q(owner)}: { type: AAAA, value: '2001:db8::${i.toString(16)}' }`);
    else if (k < 0.5) lines.push(`  ${q(owner)}: { type: CNAME, value: www.${pick(labels)} }`);
    else if (k < 0.6) lines.push(`  ${q(owner)}:`, `    - { type: MX, value: { preference: ${i % 50}, exchange: mail } }`, `    - { type: TXT, ttl: 60, value: 'text ${i}' }`);
    else if (k < 0.68 && !owner.startsWith('*')) {
      lines.push(`  ${q(owner)}: { type: NS, values: [ns.${owner}, ns.example.net.] }`, `  ${q('ns.' + owner)}: { type: A, value: 192.0.2.${i % 250} }`);
      seen.add(('ns.' + owner).toLowerCase());
    } else if (k < 0.76) lines.push(`  ${q(owner)}: { type: SRV, value: '0 5 ${1000 + i} mail' }`);
    else if (k < 0.82) lines.push(`  ${q(owner)}: { type: CAA, value: { flags: 0, tag: issue, value: ca.example.net } }`);
    else if (k < 0.88) lines.push(`  ${q(owner)}: { type: PTR, value: host${i}.example.net. }`);
    else lines.push(`  ${q(owner)}: { type: TYPE65280, value: '\\# 3 0a0b0c' }`);
  }
  return lines.join('\n') + '\n';
}

function compileText(text: string, origin: string): Zone {
  const r = parseZoneYaml(text, `${origin}.yaml`, origin);
  const errors = [...r.errors, ...(r.zone ? validateZone(r.zone) : [])];
  if (errors.length || !r.zone) throw new Error(errors.map(formatError).join('\n'));
  return compileZone(r.zone);
}

/** The engine's answers from real Zones and from the image adapter, byte for byte. */
function assertAnswersSame(zones: Zone[], views: ZoneLike[], queries: Array<[string, string | number]>): void {
  const a = new Catalog(zones);
  // The adapter has the engine's read surface; integration only widens the engine's types.
  const b = new Catalog(views as unknown as Zone[]);
  for (const [name, type] of queries) {
    for (const transport of ['udp', 'tcp'] as const) {
      const msg = buildQuery(name, type, { id: 0x1234 });
      assert.deepEqual(ask(b, msg, transport), ask(a, msg, transport), `${name} ${type} over ${transport}`);
    }
  }
}

test('the image holds what compileZone holds, for the fixture zones and the sample zones', () => {
  for (const dir of [join(ROOT, 'test/fixtures/diff'), join(ROOT, 'zones')]) {
    const r = loadZonesDir(dir);
    assert.deepEqual(r.errors, []);
    const img = imageOf(r.zones, r.pools);
    assert.equal(img.zoneCount, r.zones.length);
    r.zones.forEach((zone) => {
      const z = img.zoneByOrigin(zone.origin);
      assertSame(zone, img, z);
      assertLookupsSame(zone, img, z, probeNames(zone, makeRng(7), 300));
    });
  }
});

test('a random zone: every name, type, TTL and RDATA, cut, encloser and wildcard agree', () => {
  for (const seed of [1, 2, 3]) {
    const zone = compileText(randomZoneText(seed, 1500), 'rand.test');
    const img = imageOf([zone], NO_POOLS);
    assertSame(zone, img, 0);
    assertLookupsSame(zone, img, 0, probeNames(zone, makeRng(seed + 100), 1500));
  }
});

test('the engine answers the same from the image adapter as from compiled zones', () => {
  const diff = loadZonesDir(join(ROOT, 'test/fixtures/diff'));
  const rand = compileText(randomZoneText(9, 800), 'rand.test');
  const zones = [...diff.zones, rand];
  const img = new ZoneImage(buildImage(zones.map((z) => z.source), diff.pools));
  const views = imageZones(img, diff.pools);
  const rnd = makeRng(5);
  const types: Array<string | number> = ['A', 'AAAA', 'NS', 'MX', 'TXT', 'SRV', 'CNAME', 'SOA', 'ANY', 43, 'CAA', 'PTR', 'TYPE65280'];
  const queries: Array<[string, string | number]> = [];
  for (const zone of zones) {
    for (const name of probeNames(zone, rnd, 400)) queries.push([nameToText(name), types[Math.floor(rnd() * types.length)]!]);
  }
  assertAnswersSame(zones, views, queries);
});

test('a corrupted or foreign image is refused with a reason', () => {
  const zone = compileText(randomZoneText(4, 50), 'rand.test');
  const buf = buildImage([zone.source], NO_POOLS);
  const bytes = new Uint8Array(buf.slice(0));
  bytes[bytes.length - 10]! ^= 1;
  assert.throws(() => new ZoneImage(bytes), (e) => e instanceof ImageError && /checksum/.test(e.message));
  assert.throws(() => new ZoneImage(new Uint8Array(256)), (e) => e instanceof ImageError && /magic/.test(e.message));
  assert.throws(() => new ZoneImage(new Uint8Array(buf).subarray(0, 1000)), ImageError);
  assert.equal(new ZoneImage(new Uint8Array(buf)).zoneCount, 1);
});

function tempZones(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-image-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

test('the worker compiles a directory into an image it hands over', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-image-'));
  try {
    for (const f of readdirSync(join(ROOT, 'zones'))) copyFileSync(join(ROOT, 'zones', f), join(dir, f));
    const r = await compileZonesDir(dir);
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    // Handed over as a file: what a respawned worker would read.
    writeImageFile(join(dir, 'zones.image'), r.image);
    const img = readImageFile(join(dir, 'zones.image'));
    const direct = loadZonesDir(dir);
    assert.equal(img.zoneCount, direct.zones.length);
    for (const zone of direct.zones) assertSame(zone, img, img.zoneByOrigin(zone.origin));
    // The pools travel inside the image; pool-backed RRsets find theirs by name.
    const pools = imagePools(img);
    assert.deepEqual([...pools.pools.keys()].sort(), [...direct.pools.pools.keys()].sort());
    const pooled = imageZones(img, pools).flatMap((z) => [...z.nodes.values()].flatMap((n) => [...n.rrsets.values()])).filter((s) => s.pool);
    assert.ok(pooled.length > 0 && pooled.every((s) => pools.pools.get(s.pool!.name) === s.pool));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the worker reports a broken file with file:line:col and does not crash', async () => {
  const dir = tempZones({
    'ok.test.yaml': 'records:\n  "@":\n    - { type: SOA, value: { mname: ns1, rname: h } }\n    - { type: NS, value: ns1 }\n  ns1: { type: A, value: 192.0.2.1 }\n',
    'bad.test.yaml': 'records:\n  "@":\n    - { type: SOA, value: { mname: ns1, rname: h } }\n    - { type: NS, value: ns1 }\n  ns1: { type: A, value: 192.0.2.300 }\n',
  });
  try {
    const r = await compileZonesDir(dir);
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.errors.some((e) => e.file.endsWith('bad.test.yaml') && e.line === 5 && e.col > 1 && /IPv4/.test(e.message)), JSON.stringify(!r.ok && r.errors));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a worker that runs out of time or heap comes back as an error', async () => {
  const big = ['records:', '  "@":', '    - { type: SOA, value: { mname: ns1, rname: h } }', '    - { type: NS, value: ns1 }', '  ns1: { type: A, value: 192.0.2.1 }'];
  for (let i = 0; i < 20000; i++) big.push(`  h${i}: { type: A, value: 10.0.${(i >> 8) & 255}.${i & 255} }`);
  const dir = tempZones({ 'big.test.yaml': big.join('\n') + '\n' });
  try {
    const slow = await compileZonesDir(dir, { timeoutMs: 1 });
    assert.ok(!slow.ok && /longer than 1 ms/.test(slow.errors[0]!.message), JSON.stringify(slow));
    const small = await compileZonesDir(dir, { maxHeapMb: 4 });
    assert.ok(!small.ok && /memory|crashed|exited/.test(small.errors[0]!.message), JSON.stringify(small));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const NESTED = {
  brackets: 'records:\n  www: ' + '['.repeat(5000) + '\n',
  closed: 'records:\n  www: { type: TXT, value: ' + '['.repeat(5000) + ']'.repeat(5000) + ' }\n',
  braces: 'records:\n  www: ' + '{a: '.repeat(5000) + '\n',
  indentation: 'records:\n' + Array.from({ length: 5000 }, (_, i) => ' '.repeat(i + 2) + `k${i}:`).join('\n') + ' x\n',
  top: '['.repeat(5000) + '\n',
};

test('5,000 nested brackets, braces or indentation levels give an error, not a stack overflow', async () => {
  for (const [what, text] of Object.entries(NESTED)) {
    // The fast parser declines (or bails) without throwing; the full parser reports.
    assert.doesNotThrow(() => fastParseZoneYaml(text, 'n.test.yaml', 'n.test'), what);
    const r = parseZoneYaml(text, 'n.test.yaml', 'n.test');
    assert.equal(r.zone, undefined, what);
    assert.match(r.errors[0]!.message, /nested more than 100 levels/, what);
    assert.ok(r.errors[0]!.line >= 1 && r.errors[0]!.col >= 1);
  }
  const dir = tempZones({ 'n.test.yaml': NESTED.brackets, '_pools.yaml': 'pools: ' + '['.repeat(5000) + '\n' });
  try {
    const r = await compileZonesDir(dir);
    assert.ok(!r.ok);
    assert.ok(!r.ok && r.errors.some((e) => e.file.endsWith('_pools.yaml') && /nested/.test(e.message)));
    assert.ok(!r.ok && r.errors.some((e) => e.file.endsWith('n.test.yaml') && /nested/.test(e.message)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the compiler path scans depth only when the fast path did not read a file cleanly, and refuses the same files', () => {
  const soa = "records:\n  '@':\n    - { type: SOA, value: { mname: ns1, rname: h } }\n    - { type: NS, values: [ns1] }\n  ns1: { type: A, value: 192.0.2.1 }\n";
  const cases: Record<string, string> = {
    ...NESTED,
    // The fast path reads the typo and reports it, then meets the deep part: the depth refusal wins, as it did before.
    'typo first': soa + '  a: { type: A, value: 300.0.0.1 }\n  b: { type: TXT, value: ' + '['.repeat(150) + ']'.repeat(150) + ' }\n',
    'misplaced lines': soa + Array.from({ length: 150 }, (_, i) => ' '.repeat(i + 3) + `k${i}: x`).join('\n') + '\n',
  };
  for (const [what, text] of Object.entries(cases)) {
    const r = compactZoneFromText(text, 'n.test.yaml', { pools: new Map(), checks: new Map() });
    assert.equal(r.zone, undefined, what);
    assert.match(r.errors[0]!.message, /nested more than 100 levels/, what);
  }
  // Between the fast path's depth and the limit: the full parser's answer, not a depth refusal.
  const mid = compactZoneFromText(soa + '  b: { type: TXT, value: ' + '['.repeat(60) + 'x' + ']'.repeat(60) + ' }\n', 'n.test.yaml', { pools: new Map(), checks: new Map() });
  assert.equal(mid.zone, undefined);
  assert.doesNotMatch(mid.errors[0]!.message, /nested/);
  assert.equal(mid.errors[0]!.line, 6);
});

test('ordinary nesting and brackets inside values are not mistaken for deep nesting', () => {
  const text = [
    'records:',
    "  '@':",
    '    - { type: SOA, value: { mname: ns1, rname: h } }',
    '    - { type: NS, values: [ns1] }',
    `    - { type: TXT, values: ["${'['.repeat(150)}", '${'{'.repeat(150)}'] }`,
    '  ns1:',
    '    type: TXT',
    `    value: plain[${'['.repeat(150)}`,
    `  # ${'['.repeat(500)}`,
  ].join('\n');
  const r = parseZoneYaml(text + '\n', 'ok.test.yaml', 'ok.test');
  assert.deepEqual(r.errors, []);
});

test('an error flood is capped per file, with a count of the rest', () => {
  const lines = ['records:', "  '@':", '    - { type: SOA, value: { mname: ns1, rname: h } }', '    - { type: NS, value: ns1 }'];
  for (let i = 0; i < 5000; i++) lines.push(`  h${i}: { type: A, value: nope }`);
  const r = parseZoneYaml(lines.join('\n') + '\n', 'f.test.yaml', 'f.test');
  assert.equal(r.errors.length, 101);
  assert.match(r.errors[100]!.message, /4900 more errors/);
  // Validation errors too (2,000 CNAMEs beside other data).
  const v = ['records:', "  '@':", '    - { type: SOA, value: { mname: ns1, rname: h } }', '    - { type: NS, value: ns1 }', '  ns1: { type: A, value: 192.0.2.1 }'];
  for (let i = 0; i < 2000; i++) v.push(`  h${i}:`, '    - { type: A, value: 192.0.2.1 }', '    - { type: CNAME, value: ns1 }');
  const vr = zoneFromText(v.join('\n') + '\n', 'v.test.yaml', NO_POOLS);
  assert.equal(vr.errors.length, 101);
  assert.match(vr.errors[100]!.message, /1900 more errors/);
});

test('sort keys: plain string order is canonical order, the id comes back, one byte per character', () => {
  const names = ['example.com.', 'a.example.com.', 'z.example.com.', '*.z.example.com.', 'zz.example.com.', 'b.a.example.com.', 'a-.example.com.'].map((t) => nameFromText(t));
  const ids = [0, 1, 0xff, 0x100, 0xffff, 0x1000000, 0xffffffff];
  const keys = names.map((n, i) => canonicalKey(n, ids[i]));
  const byKey = names.map((n, i) => ({ n, k: keys[i]! })).sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0)).map((x) => x.n);
  assert.deepEqual(byKey, [...names].sort(compareNamesCanonical));
  assert.deepEqual(keys.map(idOfKey), ids);
  // Code units under 256 let V8 keep a key one byte per character (the compile's peak at a million names).
  for (const k of keys) assert.ok([...k].every((c) => c.charCodeAt(0) < 256), 'no two-byte character');
});
