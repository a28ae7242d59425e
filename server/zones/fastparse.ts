// Fast path for large zone files. parseZoneYaml() builds a full yaml Document,
// which costs seconds and gigabytes for a zone of a million records. This file
// reads a restricted, line-oriented subset of YAML (block mappings and block
// sequences of one-line values: flow mappings/sequences and simple scalars)
// into a tiny node tree with source offsets, then applies exactly the per-record
// rules of parse.ts, reporting the same mistakes at the same line:col with the
// same words (messages.ts): a typo in a million-record file costs seconds, not
// the full parser's minutes and gigabytes. Anything outside the subset returns
// undefined so the caller falls back to the full parser.
import { Type, parseTypeName, isStorableType } from '../wire/constants.js';
import { type Name, nameFromText, isSubdomain, NameError } from '../wire/names.js';
import { RdataError, ipv4Word, type Rdata } from './rdata.js';
import { rdataFromValue, ttlFromValue, type RecordValue } from './values.js';
import { type ZoneSource, type ZoneError, type SourcePos, DEFAULT_TTL } from './model.js';
import { zoneMessages as M } from './messages.js';
import type { ParseResult } from './parse.js';
import { RecordTable, type CompactZone } from './table.js';
import { dnssecOption, type DnssecOption } from './dnssec-option.js';

/** Thrown anywhere to mean "not sure: let the full parser decide". */
class Bail extends Error {}
const BAIL = new Bail('fast zone parser: fall back');
function bail(): never {
  throw BAIL;
}

interface FScalar {
  k: 's';
  v: string | number;
  off: number;
}
interface FPair {
  key: FScalar;
  value: FNode | null;
}
interface FMap {
  k: 'm';
  items: FPair[];
  off: number;
}
interface FSeq {
  k: 'q';
  items: FNode[];
  off: number;
}
type FNode = FScalar | FMap | FSeq;

// ---- scalars ------------------------------------------------------------

// YAML 1.2 core schema (as the yaml package resolves plain scalars).
const RE_NULL = /^(?:~|[Nn]ull|NULL)?$/;
const RE_BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const RE_OCT = /^0o[0-7]+$/;
const RE_INT = /^[-+]?[0-9]+$/;
const RE_HEX = /^0x[0-9a-fA-F]+$/;
const RE_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const RE_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const RE_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;
const RE_SAFE_INT = /^(?:0|[1-9][0-9]{0,14})$/;

