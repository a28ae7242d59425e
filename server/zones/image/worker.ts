// worker_threads entry: one zones directory -> one image, or its errors.
// Runs with its own heap (resourceLimits set by compile.ts), so a huge or
// hostile zone costs this thread, never the event loop that answers queries.
// Always answers with one message; anything thrown becomes an error entry.
import { parentPort, workerData } from 'node:worker_threads';
import { join } from 'node:path';
import { loadCompactDir, type SerialMemory } from '../load.js';
import { POOLS_FILE } from '../../pools/model.js';
import { buildImageCompact } from './build.js';
import { collectNow } from './collect.js';
import { lowerThreadPriority } from './priority.js';
import { compactExpireWarnings } from '../signed-expire.js';
import type { CompileRequest, CompileReply } from './compiler.js';

function run(req: CompileRequest): { reply: CompileReply; transfer: ArrayBuffer[] } {
  const started = performance.now();
  const previous = new Map<string, SerialMemory>(req.serials);
  const r = loadCompactDir(req.dir, previous, req.read ? { read: req.read } : {});
  const loadMs = performance.now() - started;
  if (r.errors.length) {
    return { reply: { ok: false, errors: r.errors, ms: { load: loadMs, build: 0 } }, transfer: [] };
  }
  const records = r.sources.reduce((n, s) => n + s.records.count + s.poolRefs.length, 0);
  // The file texts and everything parsing left behind are garbage now: free them before the
  // build allocates, so the thread's peak is the larger phase, not both (collect.ts).
  collectNow();
  const built = performance.now();
  const image = buildImageCompact(r.sources, r.pools, r.poolsText !== undefined ? { file: join(req.dir, POOLS_FILE), text: r.poolsText } : undefined);
  const reply: CompileReply = {
    ok: true,
    image,
    serials: [...r.serials],
    serialFallbacks: r.serialFallbacks,
    warnings: r.sources.flatMap(compactExpireWarnings),
    zones: r.sources.map((s) => ({ origin: s.origin, file: s.file, records: s.records.count + s.poolRefs.length })),
    records,
    ms: { load: loadMs, build: performance.now() - built },
  };
  return { reply, transfer: [image] };
}

const port = parentPort;
if (port) {
  // Before any work: a reload takes only the CPU the answering threads leave (priority.ts).
  if ((workerData as CompileRequest).lowPriority) lowerThreadPriority();
  let out: { reply: CompileReply; transfer: ArrayBuffer[] };
  try {
    out = run(workerData as CompileRequest);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    out = { reply: { ok: false, errors: [{ file: (workerData as CompileRequest).dir, line: 1, col: 1, message: `zone compiler failed: ${message}` }], ms: { load: 0, build: 0 } }, transfer: [] };
  }
  port.postMessage(out.reply, out.transfer);
}
