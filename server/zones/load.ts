// Reads a zones directory into compiled zones, or into a list of errors.
// Nothing here touches what is being served: the caller swaps on success.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parsePoolsYaml } from '../pools/parse.js';
import { POOLS_FILE, type PoolSet } from '../pools/model.js';
import { nameToText } from '../wire/names.js';
import { type ZoneError, type ZoneSource } from './model.js';
import { parseZoneYaml } from './parse.js';
import { validateZone } from './validate.js';
import { compileZone, type Zone } from './compile.js';
import { contentFingerprint, lastChangeSeconds, setSerial } from './serial.js';

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
}

/** Zone files: *.yaml, except hidden ones and those starting with "_" (such as _pools.yaml). */
export function zoneFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/i.test(f) && !f.startsWith('.') && !f.startsWith('_'))
    .sort()
    .map((f) => join(dir, f));
}

export function originFromFileName(file: string): string {
  const base = file.split(/[\\/]/).pop()!;
  return base.replace(/\.ya?ml$/i, '');
}

/** Reads the directory's _pools.yaml; an absent file means no pools. */
export function readPools(dir: string): { pools: PoolSet; errors: ZoneError[] } {
  const file = join(dir, POOLS_FILE);
  if (!existsSync(file)) return { pools: { pools: new Map(), checks: new Map() }, errors: [] };
  try {
    return parsePoolsYaml(readFileSync(file, 'utf8'), file);
  } catch (e) {
    return { pools: { pools: new Map(), checks: new Map() }, errors: [{ file, line: 1, col: 1, message: `cannot read: ${(e as Error).message}` }] };
  }
}

/** Parses and validates one file without compiling it. */
export function readZoneFile(file: string, pools?: PoolSet): { zone?: ZoneSource; errors: ZoneError[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { errors: [{ file, line: 1, col: 1, message: `cannot read: ${(e as Error).message}` }] };
  }
  const parsed = parseZoneYaml(text, file, originFromFileName(file));
  if (!parsed.zone) return parsed;
  const errors = [...parsed.errors, ...validateZone(parsed.zone, pools ?? readPools(dirname(file)).pools)];
  return errors.length ? { errors } : { zone: parsed.zone, errors };
}

export function loadZonesDir(dir: string, previous: Map<string, SerialMemory> = new Map()): LoadResult {
  const errors: ZoneError[] = [];
  const sources: ZoneSource[] = [];
  let files: string[];
  try {
    files = zoneFiles(dir);
  } catch (e) {
    return { zones: [], pools: { pools: new Map(), checks: new Map() }, errors: [{ file: dir, line: 1, col: 1, message: `cannot read zones directory: ${(e as Error).message}` }], serials: previous };
  }
  const poolRead = readPools(dir);
  errors.push(...poolRead.errors);
  const pools = poolRead.pools;
  const byOrigin = new Map<string, string>();
  for (const file of files) {
    const r = readZoneFile(file, pools);
    errors.push(...r.errors);
    if (!r.zone) continue;
    const other = byOrigin.get(r.zone.origin);
    if (other) {
      errors.push({ file, line: 1, col: 1, message: `zone ${nameToText(r.zone.origin)} is already defined in ${other}` });
      continue;
    }
    byOrigin.set(r.zone.origin, file);
    sources.push(r.zone);
  }
  const serials = new Map<string, SerialMemory>();
  for (const src of sources) {
    if (!src.serialAuto) continue;
    const fingerprint = contentFingerprint(src);
    const prev = previous.get(src.origin);
    let serial: number;
    if (prev && prev.fingerprint === fingerprint) serial = prev.serial;
    else {
      serial = lastChangeSeconds(src.file);
      if (prev && serial <= prev.serial) serial = prev.serial + 1;
    }
    setSerial(src, serial);
    serials.set(src.origin, { fingerprint, serial });
  }
  return { zones: errors.length ? [] : sources.map((s) => compileZone(s, pools)), pools, errors, serials };
}
