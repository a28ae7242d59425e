// NSID (RFC 5001) and the EDNS flags the engine reads: the option only for
// queries that ask, in plain and hex form, and bad values refused at startup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answer } from '../../../server/engine/answer.js';
import { QueryContext } from '../../../server/engine/context.js';
import { nsidOption } from '../../../server/engine/nsid.js';
import { NO_CHAOS } from '../../../server/engine/chaos.js';
import { decodeQuery } from '../../../server/wire/query.js';
import { buildQuery, parseMessage } from '../../support/dnsmsg.js';
import { catalogFrom } from '../../support/catalog.js';

const ZONE = `records:\n  '@':\n    - { type: SOA, value: { mname: ns1, rname: hostmaster, serial: 1 } }\n    - { type: NS, value: ns1 }\n  ns1: { type: A, value: 192.0.2.1 }\n`;
const catalog = catalogFrom({ 'example.com': ZONE });

test('nsidOption: text and hex, refused when empty, odd or too long', () => {
  assert.deepEqual(nsidOption('ns1'), Buffer.from([0, 3, 0, 3, 0x6e, 0x73, 0x31]));
  assert.deepEqual(nsidOption('hex:0aff'), Buffer.from([0, 3, 0, 2, 0x0a, 0xff]));
  assert.throws(() => nsidOption(''), /empty/);
  assert.throws(() => nsidOption('hex:abc'), /even number of hex digits/);
  assert.throws(() => nsidOption('x'.repeat(200)), /limit/);
});

test('the NSID option goes to queries that ask, on answers and on errors alike', () => {
  const ctx = new QueryContext('udp', { chaos: NO_CHAOS, nsidOption: nsidOption('ns1') });
  const ask = (name: string, nsid: boolean) => parseMessage(answer(catalog, buildQuery(name, 'A', { edns: { nsid } }), ctx) as Buffer);
  assert.deepEqual(ask('ns1.example.com', true).ednsOptions.map((o) => o.data.toString()), ['ns1']);
  assert.deepEqual(ask('ns1.example.com', false).ednsOptions, []);
  // A cached answer for a query without NSID must not be handed to one with it, nor the other way round.
  assert.deepEqual(ask('ns1.example.com', true).ednsOptions.length, 1);
  assert.deepEqual(ask('www.elsewhere.org', true).ednsOptions.map((o) => o.code), [3], 'REFUSED carries it too');
  const plain = new QueryContext('udp');
  assert.deepEqual(parseMessage(answer(catalogFrom({ 'example.com': ZONE }), buildQuery('ns1.example.com', 'A', { edns: { nsid: true } }), plain) as Buffer).ednsOptions, [], 'none unless configured');
});

test('decodeQuery reads DO, CO and the NSID request', () => {
  const d = decodeQuery(buildQuery('example.com', 'A', { edns: { dnssecOk: true, compactOk: true, nsid: true } }));
  assert.equal(d.kind, 'query');
  if (d.kind !== 'query') return;
  assert.deepEqual({ ...d.query.edns }, { payload: 1232, version: 0, dnssecOk: true, compactOk: true, nsid: true });
});
