// RDATA for every type a zone may hold: presentation text in, wire bytes and
// canonical text out. Encoded once at load, so the query path only copies.
import { isIPv4 } from 'node:net';
import { Type, typeName } from '../wire/constants.js';
import { type Name, nameFromText, nameToText, NameError } from '../wire/names.js';
import { codecFromTokens, hasCodec, textFromWire } from './rdata-types.js';

/** A piece of RDATA: raw bytes, or a domain name the encoder may compress. */
export type RdataPart = Buffer | Name;

export interface Rdata {
  /** Bytes and names in order; names are compressed only when `compressible`. */
  parts: RdataPart[];
  /** RFC 3597 section 4: only the RFC 1035 types may have names compressed. */
  compressible: boolean;
  /** Full uncompressed RDATA, for identity, transfers and export. */
  wire: Buffer;
  /** Canonical presentation form, names absolute. */
  text: string;
  /** Name this record points at (NS, CNAME, MX, SRV, PTR), for chains and glue. */
  target?: Name;
}

export class RdataError extends Error {}

const COMPRESSIBLE = new Set<number>([Type.NS, Type.CNAME, Type.SOA, Type.PTR, Type.MX]);

function build(type: number, parts: RdataPart[], text: string, target?: Name): Rdata {
  // One byte part (A, AAAA, CAA, RFC 3597) is the wire form itself: no second copy per record.
  const only = parts.length === 1 ? parts[0]! : undefined;
  const wire = only !== undefined && typeof only !== 'string' ? only : Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p)));
  if (wire.length > 65535) throw new RdataError(`RDATA is ${wire.length} bytes, the limit is 65535`);
  const r: Rdata = { parts, compressible: COMPRESSIBLE.has(type), wire, text };
  if (target !== undefined) r.target = target;
  return r;
}

export function rdataName(text: string | undefined, origin: Name, what: string): Name {
  if (text === undefined || text === '') throw new RdataError(`missing ${what}`);
  try {
    return nameFromText(text, origin);
  } catch (e) {
    throw new RdataError(`bad ${what} "${text}": ${(e as NameError).message}`);
  }
}

export function uint(text: string | undefined, bits: 8 | 16 | 32, what: string): number {
  if (text === undefined || !/^\d+$/.test(text)) {
    throw new RdataError(`${what} must be a whole number, got ${text === undefined ? 'nothing' : JSON.stringify(text)}`);
  }
  const n = Number(text);
  const max = bits === 32 ? 0xffffffff : (1 << bits) - 1;
  if (n > max) throw new RdataError(`${what} ${n} is out of range 0-${max}`);
  return n;
}

function u16(n: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n);
  return b;
}

/**
 * The address `text` spells as one 32-bit number, or -1 unless it is four
 * decimal octets, no leading zeros, nothing else: exactly what parseIPv4
 * accepts. A million A records are most of a big zone; this makes no object
 * for any of them.
 */
export function ipv4Word(text: string): number {
  let word = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || dots === 3) return -1;
      word = word * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits === 1 && octet === 0) return -1; // a leading zero
      octet = octet * 10 + (c - 0x30);
      if (octet > 255) return -1;
      digits++;
    } else return -1;
  }
  return digits === 0 || dots !== 3 ? -1 : word * 256 + octet;
}

export function parseIPv4(text: string): Buffer | undefined {
  if (!isIPv4(text)) return undefined;
  return Buffer.from(text.split('.').map(Number));
}

export function parseIPv6(text: string): Buffer | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.length < 2) return undefined;
  let head = text;
  let v4: Buffer | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    v4 = parseIPv4(text.slice(lastColon + 1));
    if (!v4) return undefined;
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const a = parse(halves[0]!);
  const b = halves.length === 2 ? parse(halves[1]!) : [];
  if (!a || !b) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    if (a.length + b.length > 7) return undefined;
    groups = [...a, ...new Array<number>(8 - a.length - b.length).fill(0), ...b];
  } else {
    if (a.length !== 8) return undefined;
    groups = a;
  }
  const buf = Buffer.alloc(16);
  groups.forEach((g, i) => buf.writeUInt16BE(g, i * 2));
  if (v4) v4.copy(buf, 12);
  return buf;
}

export function formatIPv6(b: Buffer): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i));
  // RFC 5952: compress the longest run of two or more zero groups.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return hex.slice(0, best).join(':') + '::' + hex.slice(best + bestLen).join(':');
}

