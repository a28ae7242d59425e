// UDP replies that were slow to make are sent together at the end of the
// event-loop turn, quick ones at once: every one arrives, in order, and a
// socket closed with replies pending does not throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { SendBatch } from '../../../server/transport/sendbatch.js';

async function bound(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  return s;
}

/** Resolves with the first `n` messages `to` receives, in arrival order; rejects after 5 s. */
function collect(to: dgram.Socket, n: number): Promise<string[]> {
  const got: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${got.length} of ${n} arrived`)), 5000);
    to.on('message', (m) => {
      got.push(m.toString());
      if (got.length === n) {
        clearTimeout(timer);
        resolve(got);
      }
    });
  });
}

test('a burst of replies all arrive, in the order they were queued', async () => {
  const [from, to] = [await bound(), await bound()];
  try {
    const all = collect(to, 150);
    const batch = new SendBatch(from);
    // More than one batch's worth: the overflow goes out at once, the rest at the end of the turn.
    for (let i = 0; i < 150; i++) batch.send(Buffer.from(`r${i}`), to.address().port, '127.0.0.1');
    assert.deepEqual(await all, Array.from({ length: 150 }, (_, i) => `r${i}`));
  } finally {
    from.close();
    to.close();
  }
});

test('replies pending when the socket closes are dropped without an exception', async () => {
  const s = await bound();
  const batch = new SendBatch(s);
  batch.send(Buffer.from('late'), 9, '127.0.0.1');
  s.close();
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setTimeout(r, 20));
});

test('a quick reply is not held; a slow one is, and quick ones after it join its batch, in order', async () => {
  const [from, to] = [await bound(), await bound()];
  try {
    const all = collect(to, 3);
    const batch = new SendBatch(from);
    const port = to.address().port;
    batch.send(Buffer.from('quick'), port, '127.0.0.1', false);
    assert.equal(batch.pending, 0, 'a quick reply went out at once');
    batch.send(Buffer.from('slow'), port, '127.0.0.1', true);
    batch.send(Buffer.from('quick-after'), port, '127.0.0.1', false);
    assert.equal(batch.pending, 2, 'the slow reply and the quick one after it wait for the turn to end');
    assert.deepEqual(await all, ['quick', 'slow', 'quick-after']);
    assert.equal(batch.pending, 0);
  } finally {
    from.close();
    to.close();
  }
});
