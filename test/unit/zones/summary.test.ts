// A cluster primary keeps a summary of each zone, not the image (adapter.ts zoneSummary):
// the summary must say what the image says about the zone and hold none of its bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileZonesDir } from '../../../server/zones/image/compiler.js';
import { ZoneImage } from '../../../server/zones/image/view.js';
import { imagePools } from '../../../server/zones/image/file.js';
import { imageZones, zoneSummary } from '../../../server/zones/image/adapter.js';
import { Type } from '../../../server/wire/constants.js';

test('a zone summary keeps origin, serial, SOA and signing option, copied out of the image', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-summary-'));
  try {
    writeFileSync(
      join(dir, 'sum.test.yaml'),
      "records:\n  '@':\n    - { type: SOA, value: { mname: ns1, rname: hostmaster, serial: 77 } }\n    - { type: NS, value: ns1 }\n  ns1: { type: A, value: 192.0.2.53 }\n  www: { type: A, value: 192.0.2.80 }\n  '*.wild': { type: A, value: 192.0.2.81 }\n",
    );
    const r = await compileZonesDir(dir);
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    const img = new ZoneImage(new Uint8Array(r.image));
    const [zone] = imageZones(img, imagePools(img));
    const s = zoneSummary(zone!);
    assert.equal(s.origin, zone!.origin);
    assert.equal(s.serial, 77);
    assert.equal(s.file, zone!.file);
    assert.equal(s.negativeTtl, zone!.negativeTtl);
    assert.equal(s.dnssec, undefined);
    assert.deepEqual(s.soa.rdata.map((rd) => rd.wire), zone!.soa.rdata.map((rd) => rd.wire));
    for (const rd of s.soa.rdata) {
      assert.notEqual(rd.wire.buffer, img.bytes.buffer, 'the SOA bytes are a copy');
      for (const p of rd.parts) if (typeof p !== 'string') assert.notEqual(p.buffer, img.bytes.buffer);
    }
    // Only the apex is left, with its SOA: the records stay in the image the workers read.
    assert.deepEqual([...s.nodes.keys()], [zone!.origin]);
    assert.equal(s.nodes.get(zone!.origin)?.rrsets.get(Type.SOA), s.soa);
    assert.ok(zone!.nodes.size > 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const TWO_ZONES = {
  'sum.test.yaml':
    "dnssec: true\nrecords:\n  '@':\n    - { type: SOA, value: { mname: ns1, rname: hostmaster, serial: 78 } }\n    - { type: NS, values: [ns1, ns2.other.test.] }\n    - { type: TXT, value: apex }\n  ns1: { type: A, value: 192.0.2.53 }\n  a.b.c: { type: A, value: 192.0.2.80 }\n",
  'two.test.yaml': "records:\n  '@':\n    - { type: SOA, value: { mname: ns1, rname: h } }\n    - { type: NS, value: ns1 }\n  ns1: { type: A, value: 192.0.2.54 }\n",
};

test('a compile for a process that answers nothing gives the apexes only: the same summaries, the full image in its file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-summary-'));
  for (const [name, text] of Object.entries(TWO_ZONES)) writeFileSync(join(dir, name), text);
  try {
    const output = join(dir, 'zones.img');
    const full = await compileZonesDir(dir, { output });
    const apex = await compileZonesDir(dir, { output, summaryOnly: true });
    assert.ok(full.ok && apex.ok, JSON.stringify([!full.ok && full.errors, !apex.ok && apex.errors]));
    assert.equal(apex.bytes, full.bytes);
    assert.equal(new ZoneImage(new Uint8Array(apex.image)).nodeCount, 2, 'one node per zone: the apex');
    assert.deepEqual(apex.zones, full.zones);
    assert.deepEqual(apex.zones.map((z) => z.names), [5, 2], 'names counted in the full image: @, ns1, a.b.c and its empty non-terminals b.c and c');
    const summaries = (buf: ArrayBuffer) => {
      const img = new ZoneImage(new Uint8Array(buf));
      return imageZones(img, imagePools(img)).map((z) => {
        const s = zoneSummary(z);
        return { origin: s.origin, file: s.file, serial: s.serial, negativeTtl: s.negativeTtl, dnssec: s.dnssec, soa: s.soa.rdata.map((rd) => rd.wire.toString('hex')), ttl: s.soa.ttl };
      });
    };
    assert.deepEqual(summaries(apex.image), summaries(full.image));
    // The full image is what the workers read.
    assert.equal(new ZoneImage(new Uint8Array(readFileSync(output))).nodeCount, 7);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
