// `node dist/bench/zone-image.js`: the zone image at scale. For each size
// (default 100k and 1M records of the bench zone shape, bench/zonegen.ts) it
// compiles the zone in the worker thread (time, peak RSS of this process
// while the thread works), writes the image file (bytes per record), then
// starts a fresh process that only reads and holds the image and measures
// its RSS and lookup speed. `--baseline` also measures today's path: a
// process that loads the directory into compile.ts Zones. Every child runs
// under a timeout; the temp directory is removed at the end.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchZoneYaml, shapeFor, shapeRecords, type ZoneShape } from './zonegen.js';
import { compileZonesDir } from '../server/zones/image/compiler.js';
import { imageZones } from '../server/zones/image/adapter.js';
import { loadZonesDir } from '../server/zones/load.js';
import { Catalog } from '../server/engine/catalog.js';
import { answer } from '../server/engine/answer.js';
import { QueryContext } from '../server/engine/context.js';
import type { Zone } from '../server/zones/compile.js';
import { nameFromText } from '../server/wire/names.js';
import { Type } from '../server/wire/constants.js';
import { buildQuery } from '../test/support/dnsmsg.js';
import { imagePools, readImageFile, writeImageFile } from '../server/zones/image/file.js';

const SELF = fileURLToPath(import.meta.url);
const ORIGIN = 'bench.test';
const LOOKUPS = 200_000;
const ANSWERS = 50_000;
const CHILD_TIMEOUT_MS = 180_000;

interface Held {
  openMs: number;
  /** Right after opening (after a GC), before any query work. */
  rssMb: number;
  /** After the lookups and answers (response cache filled, query garbage collected). */
  rssAfterMb: number;
  heapUsedMb: number;
  externalMb: number;
  /** Exact-name lookups per second (findNode + findRRset for images, Map gets for Zones). */
  lookupsPerSec: number;
  /** Full engine answers per second on distinct names (response-cache misses). */
  answersPerSec: number;
}

function mb(n: number): number {
  return Math.round((n / 1048576) * 10) / 10;
}

function memory(): { rssMb: number; heapUsedMb: number; externalMb: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed), externalMb: mb(m.external) };
}

function hostNames(shape: ZoneShape, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(nameFromText(`h${(i * 7919) % shape.hosts}.${ORIGIN}.`));
  return out;
}

function answerRate(catalog: Catalog, shape: ZoneShape): number {
  const queries: Buffer[] = [];
  for (let i = 0; i < ANSWERS; i++) queries.push(buildQuery(`h${(i * 104729) % shape.hosts}.${ORIGIN}`, 'A'));
  const t = performance.now();
  const ctx = new QueryContext('udp');
  for (const q of queries) answer(catalog, q, ctx);
  return Math.round(ANSWERS / ((performance.now() - t) / 1000));
}

/** Child: read the image file and hold it, as a serving worker would. */
function holdImage(file: string, shape: ZoneShape): Held {
  const t = performance.now();
  const img = readImageFile(file);
  const zones = imageZones(img, imagePools(img));
  const openMs = performance.now() - t;
  const held = memory();
  const names = hostNames(shape, LOOKUPS);
  const z = img.zoneByOrigin(nameFromText(`${ORIGIN}.`));
  const l = performance.now();
  let found = 0;
  for (const n of names) if (img.findRRset(img.findNode(z, n), Type.A) >= 0) found++;
  const lookupsPerSec = Math.round(LOOKUPS / ((performance.now() - l) / 1000));
  if (found !== LOOKUPS) throw new Error(`only ${found} of ${LOOKUPS} lookups found`);
  const answersPerSec = answerRate(new Catalog(zones as unknown as Zone[]), shape);
  return { openMs: Math.round(openMs), ...held, rssAfterMb: memory().rssMb, lookupsPerSec, answersPerSec };
}

/** Child: today's path, every record a JS object in this process. */
function holdZones(dir: string, shape: ZoneShape): Held {
  const t = performance.now();
  const r = loadZonesDir(dir);
  if (r.errors.length) throw new Error(`load failed: ${r.errors[0]!.message}`);
  const openMs = performance.now() - t;
  const held = memory();
  const zone = r.zones[0]!;
  const names = hostNames(shape, LOOKUPS);
  const l = performance.now();
  let found = 0;
  for (const n of names) if (zone.nodes.get(n)?.rrsets.get(Type.A)) found++;
  const lookupsPerSec = Math.round(LOOKUPS / ((performance.now() - l) / 1000));
  if (found !== LOOKUPS) throw new Error(`only ${found} of ${LOOKUPS} lookups found`);
  const answersPerSec = answerRate(new Catalog(r.zones, r.pools), shape);
  return { openMs: Math.round(openMs), ...held, rssAfterMb: memory().rssMb, lookupsPerSec, answersPerSec };
}

