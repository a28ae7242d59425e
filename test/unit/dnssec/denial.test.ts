// NSEC type bitmaps, compact denial (RFC 9824) bytes, and the classic chain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from '../../../server/wire/constants.js';
import { nameFromText, nameToText } from '../../../server/wire/names.js';
import { compactNodata, compactNxdomain, nameSuccessor, NsecIndex, nsecChain, parseNsecRdata, parseTypeBitmap, typeBitmap } from '../../../server/dnssec/denial.js';
import { compareCanonical } from '../../../server/dnssec/canonical.js';
import { nsecText } from '../../../server/dnssec/text.js';

const n = (t: string): string => nameFromText(t.endsWith('.') ? t : `${t}.`);

test('type bitmap of the RFC 4034 4.3 example (A MX RRSIG NSEC TYPE1234)', () => {
  const b = typeBitmap([Type.A, Type.MX, Type.RRSIG, Type.NSEC, 1234]);
  assert.equal(b.toString('hex'), '0006400100000003' + '041b' + '00'.repeat(26) + '20');
  assert.deepEqual(parseTypeBitmap(b), [1, 15, 46, 47, 1234]);
  assert.deepEqual(parseTypeBitmap(typeBitmap([257, 65535, 1, 1])), [1, 257, 65535]);
  assert.throws(() => parseTypeBitmap(Buffer.from([1, 1, 0x80, 0, 1, 0x80])), /out of order/);
  assert.throws(() => parseTypeBitmap(Buffer.from([0, 33])), /bad length/);
  assert.throws(() => typeBitmap([70000]), /out of range/);
});

test('compact NXDOMAIN: NSEC at the qname, next \\000.qname, bitmap RRSIG NSEC NXNAME', () => {
  const q = n('nope.example.com');
  const r = compactNxdomain(q);
  assert.equal(r.owner, q);
  const { next, types } = parseNsecRdata(r.rdata);
  assert.equal(next, '\x01\x00' + q);
  assert.deepEqual(types, [Type.RRSIG, Type.NSEC, Type.NXNAME]);
  // Window 0: RRSIG(46) NSEC(47) are bits 6 and 7 of byte 5; NXNAME(128) is bit 0 of byte 16.
  assert.equal(r.rdata.subarray(q.length + 2).toString('hex'), '0011' + '0000000000' + '03' + '00'.repeat(10) + '80');
  assert.equal(nsecText(r.rdata), '\\000.nope.example.com. RRSIG NSEC NXNAME');
});

test('compact NODATA lists the real types plus RRSIG and NSEC; an empty non-terminal only those two', () => {
  const q = n('www.example.com');
  assert.equal(nsecText(compactNodata(q, [Type.A, Type.AAAA]).rdata), '\\000.www.example.com. A AAAA RRSIG NSEC');
  assert.equal(nsecText(compactNodata(n('ent.example.com'), []).rdata), '\\000.ent.example.com. RRSIG NSEC');
});

test('the successor of a name too long for a \\000 label is still just above it and covers no child', () => {
  const long = n([...Array(4)].map(() => 'a'.repeat(62)).join('.')); // 4*63+1 = 253 bytes
  assert.equal(long.length, 253);
  assert.equal(nameSuccessor(long), '\x01\x00' + long);
  const longer = n(`b.${[...Array(4)].map(() => 'a'.repeat(62)).join('.')}`); // 255 bytes
  const s = nameSuccessor(longer);
  assert.ok(s.length <= 255);
  assert.ok(compareCanonical(longer, s) < 0);
  const maxLabel = n(`${'z'.repeat(63)}.${[...Array(3)].map(() => 'a'.repeat(62)).join('.')}`); // 254 bytes
  const s2 = nameSuccessor(maxLabel);
  assert.ok(compareCanonical(maxLabel, s2) < 0, nameToText(s2));
  assert.equal(s2.charCodeAt(0), 63, 'the label is incremented in place');
  assert.equal(s2[63], '{');
});

test('classic chain: canonical order, wraps to the apex, skips glue and empty non-terminals, cuts keep NS and DS', () => {
  const apex = n('example.com');
  const owners: [string, number[]][] = [
    [n('www.example.com'), [Type.A]],
    [apex, [Type.SOA, Type.NS, Type.DNSKEY]],
    [n('sub.example.com'), [Type.NS, Type.DS, Type.A]],
    [n('ns.sub.example.com'), [Type.A]],
    [n('a.b.example.com'), [Type.TXT]],
    [n('b.example.com'), []],
    [n('other.org'), [Type.A]],
  ];
  const chain = nsecChain(apex, owners, new Set([n('sub.example.com')]));
  assert.deepEqual(chain.map((e) => `${nameToText(e.owner)} ${nsecText(Buffer.concat([Buffer.from(e.next, 'latin1'), typeBitmap(e.types)]))}`), [
    'example.com. a.b.example.com. NS SOA RRSIG NSEC DNSKEY',
    'a.b.example.com. sub.example.com. TXT RRSIG NSEC',
    'sub.example.com. www.example.com. NS DS RRSIG NSEC',
    'www.example.com. example.com. A RRSIG NSEC',
  ]);
  const idx = new NsecIndex(chain);
  assert.equal(idx.find(n('www.example.com')).owner, n('www.example.com'));
  assert.equal(idx.find(n('c.example.com')).owner, n('a.b.example.com'), 'covered by a.b -> sub');
  assert.equal(idx.find(n('zzz.example.com')).owner, n('www.example.com'), 'after the last name: the wrapping link');
  assert.equal(idx.find(n('b.example.com')).owner, apex, 'an empty non-terminal is covered by the link before it');
  assert.throws(() => nsecChain(apex, [[n('www.example.com'), [Type.A]]]), /apex/);
});
