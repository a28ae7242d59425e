// The C allocator settings the processes a server starts run with: its
// workers and its zone compiler (glibc reads them from GLIBC_TUNABLES at
// start; other C libraries, such as musl, ignore the variable). A tunable
// the operator set in the server's environment is kept as it is.
//
// - A fixed mmap threshold (workers). glibc moves its threshold up to the
//   size of any large block freed (up to 32 MB): after a worker dropped its
//   first catalog's answer stores (16 and 4 MB), the next catalog's came from
//   the C heap instead of mappings of their own, and the heap kept them
//   resident once freed. Every worker grew by about 20 MB over the first
//   reloads, and a reload's peak rose with it (issue 8, docs/performance.md).
//   Fixed, a large block is always its own mapping, given back when freed
//   and resident only where written.
// - Transparent huge pages for large blocks (workers and compiler). A page
//   fault costs about 15 us on this kind of virtual machine; a million-record
//   compile took 165,000 of them, 2 s of its 7 s. The record tables and the
//   image on 2 MB pages: 100,000 faults, 0.6 s less, for about 20 MB more at
//   the compile's peak. A worker's lookups in a 71 MB image miss the TLB less:
//   about 10% less user time per query at a million records.
const MMAP_THRESHOLD = 'glibc.malloc.mmap_threshold';
const HUGE_PAGES = 'glibc.malloc.hugetlb';

/** glibc's own default threshold, kept fixed. */
const THRESHOLD = 128 * 1024;

function withTunables(env: NodeJS.ProcessEnv, wanted: ReadonlyArray<[string, string]>): { GLIBC_TUNABLES: string } {
  const own = (env.GLIBC_TUNABLES ?? '').split(':').filter((t) => t !== '');
  const set = new Set(own.map((t) => t.split('=')[0]));
  const added = wanted.filter(([name]) => !set.has(name)).map(([name, value]) => `${name}=${value}`);
  return { GLIBC_TUNABLES: [...own, ...added].join(':') };
}

/** `GLIBC_TUNABLES` for a worker: the parent's own tunables, plus ours where it set none. */
export function workerMallocEnv(env: NodeJS.ProcessEnv = process.env): { GLIBC_TUNABLES: string } {
  return withTunables(env, [[MMAP_THRESHOLD, String(THRESHOLD)], [HUGE_PAGES, '1']]);
}

/** `GLIBC_TUNABLES` for the zone compiler's process. */
export function compilerMallocEnv(env: NodeJS.ProcessEnv = process.env): { GLIBC_TUNABLES: string } {
  return withTunables(env, [[HUGE_PAGES, '1']]);
}
