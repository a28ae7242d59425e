// The C allocator setting every serving worker is started with (runtime/malloc-env.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { workerMallocEnv } from '../../../server/runtime/malloc-env.js';

test('a worker gets a fixed mmap threshold, beside the tunables the operator set and never over theirs', () => {
  assert.deepEqual(workerMallocEnv({}), { GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=131072' });
  assert.deepEqual(workerMallocEnv({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }), { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=131072' });
  const own = 'glibc.malloc.mmap_threshold=65536:glibc.malloc.arena_max=2';
  assert.deepEqual(workerMallocEnv({ GLIBC_TUNABLES: own }), { GLIBC_TUNABLES: own });
});
