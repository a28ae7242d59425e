// The byte store behind the response and pool caches (engine/answerstore.ts):
// what goes in comes out byte for byte, it stays within its bounds however
// much is put, and answers in use outlive a stream of one-off answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnswerStore } from '../../../server/engine/answerstore.js';
import { shapeHash } from '../../../server/engine/doorkeeper.js';

const A = 1 | (2 << 16);

function put(s: AnswerStore, name: string, value: Buffer, shape = A, limit = 1232, zone = 'example.com.'): void {
  s.put(shapeHash(name, shape, limit), name, shape, limit, zone, value);
}

function get(s: AnswerStore, name: string, shape = A, limit = 1232): Buffer | undefined {
  const at = s.find(shapeHash(name, shape, limit), name, shape, limit);
  if (at < 0) return undefined;
  const out = Buffer.alloc(s.valueLength(at));
  s.copyValue(at, out);
  return out;
}

test('an answer comes back byte for byte, with its zone; another shape or size limit is another entry', () => {
  const s = new AnswerStore({ bytes: 4096, maxEntries: 8 });
  const v = Buffer.from('0123456789abcdef');
  put(s, 'www.example.com.', v, A, 1232, 'example.com.');
  assert.deepEqual(get(s, 'www.example.com.'), v);
  const at = s.find(shapeHash('www.example.com.', A, 1232), 'www.example.com.', A, 1232);
  assert.equal(s.zone(at), 'example.com.');
  assert.equal(get(s, 'www.example.com.', A, 512), undefined, 'other size limit');
  assert.equal(get(s, 'www.example.com.', 28 | (2 << 16)), undefined, 'other qtype');
  assert.equal(get(s, 'mail.example.com.'), undefined);
  put(s, 'www.example.com.', Buffer.from('new'));
  assert.deepEqual(get(s, 'www.example.com.'), Buffer.from('new'), 'put again: replaced');
  assert.equal(s.size, 1);
  assert.deepEqual(s.names(), ['www.example.com.']);
});

test('bounded by entries and by bytes: the oldest go first', () => {
  const byCount = new AnswerStore({ bytes: 1 << 20, maxEntries: 100 });
  for (let i = 0; i < 1000; i++) put(byCount, `n${i}.example.com.`, Buffer.alloc(10, i));
  assert.equal(byCount.size, 100);
  assert.equal(get(byCount, 'n899.example.com.'), undefined);
  assert.deepEqual(get(byCount, 'n999.example.com.'), Buffer.alloc(10, 999 & 0xff));
  assert.deepEqual(get(byCount, 'n900.example.com.'), Buffer.alloc(10, 900 & 0xff));

  const byBytes = new AnswerStore({ bytes: 8192, maxEntries: 10_000 });
  for (let i = 0; i < 1000; i++) put(byBytes, `n${i}.example.com.`, Buffer.alloc(100, i));
  assert.ok(byBytes.size < 70, `${byBytes.size} entries of ~135 bytes in 8 KiB`);
  assert.deepEqual(get(byBytes, 'n999.example.com.'), Buffer.alloc(100, 999 & 0xff));
  assert.equal(get(byBytes, 'n0.example.com.'), undefined);
  // Every live entry reads back intact after the log wrapped many times.
  for (let i = 999; i > 999 - byBytes.size; i--) assert.deepEqual(get(byBytes, `n${i}.example.com.`), Buffer.alloc(100, i & 0xff), `n${i}`);
});

test('an answer in use outlives a stream of one-off answers ten times the store', () => {
  const s = new AnswerStore({ bytes: 16384, maxEntries: 64 });
  const hot = Buffer.from('hot answer');
  put(s, 'www.example.com.', hot);
  for (let i = 0; i < 640; i++) {
    put(s, `r${i}.example.com.`, Buffer.alloc(50, 1));
    if (i % 8 === 0) assert.deepEqual(get(s, 'www.example.com.'), hot, `after ${i} one-offs`);
  }
  assert.ok(s.size <= 64);
});

test('too large to keep: skipped, and the rest unharmed', () => {
  const s = new AnswerStore({ bytes: 4096, maxEntries: 8 });
  put(s, 'a.example.com.', Buffer.from('a'));
  put(s, 'big.example.com.', Buffer.alloc(2000));
  assert.equal(get(s, 'big.example.com.'), undefined);
  assert.deepEqual(get(s, 'a.example.com.'), Buffer.from('a'));
  s.clear();
  assert.equal(get(s, 'a.example.com.'), undefined);
  assert.equal(s.size, 0);
  assert.throws(() => new AnswerStore({ bytes: 100 }), /bytes >= 4096/);
});

test('200,000 insertions into a store of 1,000 keep the index sound: every recent entry found, none stale', () => {
  const s = new AnswerStore({ bytes: 1 << 20, maxEntries: 1000 });
  for (let i = 0; i < 200_000; i++) put(s, `x${i}.example.com.`, Buffer.alloc(8, i & 0xff));
  assert.equal(s.size, 1000);
  for (let i = 199_000; i < 200_000; i++) assert.ok(get(s, `x${i}.example.com.`), `x${i}`);
  assert.equal(get(s, 'x198999.example.com.'), undefined);
});

test('a store takes its memory on the first answer put, not before: a catalog nobody asks costs nothing', async () => {
  const { Catalog } = await import('../../../server/engine/catalog.js');
  const before = process.memoryUsage().arrayBuffers;
  // Each catalog used to take about 30 MB of stores and doorkeepers at once; a cluster's primary makes one per reload.
  const kept = Array.from({ length: 20 }, () => new Catalog([]));
  const grew = process.memoryUsage().arrayBuffers - before;
  assert.ok(grew < 1024 * 1024, `20 unused catalogs took ${grew} bytes of buffers`);
  const s = kept[0]!.cache;
  assert.equal(get(s, 'www.example.com.'), undefined, 'an empty store finds nothing');
  assert.equal(s.size, 0);
  assert.deepEqual(s.names(), []);
  s.clear();
  put(s, 'www.example.com.', Buffer.from('v'));
  assert.deepEqual(get(s, 'www.example.com.'), Buffer.from('v'));
  assert.ok(process.memoryUsage().arrayBuffers - before >= 16 * 1024 * 1024, 'the first put takes the log');
});