function child(mode: string, path: string, shape: ZoneShape, heapMb: number): Held {
  const r = spawnSync(process.execPath, ['--expose-gc', `--max-old-space-size=${heapMb}`, SELF, `--${mode}`, path, '--shape', JSON.stringify(shape)], { encoding: 'utf8', timeout: CHILD_TIMEOUT_MS });
  if (r.status !== 0) throw new Error(`${mode} child failed (${r.status ?? r.signal}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout) as Held;
}

interface SizeResult {
  records: number;
  yamlBytes: number;
  compileMs: number;
  loadMs: number;
  buildMs: number;
  compilePeakRssMb: number;
  imageBytes: number;
  bytesPerRecord: number;
  image: Held;
  /** A process with the server's modules loaded and no zones: what a primary that holds only pools costs. */
  bare: Held;
  /** Primary (bare) + 2 workers holding the image: a default 2-worker serve. */
  twoWorkerTotalMb: number;
  baseline?: Held;
  baselineError?: string;
}

async function measure(records: number, baseline: boolean): Promise<SizeResult> {
  const shape = shapeFor(records);
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-zone-image-'));
  try {
    const yaml = benchZoneYaml(shape);
    writeFileSync(join(dir, `${ORIGIN}.yaml`), yaml);
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    const t = performance.now();
    const r = await compileZonesDir(dir, { timeoutMs: 170_000 });
    const compileMs = performance.now() - t;
    clearInterval(sampler);
    if (!r.ok) throw new Error(`compile failed: ${r.errors.map((e) => e.message).join('; ')}`);
    const file = join(dir, 'zones.image');
    writeImageFile(file, r.image);
    const imageBytes = r.image.byteLength;
    const n = shapeRecords(shape);
    const image = child('hold-image', file, shape, 1024);
    const bare = child('hold-nothing', file, shape, 1024);
    const out: SizeResult = {
      records: n,
      yamlBytes: yaml.length,
      compileMs: Math.round(compileMs),
      loadMs: Math.round(r.ms.load),
      buildMs: Math.round(r.ms.build),
      // The compile runs in a child process now (compiler.ts): its own peak, plus this process's.
      compilePeakRssMb: mb(peak) + (r.ms.peakMb ?? 0),
      imageBytes,
      bytesPerRecord: Math.round((imageBytes / n) * 10) / 10,
      image,
      bare,
      twoWorkerTotalMb: Math.round(bare.rssMb + 2 * image.rssMb),
    };
    if (baseline) {
      try {
        out.baseline = child('hold-zones', dir, shape, 4096);
      } catch (e) {
        // Today's path may not finish under the timeout on a busy machine; say so instead of losing the rest.
        out.baselineError = (e as Error).message.split('\n')[0]!;
      }
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '100000,1000000' },
      baseline: { type: 'boolean', default: false },
      'hold-image': { type: 'string' },
      'hold-zones': { type: 'string' },
      'hold-nothing': { type: 'string' },
      shape: { type: 'string' },
    },
  });
  const shape = values.shape ? (JSON.parse(values.shape) as ZoneShape) : shapeFor(0);
  if (values['hold-image']) return void process.stdout.write(JSON.stringify(holdImage(values['hold-image'], shape)));
  if (values['hold-zones']) return void process.stdout.write(JSON.stringify(holdZones(values['hold-zones'], shape)));
  if (values['hold-nothing']) return void process.stdout.write(JSON.stringify({ openMs: 0, ...memory(), rssAfterMb: 0, lookupsPerSec: 0, answersPerSec: 0 }));
  const results: SizeResult[] = [];
  for (const size of values.sizes!.split(',').map(Number)) {
    const r = await measure(size, values.baseline!);
    results.push(r);
    process.stdout.write(`${JSON.stringify(r)}\n`);
  }
  const rows = results.map((r) => [
    r.records.toLocaleString('en'), `${r.compileMs} ms (load ${r.loadMs}, build ${r.buildMs})`, `${r.compilePeakRssMb} MB`, `${mb(r.imageBytes)} MB`, String(r.bytesPerRecord),
    `${r.image.openMs} ms`, `${r.image.rssMb} MB (${r.image.rssAfterMb} after queries)`, `${r.twoWorkerTotalMb} MB`, r.image.lookupsPerSec.toLocaleString('en'), r.image.answersPerSec.toLocaleString('en'),
    r.baselineError ? r.baselineError : r.baseline ? `${r.baseline.rssMb} MB (${r.baseline.rssAfterMb} after queries), load ${r.baseline.openMs} ms, ${r.baseline.lookupsPerSec.toLocaleString('en')} lookups/s, ${r.baseline.answersPerSec.toLocaleString('en')} answers/s` : '-',
  ]);
  const head = ['records', 'compile (worker)', 'peak RSS compiling', 'image', 'bytes/record', 'open', 'RSS holding', '2-worker total', 'lookups/s', 'answers/s', 'today (Zone objects)'];
  process.stdout.write(`| ${head.join(' | ')} |\n| ${head.map(() => '---').join(' | ')} |\n${rows.map((c) => `| ${c.join(' | ')} |`).join('\n')}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`zone-image bench: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