/** Core-schema value of a plain scalar; bails on everything but strings and plain decimal integers. */
function resolvePlain(s: string): string | number {
  const c = s.charCodeAt(0);
  // Only strings starting with a digit, sign, dot, ~, n/N, t/T, f/F can be non-strings.
  if ((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e || c === 0x7e || c === 0x6e || c === 0x4e || c === 0x74 || c === 0x54 || c === 0x66 || c === 0x46) {
    if (RE_INT.test(s)) {
      if (RE_SAFE_INT.test(s)) return Number(s);
      bail();
    }
    if (RE_NULL.test(s) || RE_BOOL.test(s) || RE_OCT.test(s) || RE_HEX.test(s) || RE_NAN.test(s) || RE_EXP.test(s) || RE_FLOAT.test(s)) bail();
  }
  return s;
}

// Character classes (ASCII only; anything else in a plain scalar bails).
const PLAIN_FIRST = new Uint8Array(128);
const PLAIN_REST = new Uint8Array(128);
const KEY_CHAR = new Uint8Array(128);
{
  const set = (t: Uint8Array, chars: string): void => {
    for (const ch of chars) t[ch.charCodeAt(0)] = 1;
  };
  const alnum = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  set(PLAIN_FIRST, alnum + '_./\\=+$^(;~');
  set(PLAIN_REST, alnum + ' _./\\=+$^();~:@*!%&?<>|-');
  set(KEY_CHAR, alnum + '_./\\=+$^();~@*!%&?|-');
}

/** Accepted characters inside quoted scalars. */
function quotedCharOk(c: number): boolean {
  if (c < 0x20) return false;
  if (c >= 0x7f && c <= 0x9f) return false;
  if (c === 0x2028 || c === 0x2029 || c === 0xfeff) return false;
  if (c >= 0xd800 && c <= 0xdfff) return false; // keep it simple: no astral characters
  return true;
}

/**
 * Nesting the fast path reads at most (block nodes and flow collections
 * inside one another), well under limits.ts MAX_NESTING: a file it reads
 * without an error is shallow enough for that limit, so only a file it
 * refuses or cannot read needs the depth scan (source.ts), which was 4% of
 * a million-record compile.
 */
const FAST_MAX_DEPTH = 40;
/** Nesting of the node being read (one parse at a time, synchronous). */
let depth = 0;

function enter(): void {
  if (++depth > FAST_MAX_DEPTH) bail();
}

// ---- line-level reader --------------------------------------------------

class Reader {
  text: string;
  /** Content lines: start offset, indent (spaces), end offset (exclusive, before \n); `count` of them. */
  starts: Uint32Array;
  indents: Uint32Array;
  ends: Uint32Array;
  count = 0;
  /** Start offset of every line (typed arrays: a million lines cost 16 MB, not a million boxed slots). */
  lineStarts: Uint32Array;
  i = 0;
  constructor(text: string) {
    this.text = text;
    const n = text.length;
    let lines = 1;
    for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) lines++;
    this.lineStarts = new Uint32Array(lines);
    this.starts = new Uint32Array(lines);
    this.indents = new Uint32Array(lines);
    this.ends = new Uint32Array(lines);
    let pos = 0;
    let line = 0;
    while (pos <= n) {
      let end = text.indexOf('\n', pos);
      if (end < 0) end = n;
      this.lineStarts[line++] = pos;
      let j = pos;
      while (j < end && text.charCodeAt(j) === 0x20) j++;
      if (j < end && text.charCodeAt(j) !== 0x23) {
        const k = this.count++;
        this.starts[k] = pos;
        this.indents[k] = j - pos;
        this.ends[k] = end;
      }
      if (end === n) break;
      pos = end + 1;
    }
  }
  get done(): boolean {
    return this.i >= this.count;
  }
  indent(): number {
    return this.indents[this.i]!;
  }
  /** Index in lineStarts of the last line asked for: records are asked for in file order. */
  private near = 0;
  /** 0-based line of an offset. */
  lineIndex(off: number): number {
    const ls = this.lineStarts;
    let at = this.near;
    if (ls[at]! <= off && (at + 1 >= ls.length || ls[at + 1]! > off)) return at;
    if (ls[at]! <= off && at + 2 < ls.length && ls[at + 2]! > off) return (this.near = at + 1);
    let lo = 0;
    let hi = ls.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ls[mid]! <= off) lo = mid;
      else hi = mid - 1;
    }
    return (this.near = lo);
  }
  /** 1-based line and column of an offset. */
  posOf(off: number, file: string): SourcePos {
    const at = this.lineIndex(off);
    return { file, line: at + 1, col: off - this.lineStarts[at]! + 1 };
  }
}

/** Parses inline content on one line [pos, end). */
class Inline {
  constructor(
    public t: string,
    public pos: number,
    public end: number,
  ) {}
  skipSpaces(): void {
    while (this.pos < this.end && this.t.charCodeAt(this.pos) === 0x20) this.pos++;
  }
  /** After a value: only spaces, then end of line or a comment (# after a space). */
  expectLineEnd(): void {
    const before = this.pos;
    this.skipSpaces();
    if (this.pos === this.end) return;
    if (this.t.charCodeAt(this.pos) === 0x23 && this.pos > before) return;
    bail();
  }
  atLineEnd(): boolean {
    const save = this.pos;
    this.skipSpaces();
    const r = this.pos === this.end || (this.t.charCodeAt(this.pos) === 0x23 && this.pos > save);
    this.pos = save;
    return r;
  }

