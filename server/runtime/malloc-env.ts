// The environment a serving worker is started with, for the C allocator.
// glibc moves its mmap threshold up to the size of any large block freed
// (up to 32 MB): after a worker drops its first catalog's answer stores (16
// and 4 MB), the next catalog's stores come from the C heap instead of
// their own mappings, and the heap keeps them resident once freed. Each
// worker grew by about 20 MB over the first reloads and a reload's peak
// rose with it (issue 8, docs/performance.md). A fixed threshold turns that
// adjustment off, so a large block is always a mapping of its own, given
// back to the system when freed and resident only where written. Other C
// libraries ignore the variable.
const TUNABLE = 'glibc.malloc.mmap_threshold';
/** glibc's own default, kept fixed. */
const THRESHOLD = 128 * 1024;

/** `GLIBC_TUNABLES` for a worker: the parent's own tunables, with the threshold added unless already set. */
export function workerMallocEnv(env: NodeJS.ProcessEnv = process.env): { GLIBC_TUNABLES: string } {
  const own = env.GLIBC_TUNABLES ?? '';
  if (own.split(':').some((t) => t.startsWith(`${TUNABLE}=`))) return { GLIBC_TUNABLES: own };
  return { GLIBC_TUNABLES: own ? `${own}:${TUNABLE}=${THRESHOLD}` : `${TUNABLE}=${THRESHOLD}` };
}
