// RFC 1035 master file (as BIND, NSD and Knot read it) -> our YAML zone text.
// The reading rules follow those servers rather than the letter of RFC 1035
// where they differ, because the files people bring are the ones those
// servers loaded: $TTL beats "previous TTL" (RFC 2308), TTL and class may come
// in either order, TTLs take units. The result is checked by parsing it back
// with parse.ts, so what we print is what the server will serve.
import { dirname, isAbsolute, resolve } from 'node:path';
import { Document, isScalar, isSeq, visit } from 'yaml';
import { Type, parseTypeName, isStorableType, SUPPORTED_TYPES } from '../wire/constants.js';
import { type Name, ROOT, NameError, nameFromText, nameRelative, nameToText, isSubdomain } from '../wire/names.js';
import { type Rdata, RdataError, encodeCharString, formatIPv6, rdataFromTokens, splitPresentation, txtFromStrings } from './rdata.js';
import { hasCodec, textFromWire } from './rdata-types.js';
import { type ZoneError, MAX_TTL, DEFAULT_TTL } from './model.js';
import { parseZoneYaml } from './parse.js';
import { durationSeconds } from './duration.js';
import { compareNamesCanonical, compareTypes, masterTypeName } from './export.js';
import { DEFAULT_MAX_FILE_BYTES, readFailure, readTextFile, type ReadPolicy } from './readfile.js';
import { boundErrors } from './excerpt.js';

export type ImportError = ZoneError;

export interface ImportOptions {
  /** Zone origin; when absent, taken from the SOA owner or the first $ORIGIN. */
  origin?: string;
  /** Name used in error messages (and as the base for $INCLUDE when includeDir is absent). */
  file?: string;
  /** Directory relative $INCLUDE paths are resolved against; included files must be in it (or below). */
  includeDir?: string;
  /** Further directories $INCLUDE may read from (--include-dir). */
  includeRoots?: string[];
  /** Size cap for each included file. */
  maxBytes?: number;
}

interface Token {
  text: string;
  quoted: boolean;
  line: number;
  col: number;
}

interface Entry {
  tokens: Token[];
  /** Line began with white space: the owner is the previous record's. */
  ownerOmitted: boolean;
  file: string;
}

interface Imported {
  owner: Name;
  type: number;
  ttl: number;
  rdata: Rdata;
  file: string;
  line: number;
  col: number;
}

/** Mnemonics real zone files carry that we only store as RFC 3597 data; named so the error can say which TYPEnnn to use. */
const OTHER_MNEMONICS: ReadonlyMap<string, number> = new Map([
  ['RP', 17], ['AFSDB', 18], ['LOC', 29], ['KX', 36], ['CERT', 37],
  ['DNAME', 39], ['APL', 42], ['IPSECKEY', 45], ['RRSIG', 46], ['NSEC', 47],
  ['DHCID', 49], ['NSEC3', 50], ['NSEC3PARAM', 51], ['SMIMEA', 53],
  ['CDS', 59], ['CDNSKEY', 60], ['OPENPGPKEY', 61], ['CSYNC', 62], ['ZONEMD', 63],
  ['SPF', 99], ['EUI48', 108], ['EUI64', 109],
]);

const CLASSES: ReadonlyMap<string, number> = new Map([['IN', 1], ['CS', 2], ['CH', 3], ['HS', 4], ['NONE', 254], ['ANY', 255]]);

/** Types with a presentation form in rdata.ts; their `\#` data is turned back into that form. */
const KNOWN_TYPES = new Set<number>([Type.A, Type.AAAA, Type.NS, Type.CNAME, Type.PTR, Type.MX, Type.SRV, Type.SOA, Type.TXT, Type.CAA]);

const MAX_INCLUDE_DEPTH = 16;

/** BIND-style TTL: seconds, or units s m h d w combined ("1h30m"). */
export const parseTtl = durationSeconds;

/** A name token is absolute when it ends in a dot that is not escaped. */
function isAbsoluteName(text: string): boolean {
  if (text === '.') return true;
  if (!text.endsWith('.')) return false;
  let backslashes = 0;
  for (let i = text.length - 2; i >= 0 && text[i] === '\\'; i--) backslashes++;
  return backslashes % 2 === 0;
}

/**
 * Decodes a <character-string> to bytes. Works by code point, so characters
 * outside the BMP written literally come out as their UTF-8 bytes.
 */
