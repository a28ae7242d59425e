// Holds the catalog being served and replaces it only with a fully built,
// valid one. A failed load leaves the previous catalog answering.
import type { Logger } from 'pino';
import { Catalog } from '../engine/catalog.js';
import { nameToText } from '../wire/names.js';
import { formatError, type ZoneError } from '../zones/model.js';
import { loadZonesDir, type SerialMemory } from '../zones/load.js';
import type { Stats } from './stats.js';
import { ALL_UP, type HealthLookup } from '../pools/select.js';
import { SigCache } from '../dnssec/cache.js';
import { buildSigners } from './signers.js';

export class ServedZones {
  current: Catalog = new Catalog([]);
  /** Member health the query path consults; carried over to every new catalog. */
  health: HealthLookup = ALL_UP;
  /** Called with each catalog that goes live (the prober follows the pools in it). */
  onLoaded: (catalog: Catalog) => void = () => undefined;
  private serials = new Map<string, SerialMemory>();
  lastErrors: ZoneError[] = [];
  /** One signature cache for every signed zone and every load (its keys carry the key set). */
  readonly sigCache = new SigCache();

  /** `keysDir`: where signed zones' keys are (serve --keys); read again on every load. */
  constructor(readonly dir: string, private readonly log: Logger, private readonly stats: Stats, readonly keysDir?: string) {
    stats.signing = () => this.sigCache.stats();
  }

  /** Installs a new health view; cached answers are dropped since pool answers may change. */
  setHealth(health: HealthLookup): void {
    this.health = health;
    this.current.health = health;
  }

  /** Loads the directory; returns true when the new set is being served. */
  reload(): boolean {
    const started = process.hrtime.bigint();
    const r = loadZonesDir(this.dir, this.serials);
    const signing = r.errors.length ? undefined : buildSigners(r.zones, { keysDir: this.keysDir, cache: this.sigCache });
    if (signing) {
      for (const w of signing.warnings) this.log.warn(w);
      r.errors.push(...signing.errors);
    }
    if (r.errors.length) {
      this.stats.reloads.failed++;
      this.lastErrors = r.errors;
      for (const e of r.errors) this.log.error({ file: e.file, line: e.line, col: e.col }, formatError(e));
      this.log.error({ errors: r.errors.length, dir: this.dir }, 'zone load refused; still serving the previous zones');
      return false;
    }
    this.serials = r.serials;
    const catalog = new Catalog(r.zones, r.pools, signing?.signers);
    catalog.health = this.health;
    this.current = catalog;
    this.onLoaded(catalog);
    this.lastErrors = [];
    this.stats.reloads.ok++;
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    this.log.info({ zones: r.zones.map((z) => ({ origin: nameToText(z.origin), serial: z.serial, names: z.nodes.size, ...(catalog.signed.has(z.origin) ? { signed: true } : {}) })), ms: Math.round(ms) }, 'zones loaded');
    return true;
  }
}
