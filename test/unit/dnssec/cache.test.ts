// The signature cache: both bounds hold, stale entries are not served, and a
// flood of one-off entries cannot evict entries that are in use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SigCache } from '../../../server/dnssec/cache.js';

const sig = (n: number): Buffer[] => [Buffer.alloc(100, n & 0xff)];

test('hits, misses and refresh: an entry past its refresh time is a miss and is dropped', () => {
  const c = new SigCache({ maxEntries: 10 });
  assert.equal(c.get('a', 0), undefined);
  c.set('a', sig(1), 100);
  assert.deepEqual(c.get('a', 99), sig(1));
  assert.equal(c.get('a', 100), undefined);
  assert.equal(c.get('a', 0), undefined, 'gone after going stale');
  c.noteSigned(3);
  assert.deepEqual(c.stats(), { entries: 0, bytes: 0, protectedEntries: 0, hits: 1, misses: 3, evictions: 0, signatures: 3 });
});

test('the entry bound holds and the byte bound holds', () => {
  const c = new SigCache({ maxEntries: 50, maxBytes: 100_000 });
  for (let i = 0; i < 1000; i++) c.set(`k${i}`, sig(i), 1e9);
  assert.equal(c.stats().entries, 50);
  assert.ok(c.stats().evictions >= 950);
  const b = new SigCache({ maxEntries: 100_000, maxBytes: 4096 });
  for (let i = 0; i < 1000; i++) b.set(`k${i}`, [Buffer.alloc(300)], 1e9);
  assert.ok(b.stats().bytes <= 4096, String(b.stats().bytes));
  assert.ok(b.stats().entries >= 4, 'holds what fits');
  b.set('huge', [Buffer.alloc(5000)], 1e9);
  assert.equal(b.get('huge', 0), undefined, 'an entry larger than the budget is not kept');
});

test('a flood of new names cannot evict the hot answers', () => {
  const c = new SigCache({ maxEntries: 1000, maxBytes: 1 << 20 });
  const hot = Array.from({ length: 200 }, (_, i) => `hot${i}`);
  for (const k of hot) c.set(k, sig(1), 1e9);
  for (const k of hot) assert.ok(c.get(k, 0), 'second use promotes');
  for (let i = 0; i < 50_000; i++) {
    c.set(`flood${i}`, sig(i), 1e9);
    if (i % 1000 === 0) c.get(`flood${i - 500}`, 0); // some flood names repeat, as in real traffic
  }
  for (const k of hot) assert.ok(c.get(k, 0), `${k} survived`);
  const s = c.stats();
  assert.ok(s.entries <= 1000);
  assert.ok(s.protectedEntries >= 200);
});

test('the protected segment is bounded too: old hot entries move back to probation', () => {
  const c = new SigCache({ maxEntries: 100, protectedShare: 0.5 });
  for (let i = 0; i < 300; i++) {
    c.set(`k${i}`, sig(i), 1e9);
    c.get(`k${i}`, 0);
  }
  const s = c.stats();
  assert.equal(s.protectedEntries, 50);
  assert.equal(s.entries, 100);
  assert.ok(c.get('k299', 0));
  assert.equal(c.get('k0', 0), undefined);
});