  quoted(): FScalar {
    const t = this.t;
    const off = this.pos;
    const q = t.charCodeAt(off);
    let i = off + 1;
    let out = '';
    let from = i;
    for (;;) {
      if (i >= this.end) bail(); // multi-line quoted string
      const c = t.charCodeAt(i);
      if (c === q) {
        if (q === 0x27 && t.charCodeAt(i + 1) === 0x27 && i + 1 < this.end) {
          out += t.slice(from, i + 1);
          i += 2;
          from = i;
          continue;
        }
        break;
      }
      if (q === 0x22 && c === 0x5c) bail(); // escapes in double quotes
      if (!quotedCharOk(c)) bail();
      i++;
    }
    out += t.slice(from, i);
    this.pos = i + 1;
    return { k: 's', v: out, off };
  }

  /** A plain scalar; `flow` marks flow context (stops at , ] }). */
  plain(flow: boolean): FScalar {
    const t = this.t;
    const off = this.pos;
    const c0 = t.charCodeAt(off);
    if (c0 >= 128 || !PLAIN_FIRST[c0]) bail();
    let i = off + 1;
    while (i < this.end) {
      const c = t.charCodeAt(i);
      if (c >= 128 || !PLAIN_REST[c]) break;
      if (c === 0x3a) {
        // ':' followed by a space, end or flow indicator would start a mapping value.
        const n = i + 1 < this.end ? t.charCodeAt(i + 1) : 0x20;
        if (n === 0x20 || n === 0x2c || n === 0x5b || n === 0x5d || n === 0x7b || n === 0x7d) bail();
      }
      i++;
    }
    let e = i;
    while (e > off && t.charCodeAt(e - 1) === 0x20) e--;
    // What stopped us must be: end, a comment after a space, or (in flow) , ] }.
    if (i < this.end) {
      const c = t.charCodeAt(i);
      if (c === 0x23) {
        if (e === i) bail(); // '#' inside a scalar
      } else if (!(flow && (c === 0x2c || c === 0x5d || c === 0x7d))) bail();
    }
    this.pos = e;
    return { k: 's', v: resolvePlain(t.slice(off, e)), off };
  }

  /** A mapping key followed by ':' and a space or end of line; returns undefined (position kept) if not a key. */
  tryKey(): FScalar | undefined {
    const t = this.t;
    const save = this.pos;
    const c0 = t.charCodeAt(save);
    let key: FScalar;
    if (c0 === 0x27 || c0 === 0x22) {
      key = this.quoted();
    } else {
      let i = save;
      while (i < this.end) {
        const c = t.charCodeAt(i);
        if (c >= 128 || !KEY_CHAR[c]) break;
        i++;
      }
      if (i === save || t.charCodeAt(i) !== 0x3a || i >= this.end) return undefined;
      if (c0 >= 128 || !PLAIN_FIRST[c0]) bail();
      key = { k: 's', v: resolvePlain(t.slice(save, i)), off: save };
      this.pos = i;
    }
    if (this.pos >= this.end || t.charCodeAt(this.pos) !== 0x3a) {
      this.pos = save;
      return undefined;
    }
    if (this.pos - save > 1000) bail(); // the yaml package limits implicit keys to 1024 characters
    const after = this.pos + 1;
    if (after < this.end && t.charCodeAt(after) !== 0x20) bail();
    this.pos = after;
    return key;
  }

  /** A one-line value in flow context or after "key: " / "- ". */
  value(flow: boolean): FNode {
    const c = this.t.charCodeAt(this.pos);
    if (c === 0x7b) return this.flowMap();
    if (c === 0x5b) return this.flowSeq();
    if (c === 0x27 || c === 0x22) return this.quoted();
    return this.plain(flow);
  }

