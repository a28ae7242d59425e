// ANY over TCP gives every RRset and no additional addresses (NSD, Knot and
// BIND add none there); an MX query still gets its exchange's addresses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ask } from '../../support/engine.js';
import { buildQuery, parseMessage } from '../../support/dnsmsg.js';
import { catalogFrom } from '../../support/catalog.js';

const ZONE = `
records:
  '@':
    - { type: SOA, value: { mname: ns1, rname: hostmaster, serial: 1 } }
    - { type: NS, value: ns1 }
    - { type: MX, value: { preference: 10, exchange: mail } }
    - { type: HTTPS, value: { priority: 1, target: '.', params: { alpn: [h2] } } }
  ns1: { type: A, value: 192.0.2.1 }
  mail: { type: A, value: 192.0.2.25 }
  _sip._udp: { type: SRV, value: '0 5 5060 mail' }
`;
const catalog = catalogFrom({ 'example.com': ZONE });

test('ANY over TCP: every RRset, nothing in additional', () => {
  for (const name of ['example.com', '_sip._udp.example.com']) {
    const out = ask(catalog, buildQuery(name, 'ANY'), 'tcp');
    assert.ok(out);
    const m = parseMessage(out);
    assert.ok(m.answer.length > 0, name);
    assert.deepEqual(m.additional, [], `${name}: no additional data for ANY`);
  }
  const apex = parseMessage(ask(catalog, buildQuery('example.com', 'ANY'), 'tcp')!);
  assert.deepEqual([...new Set(apex.answer.map((r) => r.type))].sort((a, b) => a - b), [2, 6, 15, 65]);
});

test('MX and SRV queries still carry their targets\' addresses', () => {
  const mx = parseMessage(ask(catalog, buildQuery('example.com', 'MX'), 'tcp')!);
  assert.deepEqual(mx.additional.map((r) => `${r.name} ${r.data}`), ['mail.example.com. 192.0.2.25']);
  const srv = parseMessage(ask(catalog, buildQuery('_sip._udp.example.com', 'SRV'), 'udp')!);
  assert.deepEqual(srv.additional.map((r) => r.name), ['mail.example.com.']);
});
