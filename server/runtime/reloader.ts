// Holds the catalog being served and replaces it only with a fully built,
// valid one. A failed load leaves the previous catalog answering.
//
// One compile, many readers (issue 8): the process that controls the zones
// (the single process, or the cluster primary) compiles the directory in a
// child process (zones/image/compiler.ts), never on the loop that answers
// queries, which writes the image to one file. Every serving process reads
// that file and swaps its catalog in one assignment; a worker started later
// reads the same file, so it serves the last good image, never the disk.
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { Catalog } from '../engine/catalog.js';
import { nameToText } from '../wire/names.js';
import { formatError, type ZoneError } from '../zones/model.js';
import type { SerialMemory } from '../zones/load.js';
import { DEFAULT_READ, type ReadPolicy } from '../zones/readfile.js';
import type { SerialFallback } from '../zones/serial.js';
import { appendErrors } from '../zones/limits.js';
import { compileZonesDir, type CompileOptions } from '../zones/image/compiler.js';
import { imageZones, zoneSummary, type ZoneLike } from '../zones/image/adapter.js';
import { imagePools, readImageFileAsync } from '../zones/image/file.js';
import { ZoneImage } from '../zones/image/view.js';
import type { ZoneSigner } from '../dnssec/signer.js';
import type { Name } from '../wire/names.js';
import type { Stats } from './stats.js';
import { compilerMallocEnv } from './malloc-env.js';
import type { PoolSet } from '../pools/model.js';
import { ALL_UP, type HealthLookup } from '../pools/select.js';
import { SigCache } from '../dnssec/cache.js';
import { buildSigners, phaseChanges, unsigned, type KeySource } from './signers.js';
import { KeyDirectory } from '../dnssec/keydir.js';
import type { ZoneKey } from '../dnssec/keys.js';
import type { RekeyCause } from './keytimer.js';
import { collectNow } from '../zones/image/collect.js';

/**
 * A compile that runs longer than this is stuck, not slow: a million records
 * take about a minute on a busy 2-core machine (docs/performance.md).
 */
const COMPILE_DEADLINE_MS = 300_000;

export interface ServedZonesOptions {
  /**
   * False in cluster workers: the primary compiles and logs each load, refusal
   * and serial warning once for the server; a worker keeps those lines at debug.
   */
  announce?: boolean;
  /** The size cap (--max-zone-file-size) and the tree the files must stay in (readfile.ts). */
  read?: ReadPolicy;
  /** Where signed zones' keys are (serve --keys); read again on every load, in every serving process. */
  keysDir?: string;
  /** False where nothing is answered (`pulsedns probe`): pools are all it needs, so keys are neither read nor required. */
  sign?: boolean;
  /** Where the compiled image is written for other processes (absent: nobody else reads it, as in `pulsedns probe`). */
  imagePath?: string;
  compile?: Omit<CompileOptions, 'previous' | 'read'>;
  /**
   * False in a cluster primary: it answers no query, so it keeps a summary of
   * each zone (serial, SOA, signing option; zoneSummary) and the pools, and
   * lets the compiled image go once it is published for the workers.
   */
  answers?: boolean;
}

/** An image's zones made ready to serve. */
interface Built {
  /** As compiled; `served` has a signed zone's SOA serial advanced (dnssec/serial.ts). */
  zones: ZoneLike[];
  served: ZoneLike[];
  pools: PoolSet;
  signers: ReadonlyMap<Name, ZoneSigner>;
  warnings: string[];
  errors: ZoneError[];
  /** signers.ts SignerBuild.phases, serialSteps, nextChange and keys. */
  phases: ReadonlyMap<Name, string>;
  serialSteps: ReadonlyMap<Name, number>;
  nextKeyChange: number | undefined;
  keys: ReadonlyMap<Name, readonly ZoneKey[]>;
}


