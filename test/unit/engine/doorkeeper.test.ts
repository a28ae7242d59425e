// Second-sight admission (engine/doorkeeper.ts), alone and in front of the
// response cache: a random-name flood larger than the cache leaves the
// answers in real use where they are.
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { Doorkeeper, hashFrom } from '../../../server/engine/doorkeeper.js';
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

test('a note is lossy: four later keys in the same bucket push it out', () => {
  const d = new Doorkeeper(4);
  for (const k of ['a', 'b', 'c', 'd', 'e']) d.admit(k);
  assert.equal(d.admit('a'), false, 'b to e took the only bucket');
  assert.equal(d.admit('e'), true);
  assert.throws(() => new Doorkeeper(2), /at least 4/);
});

test('two keys sharing a bucket and asked in turn are both let in on their second offer', () => {
  // With one note per slot, each overwrote the other's and neither was ever cached.
  const d = new Doorkeeper(4);
  assert.equal(d.admit('www'), false);
  assert.equal(d.admit('mail'), false);
  assert.equal(d.admit('www'), true);
  assert.equal(d.admit('mail'), true);
});

test('50,000 names asked in turn are nearly all let in on their second round', () => {
  const d = new Doorkeeper();
  const names = Array.from({ length: 50_000 }, (_, i) => `h${i * 7919}.bench.test/A`);
  for (const n of names) d.admit(n);
  const admitted = names.filter((n) => d.admit(n)).length;
  assert.ok(admitted > 0.98 * names.length, `${admitted} of 50,000 admitted on the second round`);
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
  // A 32-bit hash lets in the odd one-off whose hash matches an earlier note: about 3 in 120,000 by chance
  // (9 at worst over 1,500 seeds). A single seeded FNV lane let in up to 283 with some seeds.
  assert.ok(catalog.cache.size <= 20, `${catalog.cache.size} answers kept: one-offs stay out`);
  const outcome: Outcome = { rcode: -1, qtype: -1, dropped: false, cached: false, truncated: false, qname: null };
  const again = ask(catalog, www, 'udp', outcome)!;
  assert.equal(parseMessage(again).answer.length, 1);
  assert.equal(outcome.cached, true, 'still served from the cache');
});

test('similar names hash apart from any start: 120,000 names r0..r119999 make about as many equal hashes as chance', () => {
  // 0x88cec760 made a single FNV-1a lane give 561 equal hashes for these names (chance: about 3).
  for (const seed of [0x88cec760, 0x811c9dc5, 0, 0xffffffff, 0x12345678]) {
    const seen = new Set<number>();
    let equal = 0;
    for (let i = 0; i < 120_000; i++) {
      const h = hashFrom(seed, `r${i}.example.com.`);
      if (seen.has(h)) equal++;
      else seen.add(h);
    }
    assert.ok(equal <= 20, `start ${seed.toString(16)}: ${equal} equal hashes`);
  }
});

test('the hash is seeded per process: a client cannot pick names that share a slot', () => {
  const hashIn = (): string => {
    const url = new URL('../../../server/engine/doorkeeper.js', import.meta.url).href;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import(${JSON.stringify(url)}).then((m) => console.log(m.keyHash('www.example.com.'), m.shapeHash('www.example.com.', 1, 512)))`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  };
  const a = hashIn();
  const b = hashIn();
  assert.notEqual(a, b, 'two processes, two seeds (equal by chance once in 2^32)');
});