function decodeText(raw: string): Buffer {
  const out: number[] = [];
  const pushChar = (cp: number): void => {
    out.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
  };
  for (let i = 0; i < raw.length; ) {
    const cp = raw.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    if (cp !== 0x5c) {
      pushChar(cp);
      i += width;
      continue;
    }
    if (i + 1 >= raw.length) throw new RdataError('string ends with a lone backslash');
    if (/[0-9]/.test(raw[i + 1]!)) {
      const digits = raw.slice(i + 1, i + 4);
      if (!/^[0-9]{3}$/.test(digits) || Number(digits) > 255) {
        throw new RdataError(`bad escape "\\${digits}": a numeric escape is exactly three digits, 000-255`);
      }
      out.push(Number(digits));
      i += 4;
      continue;
    }
    const next = raw.codePointAt(i + 1)!;
    pushChar(next);
    i += 1 + (next > 0xffff ? 2 : 1);
  }
  return Buffer.from(out);
}

/** Splits master-file text into entries (one per record or directive), tracking positions. */
function tokenize(text: string, file: string, errors: ImportError[]): Entry[] {
  const entries: Entry[] = [];
  let tokens: Token[] = [];
  let ownerOmitted = false;
  let broken = false;
  let depth = 0;
  let parenLine = 0;
  let parenCol = 0;
  let line = 1;
  let lineStart = 0;
  const err = (l: number, c: number, message: string): void => {
    errors.push({ file, line: l, col: c, message });
  };
  const push = (tok: Token): void => {
    if (tokens.length === 0) ownerOmitted = tok.col > 1 && /[ \t]/.test(text[lineStart] ?? '');
    tokens.push(tok);
  };
  const flush = (): void => {
    if (tokens.length && !broken) entries.push({ tokens, ownerOmitted, file });
    tokens = [];
    broken = false;
  };
  const isSpecial = (ch: string): boolean => /[\s;()"]/.test(ch);

  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    const col = i - lineStart + 1;
    if (ch === '\n') {
      if (depth === 0) flush();
      line++;
      lineStart = ++i;
      continue;
    }
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === ';') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (ch === '(') {
      if (depth === 0) {
        parenLine = line;
        parenCol = col;
      }
      depth++;
      i++;
      continue;
    }
    if (ch === ')') {
      if (depth === 0) {
        err(line, col, '")" without a matching "("');
        broken = true;
      } else depth--;
      i++;
      continue;
    }
    if (ch === '"') {
      let j = i + 1;
      let body = '';
      let closed = false;
      while (j < text.length) {
        const c = text[j]!;
        if (c === '"') {
          closed = true;
          break;
        }
        if (c === '\n') break;
        if (c === '\\' && j + 1 < text.length && text[j + 1] !== '\n') {
          body += c + text[j + 1]!;
          j += 2;
          continue;
        }
        body += c;
        j++;
      }
      if (!closed) {
        err(line, col, 'quoted string is not closed before the end of the line (add the closing quote)');
        broken = true;
        i = j;
        continue;
      }
      push({ text: body, quoted: true, line, col });
      i = j + 1;
      continue;
    }
    let j = i;
    let word = '';
    while (j < text.length && !isSpecial(text[j]!)) {
      if (text[j] === '\\' && j + 1 < text.length && text[j + 1] !== '\n') {
        word += text[j]! + text[j + 1]!;
        j += 2;
        continue;
      }
      word += text[j]!;
      j++;
    }
    push({ text: word, quoted: false, line, col });
    i = j;
  }
  if (depth > 0) {
    err(parenLine, parenCol, `"(" is never closed (the record starting here runs to the end of the file)`);
    tokens = [];
  }
  flush();
  return entries;
}

/** Reads a domain name from wire data; RFC 3597 data never carries compression pointers. */
function readWireName(b: Buffer, off: number): { text: string; end: number } {
  let i = off;
  let wire = '';
  for (;;) {
    if (i >= b.length) throw new RdataError('RFC 3597 data ends inside a domain name');
    const len = b[i]!;
    if (len === 0) break;
    if (len > 63) throw new RdataError('RFC 3597 data holds a compressed or malformed domain name');
    if (i + 1 + len > b.length) throw new RdataError('RFC 3597 data ends inside a domain name');
    wire += b.toString('latin1', i, i + 1 + len);
    i += 1 + len;
  }
  return { text: nameToText(wire + ROOT), end: i + 1 };
}

