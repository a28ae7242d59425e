// Compiling a zones directory off the event loop: a worker thread with a
// bounded heap and a deadline reads, validates and builds the image, and
// hands the bytes back by transfer (no copy). The promise never rejects:
// a broken file, an exhausted heap, a timeout or a crashed worker all come
// back as errors, so the caller keeps serving what it has.
import { Worker } from 'node:worker_threads';
import type { SerialMemory } from '../load.js';
import type { ReadPolicy } from '../readfile.js';
import type { SerialFallback } from '../serial.js';
import type { ZoneError } from '../model.js';
import { MAX_ERRORS_TOTAL } from '../limits.js';

export interface CompileRequest {
  dir: string;
  /** Serial memory from the previous good compile, so `auto` serials only grow. */
  serials: Array<[string, SerialMemory]>;
  /** Size cap and tree of the files read (readfile.ts). */
  read?: ReadPolicy;
  /** False: compile at the process's own priority (priority.ts). */
  lowPriority: boolean;
}

export type CompileReply =
  | {
      ok: true;
      image: ArrayBuffer;
      serials: Array<[string, SerialMemory]>;
      /** Zone files whose `serial: auto` fell back to file times (load.ts), for the reloader's warning. */
      serialFallbacks: SerialFallback[];
      /** What the zones are served with but should not be (signed-expire.ts), for the reloader's log. */
      warnings: ZoneError[];
      zones: Array<{ origin: string; file: string; records: number }>;
      records: number;
      ms: { load: number; build: number };
    }
  | { ok: false; errors: ZoneError[]; ms: { load: number; build: number } };

export interface CompileOptions {
  /** Heap of the compiling thread; a 1M-record zone needs about 1.2 GB while parsing. */
  maxHeapMb?: number;
  /** Give up (and terminate the thread) after this long. */
  timeoutMs?: number;
  previous?: Map<string, SerialMemory>;
  read?: ReadPolicy;
  /**
   * Run the thread at the lowest CPU priority (default true): a reload yields
   * the cores to the threads answering queries (priority.ts). The first
   * compile of a server has nobody to yield to and runs at full priority.
   */
  lowPriority?: boolean;
}

export const COMPILE_DEFAULTS = { maxHeapMb: 1536, timeoutMs: 60_000 } as const;

const WORKER = new URL('./worker.js', import.meta.url);

export function compileZonesDir(dir: string, opts: CompileOptions = {}): Promise<CompileReply> {
  const started = performance.now();
  const fail = (message: string): CompileReply => ({ ok: false, errors: [{ file: dir, line: 1, col: 1, message }], ms: { load: performance.now() - started, build: 0 } });
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: CompileReply): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // The reply (and its transferred image) is ours now; the thread has nothing left to do.
      // Its heap is given back before the caller goes on to hand the image to other processes,
      // so a reload's peak is the compile or the hand-over, not both (issue 8: peak < 2x steady).
      worker.terminate().then(
        () => resolve(r),
        () => resolve(r),
      );
    };
    const request: CompileRequest = { dir, serials: [...(opts.previous ?? new Map())], lowPriority: opts.lowPriority !== false, ...(opts.read ? { read: opts.read } : {}) };
    let worker: Worker;
    try {
      worker = new Worker(WORKER, {
        workerData: request,
        resourceLimits: { maxOldGenerationSizeMb: opts.maxHeapMb ?? COMPILE_DEFAULTS.maxHeapMb },
        stdout: false,
        stderr: false,
      });
    } catch (e) {
      resolve(fail(`cannot start the zone compiler: ${(e as Error).message}`));
      return;
    }
    const timeoutMs = opts.timeoutMs ?? COMPILE_DEFAULTS.timeoutMs;
    const timer = setTimeout(() => done(fail(`zone compile took longer than ${timeoutMs} ms; stopped`)), timeoutMs);
    worker.once('message', (m: CompileReply) => {
      if (!m.ok && m.errors.length > MAX_ERRORS_TOTAL) m.errors.length = MAX_ERRORS_TOTAL;
      done(m);
    });
    worker.once('error', (e: Error & { code?: string }) => {
      const oom = e.code === 'ERR_WORKER_OUT_OF_MEMORY';
      done(fail(oom ? `zone compile ran out of memory (limit ${opts.maxHeapMb ?? COMPILE_DEFAULTS.maxHeapMb} MB)` : `zone compiler crashed: ${e.message}`));
    });
    worker.once('exit', (code) => done(fail(`zone compiler exited (code ${code}) without a result`)));
  });
}
