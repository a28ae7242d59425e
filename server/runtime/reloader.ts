// Holds the catalog being served and replaces it only with a fully built,
// valid one. A failed load leaves the previous catalog answering.
import type { Logger } from 'pino';
import { Catalog } from '../engine/catalog.js';
import { nameToText } from '../wire/names.js';
import { formatError, type ZoneError } from '../zones/model.js';
import { loadZonesDir, type SerialMemory } from '../zones/load.js';
import { DEFAULT_READ, type ReadPolicy } from '../zones/readfile.js';
import type { SerialFallback } from '../zones/serial.js';
import type { Stats } from './stats.js';
import { ALL_UP, type HealthLookup } from '../pools/select.js';

export class ServedZones {
  current: Catalog = new Catalog([]);
  /** Member health the query path consults; carried over to every new catalog. */
  health: HealthLookup = ALL_UP;
  /** Called with each catalog that goes live (the prober follows the pools in it). */
  onLoaded: (catalog: Catalog) => void = () => undefined;
  private serials = new Map<string, SerialMemory>();
  lastErrors: ZoneError[] = [];
  /** Zone files whose serial: auto came from file times in the last load (pulsedns_zone_serial_fallbacks). */
  lastSerialFallbacks = 0;

  /**
   * `announce: false` in cluster workers: the primary loads the same files and
   * logs each load, refusal and serial warning once for the server; a worker
   * keeps those lines at debug. `read`: the size cap (--max-zone-file-size)
   * and the tree the files must stay in (readfile.ts).
   */
  constructor(readonly dir: string, private readonly log: Logger, private readonly stats: Stats, private readonly announce = true, private readonly read: ReadPolicy = DEFAULT_READ) {}

  /** Installs a new health view; cached answers are dropped since pool answers may change. */
  setHealth(health: HealthLookup): void {
    this.health = health;
    this.current.health = health;
  }

  /** Loads the directory; returns true when the new set is being served. */
  reload(): boolean {
    const started = process.hrtime.bigint();
    const r = loadZonesDir(this.dir, this.serials, { read: this.read });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const error = this.announce ? this.log.error.bind(this.log) : this.log.debug.bind(this.log);
    if (r.errors.length) {
      this.stats.reloads.failed++;
      this.stats.reloadSeconds.observe({ result: 'failed' }, seconds);
      this.lastErrors = r.errors;
      for (const e of r.errors) error({ file: e.file, line: e.line, col: e.col }, formatError(e));
      error({ errors: r.errors.length, dir: this.dir }, 'zone load refused; still serving the previous zones');
      return false;
    }
    this.warnSerialFallbacks(r.serialFallbacks);
    this.serials = r.serials;
    const catalog = new Catalog(r.zones, r.pools);
    catalog.health = this.health;
    this.current = catalog;
    this.onLoaded(catalog);
    this.lastErrors = [];
    this.stats.reloads.ok++;
    this.stats.reloadSeconds.observe({ result: 'ok' }, seconds);
    const info = this.announce ? this.log.info.bind(this.log) : this.log.debug.bind(this.log);
    info({ zones: r.zones.map((z) => ({ origin: nameToText(z.origin), serial: z.serial, names: z.nodes.size })), ms: Math.round(seconds * 1000) }, 'zones loaded');
    return true;
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
