// The C allocator settings a server's workers and compiler are started with (runtime/malloc-env.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilerMallocEnv, workerMallocEnv } from '../../../server/runtime/malloc-env.js';

test('workers get a fixed mmap threshold and huge pages, beside the tunables the operator set and never over theirs', () => {
  assert.deepEqual(workerMallocEnv({}), { GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=131072:glibc.malloc.hugetlb=1' });
  assert.deepEqual(workerMallocEnv({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }), { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=131072:glibc.malloc.hugetlb=1' });
  assert.deepEqual(workerMallocEnv({ GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=65536:glibc.malloc.hugetlb=0' }), { GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=65536:glibc.malloc.hugetlb=0' });
  assert.deepEqual(workerMallocEnv({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }), { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0:glibc.malloc.mmap_threshold=131072' });
});

test('the compiler gets huge pages only', () => {
  assert.deepEqual(compilerMallocEnv({}), { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' });
  assert.deepEqual(compilerMallocEnv({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }), { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' });
});