/**
 * Presentation tokens for a known type given as RFC 3597 `\#` data (BIND and
 * NSD accept that form for any type). Strings come back unquoted, escapes kept.
 */
function tokensFromWire(type: number, b: Buffer): string[] {
  const bad = (): never => {
    throw new RdataError(`RFC 3597 data is not a valid ${masterTypeName(type)} record (${b.length} bytes)`);
  };
  const nameAt = (off: number, last: boolean): { text: string; end: number } => {
    const n = readWireName(b, off);
    if (last && n.end !== b.length) bad();
    return n;
  };
  const charString = (s: Buffer): string => encodeCharString(s).slice(1, -1);
  switch (type) {
    case Type.A:
      if (b.length !== 4) bad();
      return [[...b].join('.')];
    case Type.AAAA:
      if (b.length !== 16) bad();
      return [formatIPv6(b)];
    case Type.NS:
    case Type.CNAME:
    case Type.PTR:
      return [nameAt(0, true).text];
    case Type.MX:
      if (b.length < 3) bad();
      return [String(b.readUInt16BE(0)), nameAt(2, true).text];
    case Type.SRV:
      if (b.length < 7) bad();
      return [String(b.readUInt16BE(0)), String(b.readUInt16BE(2)), String(b.readUInt16BE(4)), nameAt(6, true).text];
    case Type.SOA: {
      const m = nameAt(0, false);
      const r = nameAt(m.end, false);
      if (b.length - r.end !== 20) bad();
      const nums = [0, 1, 2, 3, 4].map((k) => String(b.readUInt32BE(r.end + 4 * k)));
      return [m.text, r.text, ...nums];
    }
    case Type.TXT: {
      const out: string[] = [];
      let i = 0;
      while (i < b.length) {
        const len = b[i]!;
        if (i + 1 + len > b.length) bad();
        out.push(charString(b.subarray(i + 1, i + 1 + len)));
        i += 1 + len;
      }
      if (out.length === 0) bad();
      return out;
    }
    case Type.CAA: {
      if (b.length < 2) bad();
      const tagLen = b[1]!;
      if (tagLen === 0 || 2 + tagLen > b.length) bad();
      return [String(b[0]), b.toString('latin1', 2, 2 + tagLen), charString(b.subarray(2 + tagLen))];
    }
    default:
      if (hasCodec(type)) return splitPresentation(textFromWire(type, b));
      return bad();
  }
}

/** Which RDATA fields of a type are domain names (they need an origin when relative). */
function nameFields(type: number): number[] {
  switch (type) {
    case Type.NS:
    case Type.CNAME:
    case Type.PTR:
      return [0];
    case Type.MX:
      return [1];
    case Type.SRV:
      return [3];
    case Type.SOA:
      return [0, 1];
    case Type.SVCB:
    case Type.HTTPS:
      return [1];
    case Type.NAPTR:
      return [5];
    default:
      return [];
  }
}

class Importer {
  readonly errors: ImportError[] = [];
  readonly records: Imported[] = [];
  /** Current $ORIGIN; undefined until the file or the caller sets one. */
  origin: Name | undefined;
  firstOrigin: Name | undefined;
  dollarTtl: number | undefined;
  firstDollarTtl: number | undefined;
  lastTtl: number | undefined;
  lastOwner: Name | undefined;

  constructor(private readonly includeBase: string, private readonly read: ReadPolicy) {}

  private err(file: string, tok: { line: number; col: number }, message: string): void {
    this.errors.push({ file, line: tok.line, col: tok.col, message });
  }

  run(text: string, file: string, depth: number): void {
    const entries = tokenize(text.replace(/^\uFEFF/, ''), file, this.errors);
    for (const e of entries) {
      const first = e.tokens[0]!;
      if (!first.quoted && first.text.startsWith('$')) this.directive(e, depth);
      else this.record(e);
    }
  }

  /** A name token relative to the current origin; reports and returns undefined on error. */
  private name(tok: Token, file: string, what: string): Name | undefined {
    if (this.origin === undefined && !isAbsoluteName(tok.text)) {
      this.err(file, tok, `${what} "${tok.text}" is relative, but no origin is set yet: add "$ORIGIN example.com." above it or pass the zone origin`);
      return undefined;
    }
    try {
      return nameFromText(tok.text, this.origin ?? ROOT);
    } catch (e) {
      if (!(e instanceof NameError)) throw e;
      this.err(file, tok, `bad ${what} "${tok.text}": ${e.message}`);
      return undefined;
    }
  }