/** Decodes one presentation <character-string> (escapes \X and \DDD) to bytes. */
export function decodeCharString(raw: string): Buffer {
  const bytes: number[] = [];
  // Iterate by code point so characters outside the BMP (emoji) stay whole in UTF-8.
  const chars = [...raw];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === '\\' && i + 1 < chars.length) {
      const d = chars.slice(i + 1, i + 4).join('');
      if (/^[0-9]{3}$/.test(d) && Number(d) <= 255) {
        bytes.push(Number(d));
        i += 3;
      } else {
        bytes.push(...Buffer.from(chars[i + 1]!, 'utf8'));
        i += 1;
      }
    } else {
      bytes.push(...Buffer.from(ch, 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

/** Presentation form of a <character-string>, always quoted. */
export function encodeCharString(b: Buffer): string {
  let out = '"';
  for (const c of b) {
    if (c === 0x22 || c === 0x5c) out += '\\' + String.fromCharCode(c);
    else if (c < 0x20 || c >= 0x7f) out += '\\' + String(c).padStart(3, '0');
    else out += String.fromCharCode(c);
  }
  return out + '"';
}

/** TXT from already-decoded strings; long strings split into 255-byte pieces. */
export function txtFromStrings(strings: Buffer[]): Rdata {
  const pieces: Buffer[] = [];
  for (const s of strings) {
    if (s.length === 0) pieces.push(s);
    for (let i = 0; i < s.length; i += 255) pieces.push(s.subarray(i, i + 255));
  }
  if (pieces.length === 0) pieces.push(Buffer.alloc(0));
  const parts = pieces.map((p) => Buffer.concat([Buffer.from([p.length]), p]));
  return build(Type.TXT, parts, pieces.map(encodeCharString).join(' '));
}

/** A record's data from presentation tokens (as in a master file). Tokens keep escapes; quotes are stripped. */
export function rdataFromTokens(type: number, tokens: string[], origin: Name): Rdata {
  if (tokens[0] === '\\#') return generic(type, tokens, origin);
  const need = (n: number): void => {
    if (tokens.length !== n) {
      throw new RdataError(`${typeName(type)} needs ${n} field${n === 1 ? '' : 's'}, got ${tokens.length}: "${tokens.join(' ')}"`);
    }
  };
  switch (type) {
    case Type.A: {
      need(1);
      const b = parseIPv4(tokens[0]!);
      if (!b) throw new RdataError(`"${tokens[0]}" is not an IPv4 address (expected e.g. 192.0.2.1)`);
      return build(type, [b], tokens[0]!);
    }
    case Type.AAAA: {
      need(1);
      const b = parseIPv6(tokens[0]!);
      if (!b) throw new RdataError(`"${tokens[0]}" is not an IPv6 address (expected e.g. 2001:db8::1)`);
      return build(type, [b], formatIPv6(b));
    }
    case Type.NS:
    case Type.CNAME:
    case Type.PTR: {
      need(1);
      const n = rdataName(tokens[0], origin, 'target name');
      return build(type, [n], nameToText(n), n);
    }
    case Type.MX: {
      need(2);
      const pref = uint(tokens[0], 16, 'MX preference');
      const n = rdataName(tokens[1], origin, 'MX exchange');
      return build(type, [u16(pref), n], `${pref} ${nameToText(n)}`, n);
    }
    case Type.SRV: {
      need(4);
      const prio = uint(tokens[0], 16, 'SRV priority');
      const weight = uint(tokens[1], 16, 'SRV weight');
      const port = uint(tokens[2], 16, 'SRV port');
      const n = rdataName(tokens[3], origin, 'SRV target');
      return build(type, [u16(prio), u16(weight), u16(port), n], `${prio} ${weight} ${port} ${nameToText(n)}`, n);
    }
    case Type.SOA: {
      need(7);
      const m = rdataName(tokens[0], origin, 'SOA mname');
      const r = rdataName(tokens[1], origin, 'SOA rname');
      const nums = ['serial', 'refresh', 'retry', 'expire', 'minimum'].map((w, i) => uint(tokens[i + 2], 32, `SOA ${w}`));
      const tail = Buffer.concat(nums.map(u32));
      return build(type, [m, r, tail], `${nameToText(m)} ${nameToText(r)} ${nums.join(' ')}`);
    }
    case Type.TXT: {
      if (tokens.length === 0) throw new RdataError('TXT needs at least one string');
      return txtFromStrings(tokens.map(decodeCharString));
    }
    case Type.CAA: {
      need(3);
      const flags = uint(tokens[0], 8, 'CAA flags');
      const tag = tokens[1]!;
      if (!/^[a-zA-Z0-9]{1,15}$/.test(tag)) throw new RdataError(`CAA tag "${tag}" must be 1-15 letters or digits (e.g. issue, issuewild, iodef)`);
      const value = decodeCharString(tokens[2]!);
      const b = Buffer.concat([Buffer.from([flags, tag.length]), Buffer.from(tag, 'ascii'), value]);
      return build(type, [b], `${flags} ${tag} ${encodeCharString(value)}`);
    }
    default: {
      const c = codecFromTokens(type, tokens, origin);
      if (c) {
        const r = build(type, c.parts, '');
        r.text = c.text(r.wire);
        return r;
      }
      throw new RdataError(`${typeName(type)} has no presentation form here; write it as RFC 3597 "\\# <length> <hex>"`);
    }
  }
}

/**
 * RFC 3597 `\# <len> <hex>` form. Refused for the RFC 1035 types, whose names
 * need parsing; the types of rdata-types.ts (written as TYPE43 before they had
 * a presentation form here) are decoded, checked and kept as that type's data.
 */
function generic(type: number, tokens: string[], origin: Name): Rdata {
  if (KNOWN.has(type)) {
    throw new RdataError(`write ${typeName(type)} in its own presentation form, not "\\#"`);
  }
  const len = uint(tokens[1], 16, 'RFC 3597 length');
  const hex = tokens.slice(2).join('');
  if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw new RdataError(`"${hex}" is not an even number of hex digits`);
  const b = Buffer.from(hex, 'hex');
  if (b.length !== len) throw new RdataError(`RFC 3597 length says ${len} bytes but the hex holds ${b.length}`);
  if (hasCodec(type)) return rdataFromTokens(type, splitPresentation(textFromWire(type, b)), origin);
  return build(type, [b], genericText(b));
}

/** RFC 3597 text of any RDATA: `\# <length> <hex>`. */
export function genericText(b: Buffer): string {
  return `\\# ${b.length}${b.length ? ' ' + b.toString('hex') : ''}`;
}

const KNOWN = new Set<number>([Type.A, Type.AAAA, Type.NS, Type.CNAME, Type.PTR, Type.MX, Type.SRV, Type.SOA, Type.TXT, Type.CAA]);

/** Splits a presentation string into tokens: whitespace separated, "quoted strings" kept whole (quotes dropped, escapes kept). */
/**
 * True when splitPresentation would give `text` back as its only token: no
 * space of any kind, quote or backslash (most values: a target name, an
 * address). Checked per character code: cheaper than splitting a million values.
 */
export function oneToken(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x20 || c === 0x22 || c === 0x5c || c >= 0x7f) return false;
  }
  return true;
}

export function splitPresentation(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i]!)) i++;
    if (i >= s.length) break;
    let tok = '';
    if (s[i] === '"') {
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < s.length) { tok += s[i]! + s[i + 1]!; i += 2; continue; }
        tok += s[i++];
      }
      if (i >= s.length) throw new RdataError(`unterminated quoted string in "${s}"`);
      i++;
    } else {
      while (i < s.length && !/\s/.test(s[i]!)) {
        if (s[i] === '\\' && i + 1 < s.length) { tok += s[i]! + s[i + 1]!; i += 2; continue; }
        if (s[i] === '"') {
          // A quote inside a token (an SVCB `alpn="h2,h3"`) runs to its closing quote, spaces included; the quotes stay.
          const close = closingQuote(s, i + 1);
          if (close < 0) throw new RdataError(`unterminated quoted string in "${s}"`);
          tok += s.slice(i, close + 1);
          i = close + 1;
          continue;
        }
        tok += s[i++];
      }
    }
    out.push(tok);
  }
  return out;
}

/** Index of the `"` closing a quoted run that starts at `from`, skipping escapes; -1 if none. */
function closingQuote(s: string, from: number): number {
  for (let i = from; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i;
  }
  return -1;
}
