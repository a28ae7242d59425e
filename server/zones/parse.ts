// YAML zone file -> ZoneSource. Every mistake is collected with its file,
// line and column so `pulsedns check` can list them all at once.
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Node as YNode, type Pair } from 'yaml';
import { Type, parseTypeName, isStorableType } from '../wire/constants.js';
import { type Name, nameFromText, isSubdomain, NameError } from '../wire/names.js';
import { RdataError, type Rdata } from './rdata.js';
import { type ZoneSource, type ZoneError, type SourcePos, DEFAULT_TTL } from './model.js';
import { fastParseZoneYaml } from './fastparse.js';
import { yamlSyntaxErrors } from './yaml-errors.js';
import { rdataFromValue, ttlFromValue, type RecordValue } from './values.js';
import { capErrors, nestingTooDeep } from './limits.js';
import { dnssecOption, type DnssecOption } from './dnssec-option.js';
import { RECORD_KEYS, zoneMessages as M } from './messages.js';

export interface ParseResult {
  zone?: ZoneSource;
  errors: ZoneError[];
}

const ZONE_KEYS = new Set(['origin', 'ttl', 'dnssec', 'records']);

/**
 * Parses one zone file's text. `defaultOrigin` comes from the file name.
 * Never throws on any input: too deep a nesting is refused before parsing, and
 * a stack overflow anyway becomes an error. At most MAX_ERRORS_PER_FILE errors.
 */
export function parseZoneYaml(text: string, file: string, defaultOrigin?: string, opts: { fast?: boolean } = {}): ParseResult {
  const deep = nestingTooDeep(text, file);
  if (deep) return { errors: [deep] };
  try {
    const r = parseAny(text, file, defaultOrigin, opts.fast !== false);
    return r.errors.length ? { ...r, errors: capErrors(r.errors, file) } : r;
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    return { errors: [{ file, line: 1, col: 1, message: `cannot parse: ${e.message}` }] };
  }
}

function parseAny(text: string, file: string, defaultOrigin: string | undefined, tryFast: boolean): ParseResult {
  // Large zones in the common one-line or block style skip the yaml package's
  // AST (7 s and 1 GB at 200k records); anything else takes the full path.
  const fast = tryFast ? fastParseZoneYaml(text, file, defaultOrigin) : undefined;
  if (fast) return fast;
  const lc = new LineCounter();
  // The yaml package's own duplicate-key check compares every key with every
  // other (quadratic: minutes for a large zone); owners are checked below with a Set.
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: false });
  const errors: ZoneError[] = [];
  const posOf = (node: YNode | Pair | null | undefined): SourcePos => {
    const range = node && 'range' in node && node.range ? node.range : node && 'key' in node && isScalar(node.key) && node.key.range ? node.key.range : undefined;
    const p = lc.linePos(range ? range[0] : 0);
    return { file, line: p.line, col: p.col };
  };
  const err = (node: YNode | Pair | null | undefined, message: string): void => {
    errors.push({ ...posOf(node), message });
  };
  errors.push(...yamlSyntaxErrors(doc.errors, lc, text, file));
  if (errors.length) return { errors };

  const root = doc.contents;
  if (!isMap(root)) {
    err(root, 'a zone file is a mapping with "records:" (and optionally "origin:", "ttl:" and "dnssec:")');
    return { errors };
  }

  let originText = defaultOrigin;
  let originNode: YNode | null = null;
  let defaultTtl = DEFAULT_TTL;
  let recordsNode: YNode | null = null;
  let dnssec: DnssecOption | undefined;
  const zoneKeys = new Set<string>();
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    const value = pair.value as YNode | null;
    if (zoneKeys.has(key)) {
      err(pair.key as YNode, `"${key}" appears twice in the zone file`);
      continue;
    }
    zoneKeys.add(key);
    if (!ZONE_KEYS.has(key)) {
      err(pair.key as YNode, `unknown zone key "${key}" (expected one of: ${[...ZONE_KEYS].join(', ')})`);
      continue;
    }
    if (key === 'origin') {
      originNode = value;
      if (!isScalar(value) || typeof value.value !== 'string') err(value, 'origin must be a domain name such as example.com.');
      else originText = value.value;
    } else if (key === 'ttl') {
      const t = ttlOf(value, err);
      if (t !== undefined) defaultTtl = t;
    } else if (key === 'dnssec') {
      const d = dnssecOption(value === null ? null : (value.toJSON() as unknown));
      if (d.error) err(value ?? (pair.key as YNode), d.error);
      else dnssec = d.option;
    } else {
      recordsNode = value;
    }
  }
  if (!originText) {
    err(root, 'no origin: name the file after the zone (example.com.yaml) or set "origin:"');
    return { errors };
  }
  let origin: Name;
  try {
    origin = nameFromText(originText.endsWith('.') ? originText : originText + '.');
  } catch (e) {
    err(originNode ?? root, `bad origin "${originText}": ${(e as Error).message}`);
    return { errors };
  }
  if (!isMap(recordsNode)) {
    err(recordsNode ?? root, 'missing "records:" mapping of owner names to records');
    return { errors };
  }

  const zone: ZoneSource = { origin, file, defaultTtl, serialAuto: false, records: [], poolRefs: [], ...(dnssec ? { dnssec } : {}) };
  const ownerLines = new Map<string, number>();
  for (const pair of recordsNode.items) {
    const keyNode = pair.key as YNode;
    const ownerText = isScalar(keyNode) ? String(keyNode.value) : '';
    const firstLine = ownerLines.get(ownerText);
    if (firstLine !== undefined) {
      err(keyNode, M.ownerTwice(ownerText, firstLine));
      continue;
    }
    ownerLines.set(ownerText, posOf(keyNode).line);
    let owner: Name;
    try {
      owner = nameFromText(ownerText === '' ? '@' : ownerText, origin);
    } catch (e) {
      err(keyNode, M.badOwner(ownerText, (e as NameError).message));
      continue;
    }
    if (!isSubdomain(owner, origin)) {
      err(keyNode, M.outsideZone(ownerText, origin));
      continue;
    }
    const value = pair.value as YNode | null;
    const entries = isSeq(value) ? (value.items as YNode[]) : [value];
    for (const entry of entries) parseRecordEntry(entry, owner, zone, err, posOf);
  }
  return { zone, errors };
}

