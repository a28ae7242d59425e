// The zone compiler runs at a low CPU priority, so a reload hardly competes
// with the processes that answer queries. On a 2-core machine with two
// serving workers, a compile at normal priority takes a whole core for the
// ~8 s a million records need, and the p99 of every worker on that core
// doubles; at nice 10 the kernel gives the answering threads about 90% of a
// contended core and the compile the rest. Not nice 19 (about 1.5%): under a
// flood that keeps every worker busy, a reload or a typo's report would wait
// for the flood to end.
//
// Linux keeps a nice value per thread, and os.setPriority(tid) changes only
// that thread; threads started later inherit their creator's. The compile
// process (worker.ts) renices every thread it has (its main thread and V8's
// garbage-collector helpers, which a single reniced thread would leave at
// full priority), found in /proc/self/task. Lowering priority needs no
// privilege. Elsewhere (no /proc) this does nothing: the compile still runs
// in its own process, only without the lower priority.
import { readdirSync, readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

export const COMPILE_NICE = 10;

/** COMPILE_NICE for the calling thread only; a no-op where a thread's id cannot be found. True when applied. */
export function lowerThreadPriority(): boolean {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return false;
    setPriority(tid, COMPILE_NICE);
    return true;
  } catch {
    return false;
  }
}

/** COMPILE_NICE for every thread of this process (for a process that answers nothing). True when applied. */
export function lowerProcessPriority(): boolean {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return false;
  }
  let applied = false;
  for (const t of tids) {
    try {
      setPriority(Number(t), COMPILE_NICE);
      applied = true;
    } catch {
      // gone meanwhile
    }
  }
  return applied;
}
