// The zone compiler's thread gives the CPU to the answering threads (priority.ts):
// only that thread is reniced, never the process that answers queries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { getPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import { execFileSync } from 'node:child_process';

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

test('the compile process lowers every thread it has, the garbage collector\'s helpers included', { skip: existsSync('/proc/self/task') ? false : 'no /proc (not Linux): the call is a no-op there' }, () => {
  const code = `
    import { readdirSync, readFileSync } from 'node:fs';
    const m = await import(${JSON.stringify(PRIORITY)});
    const applied = m.lowerProcessPriority();
    // Field 19 of /proc/self/task/TID/stat is the thread's nice value (after the parenthesised name).
    const nice = readdirSync('/proc/self/task').map((t) => Number(readFileSync('/proc/self/task/' + t + '/stat', 'utf8').split(') ')[1].split(' ')[16]));
    console.log(JSON.stringify({ applied, nice }));
  `;
  const before = getPriority();
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
  const r = JSON.parse(out) as { applied: boolean; nice: number[] };
  assert.equal(r.applied, true);
  assert.ok(r.nice.length > 1, 'node runs more than one thread');
  assert.ok(r.nice.every((n) => n === 10), `every thread at nice 10: ${r.nice.join(', ')}`);
  assert.equal(getPriority(), before, 'the process that started it keeps its priority');
});