type ErrFn = (node: YNode | Pair | null | undefined, message: string) => void;

function ttlOf(node: YNode | null, err: ErrFn): number | undefined {
  const r = ttlFromValue(isScalar(node) ? node.value : null);
  if ('error' in r) {
    err(node, r.error);
    return undefined;
  }
  return r.ttl;
}

function parseRecordEntry(entry: YNode | null, owner: Name, zone: ZoneSource, err: ErrFn, posOf: (n: YNode | null) => SourcePos): void {
  if (!isMap(entry)) {
    err(entry, M.notAMapping);
    return;
  }
  let type: number | undefined;
  let ttl = zone.defaultTtl;
  let explicitTtl: number | undefined;
  let pool: { name: string; node: YNode | null } | undefined;
  const valueNodes: YNode[] = [];
  let typeNode: YNode | null = null;
  let sawValue = false;
  const seenKeys = new Set<string>();
  for (const pair of entry.items) {
    const dupKey = isScalar(pair.key) ? String(pair.key.value) : '';
    if (seenKeys.has(dupKey)) {
      err(pair.key as YNode, M.keyTwice(dupKey));
      return;
    }
    seenKeys.add(dupKey);
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    const v = pair.value as YNode | null;
    if (!RECORD_KEYS.has(key)) {
      err(pair.key as YNode, M.unknownKey(key));
      continue;
    }
    if (key === 'type') {
      typeNode = v;
      const t = isScalar(v) ? String(v.value) : '';
      type = parseTypeName(t);
      if (type === undefined) {
        err(v, M.unknownType(t));
        return;
      }
      if (!isStorableType(type)) {
        err(v, M.notStorable(type));
        return;
      }
    } else if (key === 'ttl') {
      const t = ttlOf(v, err);
      if (t !== undefined) ttl = explicitTtl = t;
    } else if (key === 'pool') {
      const name = isScalar(v) ? String(v.value) : '';
      if (!name) err(v, M.poolName);
      else pool = { name, node: v };
    } else if (key === 'value') {
      sawValue = true;
      if (v) valueNodes.push(v);
    } else {
      sawValue = true;
      if (!isSeq(v)) err(v, M.valuesList);
      else for (const item of v.items as YNode[]) valueNodes.push(item);
    }
  }
  if (type === undefined) {
    if (!typeNode) err(entry, M.noType);
    return;
  }
  if (pool) {
    if (type !== Type.A && type !== Type.AAAA) {
      err(typeNode, M.poolType(pool.name));
      return;
    }
    if (sawValue) {
      err(entry, M.poolValue);
      return;
    }
    if (explicitTtl !== undefined) {
      err(entry, M.poolTtl);
      return;
    }
    zone.poolRefs.push({ owner, type, pool: pool.name, pos: posOf(pool.node) });
    return;
  }
  if (!sawValue || valueNodes.length === 0) {
    err(entry, M.noValue(type));
    return;
  }
  for (const vn of valueNodes) {
    try {
      const rdata = rdataFromYaml(type, vn, zone);
      zone.records.push({ owner, type, ttl, rdata, pos: posOf(vn) });
    } catch (e) {
      if (e instanceof RdataError || e instanceof NameError) err(vn, M.badValue(type, e.message));
      else throw e;
    }
  }
}

function scalarText(node: YNode | null | undefined): string | undefined {
  if (!isScalar(node)) return undefined;
  const v = node.value;
  return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
}

/** The YAML node as values.ts sees it (the fast path builds the same from its own nodes). */
function recordValue(node: YNode | null): RecordValue {
  if (isSeq(node)) return { kind: 'list', items: (node.items as YNode[]).map((n) => scalarText(n)) };
  if (isMap(node)) return { kind: 'fields', fields: node.items.map((p): [string, RecordValue] => [isScalar(p.key) ? String(p.key.value) : '', recordValue(p.value as YNode | null)]) };
  return { kind: 'scalar', text: scalarText(node) };
}

function rdataFromYaml(type: number, node: YNode, zone: ZoneSource): Rdata {
  return rdataFromValue(type, recordValue(node), zone);
}
