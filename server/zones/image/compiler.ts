// Compiling a zones directory off the event loop, in a child process: it
// reads, validates and builds the image, writes it to a file and exits. A
// process, not a worker thread, for two reasons (issue 8, measured in
// docs/performance.md): everything the compile allocated goes back to the
// system when it exits (a thread's malloc arenas stayed in the server, which
// grew by 70 MB per reload), and its priority covers all its threads,
// including V8's garbage-collector helpers, which a reniced thread shares
// with the serving process at full priority. The promise never rejects: a
// broken file, an exhausted heap, a timeout or a crash all come back as
// errors, so the caller keeps serving what it has.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
  /** False: compile at the server's own priority (priority.ts). */
  lowPriority: boolean;
  /** Where the child writes the image (renamed into place, so never half written). */
  output: string;
  /** Also send the apex-only image (worker.ts apexOnly). */
  summary: boolean;
}

/** Per zone: records compiled and names (nodes, empty non-terminals included) in the image. */
export interface CompiledZone {
  origin: string;
  file: string;
  records: number;
  names: number;
}

interface Timings {
  load: number;
  build: number;
  /** The compile process's peak RSS in MB (Linux VmHWM; elsewhere its RSS at the end); 0 when it never answered. */
  peakMb?: number;
}

/** What the child sends back: the image is in the request's `output` file. */
export type ChildReply =
  | {
      ok: true;
      /** The size of the full image. */
      bytes: number;
      serials: Array<[string, SerialMemory]>;
      /** Zone files whose `serial: auto` fell back to file times (load.ts), for the reloader's warning. */
      serialFallbacks: SerialFallback[];
      /** What the zones are served with but should not be (signed-expire.ts), for the reloader's log. */
      warnings: ZoneError[];
      zones: CompiledZone[];
      records: number;
      ms: Timings;
      /** The apex-only image, base64, when asked for. */
      summary?: string;
    }
  | { ok: false; errors: ZoneError[]; ms: Timings };

/** The child's reply with the image read back (or, with `summaryOnly`, the apex-only one). */
export type CompileReply =
  | (Omit<Extract<ChildReply, { ok: true }>, 'summary'> & {
      /** The image; with `summaryOnly`, the apex-only one (the full one is in `file`). */
      image: ArrayBuffer;
      /** The file the image was written to: `CompileOptions.output`, else gone already. */
      file: string | undefined;
    })
  | Extract<ChildReply, { ok: false }>;

export interface CompileOptions {
  /** Heap of the compiling process; a 1M-record zone needs about 300 MB. */
  maxHeapMb?: number;
  /** Give up (and kill the process) after this long. */
  timeoutMs?: number;
  previous?: Map<string, SerialMemory>;
  read?: ReadPolicy;
  /**
   * Run the compile at a low CPU priority (default true): a reload yields the
   * cores to the threads answering queries (priority.ts). The first compile
   * of a server has nobody to yield to and runs at full priority.
   */
  lowPriority?: boolean;
  /** Leave the image in this file too (the caller renames or removes it); else a temporary file is removed once read. */
  output?: string;
  /**
   * Give back only each zone's apex (worker.ts apexOnly), not the full image read back from
   * `output`: for a process that answers no query (a cluster primary). Needs `output`.
   */
  summaryOnly?: boolean;
  /** The compile process's environment (default: this process's); the server adds its allocator settings (runtime/malloc-env.ts). */
  env?: NodeJS.ProcessEnv;
}

export const COMPILE_DEFAULTS = { maxHeapMb: 1536, timeoutMs: 60_000 } as const;

const CHILD = fileURLToPath(new URL('./worker.js', import.meta.url));

/**
 * The young generation's semi-space (V8's default grows to 16 MB): what the
 * compile allocates and drops per record is small, and a smaller nursery
 * keeps some 15 MB off the compile's peak at a million records, for no
 * measurable time (docs/performance.md).
 */
const SEMI_SPACE_MB = 2;

/** The last bytes of the child's stderr: enough to tell an exhausted heap from a crash. */
const STDERR_KEEP = 4096;

