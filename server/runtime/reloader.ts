// Holds the catalog being served and replaces it only with a fully built,
// valid one. A failed load leaves the previous catalog answering.
//
// One compile, many readers (issue 8): the process that controls the zones
// (the single process, or the cluster primary) compiles the directory in a
// worker thread (zones/image/compiler.ts), never on the loop that answers
// queries, and writes the image to one file. Every serving process reads
// that file and swaps its catalog in one assignment; a worker started later
// reads the same file, so it serves the last good image, never the disk.
import type { Logger } from 'pino';
import { Catalog } from '../engine/catalog.js';
import { nameToText } from '../wire/names.js';
import { formatError, type ZoneError } from '../zones/model.js';
import type { SerialMemory } from '../zones/load.js';
import { compileZonesDir, type CompileOptions } from '../zones/image/compiler.js';
import { imageZones } from '../zones/image/adapter.js';
import { imagePools, readImageFileAsync, writeImageFileAsync } from '../zones/image/file.js';
import { ZoneImage } from '../zones/image/view.js';
import type { Stats } from './stats.js';
import { ALL_UP, type HealthLookup } from '../pools/select.js';

/**
 * A compile that runs longer than this is stuck, not slow: a million records
 * take about a minute on a busy 2-core machine (docs/performance.md).
 */
const COMPILE_DEADLINE_MS = 300_000;

export class ServedZones {
  current: Catalog = new Catalog([]);
  /** Member health the query path consults; carried over to every new catalog. */
  health: HealthLookup = ALL_UP;
  /** Called with each catalog that goes live (the prober follows the pools in it). */
  onLoaded: (catalog: Catalog) => void = () => undefined;
  /** Called after a compiled image is written, with its generation (the primary tells its workers). */
  onPublished: (generation: number) => void = () => undefined;
  lastErrors: ZoneError[] = [];
  /** Counts the images this process has served; a worker skips an announcement it already has. */
  generation = 0;
  /** Records in the image being served (from the compile; 0 in a process that only read the file). */
  records = 0;
  private serials = new Map<string, SerialMemory>();
  private queued: Promise<boolean> | undefined;
  private tail: Promise<unknown> = Promise.resolve();

  /**
   * `imagePath`: where the compiled image is written for other processes
   * (absent: nobody else reads it, as in `pulsedns probe`).
   */
  constructor(
    readonly dir: string,
    private readonly log: Logger,
    private readonly stats: Stats,
    readonly imagePath?: string,
    private readonly compileOptions: Omit<CompileOptions, 'previous'> = { timeoutMs: COMPILE_DEADLINE_MS },
  ) {}

  /** Installs a new health view; cached answers are dropped since pool answers may change. */
  setHealth(health: HealthLookup): void {
    this.health = health;
    this.current.health = health;
  }

  /**
   * Compiles the directory and serves the result; true when it went live.
   * Calls made while a compile runs share one more compile after it, so a
   * burst of changes costs at most two.
   */
  reload(): Promise<boolean> {
    if (this.queued) return this.queued;
    const next = this.tail.then(() => {
      this.queued = undefined;
      return this.compileOnce();
    });
    this.queued = next;
    this.tail = next;
    return next;
  }

  /** Serves the image file written by the controlling process (a worker). Never throws. */
  async install(path: string, generation: number): Promise<boolean> {
    if (generation <= this.generation) return true;
    try {
      const img = await readImageFileAsync(path);
      if (generation <= this.generation) return true; // a newer one arrived meanwhile
      this.generation = generation;
      this.swap(img);
      this.log.info({ generation, zones: img.zoneCount, names: img.nodeCount }, 'zone image loaded');
      return true;
    } catch (e) {
      this.log.error({ err: e, path }, 'cannot read the zone image; still serving the previous zones');
      return false;
    }
  }

  private async compileOnce(): Promise<boolean> {
    const started = performance.now();
    const r = await compileZonesDir(this.dir, { ...this.compileOptions, previous: this.serials });
    if (!r.ok) return this.refuse(r.errors);
    let img: ZoneImage;
    try {
      // Built by our own compiler a moment ago: no second pass for the checksum.
      img = new ZoneImage(new Uint8Array(r.image), { verify: false });
      if (this.imagePath) await writeImageFileAsync(this.imagePath, r.image);
    } catch (e) {
      return this.refuse([{ file: this.imagePath ?? this.dir, line: 1, col: 1, message: `cannot publish the zone image: ${(e as Error).message}` }]);
    }
    this.serials = new Map(r.serials);
    this.generation++;
    this.records = r.records;
    this.swap(img);
    this.lastErrors = [];
    this.stats.reloads.ok++;
    this.log.info(
      { zones: r.zones.map((z) => ({ ...z, origin: nameToText(z.origin) })), records: r.records, bytes: r.image.byteLength, ms: Math.round(performance.now() - started), compileMs: { load: Math.round(r.ms.load), build: Math.round(r.ms.build) } },
      'zones loaded',
    );
    this.onPublished(this.generation);
    return true;
  }

  private refuse(errors: ZoneError[]): false {
    this.stats.reloads.failed++;
    this.lastErrors = errors;
    for (const e of errors) this.log.error({ file: e.file, line: e.line, col: e.col }, formatError(e));
    this.log.error({ errors: errors.length, dir: this.dir }, 'zone load refused; still serving the previous zones');
    return false;
  }

  /** One assignment: queries in flight finish on the catalog they started with. */
  private swap(img: ZoneImage): void {
    const pools = imagePools(img);
    const catalog = new Catalog(imageZones(img, pools), pools);
    catalog.health = this.health;
    this.current = catalog;
    this.onLoaded(catalog);
  }
}