  flowMap(): FMap {
    enter();
    const m = this.flowMapBody();
    depth--;
    return m;
  }

  flowSeq(): FSeq {
    enter();
    const q = this.flowSeqBody();
    depth--;
    return q;
  }

  private flowMapBody(): FMap {
    const off = this.pos++;
    const items: FPair[] = [];
    this.skipSpaces();
    if (this.t.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
      return { k: 'm', items, off };
    }
    for (;;) {
      if (this.pos >= this.end) bail();
      const key = this.tryKey();
      if (!key) bail();
      this.skipSpaces();
      if (this.pos >= this.end) bail();
      const c = this.t.charCodeAt(this.pos);
      if (c === 0x2c || c === 0x7d || c === 0x23) bail(); // empty value
      const value = this.value(true);
      items.push({ key, value });
      this.skipSpaces();
      const d = this.t.charCodeAt(this.pos);
      if (this.pos >= this.end) bail();
      this.pos++;
      if (d === 0x7d) return { k: 'm', items, off };
      if (d !== 0x2c) bail();
      this.skipSpaces();
      if (this.t.charCodeAt(this.pos) === 0x7d) bail(); // trailing comma: keep it simple
    }
  }

  private flowSeqBody(): FSeq {
    const off = this.pos++;
    const items: FNode[] = [];
    this.skipSpaces();
    if (this.t.charCodeAt(this.pos) === 0x5d) {
      this.pos++;
      return { k: 'q', items, off };
    }
    for (;;) {
      if (this.pos >= this.end) bail();
      const c = this.t.charCodeAt(this.pos);
      if (c === 0x2c || c === 0x5d || c === 0x23) bail();
      const value = this.value(true);
      items.push(value);
      this.skipSpaces();
      if (this.pos >= this.end) bail();
      const d = this.t.charCodeAt(this.pos++);
      if (d === 0x5d) return { k: 'q', items, off };
      if (d !== 0x2c) bail();
      this.skipSpaces();
      if (this.t.charCodeAt(this.pos) === 0x5d) bail();
    }
  }
}

// ---- block structure ----------------------------------------------------

/** Block node whose first line is the reader's current line, with indent > parentIndent. */
function blockNode(r: Reader, parentIndent: number): FNode {
  enter();
  const n = blockNodeBody(r, parentIndent);
  depth--;
  return n;
}

function blockNodeBody(r: Reader, parentIndent: number): FNode {
  if (r.done) bail();
  const ind = r.indent();
  if (ind <= parentIndent) bail();
  const start = r.starts[r.i]! + ind;
  const t = r.text;
  if (t.charCodeAt(start) === 0x2d && (start + 1 === r.ends[r.i] || t.charCodeAt(start + 1) === 0x20)) return blockSeq(r, ind);
  return blockMap(r, ind, start);
}

function blockSeq(r: Reader, ind: number): FSeq {
  const items: FNode[] = [];
  const off = r.starts[r.i]! + ind;
  while (!r.done && r.indent() === ind) {
    const s = r.starts[r.i]! + ind;
    const end = r.ends[r.i]!;
    if (r.text.charCodeAt(s) !== 0x2d) break;
    if (s + 1 >= end || r.text.charCodeAt(s + 1) !== 0x20) bail();
    const inl = new Inline(r.text, s + 1, end);
    inl.skipSpaces();
    if (inl.pos >= end || r.text.charCodeAt(inl.pos) === 0x23) bail(); // value on following lines
    const c = r.text.charCodeAt(inl.pos);
    if (c === 0x2d && (inl.pos + 1 >= end || r.text.charCodeAt(inl.pos + 1) === 0x20)) bail(); // nested "- -"
    const keyStart = inl.pos;
    const save = inl.pos;
    const key = inl.tryKey();
    if (key) {
      // Compact mapping: "- key: value" with further keys aligned to `key`.
      inl.pos = save;
      items.push(blockMap(r, keyStart - r.starts[r.i]!, keyStart));
    } else {
      const v = inl.value(false);
      inl.expectLineEnd();
      r.i++;
      items.push(v);
    }
  }
  if (!r.done && r.indent() > ind) bail();
  return { k: 'q', items, off };
}