export class ServedZones {
  current: Catalog = new Catalog([]);
  /** Member health the query path consults; carried over to every new catalog. */
  health: HealthLookup = ALL_UP;
  /** Called with each catalog that goes live (the prober follows the pools in it). */
  onLoaded: (catalog: Catalog) => void = () => undefined;
  /**
   * Called after a compiled image is written, with its generation (the primary tells its workers).
   * The next compile waits for what it returns: a reload ends when the workers have the image.
   */
  onPublished: (generation: number) => Promise<void> | void = () => undefined;
  lastErrors: ZoneError[] = [];
  /** Zone files whose serial: auto came from file times in the last load (pulsedns_zone_serial_fallbacks). */
  lastSerialFallbacks = 0;
  /** Counts the images this process has served; a worker skips an announcement it already has. */
  generation = 0;
  /** Records in the image being served (from the compile; 0 in a process that only read the file). */
  records = 0;
  /** One signature cache for every signed zone and every load (its keys carry the key set). */
  readonly sigCache = new SigCache();
  /** Key phases of the signed zones served, and when they next change (the key timer waits for it). */
  keyPhases: ReadonlyMap<Name, string> = new Map();
  nextKeyChange: number | undefined;
  private serialSteps: ReadonlyMap<Name, number> = new Map();
  /** The key sets the served signers were made from (a signer is kept while its set and phases are). */
  private signedWith: ReadonlyMap<Name, readonly ZoneKey[]> = new Map();
  /** The signed zones' keys as last read (a rekey that swaps nothing still learns new times): what the clock steps through. */
  private keysRead: ReadonlyMap<Name, readonly ZoneKey[]> = new Map();
  /** The last rekey could not use the keys: the next one looks at the files whatever woke it. */
  private keysUnusable = false;
  /** The key files, each zone's read again only when they change (rekeys); a load reads them all. */
  readonly keyFiles: KeyDirectory | undefined;
  /** The zones being served as compiled (the catalog holds them with their served serials). */
  private compiled: ZoneLike[] = [];
  private serials = new Map<string, SerialMemory>();
  private queued: Promise<boolean> | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  /** The last published image still on its way to the workers (onPublished). */
  private spreading: Promise<void> | void = undefined;
  private installing: Promise<boolean> = Promise.resolve(true);
  private readonly announce: boolean;
  private readonly read: ReadPolicy;
  readonly keysDir: string | undefined;
  private readonly sign: boolean;
  readonly imagePath: string | undefined;
  private readonly compileOptions: Omit<CompileOptions, 'previous' | 'read'>;
  private readonly answers: boolean;

  constructor(readonly dir: string, private readonly log: Logger, private readonly stats: Stats, o: ServedZonesOptions = {}) {
    this.announce = o.announce ?? true;
    this.read = o.read ?? DEFAULT_READ;
    this.keysDir = o.keysDir;
    this.sign = o.sign !== false;
    this.imagePath = o.imagePath;
    this.compileOptions = o.compile ?? { timeoutMs: COMPILE_DEADLINE_MS };
    this.answers = o.answers !== false;
    this.keyFiles = this.sign && o.keysDir !== undefined ? new KeyDirectory(o.keysDir) : undefined;
    stats.signing = () => this.sigCache.stats();
  }

  /** Installs a new health view; cached answers are dropped since pool answers may change. */
  setHealth(health: HealthLookup): void {
    this.health = health;
    this.current.health = health;
  }

  /**
   * Compiles the directory and serves the result; true when it went live.
   * Calls made while a compile runs share one more compile after it, so a
   * burst of changes costs at most two. A compile starts only once the image
   * before it has reached every worker: otherwise a worker holding two images
   * while it installs one (70 MB each at a million records) and the next
   * compile (about 290 MB) would add up, the peak of two reloads at once.
   */
  reload(): Promise<boolean> {
    if (this.queued) return this.queued;
    const next = this.tail.then(() => {
      this.queued = undefined;
      return this.compileOnce();
    });
    this.queued = next;
    this.tail = next.then(() => this.spreading);
    return next;
  }

