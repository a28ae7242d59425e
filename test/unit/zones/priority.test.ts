// The zone compiler's thread gives the CPU to the answering threads (priority.ts):
// only that thread is reniced, never the process that answers queries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { getPriority } from 'node:os';
import { Worker } from 'node:worker_threads';

const PRIORITY = new URL('../../../server/zones/image/priority.js', import.meta.url).href;

test('lowering the priority in a worker thread renices that thread only', { skip: existsSync('/proc/thread-self') ? false : 'no /proc/thread-self (not Linux): the call is a no-op there' }, async () => {
  const before = getPriority();
  // The thread reports its own nice value (getPriority(0) is the calling thread on Linux).
  const code = `
    const { parentPort } = require('node:worker_threads');
    const { getPriority } = require('node:os');
    import(${JSON.stringify(PRIORITY)}).then((m) => parentPort.postMessage({ applied: m.lowerThreadPriority(), nice: getPriority(0) }));
  `;
  const reply = await new Promise<{ applied: boolean; nice: number }>((resolve, reject) => {
    const w = new Worker(code, { eval: true });
    w.once('message', (m: { applied: boolean; nice: number }) => void w.terminate().then(() => resolve(m)));
    w.once('error', reject);
  });
  assert.equal(reply.applied, true);
  assert.equal(reply.nice, 10);
  assert.equal(getPriority(), before, 'the main thread keeps its priority');
});