/** Block mapping whose first key is at `off` (which may follow the "- " of a sequence item). */
function blockMap(r: Reader, ind: number, off: number): FMap {
  const items: FPair[] = [];
  let first = true; // the first line may be a "- key: value" line of a sequence
  while (!r.done && (first || r.indent() === ind)) {
    const lineStart = r.starts[r.i]!;
    const s = first ? off : lineStart + ind;
    first = false;
    const end = r.ends[r.i]!;
    const inl = new Inline(r.text, s, end);
    const c = r.text.charCodeAt(s);
    if (c === 0x2d && (s + 1 === end || r.text.charCodeAt(s + 1) === 0x20)) break; // a sequence at this indent: caller decides
    const key = inl.tryKey();
    if (!key) bail();
    if (inl.atLineEnd()) {
      r.i++;
      // Value on the following, more indented lines (a null value is left to the full parser).
      items.push({ key, value: blockNode(r, ind) });
    } else {
      inl.skipSpaces();
      const v = inl.value(false);
      inl.expectLineEnd();
      r.i++;
      items.push({ key, value: v });
    }
  }
  if (!r.done && r.indent() > ind) bail();
  return { k: 'm', items, off };
}

// ---- zone semantics (mirror of parse.ts) ---------------------------------

const ZONE_KEYS = new Set(['origin', 'ttl', 'dnssec', 'records']);
const RECORD_KEY_BITS: Record<string, number> = Object.assign(Object.create(null) as Record<string, number>, { type: 1, ttl: 2, value: 4, values: 8, pool: 16 });
/** The one syntax error the fast path reports itself (yaml-errors.ts shows the first structural error only). */
const SAME_COLUMN = 'YAML syntax: All mapping items must start at the same column';

/**
 * Mistakes found so far, at the positions parse.ts gives (a node's first
 * character; no node, as parse.ts's null, is 1:1). A syntax error replaces
 * them all in the result, as in parse.ts, which stops before the meaning.
 */
class Found {
  errors: ZoneError[] = [];
  syntax: ZoneError | undefined;
  constructor(
    readonly r: Reader,
    readonly file: string,
    /** Where records go when the caller wants the compact form (zone.records stays empty then). */
    readonly table?: RecordTable,
  ) {}
  at(node: FNode | FScalar | undefined, message: string): void {
    this.errors.push({ ...this.r.posOf(node ? node.off : 0, this.file), message });
  }
}

/**
 * parseZoneYaml() for a restricted subset of YAML; undefined means "use parseZoneYaml".
 * When it returns a result, it is the one parseZoneYaml would return, errors included.
 */
export function fastParseZoneYaml(text: string, file: string, defaultOrigin?: string): ParseResult | undefined {
  return attempt(() => parse(text, file, defaultOrigin));
}

/**
 * fastParseZoneYaml writing each record straight into a RecordTable: the
 * compiler's path, whose memory stays near the size of the image.
 */
export function fastParseZoneCompact(text: string, file: string, defaultOrigin?: string): { zone?: CompactZone; errors: ZoneError[] } | undefined {
  const table = new RecordTable(text.length);
  const r = attempt(() => parse(text, file, defaultOrigin, table));
  if (!r?.zone) return r && { errors: r.errors };
  const { records: _none, ...rest } = r.zone;
  return { zone: { ...rest, records: table }, errors: r.errors };
}

function attempt(run: () => ParseResult): ParseResult | undefined {
  try {
    return run();
  } catch (e) {
    // A stack overflow (nesting the depth check let through) is the full parser's to report.
    if (e instanceof Bail || e instanceof RangeError) return undefined;
    throw e;
  }
}

