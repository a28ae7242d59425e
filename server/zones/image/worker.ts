// The zone compiler's process (compiler.ts forks it): one zones directory ->
// one image file, or its errors. Its heap is bounded (--max-old-space-size)
// and everything it allocates goes back to the system when it exits, so a
// huge or hostile zone costs this process, never the server answering
// queries. Always answers with one message; anything thrown becomes an error.
import { join } from 'node:path';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { loadCompactDir, type SerialMemory } from '../load.js';
import { POOLS_FILE } from '../../pools/model.js';
import { buildImageCompact } from './build.js';
import { ZoneImage } from './view.js';
import { RecordTable, type CompactZone } from '../table.js';
import { collectNow } from './collect.js';
import { lowerProcessPriority } from './priority.js';
import { compactExpireWarnings } from '../signed-expire.js';
import type { ChildReply, CompileRequest } from './compiler.js';

/**
 * The same zones with the apex records only, as an image of a few KB: all a
 * process that answers no query reads of a compile (origin, serial, SOA,
 * signing option, pools: adapter.ts zoneSummary), so it need not read the
 * full image back (71 MB at a million records, a quarter of a second).
 */
function apexOnly(sources: readonly CompactZone[], apexIds: readonly (number | undefined)[]): CompactZone[] {
  return sources.map((src, z) => {
    const t = src.records;
    const apex = new RecordTable();
    const id = apex.ownerId(src.origin);
    for (let i = 0; i < t.count; i++) if (t.owner[i] === apexIds[z]) apex.add(id, t.type[i]!, t.ttl[i]!, t.wire(i), 0, 0, t.nsTargets.get(i));
    return { ...src, records: apex, poolRefs: src.poolRefs.filter((ref) => ref.owner === src.origin) };
  });
}

function run(req: CompileRequest): ChildReply {
  const started = performance.now();
  const previous = new Map<string, SerialMemory>(req.serials);
  const r = loadCompactDir(req.dir, previous, req.read ? { read: req.read } : {});
  const loadMs = performance.now() - started;
  if (r.errors.length) return { ok: false, errors: r.errors, ms: { load: loadMs, build: 0 } };
  const records = r.sources.reduce((n, s) => n + s.records.count + s.poolRefs.length, 0);
  // The file texts and everything parsing left behind are garbage now: free them before the
  // build allocates, so the peak is the larger phase, not both (collect.ts).
  collectNow();
  const built = performance.now();
  const poolsFile = r.poolsText !== undefined ? { file: join(req.dir, POOLS_FILE), text: r.poolsText } : undefined;
  // Before the build drops the tables' name index and line numbers (build.ts release).
  const apexIds = r.sources.map((s) => s.records.idOf(s.origin));
  const warnings = r.sources.flatMap(compactExpireWarnings);
  const image = buildImageCompact(r.sources, r.pools, poolsFile, true);
  const summary = req.summary ? Buffer.from(buildImageCompact(apexOnly(r.sources, apexIds), r.pools, poolsFile)).toString('base64') : undefined;
  const names = new ZoneImage(new Uint8Array(image), { verify: false });
  // No fsync: the file lives as long as the server and only its own processes read it;
  // the rename is what makes a reader see all of it or none.
  const tmp = `${req.output}.${process.pid}.tmp`;
  writeFileSync(tmp, new Uint8Array(image), { mode: 0o600 });
  renameSync(tmp, req.output);
  return {
    ok: true,
    bytes: image.byteLength,
    serials: [...r.serials],
    serialFallbacks: r.serialFallbacks,
    warnings,
    zones: r.sources.map((s, z) => ({ origin: s.origin, file: s.file, records: s.records.count + s.poolRefs.length, names: names.nodesIn(z) })),
    ...(summary ? { summary } : {}),
    records,
    ms: { load: loadMs, build: performance.now() - built },
  };
}

/** This process's peak RSS in MB: what a reload costs on top of the server (issue 8). */
function peakMb(): number {
  try {
    const kb = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kb) return Math.round(Number(kb) / 1024);
  } catch {
    // not Linux
  }
  return Math.round(process.memoryUsage().rss / 1048576);
}

process.once('message', (req: CompileRequest) => {
  // Before any work: a reload takes only the CPU the answering processes leave (priority.ts).
  if (req.lowPriority) lowerProcessPriority();
  let reply: ChildReply;
  try {
    reply = run(req);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    reply = { ok: false, errors: [{ file: req.dir, line: 1, col: 1, message: `zone compiler failed: ${message}` }], ms: { load: 0, build: 0 } };
  }
  reply.ms.peakMb = peakMb();
  // Exit once the reply is written; the parent reads the image after the exit.
  process.send!(reply, () => process.exit(0));
});