  private directive(e: Entry, depth: number): void {
    const [head, ...args] = e.tokens;
    const word = head!.text.toUpperCase();
    const file = e.file;
    if (word === '$ORIGIN') {
      if (args.length !== 1) {
        this.err(file, head!, `$ORIGIN takes one domain name, got ${args.length}`);
        return;
      }
      const n = this.name(args[0]!, file, '$ORIGIN');
      if (n === undefined) return;
      this.origin = n;
      this.firstOrigin ??= n;
    } else if (word === '$TTL') {
      if (args.length !== 1) {
        this.err(file, head!, `$TTL takes one value (e.g. "$TTL 3600" or "$TTL 1h"), got ${args.length}`);
        return;
      }
      const ttl = this.ttlValue(args[0]!, file);
      if (ttl === undefined) return;
      this.dollarTtl = ttl;
      this.firstDollarTtl ??= ttl;
    } else if (word === '$INCLUDE') {
      this.include(e, depth);
    } else if (word === '$GENERATE') {
      this.err(file, head!, '$GENERATE is a BIND extension that is not supported here; expand it first (for example with named-compilezone) and import the result');
    } else {
      this.err(file, head!, `unknown directive "${head!.text}" (expected $ORIGIN, $TTL or $INCLUDE)`);
    }
  }

  private include(e: Entry, depth: number): void {
    const [head, pathTok, originTok, ...rest] = e.tokens;
    const file = e.file;
    if (!pathTok || rest.length) {
      this.err(file, head!, '$INCLUDE takes a file name and an optional origin');
      return;
    }
    if (depth >= MAX_INCLUDE_DEPTH) {
      this.err(file, head!, `$INCLUDE nested more than ${MAX_INCLUDE_DEPTH} deep; does a file include itself?`);
      return;
    }
    const path = isAbsolute(pathTok.text) ? pathTok.text : resolve(this.includeBase, pathTok.text);
    let text: string;
    try {
      // Confined (docs/operations.md, Security): a master file from elsewhere must not pull in /proc/self/environ or ../secret.txt.
      text = readTextFile(path, this.read);
    } catch (err) {
      const why = readFailure(err).replace(/^cannot read: /, '');
      this.err(file, pathTok, `cannot read $INCLUDE file ${path}: ${why}${/outside/.test(why) ? '; allow a directory with --include-dir DIR' : ''}`);
      return;
    }
    // RFC 1035 section 5.1: an included file's origin does not leak back into the including file.
    const savedOrigin = this.origin;
    const savedOwner = this.lastOwner;
    if (originTok) {
      const n = this.name(originTok, file, '$INCLUDE origin');
      if (n === undefined) return;
      this.origin = n;
    }
    this.run(text, path, depth + 1);
    this.origin = savedOrigin;
    this.lastOwner = savedOwner;
  }

  private ttlValue(tok: Token, file: string): number | undefined {
    const ttl = parseTtl(tok.text);
    if (ttl === undefined) {
      this.err(file, tok, `bad TTL "${tok.text}": use seconds or units s m h d w, e.g. 3600, 1h30m, 1d`);
      return undefined;
    }
    if (ttl > MAX_TTL) {
      this.err(file, tok, `TTL ${tok.text}${/^\d+$/.test(tok.text) ? '' : ` (${ttl} seconds)`} is above the RFC 2181 limit of ${MAX_TTL}`);
      return undefined;
    }
    return ttl;
  }

  private record(e: Entry): void {
    const toks = e.tokens;
    const file = e.file;
    let k = 0;
    let owner: Name | undefined;
    if (e.ownerOmitted) {
      owner = this.lastOwner;
      if (owner === undefined) {
        this.err(file, toks[0]!, 'line starts with white space (meaning "same owner as the previous record"), but there is no previous record');
        return;
      }
    } else {
      owner = this.name(toks[k]!, file, 'owner name');
      k++;
      if (owner === undefined) return;
      this.lastOwner = owner;
    }

