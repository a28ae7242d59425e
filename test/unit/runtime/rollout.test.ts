// A reload reaches the serving workers one at a time (runtime/images.ts rollOut):
// the next worker is told only once the one before says it has installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { rollOut, rolloutDone, type ImageMessage } from '../../../server/runtime/images.js';
import { ServedZones } from '../../../server/runtime/reloader.js';
import { Stats } from '../../../server/runtime/stats.js';

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

test('the next compile starts only once the image before it has reached the workers', async (t) => {
  // Otherwise a worker holding two images while it installs and the next compile add up (issue 8: a reload's peak).
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-rollout-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const zone = (ip: string): void => writeFileSync(join(dir, 'example.com.yaml'), `records:\n  '@':\n    - { type: SOA, value: { mname: ns1, rname: hostmaster, serial: 1 } }\n    - { type: NS, value: ns1 }\n  ns1: { type: A, value: ${ip} }\n`);
  zone('192.0.2.1');
  const served = new ServedZones(dir, pino({ level: 'silent' }), new Stats());
  let release = (): void => undefined;
  const published: number[] = [];
  served.onPublished = (generation) => {
    published.push(generation);
    return new Promise<void>((resolve) => (release = resolve));
  };
  assert.ok(await served.reload());
  zone('192.0.2.2');
  const second = served.reload();
  // Long enough for a compile of this zone to finish several times over.
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual(published, [1], 'no second compile while the first image is on its way');
  release();
  assert.ok(await second);
  assert.deepEqual(published, [1, 2]);
  release();
});