  /** Serves the image file written by the controlling process (a worker). Never throws. */
  install(path: string, generation: number): Promise<boolean> {
    const next = this.installing.then(() => this.installOnce(path, generation));
    this.installing = next;
    return next;
  }

  /** Resolves when the images announced so far are installed (or refused): what a worker reports serving. */
  settled(): Promise<boolean> {
    return this.installing;
  }

  private async installOnce(path: string, generation: number): Promise<boolean> {
    if (generation <= this.generation) return true;
    try {
      const img = await readImageFileAsync(path);
      if (generation <= this.generation) return true; // a newer one arrived meanwhile
      const built = this.zonesOf(img);
      if (built.errors.length) {
        // The primary checked the keys before publishing; a key removed since is its to report.
        this.lastErrors = built.errors;
        for (const e of built.errors) this.log.debug({ file: e.file, line: e.line, col: e.col }, formatError(e));
        this.log.error({ errors: built.errors.length, generation }, 'zone image refused (signing keys); still serving the previous zones');
        return false;
      }
      this.generation = generation;
      this.swap(built);
      this.lastErrors = [];
      this.log.info({ generation, zones: img.zoneCount, names: img.nodeCount }, 'zone image loaded');
      return true;
    } catch (e) {
      this.lastErrors = [{ file: path, line: 1, col: 1, message: `cannot read the zone image: ${(e as Error).message}` }];
      this.log.error({ err: e, path }, 'cannot read the zone image; still serving the previous zones');
      return false;
    }
  }

  private async compileOnce(): Promise<boolean> {
    const started = performance.now();
    // While something is served, the compile runs at the lowest CPU priority so the answering
    // threads keep their cores (zones/image/priority.ts); the first one has nothing to yield to.
    // The compiler writes the image beside the published one; it is renamed over it once the keys check out.
    const next = this.imagePath ? `${this.imagePath}.next` : undefined;
    if (next) {
      // The image's directory may have been removed under a running server (a temp cleaner, a
      // hand): made again, or no reload would ever succeed until a restart.
      try {
        await mkdir(dirname(next), { recursive: true, mode: 0o700 });
      } catch (e) {
        return this.refuse([{ file: next, line: 1, col: 1, message: `cannot make the zone image's directory: ${(e as Error).message}` }], started);
      }
    }
    // A process that answers nothing reads back only the zones' apexes, not the full image.
    const r = await compileZonesDir(this.dir, { lowPriority: this.generation > 0, env: { ...process.env, ...compilerMallocEnv() }, ...this.compileOptions, read: this.read, previous: this.serials, ...(next ? { output: next, summaryOnly: !this.answers } : {}) });
    if (!r.ok) return this.refuse(r.errors, started);
    let built: Built;
    try {
      // Built by our own compiler a moment ago (with summaryOnly, its apexes only): no second pass for the checksum.
      const img = new ZoneImage(new Uint8Array(r.image), { verify: false });
      // Keys are checked before the image is published: a missing key refuses the load here, once.
      built = this.zonesOf(img, !this.answers);
      for (const w of built.warnings) this.log.warn(w);
      if (built.errors.length) {
        if (next) await rm(next, { force: true });
        return this.refuse(built.errors, started);
      }
      if (this.imagePath && next) await rename(next, this.imagePath);
    } catch (e) {
      return this.refuse([{ file: this.imagePath ?? this.dir, line: 1, col: 1, message: `cannot publish the zone image: ${(e as Error).message}` }], started);
    }
    this.warnSerialFallbacks(r.serialFallbacks);
    this.warnZones(r.warnings);
    this.serials = new Map(r.serials);
    this.generation++;
    this.records = r.records;
    const catalog = this.swap(built);
    this.lastErrors = [];
    this.stats.reloads.ok++;
    const ms = performance.now() - started;
    this.stats.reloadSeconds.observe({ result: 'ok' }, ms / 1000);
    const info = this.announce ? this.log.info.bind(this.log) : this.log.debug.bind(this.log);
    info(
      {
        zones: r.zones.map(({ names, ...z }) => {
          const served = catalog.zones.get(z.origin);
          // The fields in the order they have always been logged in (names after serial).
          return { ...z, origin: nameToText(z.origin), serial: served?.serial, names, ...(catalog.signed.has(z.origin) ? { signed: true } : {}) };
        }),
        records: r.records,
        bytes: r.bytes,
        ms: Math.round(ms),
        compileMs: { load: Math.round(r.ms.load), build: Math.round(r.ms.build) },
        ...(r.ms.peakMb ? { compilePeakMb: r.ms.peakMb } : {}),
      },
      'zones loaded',
    );
    this.spreading = this.onPublished(this.generation);
    return true;
  }