    let ttl: number | undefined;
    let classSeen = false;
    while (k < toks.length && !toks[k]!.quoted) {
      const t = toks[k]!;
      if (ttl === undefined && /^[0-9]/.test(t.text)) {
        ttl = this.ttlValue(t, file);
        if (ttl === undefined) return;
        k++;
        continue;
      }
      const upper = t.text.toUpperCase();
      const classMatch = /^CLASS(\d{1,5})$/.exec(upper);
      const cls = CLASSES.get(upper) ?? (classMatch ? Number(classMatch[1]) : undefined);
      if (!classSeen && cls !== undefined) {
        if (cls !== 1) {
          this.err(file, t, `class ${t.text} is not supported: only IN zones can be imported`);
          return;
        }
        classSeen = true;
        k++;
        continue;
      }
      break;
    }

    const typeTok = toks[k];
    if (!typeTok) {
      this.err(file, toks[toks.length - 1]!, 'record has no type (expected e.g. "www 3600 IN A 192.0.2.1")');
      return;
    }
    const type = typeTok.quoted ? undefined : parseTypeName(typeTok.text);
    if (type === undefined) {
      const upper = typeTok.text.toUpperCase();
      const n = OTHER_MNEMONICS.get(upper);
      if (n !== undefined) {
        this.err(file, typeTok, `type ${upper} is not supported in its text form; write its data as RFC 3597: "TYPE${n} \\# <length> <hex>"`);
      } else if (CLASSES.has(upper) || /^CLASS\d+$/.test(upper)) {
        this.err(file, typeTok, `"${typeTok.text}": a record has at most one class`);
      } else if (/^[0-9]/.test(typeTok.text)) {
        this.err(file, typeTok, `"${typeTok.text}": a record has at most one TTL`);
      } else {
        this.err(file, typeTok, `unknown record type "${typeTok.text}" (supported: ${SUPPORTED_TYPES}, and TYPEnnn with "\\# <length> <hex>" data)`);
      }
      return;
    }
    if (!isStorableType(type)) {
      this.err(file, typeTok, `type ${typeTok.text} is a query or meta type and cannot be stored in a zone`);
      return;
    }
    const dataToks = toks.slice(k + 1);
    if (dataToks.length === 0) {
      this.err(file, typeTok, `${masterTypeName(type)} record has no data`);
      return;
    }

    let rdata: Rdata;
    try {
      rdata = this.rdata(type, dataToks);
    } catch (err) {
      if (!(err instanceof RdataError || err instanceof NameError)) throw err;
      this.err(file, dataToks[0]!, `${masterTypeName(type)}: ${err.message}`);
      return;
    }

    // RFC 2308: $TTL wins over RFC 1035's "previous TTL"; BIND falls back to the SOA minimum when neither exists.
    if (ttl !== undefined) this.lastTtl = ttl;
    else if (this.dollarTtl !== undefined) ttl = this.dollarTtl;
    else if (this.lastTtl !== undefined) ttl = this.lastTtl;
    else if (type === Type.SOA) {
      ttl = rdata.wire.readUInt32BE(rdata.wire.length - 4);
      this.lastTtl = ttl;
    } else {
      this.err(file, typeTok, 'record has no TTL and there is no default: add "$TTL 3600" at the top of the file or give the record a TTL');
      return;
    }
    this.records.push({ owner, type, ttl, rdata, file, line: toks[0]!.line, col: toks[0]!.col });
  }