export function compileZonesDir(dir: string, opts: CompileOptions = {}): Promise<CompileReply> {
  const started = performance.now();
  const maxHeapMb = opts.maxHeapMb ?? COMPILE_DEFAULTS.maxHeapMb;
  const fail = (message: string): CompileReply => ({ ok: false, errors: [{ file: dir, line: 1, col: 1, message }], ms: { load: performance.now() - started, build: 0 } });
  let scratch: string | undefined;
  let output = opts.output;
  try {
    if (!output) {
      scratch = mkdtempSync(join(tmpdir(), 'pulsedns-compile-'));
      output = join(scratch, 'zones.img');
    }
  } catch (e) {
    return Promise.resolve(fail(`cannot start the zone compiler: ${(e as Error).message}`));
  }
  const cleanup = (): void => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  };
  const summaryOnly = opts.summaryOnly === true && opts.output !== undefined;
  const request: CompileRequest = { dir, output, summary: summaryOnly, serials: [...(opts.previous ?? new Map())], lowPriority: opts.lowPriority !== false, ...(opts.read ? { read: opts.read } : {}) };
  return new Promise<CompileReply>((resolve) => {
    let child: ChildProcess;
    try {
      // Only the heap bounds: not the server's own flags (an --import of a profiler, --inspect).
      child = fork(CHILD, [], { execArgv: [`--max-old-space-size=${maxHeapMb}`, `--max-semi-space-size=${SEMI_SPACE_MB}`], stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json', ...(opts.env ? { env: opts.env } : {}) });
    } catch (e) {
      resolve(fail(`cannot start the zone compiler: ${(e as Error).message}`));
      return;
    }
    // A server that exits mid-compile takes its compile with it.
    const orphan = (): void => void child.kill('SIGKILL');
    process.once('exit', orphan);
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      stderr = (stderr + d).slice(-STDERR_KEEP);
    });
    let reply: ChildReply | undefined;
    let settled = false;
    // Resolved once the child has exited: its memory is back before the caller hands the image on.
    const finish = (r: CompileReply | Promise<CompileReply>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      process.off('exit', orphan);
      void Promise.resolve(r).then((v) => {
        cleanup();
        resolve(v);
      });
    };
    const timeoutMs = opts.timeoutMs ?? COMPILE_DEFAULTS.timeoutMs;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(fail(`zone compile took longer than ${timeoutMs} ms; stopped`));
    }, timeoutMs);
    child.once('message', (m: ChildReply) => {
      reply = m;
    });
    child.once('error', (e: Error) => finish(fail(`zone compiler crashed: ${e.message}`)));
    // 'close', not 'exit': it comes after the last message on the IPC channel.
    child.once('close', (code, signal) => {
      if (!reply) {
        const oom = /heap out of memory|Allocation failed/i.test(stderr);
        return finish(fail(oom ? `zone compile ran out of memory (limit ${maxHeapMb} MB)` : `zone compiler exited (${signal ?? `code ${code}`}) without a result`));
      }
      const r = reply;
      if (!r.ok) {
        if (r.errors.length > MAX_ERRORS_TOTAL) r.errors.length = MAX_ERRORS_TOTAL;
        return finish(r);
      }
      const { summary, ...rest } = r;
      if (summaryOnly && summary !== undefined) {
        const b = Buffer.from(summary, 'base64');
        return finish({ ...rest, image: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength), file: opts.output });
      }
      finish(
        readImage(output!).then(
          (image): CompileReply => ({ ...rest, image, file: opts.output }),
          (e: Error) => fail(`cannot read the compiled zone image: ${e.message}`),
        ),
      );
    });
    child.send(request);
  });
}

/** The file's bytes as an ArrayBuffer of their own (read off the event loop). */
async function readImage(path: string): Promise<ArrayBuffer> {
  const b = await readFile(path);
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer) return b.buffer;
  const copy = new ArrayBuffer(b.byteLength);
  new Uint8Array(copy).set(b);
  return copy;
}