  private refuse(errors: ZoneError[], started: number): false {
    this.stats.reloads.failed++;
    this.stats.reloadSeconds.observe({ result: 'failed' }, (performance.now() - started) / 1000);
    this.lastErrors = errors;
    const error = this.announce ? this.log.error.bind(this.log) : this.log.debug.bind(this.log);
    for (const e of errors) error({ file: e.file, line: e.line, col: e.col }, formatError(e));
    error({ errors: errors.length, dir: this.dir }, 'zone load refused; still serving the previous zones');
    return false;
  }

  /**
   * The image's zones and, for those served signed, their signers (keys read now, in this process);
   * `summarize`: only what a process answering no query needs (zoneSummary).
   */
  private zonesOf(img: ZoneImage, summarize = false): Built {
    const pools = imagePools(img);
    const zones = imageZones(img, pools);
    return this.withSigners(summarize ? zones.map(zoneSummary) : zones, pools, 'load');
  }

  /** `why`: a load reads every zone's keys; a rekey only those whose files changed, or none when only the clock moved. */
  private withSigners(zones: ZoneLike[], pools: PoolSet, why: 'load' | RekeyCause): Built {
    const signing = this.sign ? buildSigners(zones, { keysDir: this.keysDir, cache: this.sigCache, previous: { keys: this.signedWith, phases: this.keyPhases, signers: this.current.signers }, ...this.keySource(why) }) : unsigned(zones);
    // Keys a look found unusable are looked at again, not taken from memory, until a look finds them usable.
    if (this.sign) this.keysUnusable = signing.errors.length > 0;
    const errors: ZoneError[] = [];
    appendErrors(errors, signing.errors);
    return { zones, served: signing.served, pools, signers: signing.signers, warnings: signing.warnings, errors, phases: signing.phases, serialSteps: signing.serialSteps, nextKeyChange: signing.nextChange, keys: signing.keys };
  }

  private keySource(why: 'load' | RekeyCause): { keysOf?: KeySource } {
    const files = this.keyFiles;
    if (!files) return {};
    const fromFiles = (): { keysOf: KeySource } => ({ keysOf: (origin) => files.load(origin) });
    if (why === 'load') {
      files.rescan({ reread: true });
      return fromFiles();
    }
    if (why === 'files' || this.keysUnusable) {
      files.rescan();
      return fromFiles();
    }
    // The times are in memory; a zone without keys there (none should be) is read from its files.
    let listed = false;
    return {
      keysOf: (origin) => {
        const keys = this.keysRead.get(origin);
        if (keys) return { keys, warnings: [] };
        if (!listed) files.rescan();
        listed = true;
        return files.load(origin);
      },
    };
  }

