// A server for many customers holds thousands of small zone files. The
// compile of such a directory must cost about what its records cost: it once
// collected the heap after every zone (3,000 files ran past the 60 s compile
// deadline, so such a server never loaded) and gave every table room for
// 1,024 records (10,000 files peaked at 592 MB).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileZonesDir } from '../../../server/zones/image/compiler.js';

const FILES = 3000;

function smallZone(i: number): string {
  return ['ttl: 300', 'records:', "  '@':",
    '    - { type: SOA, value: { mname: ns1, rname: hostmaster, serial: 1, refresh: 7200, retry: 3600, expire: 1209600, minimum: 300 } }',
    '    - { type: NS, values: [ns1, ns2] }',
    '  ns1: { type: A, value: 192.0.2.2 }', '  ns2: { type: A, value: 192.0.2.3 }', `  www: { type: A, value: 198.51.100.${i % 250} }`, ''].join('\n');
}

test(`${FILES} small zone files compile well inside the deadline, with a peak sized by their records`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-many-'));
  try {
    for (let i = 0; i < FILES; i++) writeFileSync(join(dir, `z${i}.many.test.yaml`), smallZone(i));
    // A fifth of the server's deadline: the quadratic compile took all of it and more.
    const r = await compileZonesDir(dir, { lowPriority: false, timeoutMs: 12_000 });
    assert.ok(r.ok, r.ok ? '' : r.errors[0]?.message);
    assert.equal(r.zones.length, FILES);
    assert.equal(r.records, FILES * 6);
    // 81 MB measured; a table per file with room for 1,024 records put it near 300 MB.
    assert.ok(r.ms.peakMb !== undefined && r.ms.peakMb < 200, `compile peak ${r.ms.peakMb} MB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
