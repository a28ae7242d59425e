// Loading a zone set from file texts already in memory. This is the part of
// loading that does not care where the bytes came from: a directory on disk
// (load.ts) or a git revision (`pulsedns plan`) both feed it, so the two can
// never disagree on which files are zones or on what makes a set valid.
import { join } from 'node:path';
import { parsePoolsYaml } from '../pools/parse.js';
import { POOLS_FILE, type PoolSet } from '../pools/model.js';
import { nameToText } from '../wire/names.js';
import { type ZoneError, type ZoneSource } from './model.js';
import { parseZoneYaml } from './parse.js';
import { validateTable, validateZone } from './validate.js';
import { fastParseZoneCompact } from './fastparse.js';
import { compactFromSource, setTableSerial, type CompactZone } from './table.js';
import { compileZone, type Zone } from './compile.js';
import { setSerial } from './serial.js';
import { appendErrors, capErrors, nestingTooDeep } from './limits.js';
import { boundErrors } from './excerpt.js';

/** Zone files: *.yaml, except hidden ones and those starting with "_" (such as _pools.yaml). */
export function isZoneFileName(name: string): boolean {
  return /\.ya?ml$/i.test(name) && !name.startsWith('.') && !name.startsWith('_');
}

export function originFromFileName(file: string): string {
  const base = file.split(/[\\/]/).pop()!;
  return base.replace(/\.ya?ml$/i, '');
}

export function emptyPoolSet(): PoolSet {
  return { pools: new Map(), checks: new Map() };
}

/** _pools.yaml text -> pools, refusing too deep a nesting before the yaml package sees it; messages bounded (excerpt.ts). */
export function poolsFromText(text: string, file: string): { pools: PoolSet; errors: ZoneError[] } {
  const deep = nestingTooDeep(text, file);
  if (deep) return { pools: emptyPoolSet(), errors: [deep] };
  const r = parsePoolsYaml(text, file);
  return { pools: r.pools, errors: boundErrors(r.errors) };
}

/** Parses and validates one zone file's text without compiling it. */
export function zoneFromText(text: string, file: string, pools: PoolSet): { zone?: ZoneSource; errors: ZoneError[] } {
  return validated(parseZoneYaml(text, file, originFromFileName(file)), file, (z) => validateZone(z, pools));
}

/**
 * zoneFromText for the compiler: the records go straight into a compact
 * table (table.ts) on the fast path; a file the fast path cannot read is
 * parsed in full and then put in a table.
 */
export function compactZoneFromText(text: string, file: string, pools: PoolSet): { zone?: CompactZone; errors: ZoneError[] } {
  const origin = originFromFileName(file);
  let parsed = fastParseZoneCompact(text, file, origin);
  // A file the fast path read cleanly is no deeper than FAST_MAX_DEPTH (fastparse.ts); any other
  // is scanned as before, so a too-deep file is refused with the same message whichever path it took.
  if (!parsed || parsed.errors.length) {
    const deep = nestingTooDeep(text, file);
    if (deep) parsed = { errors: [deep] };
  }
  if (parsed && parsed.errors.length) parsed = { ...parsed, errors: capErrors(parsed.errors, file) };
  if (!parsed) {
    const full = parseZoneYaml(text, file, origin, { fast: false });
    parsed = full.zone ? { zone: compactFromSource(full.zone), errors: full.errors } : { errors: full.errors };
  }
  return validated(parsed, file, (z) => validateTable(z, pools));
}

/** A parse result with the validation errors added: a zone only when there are none. */
function validated<Z>(parsed: { zone?: Z; errors: ZoneError[] }, file: string, validate: (zone: Z) => ZoneError[]): { zone?: Z; errors: ZoneError[] } {
  if (!parsed.zone) return { errors: boundErrors(parsed.errors) };
  const errors = parsed.errors.slice();
  appendErrors(errors, validate(parsed.zone), Infinity);
  return errors.length ? { errors: boundErrors(capErrors(errors, file)) } : { zone: parsed.zone, errors };
}

export interface ZoneSet {
  /** Compiled zones; empty when there is any error, because a set is served whole or not at all. */
  zones: Zone[];
  pools: PoolSet;
  errors: ZoneError[];
  /**
   * Zones that are valid on their own (serials filled in), even when another
   * file of the set is broken: lets a caller still describe a broken set.
   */
  sources: ZoneSource[];
}

/** What loadZoneSet needs of a zone form (ZoneSource, or the compiler's CompactZone). */
interface ZoneForm<Z> {
  read(text: string, file: string, pools: PoolSet): { zone?: Z; errors: ZoneError[] };
  setSerial(zone: Z, serial: number): void;
}

interface Loadable {
  origin: string;
  serialAuto: boolean;
}

/**
 * Loads the zones and pools of one directory from `files` (file name inside
 * the directory -> text). Names that are neither zone files nor _pools.yaml
 * are ignored. `dir` prefixes the file names in errors and in each zone's
 * `file`. `autoSerial` gives the serial of each valid zone written with
 * `serial: auto`, since where "last change" comes from depends on the source.
 */
export function loadZoneSet(dir: string, files: ReadonlyMap<string, string>, autoSerial: (src: ZoneSource, pools: PoolSet) => number, compile = true): ZoneSet {
  const set = loadSet(dir, files, autoSerial, { read: zoneFromText, setSerial });
  return { ...set, zones: set.errors.length || !compile ? [] : set.sources.map((s) => compileZone(s, set.pools)) };
}

/** loadZoneSet for the compiler: zones in compact form (table.ts), never compiled to objects. */
export function loadCompactSet(dir: string, files: ReadonlyMap<string, string>, autoSerial: (src: CompactZone, pools: PoolSet) => number): { pools: PoolSet; errors: ZoneError[]; sources: CompactZone[] } {
  return loadSet(dir, files, autoSerial, { read: compactZoneFromText, setSerial: setTableSerial });
}

function loadSet<Z extends Loadable>(dir: string, files: ReadonlyMap<string, string>, autoSerial: (src: Z, pools: PoolSet) => number, form: ZoneForm<Z>): { pools: PoolSet; errors: ZoneError[]; sources: Z[] } {
  const errors: ZoneError[] = [];
  let dropped = 0;
  const poolsText = files.get(POOLS_FILE);
  const poolRead = poolsText === undefined ? { pools: emptyPoolSet(), errors: [] } : poolsFromText(poolsText, join(dir, POOLS_FILE));
  appendErrors(errors, poolRead.errors);
  const pools = poolRead.pools;
  const sources: Z[] = [];
  const byOrigin = new Map<string, string>();
  for (const name of [...files.keys()].filter(isZoneFileName).sort()) {
    const file = join(dir, name);
    const r = form.read(files.get(name)!, file, pools);
    dropped += appendErrors(errors, r.errors);
    if (!r.zone) continue;
    const other = byOrigin.get(r.zone.origin);
    if (other) {
      errors.push({ file, line: 1, col: 1, message: `zone ${nameToText(r.zone.origin)} is already defined in ${other}` });
      continue;
    }
    byOrigin.set(r.zone.origin, file);
    sources.push(r.zone);
  }
  if (dropped) errors.push({ file: dir, line: 1, col: 1, message: `${dropped} more errors not shown` });
  for (const src of sources) if (src.serialAuto) form.setSerial(src, autoSerial(src, pools));
  return { pools, errors, sources };
}
