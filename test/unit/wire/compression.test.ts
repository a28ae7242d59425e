// Name compression: the in-place table against a Map of suffix strings, and
// whole responses with few and with many names read back by an independent parser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NameTable } from '../../../server/wire/compression.js';
import { ResponseWriter, SECTION_ANSWER } from '../../../server/wire/response.js';
import { nameFromText, type Name } from '../../../server/wire/names.js';
import { Type } from '../../../server/wire/constants.js';
import { buildQuery, parseMessage } from '../../support/dnsmsg.js';

function labelStarts(name: Name): number[] {
  const out: number[] = [];
  for (let i = 0; name.charCodeAt(i) !== 0; i += name.charCodeAt(i) + 1) out.push(i);
  return out;
}

test('the table finds what a Map of suffixes finds, below and past the point where it becomes a Map', () => {
  let x = 7;
  const rand = (n: number): number => (x = (x * 1103515245 + 12345) & 0x7fffffff) % n;
  for (const rounds of [5, 20, 200]) {
    const table = new NameTable();
    const ref = new Map<Name, number>();
    let offset = 12;
    for (let r = 0; r < rounds; r++) {
      const name = nameFromText(`${['a', 'b', 'www', 'mail'][rand(4)]}${rand(30)}.${['example.com', 'example.net', 'sub.example.com'][rand(3)]}`);
      for (const at of labelStarts(name)) {
        const want = ref.get(name.slice(at)) ?? -1;
        assert.equal(table.find(name, at), want, `${rounds}: ${JSON.stringify(name.slice(at))}`);
        if (want < 0) {
          table.add(name, at, offset + at);
          ref.set(name.slice(at), offset + at);
        }
      }
      offset += name.length;
    }
    assert.equal(table.size, ref.size);
    // A rollback forgets what was written after the mark.
    const size = table.size;
    const late = nameFromText('late.example.org');
    table.add(late, 0, offset);
    table.truncate(size, offset);
    assert.equal(table.find(late, 0), -1);
    table.clear();
    assert.equal(table.find(nameFromText('example.com'), 0), -1);
  }
});

function nsAnswer(owner: string, targets: string[]): Buffer {
  const w = new ResponseWriter();
  const q = buildQuery(owner, 'NS');
  const qname = nameFromText(owner);
  w.begin(q, 12 + qname.length + 4, qname, 65535);
  const rdata = targets.map((t) => {
    const n = nameFromText(t);
    return { parts: [n], compressible: true, wire: Buffer.from(n, 'latin1') };
  });
  assert.ok(w.addRRset(SECTION_ANSWER, qname, { type: Type.NS, ttl: 300, rdata }));
  w.setFlags(0, true, 0);
  return Buffer.from(w.finish());
}

test('responses with few and with many names read back whole, and compress', () => {
  for (const n of [3, 100]) {
    const targets = Array.from({ length: n }, (_, i) => `ns${i}.host${i % 7}.example.net`);
    const out = nsAnswer('example.com', targets);
    const m = parseMessage(out);
    assert.deepEqual(m.answer.map((r) => r.data), targets.map((t) => `${t}.`));
    assert.ok(m.answer.every((r) => r.name === 'example.com.'));
    // Uncompressed, each target alone would take its full length.
    const full = targets.reduce((s, t) => s + nameFromText(t).length, 0);
    assert.ok(out.length < 12 + 17 + n * 12 + full * 0.7, `${n} names in ${out.length} bytes`);
  }
});
