// The zone compiler runs at the lowest CPU priority, so a reload never
// competes with the threads that answer queries. On a 2-core machine with
// two serving workers, a compile at normal priority takes a whole core for
// the ~10 s a million records need, and the p99 of every worker on that core
// doubles; at nice 19 the kernel gives the answering threads the core
// whenever they have work, and the compile takes what is left.
//
// Linux keeps a nice value per thread, and os.setPriority(tid) changes only
// that thread. A worker thread learns its own TID from /proc/thread-self
// (a link to /proc/PID/task/TID). Lowering priority needs no privilege.
// Elsewhere (no /proc/thread-self) this does nothing: the compile still runs
// off the event loop, only without the lower priority.
import { readlinkSync } from 'node:fs';
import { setPriority, constants } from 'node:os';

/** The lowest priority (nice 19); a no-op where a thread's id cannot be found. True when applied. */
export function lowerThreadPriority(): boolean {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return false;
    setPriority(tid, constants.priority.PRIORITY_LOW);
    return true;
  } catch {
    return false;
  }
}
