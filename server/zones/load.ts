// Reads a zones directory into compiled zones, or into a list of errors.
// Nothing here touches what is being served: the caller swaps on success.
// What makes a set valid lives in source.ts, shared with `pulsedns plan`,
// which loads the same files from a git revision instead of the disk.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { POOLS_FILE, type PoolSet } from '../pools/model.js';
import { type ZoneError, type ZoneSource } from './model.js';
import type { Zone } from './compile.js';
import { contentFingerprint, lastChange, type SerialFallback } from './serial.js';
import { appendErrors } from './limits.js';
import { emptyPoolSet, isZoneFileName, loadCompactSet, loadZoneSet, poolsFromText, zoneFromText } from './source.js';
import { fingerprintRecords, type CompactZone } from './table.js';
import { DEFAULT_READ, readFailure, readTextFile, type ReadPolicy } from './readfile.js';

export { originFromFileName } from './source.js';

export interface SerialMemory {
  fingerprint: string;
  serial: number;
}

export interface LoadResult {
  zones: Zone[];
  errors: ZoneError[];
  /** Per-origin memory to pass to the next load so `auto` serials only grow. */
  serials: Map<string, SerialMemory>;
  pools: PoolSet;
  /** The valid zones as parsed (serials filled in); with `compile: false` the only result. */
  sources: ZoneSource[];
  /** _pools.yaml as read, when there is one (the image carries it to every reader). */
  poolsText?: string;
  /** Files whose serial: auto fell back to file times although they live in git (see serial.ts). */
  serialFallbacks: SerialFallback[];
}

export interface LoadOptions {
  /** Build compile.ts Zones (default); off when the caller builds an image from `sources`. */
  compile?: boolean;
  /** How files are read: size cap and the tree they must stay in (default: 256 MiB, inside `dir`). */
  read?: ReadPolicy;
}

/** Zone files: *.yaml, except hidden ones and those starting with "_" (such as _pools.yaml). */
export function zoneFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter(isZoneFileName)
    .sort()
    .map((f) => join(dir, f));
}

/** The policy for the files of `dir`: they stay inside it unless `policy` names a wider root (a git checkout). */
function inTree(dir: string, policy: ReadPolicy): ReadPolicy {
  return { ...policy, root: policy.root ?? dir };
}

/** Reads the directory's _pools.yaml; an absent file means no pools. */
export function readPools(dir: string, policy: ReadPolicy = DEFAULT_READ): { pools: PoolSet; errors: ZoneError[] } {
  const file = join(dir, POOLS_FILE);
  if (!existsSync(file)) return { pools: emptyPoolSet(), errors: [] };
  let text: string;
  try {
    text = readTextFile(file, inTree(dir, policy));
  } catch (e) {
    return { pools: emptyPoolSet(), errors: [{ file, line: 1, col: 1, message: readFailure(e) }] };
  }
  return poolsFromText(text, file);
}

/** Parses and validates one file without compiling it. */
export function readZoneFile(file: string, pools?: PoolSet, policy: ReadPolicy = DEFAULT_READ): { zone?: ZoneSource; errors: ZoneError[] } {
  let text: string;
  try {
    text = readTextFile(file, inTree(dirname(file), policy));
  } catch (e) {
    return { errors: [{ file, line: 1, col: 1, message: readFailure(e) }] };
  }
  return zoneFromText(text, file, pools ?? readPools(dirname(file), policy).pools);
}

/**
 * The texts of a directory's zone files and _pools.yaml, by file name, for
 * source.ts. Throws when the directory itself cannot be read; a file that
 * cannot be read is an error with its name.
 */
