// RFC 4034 section 6: name order, rdata canonical form and RRset order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from '../../../server/wire/constants.js';
import { nameFromText } from '../../../server/wire/names.js';
import { canonicalRdata, canonicalRdataSet, canonicalRRsetWire, canonicalSortKey, compareCanonical } from '../../../server/dnssec/canonical.js';

test('names sort as in the RFC 4034 section 6.1 example', () => {
  const ordered = ['example', 'a.example', 'yljkjljk.a.example', 'Z.a.example', 'zABC.a.EXAMPLE', 'z.example', '\\001.z.example', '*.z.example', '\\200.z.example'];
  const names = ordered.map((t) => nameFromText(`${t}.`));
  const shuffled = [...names].reverse();
  shuffled.sort(compareCanonical);
  assert.deepEqual(shuffled, names);
  for (let i = 1; i < names.length; i++) assert.ok(canonicalSortKey(names[i - 1]!) < canonicalSortKey(names[i]!), ordered[i]);
});

test('a label sorts before a longer label it begins, even one ending in a zero byte', () => {
  const a = nameFromText('a.example.');
  const a0 = nameFromText('a\\000.example.');
  const childOfA = nameFromText('\\000.a.example.');
  assert.ok(compareCanonical(a, childOfA) < 0);
  assert.ok(compareCanonical(childOfA, a0) < 0);
  assert.equal(compareCanonical(a, a), 0);
});

test('rdata of listed types is lowercased, other types and already-lower rdata are left alone', () => {
  const soa = Buffer.concat([Buffer.from('\x03NS1\x07Example\x00\x0aHostmaster\x07example\x00', 'latin1'), Buffer.alloc(20, 1)]);
  const c = canonicalRdata(Type.SOA, soa);
  assert.equal(c.toString('latin1', 0, 33), '\x03ns1\x07example\x00\x0ahostmaster\x07example\x00');
  assert.deepEqual(c.subarray(33), Buffer.alloc(20, 1), 'the numbers are not touched');
  const srv = Buffer.concat([Buffer.from([0, 1, 0, 2, 0, 0x50]), Buffer.from('\x03WWW\x00', 'latin1')]);
  assert.equal(canonicalRdata(Type.SRV, srv).toString('latin1', 6), '\x03www\x00');
  assert.equal(canonicalRdata(Type.SRV, srv).readUInt16BE(4), 0x50, 'SRV port (0x50 is "P") untouched');
  const txt = Buffer.from('\x05HELLO', 'latin1');
  assert.equal(canonicalRdata(Type.TXT, txt), txt);
  const lower = Buffer.from('\x03www\x00', 'latin1');
  assert.equal(canonicalRdata(Type.CNAME, lower), lower, 'no copy when nothing changes');
  // RFC 6840 5.1: NSEC next names keep their case.
  const nsec = Buffer.from('\x01A\x00\x00\x01\x40', 'latin1');
  assert.equal(canonicalRdata(Type.NSEC, nsec), nsec);
  assert.throws(() => canonicalRdata(Type.CNAME, Buffer.from('\x05AB', 'latin1')), /ends inside a name/);
});

test('RRset order: sorted as octet strings, shorter prefix first, duplicates gone', () => {
  const rds = ['\x02bb', '\x01a', '\x02ab', '\x01a', '\x03abc'].map((s) => Buffer.from(s, 'latin1'));
  assert.deepEqual(canonicalRdataSet(Type.TXT, rds).map((b) => b.toString('latin1')), ['\x01a', '\x02ab', '\x02bb', '\x03abc']);
});

test('the signed RR form carries owner, type, class IN, original TTL and length', () => {
  const w = canonicalRRsetWire(nameFromText('a.'), Type.A, 300, [Buffer.from([1, 2, 3, 4])]);
  assert.equal(w.toString('hex'), '016100' + '0001' + '0001' + '0000012c' + '0004' + '01020304');
});
