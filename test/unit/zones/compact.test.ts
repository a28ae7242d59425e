// The compiler's path (zone files -> record tables -> image, table.ts) against
// the object path (ZoneSource -> image): the same image bytes, the same serials,
// the same errors. The parsers themselves are compared in fastparse.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCompactDir, loadZonesDir } from '../../../server/zones/load.js';
import { buildImage, buildImageCompact } from '../../../server/zones/image/build.js';
import { compileZonesDir } from '../../../server/zones/image/compiler.js';
import { H } from '../../../server/zones/image/format.js';
import { contentFingerprint } from '../../../server/zones/serial.js';
import { compactFromSource, fingerprintRecords } from '../../../server/zones/table.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..');

/** Image bytes with the build time and checksum left out. */
function comparable(image: ArrayBuffer): string {
  const words = new Uint32Array(image, 0, 32);
  const bytes = new Uint8Array(image.slice(0));
  bytes.fill(0, H.crc * 4, H.crc * 4 + 4);
  const meta = JSON.parse(Buffer.from(bytes.subarray(words[H.offMeta]!)).toString('utf8')) as Record<string, unknown>;
  delete meta.builtAt;
  return Buffer.from(bytes.subarray(0, words[H.offMeta]!)).toString('base64') + JSON.stringify(meta);
}

/** Names several spellings of one owner, deep names (empty non-terminals), wildcards, delegations and `serial: auto`. */
function mixedZone(n: number): string {
  const lines = ['---', '# mixed', 'origin: example.org.', 'records:', "  '@':", '    - { type: SOA, value: { mname: ns1, rname: hostmaster } }', '    - { type: NS, values: [ns1, ns2] }', '  ns1: { type: A, value: 192.0.2.1 }', "  ns2: { type: AAAA, value: '2001:db8::2' }", "  '*': { type: TXT, value: wildcard }"];
  for (let i = 0; i < n; i++) {
    lines.push(`  a.b${i % 5}.deep${i}: { type: A, values: [10.0.${i % 250}.1, 10.1.${i % 250}.2] }`, `  Up${i}: { type: TXT, value: 'x ${i}' }`, `  up${i}.example.org.: { type: A, value: 10.2.${i % 250}.${i % 200} }`);
    if (i % 10 === 0) lines.push(`  sub${i}:`, `    - { type: NS, values: [ns.sub${i}] }`, `  ns.sub${i}: { type: A, value: 192.0.2.${i % 250} }`);
  }
  return lines.join('\n') + '\n';
}

test('compact and object paths: the same image and serials for the repository zones and a mixed zone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-compact-'));
  try {
    cpSync(join(ROOT, 'zones'), join(dir, 'repo'), { recursive: true });
    writeFileSync(join(dir, 'repo', 'example.org.yaml'), mixedZone(300));
    const full = loadZonesDir(join(dir, 'repo'), new Map(), { compile: false });
    const compact = loadCompactDir(join(dir, 'repo'));
    assert.deepEqual(compact.errors, []);
    assert.deepEqual(full.errors, []);
    assert.deepEqual([...compact.serials], [...full.serials]);
    assert.equal(comparable(buildImageCompact(compact.sources, compact.pools)), comparable(buildImage(full.sources, full.pools)));
    for (const src of full.sources) assert.equal(contentFingerprint({ records: fingerprintRecords(compactFromSource(src)), poolRefs: src.poolRefs }, full.pools), contentFingerprint(src, full.pools));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a typo in a zone of 30,000 records: the compiler reports its line:col, as the object path does', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-compact-'));
  try {
    const text = mixedZone(10_000).replace('  up7000.example.org.: { type: A, value: 10.2.0.0 }', '  up7000.example.org.: { type: A, value: 10.2.0.300 }');
    writeFileSync(join(dir, 'example.org.yaml'), text);
    const line = text.split('\n').findIndex((l) => l.includes('10.2.0.300')) + 1;
    assert.ok(line > 20_000);
    const r = await compileZonesDir(dir);
    assert.equal(r.ok, false);
    const errors = r.ok ? [] : r.errors;
    assert.deepEqual(errors, [{ file: join(dir, 'example.org.yaml'), line, col: 42, message: 'A: "10.2.0.300" is not an IPv4 address (expected e.g. 192.0.2.1)' }]);
    assert.deepEqual(loadZonesDir(dir).errors, errors);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
