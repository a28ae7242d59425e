// A reload reaches the serving workers one at a time (runtime/images.ts rollOut):
// the next worker is told only once the one before says it has installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { rollOut, rolloutDone, type ImageMessage } from '../../../server/runtime/images.js';

/** A worker as the primary sees it: messages in, 'image-installed' out after `installMs` (never when undefined). */
class Worker extends EventEmitter {
  told: Array<{ generation: number; at: number }> = [];
  constructor(readonly installMs: number | undefined, private readonly log: string[], readonly name: string) {
    super();
  }
  isConnected(): boolean {
    return true;
  }
  receive(msg: ImageMessage): void {
    this.told.push({ generation: msg.generation, at: performance.now() });
    this.log.push(`${this.name} told ${msg.generation}`);
    if (this.installMs === undefined) return;
    setTimeout(() => {
      this.log.push(`${this.name} installed ${msg.generation}`);
      this.emit('message', { pulsedns: 'image-installed', generation: msg.generation });
    }, this.installMs);
  }
}

const image = (generation: number): ImageMessage => ({ pulsedns: 'image', path: '/x/zones.img', generation });
const send = (w: Worker, m: ImageMessage): void => w.receive(m);

test('each worker is told once the one before has installed', async () => {
  const log: string[] = [];
  const ws = [new Worker(30, log, 'a'), new Worker(30, log, 'b'), new Worker(30, log, 'c')];
  await rollOut(ws, image(2), send);
  assert.deepEqual(log, ['a told 2', 'a installed 2', 'b told 2', 'b installed 2', 'c told 2', 'c installed 2']);
  await rolloutDone();
});

test('a worker that does not answer is passed after its turn; a newer image ends the older round', async () => {
  const log: string[] = [];
  const silent = new Worker(undefined, log, 'silent');
  const next = new Worker(10, log, 'next');
  const started = performance.now();
  await rollOut([silent, next], image(3), send, 100);
  assert.ok(next.told[0]!.at - started >= 95, 'the next worker waited for the silent one\'s turn');
  const log2: string[] = [];
  const slow = [new Worker(80, log2, 'a'), new Worker(10, log2, 'b')];
  const older = rollOut(slow, image(4), send);
  const newer = rollOut(slow, image(5), send);
  await Promise.all([older, newer]);
  assert.ok(!log2.includes('b told 4'), `the older round stopped: ${log2.join(', ')}`);
  assert.ok(log2.includes('b told 5'));
  assert.equal(rolloutDone(), newer);
});