export function readZoneTexts(dir: string, policy: ReadPolicy = DEFAULT_READ): { texts: Map<string, string>; errors: ZoneError[] } {
  const errors: ZoneError[] = [];
  const texts = new Map<string, string>();
  for (const name of readdirSync(dir).filter((f) => f === POOLS_FILE || isZoneFileName(f))) {
    try {
      texts.set(name, readTextFile(join(dir, name), inTree(dir, policy)));
    } catch (e) {
      errors.push({ file: join(dir, name), line: 1, col: 1, message: readFailure(e) });
    }
  }
  return { texts, errors };
}

export function loadZonesDir(dir: string, previous: Map<string, SerialMemory> = new Map(), opts: LoadOptions = {}): LoadResult {
  const compile = opts.compile !== false;
  let zones: Zone[] = [];
  const r = loadDir<ZoneSource>(dir, previous, opts, contentFingerprint, (texts, autoSerial) => {
    const set = loadZoneSet(dir, texts, autoSerial, compile);
    zones = set.zones;
    return set;
  });
  return { ...r, zones: r.errors.length ? [] : zones };
}

/** What the compiler (image/worker.ts) reads: zones as compact record tables, nothing compiled to objects. */
export type CompactLoadResult = Omit<LoadResult, 'zones' | 'sources'> & { sources: CompactZone[] };

export function loadCompactDir(dir: string, previous: Map<string, SerialMemory> = new Map(), opts: Omit<LoadOptions, 'compile'> = {}): CompactLoadResult {
  return loadDir<CompactZone>(dir, previous, opts, (src, pools) => contentFingerprint({ records: fingerprintRecords(src), poolRefs: src.poolRefs }, pools), (texts, autoSerial) => loadCompactSet(dir, texts, autoSerial));
}

interface Loaded {
  origin: string;
  file: string;
  poolRefs: readonly unknown[];
}

/** Reads the directory and loads it with `load`; serials of `serial: auto` zones come from `previous` and file times. */
function loadDir<Z extends Loaded>(
  dir: string,
  previous: Map<string, SerialMemory>,
  opts: Omit<LoadOptions, 'compile'>,
  fingerprint: (src: Z, pools: PoolSet) => string,
  load: (texts: Map<string, string>, autoSerial: (src: Z, pools: PoolSet) => number) => { pools: PoolSet; errors: ZoneError[]; sources: Z[] },
): Omit<LoadResult, 'zones' | 'sources'> & { sources: Z[] } {
  let read: { texts: Map<string, string>; errors: ZoneError[] };
  try {
    read = readZoneTexts(dir, opts.read ?? DEFAULT_READ);
  } catch (e) {
    return { sources: [], pools: emptyPoolSet(), errors: [{ file: dir, line: 1, col: 1, message: `cannot read zones directory: ${(e as Error).message}` }], serials: previous, serialFallbacks: [] };
  }
  const { texts, errors } = read;
  const serials = new Map<string, SerialMemory>();
  const serialFallbacks: SerialFallback[] = [];
  const changedAt = (file: string): number => {
    const c = lastChange(file);
    if (c.fallback) serialFallbacks.push(c.fallback);
    return c.seconds;
  };
  const poolsText = texts.get(POOLS_FILE);
  const set = load(texts, (src, pools) => {
    const fp = fingerprint(src, pools);
    const prev = previous.get(src.origin);
    let serial: number;
    if (prev && prev.fingerprint === fp) serial = prev.serial;
    else {
      // A pool-backed zone also changes (for secondaries) when _pools.yaml does.
      serial = changedAt(src.file);
      if (src.poolRefs.length && poolsText !== undefined) serial = Math.max(serial, changedAt(join(dir, POOLS_FILE)));
      if (prev && serial <= prev.serial) serial = prev.serial + 1;
    }
    serials.set(src.origin, { fingerprint: fp, serial });
    return serial;
  });
  // The texts are parsed: let a million-record file go before the image is built.
  texts.clear();
  appendErrors(errors, set.errors);
  return { sources: errors.length ? [] : set.sources, pools: set.pools, errors, serials, serialFallbacks, ...(poolsText !== undefined ? { poolsText } : {}) };
}