  /**
   * Takes the zones being served to their keys' phases now (the key timer:
   * a rollover phase or a re-sign period is due, `clock`, or the key
   * directory changed, `files`) and, when some zone's key phases or serial
   * step moved, serves the same zones with new signers (for the zones that
   * moved) and serials. `files` reads the keys of the zones whose files
   * changed; `clock` reads none, the times being in memory (unless the last
   * look found keys it could not use). True when it swapped; keys that cannot
   * be used now are logged and change nothing.
   */
  rekey(cause: RekeyCause = 'files'): boolean {
    if (!this.sign || this.current.signers.size === 0) return false;
    const started = performance.now();
    const reads = this.keyFiles?.reads ?? 0;
    const built = this.withSigners(this.compiled, this.current.pools, cause);
    this.log.debug({ cause, zonesRead: (this.keyFiles?.reads ?? 0) - reads, ms: Math.round(performance.now() - started) }, 'signing keys checked');
    if (built.errors.length) {
      const error = this.announce ? this.log.error.bind(this.log) : this.log.debug.bind(this.log);
      for (const e of built.errors) error({ file: e.file }, formatError(e));
      error('signing keys changed but cannot be used; still signing with the previous ones');
      return false;
    }
    this.nextKeyChange = built.nextKeyChange;
    this.keysRead = built.keys;
    const stepped = [...built.serialSteps].filter(([zone, step]) => this.serialSteps.get(zone) !== step);
    if (phaseChanges(this.keyPhases, built.phases).length === 0 && stepped.length === 0) return false;
    const catalog = this.swap(built);
    const info = this.announce ? this.log.info.bind(this.log) : this.log.debug.bind(this.log);
    // The new serial sends secondaries (NOTIFY) to fetch the zone signed afresh.
    if (stepped.length) info({ zones: stepped.map(([zone]) => ({ zone: nameToText(zone), serial: catalog.zones.get(zone)?.serial })) }, 'signed zones re-signed for transfer: serial advanced');
    return true;
  }

  /** One assignment: queries in flight finish on the catalog they started with. */
  private swap(b: Built): Catalog {
    const info = this.announce ? this.log.info.bind(this.log) : this.log.debug.bind(this.log);
    for (const c of phaseChanges(this.keyPhases, b.phases)) info({ zone: nameToText(c.zone), keys: c.to, before: c.from }, 'DNSSEC key phase change');
    this.keyPhases = b.phases;
    this.serialSteps = b.serialSteps;
    this.nextKeyChange = b.nextKeyChange;
    this.signedWith = b.keys;
    this.keysRead = b.keys;
    this.compiled = b.zones;
    const catalog = new Catalog(b.served, b.pools, b.signers, this.current);
    catalog.health = this.health;
    this.current = catalog;
    this.onLoaded(catalog);
    // Queries already running finish on the old catalog; the next turn frees its image (collect.ts).
    setImmediate(collectNow);
    return catalog;
  }

  /** Zones served as they are but worth a fix (a signed zone's SOA expire), each as file:line:col, on every load. */
  private warnZones(warnings: readonly ZoneError[]): void {
    const warn = this.announce ? this.log.warn.bind(this.log) : this.log.debug.bind(this.log);
    for (const w of warnings) warn({ file: w.file, line: w.line, col: w.col }, formatError(w));
  }

  /** One warning per reason per reload: servers with the same commit would serve different serials. */
  private warnSerialFallbacks(fallbacks: SerialFallback[]): void {
    this.lastSerialFallbacks = new Set(fallbacks.map((f) => f.file)).size;
    const byReason = new Map<string, SerialFallback[]>();
    for (const f of fallbacks) byReason.set(f.reason, [...(byReason.get(f.reason) ?? []), f]);
    const warn = this.announce ? this.log.warn.bind(this.log) : this.log.debug.bind(this.log);
    for (const [reason, list] of byReason) {
      const first = list[0]!;
      warn({ serialFallback: reason, files: [...new Set(list.map((f) => f.file))], fix: first.fix }, `${first.message}; nameservers loading the same commit may serve different serials. Fix: ${first.fix}`);
    }
  }
}