  private rdata(type: number, toks: Token[]): Rdata {
    if (!toks[0]!.quoted && toks[0]!.text === '\\#' && (KNOWN_TYPES.has(type) || hasCodec(type))) {
      const len = toks[1]?.text ?? '';
      const hex = toks.slice(2).map((t) => t.text).join('');
      if (!/^\d+$/.test(len)) throw new RdataError(`RFC 3597 length must be a number, got "${len}"`);
      if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw new RdataError(`"${hex}" is not an even number of hex digits`);
      const b = Buffer.from(hex, 'hex');
      if (b.length !== Number(len)) throw new RdataError(`RFC 3597 length says ${len} bytes but the hex holds ${b.length}`);
      const texts = tokensFromWire(type, b);
      return this.rdata(type, texts.map((text) => ({ text, quoted: false, line: toks[0]!.line, col: toks[0]!.col })));
    }
    const texts = type === Type.SVCB || type === Type.HTTPS ? svcParamTexts(toks) : toks.map((t) => t.text);
    if (this.origin === undefined) {
      for (const f of nameFields(type)) {
        const t = texts[f];
        if (t !== undefined && !isAbsoluteName(t)) {
          throw new RdataError(`name "${t}" is relative, but no origin is set yet: add "$ORIGIN example.com." above it or pass the zone origin`);
        }
      }
    }
    switch (type) {
      case Type.TXT: {
        const strings = texts.map(decodeText);
        for (const s of strings) {
          if (s.length > 255) throw new RdataError(`a TXT string holds at most 255 bytes, this one has ${s.length}; split it into several quoted strings`);
        }
        return txtFromStrings(strings);
      }
      case Type.CAA:
        // rdata.ts decodes by UTF-16 unit; hand it only ASCII so non-BMP text keeps its UTF-8 bytes.
        if (texts.length === 3) texts[2] = encodeCharString(decodeText(texts[2]!)).slice(1, -1);
        break;
      case Type.SOA:
        // BIND and NSD take units on the SOA timers (not the serial).
        for (let f = 3; f <= 6 && f < texts.length; f++) {
          const t = parseTtl(texts[f]!);
          if (t !== undefined) texts[f] = String(t);
        }
        break;
      default:
        break;
    }
    return rdataFromTokens(type, texts, this.origin ?? ROOT);
  }
}

/**
 * SVCB/HTTPS tokens: `alpn="h2,h3"` reaches us as `alpn=` and a quoted
 * token (quotes end a word here); join them back into the one token the
 * presentation parser reads.
 */
function svcParamTexts(toks: Token[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    const next = toks[i + 1];
    if (!t.quoted && t.text.endsWith('=') && next?.quoted) {
      out.push(`${t.text}"${next.text}"`);
      i++;
    } else out.push(t.text);
  }
  return out;
}

/** Where the YAML value of each record comes from; structured where parse.ts has a mapping form. */
function yamlValue(r: Imported, origin: Name): unknown {
  const w = r.rdata.wire;
  const rel = (n: Name): string => nameRelative(n, origin);
  switch (r.type) {
    case Type.A:
      return [...w].join('.');
    case Type.NS:
    case Type.CNAME:
    case Type.PTR:
      return rel(r.rdata.target!);
    case Type.MX:
      return { preference: w.readUInt16BE(0), exchange: rel(r.rdata.target!) };
    case Type.SRV:
      return { priority: w.readUInt16BE(0), weight: w.readUInt16BE(2), port: w.readUInt16BE(4), target: rel(r.rdata.target!) };
    case Type.SOA: {
      const m = r.rdata.parts[0];
      const rn = r.rdata.parts[1];
      if (typeof m !== 'string' || typeof rn !== 'string') throw new Error('SOA rdata without name parts');
      const at = (k: number): number => w.readUInt32BE(w.length - 20 + 4 * k);
      return { mname: rel(m), rname: rel(rn), serial: at(0), refresh: at(1), retry: at(2), expire: at(3), minimum: at(4) };
    }
    case Type.TXT: {
      // parse.ts cuts a long YAML string into 255-byte pieces, so a run of full
      // pieces plus the non-empty piece after it is one YAML string with the
      // same wire form. Joining them also mends UTF-8 characters cut in two.
      const runs: Buffer[][] = [];
      for (let i = 0; i < w.length; ) {
        const piece = w.subarray(i + 1, i + 1 + w[i]!);
        const run = runs[runs.length - 1];
        if (run && run[run.length - 1]!.length === 255 && piece.length > 0) run.push(piece);
        else runs.push([piece]);
        i += 1 + piece.length;
      }
      const utf8 = new TextDecoder('utf-8', { fatal: true });
      const strings = runs.map((run) => {
        try {
          return utf8.decode(Buffer.concat(run));
        } catch {
          throw new RdataError('TXT string holds bytes that are not UTF-8 text, which a YAML zone cannot express');
        }
      });
      return strings.length === 1 ? strings[0] : strings;
    }
    case Type.CAA: {
      const tagLen = w[1]!;
      const value = w.subarray(2 + tagLen);
      // parse.ts reads the mapping's value as literal text; only printable ASCII is sure to survive that.
      if (value.every((c) => c >= 0x20 && c < 0x7f)) {
        return { flags: w[0], tag: w.toString('latin1', 2, 2 + tagLen), value: value.toString('latin1') };
      }
      return r.rdata.text;
    }
    case Type.AAAA:
    default:
      return r.rdata.text;
  }
}