/** A "---" line (document start) with nothing after it but a comment. */
function isDocumentStart(text: string, start: number, end: number): boolean {
  if (!text.startsWith('---', start)) return false;
  const inl = new Inline(text, start + 3, end);
  return inl.atLineEnd();
}

function parse(text: string, file: string, defaultOrigin?: string, table?: RecordTable): ParseResult {
  depth = 0;
  // Tabs, CR, other control characters, BOM and directives: leave them to the full parser.
  if (/[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]/.test(text)) bail();
  const r = new Reader(text);
  if (r.done) bail();
  // One leading "---" is an explicit start of the only document: it changes nothing.
  if (r.indent() === 0 && isDocumentStart(text, r.starts[r.i]!, r.ends[r.i]!)) r.i++;
  if (r.done) bail();
  // Top level, one line per key: "origin: X", "ttl: N", and "records:" whose
  // block is read after the others so records can be handled as they are read.
  let originText = defaultOrigin;
  let ttlDefault = DEFAULT_TTL;
  let dnssec: DnssecOption | undefined;
  let recordsFrom = -1;
  let recordsTo = -1;
  const zoneKeys = new Set<string>();
  const found = new Found(r, file, table);
  while (!r.done) {
    if (r.indent() !== 0) bail();
    const start = r.starts[r.i]!;
    const c = text.charCodeAt(start);
    if (c === 0x25 || c === 0x2d || c === 0x2e) bail(); // %, a second ---, ..., or a sequence
    const inl = new Inline(text, start, r.ends[r.i]!);
    const key = inl.tryKey();
    if (!key) bail();
    const k = String(key.v);
    if (zoneKeys.has(k) || !ZONE_KEYS.has(k)) bail();
    zoneKeys.add(k);
    if (inl.atLineEnd()) {
      if (k !== 'records') bail();
      r.i++;
      recordsFrom = r.i;
      while (!r.done && r.indent() > 0) r.i++;
      recordsTo = r.i;
      continue;
    }
    inl.skipSpaces();
    if (k === 'dnssec') {
      // Plain booleans only (the scalar reader leaves booleans to the full parser); a mapping, a
      // comment or a mistake is the full parser's to read and report.
      const word = text.slice(inl.pos, inl.end).trimEnd();
      if (!RE_BOOL.test(word)) bail();
      dnssec = dnssecOption(word.toLowerCase() === 'true').option;
      r.i++;
      continue;
    }
    const value = inl.value(false);
    inl.expectLineEnd();
    r.i++;
    if (k === 'origin') {
      if (value.k !== 's' || typeof value.v !== 'string') bail();
      originText = value.v;
    } else if (k === 'ttl') {
      const t = ttlFromValue(value.k === 's' ? value.v : null);
      if ('error' in t) found.at(value, t.error);
      else ttlDefault = t.ttl;
    } else bail(); // records: must be a block mapping here
  }
  if (!originText || recordsFrom < 0 || recordsFrom === recordsTo) bail();
  let origin: Name;
  try {
    origin = nameFromText(originText.endsWith('.') ? originText : originText + '.');
  } catch {
    bail();
  }

  const zone: ZoneSource = { origin, file, defaultTtl: ttlDefault, serialAuto: false, records: [], poolRefs: [], ...(dnssec ? { dnssec } : {}) };
  // Owners are numbered by name (table.ts), one map for a million of them. A key text seen before
  // is a mistake; a text is new whenever its name is, so texts are only compared for a name seen
  // before: with the first key of that name (read again from its offset), and with `otherKeys`.
  const ids = table ?? new RecordTable();
  const keyOff: number[] = [];
  const otherKeys = new Map<string, number>();
  const keyTextAt = (off: number): string => {
    const end = text.indexOf('\n', off);
    return String(new Inline(text, off, end < 0 ? text.length : end).tryKey()!.v);
  };
  const onOwner = (key: FScalar, value: FNode): void => {
    const ownerText = String(key.v);
    let owner: Name | undefined;
    let why = '';
    try {
      owner = nameFromText(ownerText === '' ? '@' : ownerText, origin);
    } catch (e) {
      why = (e as Error).message;
    }
    let id = -1;
    let first: number | undefined;
    if (owner !== undefined) {
      const known = ids.names.length;
      id = ids.ownerId(owner);
      if (id === known) keyOff[id] = key.off;
      else first = keyTextAt(keyOff[id]!) === ownerText ? keyOff[id] : otherKeys.get(ownerText);
    } else first = otherKeys.get(ownerText);
    if (first !== undefined) return found.at(key, M.ownerTwice(ownerText, r.posOf(first, file).line));
    if (id < 0 || keyOff[id] !== key.off) otherKeys.set(ownerText, key.off);
    if (owner === undefined) return found.at(key, M.badOwner(ownerText, why));
    if (!isSubdomain(owner, origin)) return found.at(key, M.outsideZone(ownerText, origin));
    if (value.k === 'q') for (const entry of value.items) recordEntry(entry, owner, id, zone, found);
    else recordEntry(value, owner, id, zone, found);
  };
  r.i = recordsFrom;
  readOwners(r, recordsTo, found, onOwner);
  if (found.syntax) return { errors: [found.syntax] };
  return { zone, errors: found.errors };
}

