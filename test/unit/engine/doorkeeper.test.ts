// Second-sight admission (engine/doorkeeper.ts), alone and in front of the
// response cache: a random-name flood larger than the cache leaves the
// answers in real use where they are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Doorkeeper } from '../../../server/engine/doorkeeper.js';
import { Catalog } from '../../../server/engine/catalog.js';
import type { Outcome } from '../../../server/engine/context.js';
import { ask } from '../../support/engine.js';
import { buildQuery, parseMessage } from '../../support/dnsmsg.js';
import { zonesFrom } from '../../support/catalog.js';

test('a key gets in on its second offer; clear() forgets every note', () => {
  const d = new Doorkeeper(1024);
  assert.equal(d.admit('www.example.com/A'), false);
  assert.equal(d.admit('www.example.com/A'), true);
  assert.equal(d.admit('www.example.com/A'), true, 'and on every offer after');
  assert.equal(d.admit('mail.example.com/A'), false);
  d.clear();
  assert.equal(d.admit('www.example.com/A'), false);
  assert.throws(() => new Doorkeeper(1000), /power of two/);
});

test('a note is lossy: a later key in the same slot overwrites it', () => {
  const d = new Doorkeeper(1);
  d.admit('a');
  d.admit('b');
  assert.equal(d.admit('a'), false, 'b took the only slot');
});

test('a random-name flood larger than the response cache leaves the hot answer cached', () => {
  const catalog = new Catalog(zonesFrom({
    'example.com': `records:
  '@':
    - { type: SOA, value: { mname: ns1, rname: hostmaster, serial: 1 } }
    - { type: NS, value: ns1 }
  ns1: { type: A, value: 192.0.2.1 }
  www: { type: A, value: 192.0.2.80 }
`,
  }));
  const www = buildQuery('www.example.com', 'A', { id: 7 });
  ask(catalog, www, 'udp');
  ask(catalog, www, 'udp');
  assert.equal(catalog.cache.size, 1, 'asked twice: cached');
  // More one-off names than the cache holds (100,000): before, the cache filled and started over.
  for (let i = 0; i < 120_000; i++) {
    const out = ask(catalog, buildQuery(`r${i}.example.com`, 'A', { id: i & 0xffff }), 'udp')!;
    if (i % 20_000 === 0) assert.equal(parseMessage(out).rcode, 3);
  }
  // A 32-bit hash lets in the odd one-off whose hash matches an earlier note (about 2 in 120,000).
  assert.ok(catalog.cache.size <= 10, `${catalog.cache.size} answers kept: one-offs stay out`);
  const outcome: Outcome = { rcode: -1, qtype: -1, dropped: false, cached: false, truncated: false, qname: null };
  const again = ask(catalog, www, 'udp', outcome)!;
  assert.equal(parseMessage(again).answer.length, 1);
  assert.equal(outcome.cached, true, 'still served from the cache');
});