function recordKey(owner: Name, type: number, ttl: number, wire: Buffer): string {
  return `${Buffer.from(owner, 'latin1').toString('hex')} ${type} ${ttl} ${wire.toString('hex')}`;
}

/** Errors quote at most a short excerpt of any line (excerpt.ts): an included file may hold anything. */
export function importMasterFile(text: string, opts: ImportOptions): { yaml: string; errors: ImportError[] } {
  const r = importUnbounded(text, opts);
  return { yaml: r.yaml, errors: boundErrors(r.errors) };
}

function importUnbounded(text: string, opts: ImportOptions): { yaml: string; errors: ImportError[] } {
  const file = opts.file ?? 'master file';
  const includeBase = opts.includeDir ?? (opts.file ? dirname(resolve(opts.file)) : process.cwd());
  const imp = new Importer(includeBase, { maxBytes: opts.maxBytes ?? DEFAULT_MAX_FILE_BYTES, root: [includeBase, ...(opts.includeRoots ?? [])] });
  const errors = imp.errors;

  let zoneOrigin: Name | undefined;
  if (opts.origin !== undefined) {
    try {
      const o = opts.origin.trim();
      zoneOrigin = nameFromText(isAbsoluteName(o) ? o : o + '.');
      imp.origin = zoneOrigin;
    } catch (e) {
      errors.push({ file, line: 1, col: 1, message: `bad origin "${opts.origin}": ${(e as Error).message}` });
      return { yaml: '', errors };
    }
  }
  imp.run(text, file, 0);

  const soas = imp.records.filter((r) => r.type === Type.SOA);
  zoneOrigin ??= soas[0]?.owner ?? imp.firstOrigin;
  if (zoneOrigin === undefined) {
    errors.push({ file, line: 1, col: 1, message: 'cannot tell the zone origin: the file has no SOA record and no $ORIGIN; pass the origin (--origin example.com.)' });
    return { yaml: '', errors };
  }
  const origin = zoneOrigin;
  const originText = nameToText(origin);

  // Keep the first of identical records, as BIND and NSD do, and drop what the YAML cannot hold.
  const kept: Imported[] = [];
  const seen = new Set<string>();
  const rrsetTtl = new Map<string, Imported>();
  let soaSeen: Imported | undefined;
  for (const r of imp.records) {
    const at = { line: r.line, col: r.col };
    if (!isSubdomain(r.owner, origin)) {
      errors.push({ file: r.file, ...at, message: `owner ${nameToText(r.owner)} is outside the zone ${originText}` });
      continue;
    }
    if (r.type === Type.SOA) {
      if (r.owner !== origin) {
        errors.push({ file: r.file, ...at, message: `SOA belongs at the zone apex ${originText}, not at ${nameToText(r.owner)}` });
        continue;
      }
      if (soaSeen) {
        errors.push({ file: r.file, ...at, message: `second SOA record; the first is at ${soaSeen.file}:${soaSeen.line}` });
        continue;
      }
      soaSeen = r;
    }
    const dataKey = `${r.owner}|${r.type}|${r.rdata.wire.toString('latin1')}`;
    if (seen.has(dataKey)) continue;
    seen.add(dataKey);
    const setKey = `${r.owner}|${r.type}`;
    const first = rrsetTtl.get(setKey);
    if (!first) rrsetTtl.set(setKey, r);
    else if (first.ttl !== r.ttl) {
      errors.push({
        file: r.file,
        ...at,
        message: `TTL ${r.ttl} differs from ${first.ttl} (${first.file}:${first.line}) within the ${masterTypeName(r.type)} RRset at ${nameToText(r.owner)}; one RRset has one TTL (RFC 2181 section 5.2)`,
      });
    }
    kept.push(r);
  }

  const defaultTtl = imp.firstDollarTtl ?? mostCommonTtl(kept) ?? DEFAULT_TTL;

  // owner -> type -> ttl -> records; Maps keep insertion order, sorted below.
  const byOwner = new Map<Name, Map<number, Map<number, { r: Imported; value: unknown }[]>>>();
  const emitted: Imported[] = [];
  for (const r of kept) {
    let value: unknown;
    try {
      value = yamlValue(r, origin);
    } catch (e) {
      if (!(e instanceof RdataError)) throw e;
      errors.push({ file: r.file, line: r.line, col: r.col, message: `${masterTypeName(r.type)}: ${e.message}` });
      continue;
    }
    let byType = byOwner.get(r.owner);
    if (!byType) byOwner.set(r.owner, (byType = new Map()));
    let byTtl = byType.get(r.type);
    if (!byTtl) byType.set(r.type, (byTtl = new Map()));
    let list = byTtl.get(r.ttl);
    if (!list) byTtl.set(r.ttl, (list = []));
    list.push({ r, value });
    emitted.push(r);
  }

  const doc = new Document({}, { aliasDuplicateObjects: false });
  const recordsMap = doc.createNode({});
  for (const owner of [...byOwner.keys()].sort(compareNamesCanonical)) {
    const byType = byOwner.get(owner)!;
    const entries: Record<string, unknown>[] = [];
    for (const type of [...byType.keys()].sort(compareTypes)) {
      for (const [ttl, list] of byType.get(type)!) {
        const entry: Record<string, unknown> = { type: masterTypeName(type) };
        if (ttl !== defaultTtl) entry.ttl = ttl;
        if (list.length === 1) entry.value = list[0]!.value;
        else entry.values = list.map((x) => x.value);
        entries.push(entry);
      }
    }
    recordsMap.add(doc.createPair(nameRelative(owner, origin), entries.length === 1 ? entries[0] : entries));
  }
  doc.contents = doc.createNode({ origin: originText, ttl: defaultTtl, records: recordsMap });
  doc.commentBefore = ` Imported from ${file} by pulsedns import.`;

  // Flow style for the small things (MX/SRV/CAA data, multi-string TXT, short value lists) keeps the file scannable.
  visit(doc, {
    Map(_, node, path) {
      const parent = path[path.length - 1];
      const inRecordValue = isPairWithKey(parent, 'value') || (isSeq(parent) && isPairWithKey(path[path.length - 2], 'values'));
      if (inRecordValue && node.items.length <= 4 && node.items.every((p) => isScalar(p.value))) node.flow = true;
    },
    Seq(_, node) {
      const allScalars = node.items.every((n) => isScalar(n));
      const width = node.items.reduce<number>((sum, n) => sum + (isScalar(n) ? String(n.value).length + 2 : 1000), 0);
      if (allScalars && width <= 72) node.flow = true;
    },
  });
  const yaml = doc.toString({ lineWidth: 0, singleQuote: true, flowCollectionPadding: true });

  // Parse the output back: what we print must mean exactly what we read.
  const back = parseZoneYaml(yaml, `${file} (converted)`);
  for (const e of back.errors) {
    errors.push({ file, line: 1, col: 1, message: `internal error: the generated YAML does not parse (${e.line}:${e.col}: ${e.message})` });
  }
  if (back.zone) {
    const want = emitted.map((r) => recordKey(r.owner, r.type, r.ttl, r.rdata.wire)).sort();
    const got = back.zone.records.map((r) => recordKey(r.owner, r.type, r.ttl, r.rdata.wire)).sort();
    if (want.join('\n') !== got.join('\n')) {
      errors.push({ file, line: 1, col: 1, message: 'internal error: the generated YAML does not hold the same records as the master file' });
    }
  }
  // Tokenizer errors are found in a first pass; report everything in file order.
  const fileOrder = new Map<string, number>();
  for (const e of errors) if (!fileOrder.has(e.file)) fileOrder.set(e.file, e.file === file ? -1 : fileOrder.size);
  errors.sort((a, b) => fileOrder.get(a.file)! - fileOrder.get(b.file)! || a.line - b.line || a.col - b.col);
  return { yaml, errors };
}

function isPairWithKey(node: unknown, key: string): boolean {
  if (typeof node !== 'object' || node === null || !('key' in node)) return false;
  const k = (node as { key: unknown }).key;
  return isScalar(k) && k.value === key;
}

function mostCommonTtl(records: Imported[]): number | undefined {
  const counts = new Map<number, number>();
  for (const r of records) counts.set(r.ttl, (counts.get(r.ttl) ?? 0) + 1);
  let best: number | undefined;
  let bestCount = 0;
  for (const [ttl, n] of counts) {
    if (n > bestCount) {
      best = ttl;
      bestCount = n;
    }
  }
  return best;
}