/**
 * The block mapping of owners under "records:", each pair handed to
 * `onOwner` as soon as it is read. A key line at another indentation is
 * the syntax error the yaml package reports there, when it is one of the
 * forms known to give that error; any other misplaced line is the full
 * parser's to describe.
 */
function readOwners(r: Reader, to: number, found: Found, onOwner: (key: FScalar, value: FNode) => void): void {
  const t = r.text;
  const ind = r.indent();
  /** Indentation of the previous owner's block value (-1: its value was on its key's line). */
  let childInd = -1;
  while (r.i < to) {
    const li = r.indent();
    const s = r.starts[r.i]! + li;
    const end = r.ends[r.i]!;
    if (t.charCodeAt(s) === 0x2d && (s + 1 === end || t.charCodeAt(s + 1) === 0x20)) bail(); // a sequence
    const inl = new Inline(t, s, end);
    const key = inl.tryKey();
    if (!key) bail();
    if (li !== ind) {
      if (!(li < ind || childInd < 0 || li < childInd)) bail();
      // A misplaced "key: value" line: reported once; the rest is still read so anything the
      // full parser would report beside it (it never reads past an unreadable form) is seen.
      if (inl.atLineEnd()) bail();
      inl.skipSpaces();
      inl.value(false);
      inl.expectLineEnd();
      r.i++;
      found.syntax ??= { ...r.posOf(s, found.file), message: SAME_COLUMN };
      childInd = -1;
      continue;
    }
    let value: FNode;
    if (inl.atLineEnd()) {
      r.i++;
      // Value on the following, more indented lines (a null value is left to the full parser).
      childInd = r.done ? -1 : r.indent();
      value = blockNode(r, ind);
    } else {
      inl.skipSpaces();
      value = inl.value(false);
      inl.expectLineEnd();
      r.i++;
      childInd = -1;
    }
    onOwner(key, value);
  }
}

function recordEntry(entry: FNode, owner: Name, ownerId: number, zone: ZoneSource, found: Found): void {
  if (entry.k !== 'm') return found.at(entry, M.notAMapping);
  let type: number | undefined;
  let ttl = zone.defaultTtl;
  let explicitTtl: number | undefined;
  let pool: { name: string; node: FNode } | undefined;
  const valueNodes: FNode[] = [];
  let typeNode: FNode | undefined;
  let sawValue = false;
  let seen = 0; // bit per record key; unknown keys listed
  let unknown: string[] | undefined;
  for (const pair of entry.items) {
    const key = String(pair.key.v);
    const bit = RECORD_KEY_BITS[key];
    if (bit === undefined ? unknown?.includes(key) : seen & bit) return found.at(pair.key, M.keyTwice(key));
    if (bit === undefined) {
      (unknown ??= []).push(key);
      found.at(pair.key, M.unknownKey(key));
      continue;
    }
    seen |= bit;
    const v = pair.value;
    if (!v) bail(); // never built: a missing value is left to the full parser
    if (key === 'type') {
      typeNode = v;
      const t = v.k === 's' ? String(v.v) : '';
      type = parseTypeName(t);
      if (type === undefined) return found.at(v, M.unknownType(t));
      if (!isStorableType(type)) return found.at(v, M.notStorable(type));
    } else if (key === 'ttl') {
      const t = ttlFromValue(v.k === 's' ? v.v : null);
      if ('error' in t) found.at(v, t.error);
      else ttl = explicitTtl = t.ttl;
    } else if (key === 'pool') {
      const name = v.k === 's' ? String(v.v) : '';
      if (!name) found.at(v, M.poolName);
      else pool = { name, node: v };
    } else if (key === 'value') {
      sawValue = true;
      valueNodes.push(v);
    } else {
      sawValue = true;
      if (v.k !== 'q') found.at(v, M.valuesList);
      else for (const item of v.items) valueNodes.push(item);
    }
  }
  if (type === undefined) {
    if (!typeNode) found.at(entry, M.noType);
    return;
  }
  if (pool) {
    if (type !== Type.A && type !== Type.AAAA) return found.at(typeNode, M.poolType(pool.name));
    if (sawValue) return found.at(entry, M.poolValue);
    if (explicitTtl !== undefined) return found.at(entry, M.poolTtl);
    zone.poolRefs.push({ owner, type, pool: pool.name, pos: found.r.posOf(pool.node.off, found.file) });
    return;
  }
  if (!sawValue || valueNodes.length === 0) return found.at(entry, M.noValue(type));
  const t = found.table;
  for (const vn of valueNodes) {
    if (t && type === Type.A && vn.k === 's' && typeof vn.v === 'string') {
      // Most records of a big zone: straight into the table (anything else takes the path below, errors included).
      const word = ipv4Word(vn.v);
      if (word >= 0) {
        const line = found.r.lineIndex(vn.off);
        t.addIPv4(ownerId, ttl, word, line + 1, vn.off - found.r.lineStarts[line]! + 1);
        continue;
      }
    }
    let rdata: Rdata;
    try {
      rdata = rdataFromValue(type, recordValue(vn), zone);
    } catch (e) {
      if (e instanceof RdataError || e instanceof NameError) {
        found.at(vn, M.badValue(type, e.message));
        continue;
      }
      throw e;
    }
    if (!t) {
      zone.records.push({ owner, type, ttl, rdata, pos: found.r.posOf(vn.off, found.file) });
      continue;
    }
    const line = found.r.lineIndex(vn.off);
    t.add(ownerId, type, ttl, rdata.wire, line + 1, vn.off - found.r.lineStarts[line]! + 1, rdata.target);
  }
}

function scalarText(node: FNode | null | undefined): string | undefined {
  return node && node.k === 's' ? String(node.v) : undefined;
}

/** The node as values.ts sees it: the same RecordValue parse.ts builds from its own nodes. */
function recordValue(node: FNode | null): RecordValue {
  if (node && node.k === 'q') return { kind: 'list', items: node.items.map((n) => scalarText(n)) };
  if (node && node.k === 'm') return { kind: 'fields', fields: node.items.map((p): [string, RecordValue] => [String(p.key.v), recordValue(p.value)]) };
  return { kind: 'scalar', text: scalarText(node) };
}
