// The record types added after the RFC 1035 set: HINFO, NAPTR, DS, SSHFP,
// DNSKEY, TLSA, SVCB, HTTPS and URI. Each has two halves: presentation
// tokens -> wire bytes (with every field checked), and wire bytes ->
// canonical presentation text. The text is always derived from the wire, so
// one form can never say something the other does not; import.ts uses the
// second half to read these types from RFC 3597 `\#` data too.
import { Type } from '../wire/constants.js';
import { type Name, nameToText, ROOT } from '../wire/names.js';
import { RdataError, decodeCharString, encodeCharString, formatIPv6, parseIPv4, parseIPv6, rdataName, uint } from './rdata.js';

/** Wire parts (names kept apart, never compressed for these types) of one record. */
export type Parts = Array<Buffer | Name>;

interface Codec {
  /** Presentation tokens (quotes stripped, escapes kept) -> wire parts. */
  parse(tokens: string[], origin: Name): Parts;
  /** Wire -> canonical presentation text; throws RdataError on malformed data. */
  text(wire: Buffer): string;
}

// ---- small readers and writers -------------------------------------------

const u8 = (n: number): Buffer => Buffer.from([n]);
function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function hexField(tokens: string[], what: string): Buffer {
  const hex = tokens.join('');
  if (!/^([0-9a-fA-F]{2})+$/.test(hex)) throw new RdataError(`${what} must be an even number of hex digits, got "${hex}"`);
  return Buffer.from(hex, 'hex');
}

function base64Field(tokens: string[], what: string): Buffer {
  const b64 = tokens.join('');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) throw new RdataError(`${what} must be base64, got "${b64.slice(0, 40)}"`);
  return Buffer.from(b64, 'base64');
}

function need(tokens: string[], n: number, type: string, fields: string): void {
  if (tokens.length !== n) throw new RdataError(`${type} needs ${n} fields (${fields}), got ${tokens.length}: "${tokens.join(' ')}"`);
}

function needAtLeast(tokens: string[], n: number, type: string, fields: string): void {
  if (tokens.length < n) throw new RdataError(`${type} needs ${fields}, got ${tokens.length} field${tokens.length === 1 ? '' : 's'}: "${tokens.join(' ')}"`);
}

/** One <character-string> of at most 255 bytes, length-prefixed. */
function charString(token: string | undefined, what: string): Buffer {
  const b = decodeCharString(token ?? '');
  if (b.length > 255) throw new RdataError(`${what} holds at most 255 bytes, this one has ${b.length}`);
  return Buffer.concat([u8(b.length), b]);
}

/** Sequential reader over wire data; any overrun is malformed data. */
class Wire {
  off = 0;
  constructor(readonly b: Buffer, readonly type: string) {}
  bad(): never {
    throw new RdataError(`${this.type} data is malformed (${this.b.length} bytes)`);
  }
  take(n: number): Buffer {
    if (this.off + n > this.b.length) this.bad();
    const s = this.b.subarray(this.off, this.off + n);
    this.off += n;
    return s;
  }
  u8(): number {
    return this.take(1)[0]!;
  }
  u16(): number {
    return this.take(2).readUInt16BE(0);
  }
  rest(): Buffer {
    return this.take(this.b.length - this.off);
  }
  charString(): string {
    return encodeCharString(this.take(this.u8()));
  }
  name(): string {
    let wire = '';
    for (;;) {
      const len = this.u8();
      if (len === 0) break;
      if (len > 63) this.bad();
      wire += String.fromCharCode(len) + this.take(len).toString('latin1');
    }
    if (wire.length + 1 > 255) this.bad();
    return nameToText(wire + ROOT);
  }
  end(): void {
    if (this.off !== this.b.length) this.bad();
  }
}

// ---- fixed-layout types ----------------------------------------------------

/** Expected digest length by DS digest type (RFC 4509, RFC 6605 section 2; SHA-1 per RFC 4034). */
const DS_DIGEST_BYTES: Record<number, number> = { 1: 20, 2: 32, 4: 48 };
/** SSHFP fingerprint length by fingerprint type (RFC 4255, RFC 6594). */
const SSHFP_BYTES: Record<number, number> = { 1: 20, 2: 32 };
/** TLSA association data length by matching type (RFC 6698 section 2.1.3). */
const TLSA_BYTES: Record<number, number> = { 1: 32, 2: 64 };

function checkLength(table: Record<number, number>, kind: number, got: Buffer, what: string): void {
  const want = table[kind];
  if (want !== undefined && got.length !== want) throw new RdataError(`${what} for type ${kind} is ${want} bytes (${want * 2} hex digits), got ${got.length}`);
}

const HINFO: Codec = {
  parse(t) {
    need(t, 2, 'HINFO', 'cpu os');
    return [charString(t[0], 'HINFO cpu'), charString(t[1], 'HINFO os')];
  },
  text(b) {
    const w = new Wire(b, 'HINFO');
    const out = `${w.charString()} ${w.charString()}`;
    w.end();
    return out;
  },
};

const NAPTR: Codec = {
  parse(t, origin) {
    need(t, 6, 'NAPTR', 'order preference flags service regexp replacement');
    const flags = decodeCharString(t[2]!);
    if (!/^[A-Za-z0-9]*$/.test(flags.toString('latin1'))) throw new RdataError(`NAPTR flags "${flags.toString('latin1')}" may hold only letters and digits (e.g. S, A, U, P)`);
    const regexp = decodeCharString(t[4]!).toString('latin1');
    const replacement = rdataName(t[5], origin, 'NAPTR replacement');
    // RFC 3403 section 4.1: a record holds a regexp or a replacement, never both.
    if (regexp !== '' && replacement !== ROOT) throw new RdataError('NAPTR takes a regexp or a replacement, not both: set the replacement to "." or the regexp to ""');
    return [u16(uint(t[0], 16, 'NAPTR order')), u16(uint(t[1], 16, 'NAPTR preference')), charString(t[2], 'NAPTR flags'), charString(t[3], 'NAPTR service'), charString(t[4], 'NAPTR regexp'), replacement];
  },
  text(b) {
    const w = new Wire(b, 'NAPTR');
    const out = `${w.u16()} ${w.u16()} ${w.charString()} ${w.charString()} ${w.charString()} ${w.name()}`;
    w.end();
    return out;
  },
};

interface HeadField {
  what: string;
  bits: 8 | 16;
}

/**
 * The DNSSEC and key-fingerprint layout: a few small numbers, then a blob in
 * hex or base64 (which the presentation form may split by spaces), its length
 * fixed by one of the numbers when that number is a known kind.
 */
function headAndData(type: string, head: HeadField[], data: { what: string; base64?: boolean; lengthBy?: [number, Record<number, number>] }, example: string, check?: (nums: number[]) => void): Codec {
  return {
    parse(t) {
      needAtLeast(t, head.length + 1, type, `${head.map((f) => f.what).join(', ')} and ${data.what} ("${example}")`);
      const nums = head.map((f, i) => uint(t[i], f.bits, `${type} ${f.what}`));
      check?.(nums);
      const blob = data.base64 ? base64Field(t.slice(head.length), `${type} ${data.what}`) : hexField(t.slice(head.length), `${type} ${data.what}`);
      if (data.lengthBy) checkLength(data.lengthBy[1], nums[data.lengthBy[0]]!, blob, `${type} ${data.what}`);
      return [...nums.map((n, i) => (head[i]!.bits === 8 ? u8(n) : u16(n))), blob];
    },
    text(b) {
      const w = new Wire(b, type);
      const nums = head.map((f) => (f.bits === 8 ? w.u8() : w.u16()));
      const blob = w.rest();
      if (blob.length === 0) w.bad();
      return `${nums.join(' ')} ${data.base64 ? blob.toString('base64') : blob.toString('hex').toUpperCase()}`;
    },
  };
}

const DS = headAndData('DS', [{ what: 'key tag', bits: 16 }, { what: 'algorithm', bits: 8 }, { what: 'digest type', bits: 8 }], { what: 'digest', lengthBy: [2, DS_DIGEST_BYTES] }, '12345 13 2 <hex>');
const SSHFP = headAndData('SSHFP', [{ what: 'algorithm', bits: 8 }, { what: 'fingerprint type', bits: 8 }], { what: 'fingerprint', lengthBy: [1, SSHFP_BYTES] }, '4 2 <hex>');
const TLSA = headAndData('TLSA', [{ what: 'usage', bits: 8 }, { what: 'selector', bits: 8 }, { what: 'matching type', bits: 8 }], { what: 'data', lengthBy: [2, TLSA_BYTES] }, '3 1 1 <hex>');
const DNSKEY = headAndData('DNSKEY', [{ what: 'flags', bits: 16 }, { what: 'protocol', bits: 8 }, { what: 'algorithm', bits: 8 }], { what: 'public key', base64: true }, '257 3 13 <base64>', (n) => {
  if (n[1] !== 3) throw new RdataError(`DNSKEY protocol must be 3 (RFC 4034 section 2.1.2), got ${n[1]}`);
});

const URI: Codec = {
  parse(t) {
    need(t, 3, 'URI', 'priority weight target');
    const target = decodeCharString(t[2]!);
    if (target.length === 0) throw new RdataError('URI target is empty (RFC 7553 section 4.5)');
    return [u16(uint(t[0], 16, 'URI priority')), u16(uint(t[1], 16, 'URI weight')), target];
  },
  text(b) {
    const w = new Wire(b, 'URI');
    const head = `${w.u16()} ${w.u16()}`;
    const target = w.rest();
    if (target.length === 0) w.bad();
    return `${head} ${encodeCharString(target)}`;
  },
};

// ---- SVCB and HTTPS (RFC 9460) ---------------------------------------------

export const SVC_KEYS = ['mandatory', 'alpn', 'no-default-alpn', 'port', 'ipv4hint', 'ech', 'ipv6hint'] as const;

function svcKeyNumber(name: string): number {
  const known = (SVC_KEYS as readonly string[]).indexOf(name.toLowerCase());
  if (known >= 0) return known;
  const m = /^key(\d{1,5})$/i.exec(name);
  if (!m) throw new RdataError(`unknown SvcParam key "${name}" (known: ${SVC_KEYS.join(', ')}, or keyNNNNN)`);
  const n = Number(m[1]);
  if (n >= 65535) throw new RdataError(`SvcParam key${n} is reserved (RFC 9460 section 14.3.2)`);
  if (n < SVC_KEYS.length) throw new RdataError(`write key${n} by its name, ${SVC_KEYS[n]}`);
  return n;
}

export function svcKeyName(n: number): string {
  return SVC_KEYS[n] ?? `key${n}`;
}

/** Keys whose value is a value-list (RFC 9460 appendix A.1); any other value is one string. */
const LIST_KEYS: ReadonlySet<number> = new Set([0, 1, 4, 6]);
/** Their names, for messages. */
export const SVC_LIST_KEY_NAMES: readonly string[] = [...LIST_KEYS].map(svcKeyName);

/** Whether a key, by its presentation name, takes a comma-separated list (throws on an unknown name). */
export function svcKeyTakesList(name: string): boolean {
  return LIST_KEYS.has(svcKeyNumber(name));
}

const BACKSLASH = 0x5c;
const COMMA = 0x2c;

/**
 * One item of a value-list as its list text: a comma or backslash inside it
 * gets a backslash (RFC 9460 appendix A.1). Character-string escaping comes
 * on top, later, and only once, so the two levels never mix.
 */
export function escapeListItem(item: string): string {
  return item.replace(/[\\,]/g, (c) => '\\' + c);
}

/**
 * RFC 9460 appendix A.1: a value-list, split on commas not escaped by "\".
 * A backslash before any other byte stands for that byte (NSD writes `\"`
 * there), but a lone one at the end escapes nothing: NSD drops it, Knot keeps
 * it, so it is refused rather than given either meaning.
 */
function splitValueList(value: Buffer, what: string): Buffer[] {
  const items: Buffer[] = [];
  let cur: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === BACKSLASH) {
      if (i + 1 === value.length) throw new RdataError(`${what} ends in a "\\" that escapes nothing: a backslash inside an item is \\\\\\\\ in presentation text, or written plainly in a list (${what}: ['a\\b'])`);
      cur.push(value[++i]!);
    } else if (c === COMMA) {
      items.push(Buffer.from(cur));
      cur = [];
    } else cur.push(c);
  }
  items.push(Buffer.from(cur));
  if (items.some((x) => x.length === 0)) throw new RdataError(`${what} has an empty item in "${value.toString('latin1')}"`);
  return items;
}

/** ipv4hint / ipv6hint: a comma-separated list of addresses. */
function addresses(value: Buffer, what: string, parse: (s: string) => Buffer | undefined, family: string): Buffer {
  return Buffer.concat(
    splitValueList(value, what).map((a) => {
      const b = parse(a.toString('latin1'));
      if (!b) throw new RdataError(`${what} "${a.toString('latin1')}" is not an ${family} address`);
      return b;
    }),
  );
}

/** One SvcParam's value: presentation (already \DDD-decoded) -> wire. */
function svcValue(key: number, value: Buffer | undefined): Buffer {
  const name = svcKeyName(key);
  const required = (): Buffer => {
    if (value === undefined || value.length === 0) throw new RdataError(`${name} needs a value (${name}=...)`);
    return value;
  };
  switch (key) {
    case 0: {
      const keys = splitValueList(required(), 'mandatory').map((k) => svcKeyNumber(k.toString('latin1')));
      if (keys.includes(0)) throw new RdataError('mandatory may not list itself');
      if (new Set(keys).size !== keys.length) throw new RdataError('mandatory lists a key twice');
      return Buffer.concat(keys.sort((a, b) => a - b).map(u16));
    }
    case 1:
      return Buffer.concat(
        splitValueList(required(), 'alpn').map((id) => {
          if (id.length > 255) throw new RdataError(`alpn id of ${id.length} bytes is over 255`);
          return Buffer.concat([u8(id.length), id]);
        }),
      );
    case 2:
      if (value !== undefined && value.length) throw new RdataError('no-default-alpn takes no value');
      return Buffer.alloc(0);
    case 3:
      return u16(uint(required().toString('latin1'), 16, 'port'));
    case 4:
      return addresses(required(), 'ipv4hint', parseIPv4, 'IPv4');
    case 5:
      return base64Field([required().toString('latin1')], 'ech');
    case 6:
      return addresses(required(), 'ipv6hint', parseIPv6, 'IPv6');
    default:
      return value ?? Buffer.alloc(0);
  }
}

/** The length-prefixed ids of an alpn wire value; an id running past the end is malformed. */
function alpnIds(v: Buffer, type: string): Buffer[] {
  const ids: Buffer[] = [];
  const w = new Wire(v, type);
  while (w.off < v.length) ids.push(w.take(w.u8()));
  return ids;
}

/** Presentation of one SvcParam value from wire; throws on malformed data. */
function svcValueText(key: number, v: Buffer, type: string): string | undefined {
  const bad = (): never => {
    throw new RdataError(`${type} ${svcKeyName(key)} value is malformed (${v.length} bytes)`);
  };
  const listItem = (b: Buffer): string => encodeCharString(Buffer.from(escapeListItem(b.toString('latin1')), 'latin1')).slice(1, -1);
  switch (key) {
    case 0: {
      if (v.length === 0 || v.length % 2) bad();
      const keys: string[] = [];
      for (let i = 0; i < v.length; i += 2) keys.push(svcKeyName(v.readUInt16BE(i)));
      return keys.join(',');
    }
    case 1: {
      const ids = alpnIds(v, type).map(listItem);
      if (ids.length === 0) bad();
      return `"${ids.join(',')}"`;
    }
    case 2:
      if (v.length) bad();
      return undefined;
    case 3:
      if (v.length !== 2) bad();
      return String(v.readUInt16BE(0));
    case 4: {
      if (v.length === 0 || v.length % 4) bad();
      const out: string[] = [];
      for (let i = 0; i < v.length; i += 4) out.push([...v.subarray(i, i + 4)].join('.'));
      return out.join(',');
    }
    case 5:
      if (v.length === 0) bad();
      return v.toString('base64');
    case 6: {
      if (v.length === 0 || v.length % 16) bad();
      const out: string[] = [];
      for (let i = 0; i < v.length; i += 16) out.push(formatIPv6(v.subarray(i, i + 16)));
      return out.join(',');
    }
    default:
      return v.length ? encodeCharString(v) : undefined;
  }
}

/** Splits `key=value` / `key="value"` / `key`; the value is \DDD-decoded. */
function svcParamToken(tok: string): { key: number; value: Buffer | undefined } {
  const eq = tok.indexOf('=');
  if (eq === 0) throw new RdataError(`SvcParam "${tok}" has no key`);
  const key = svcKeyNumber(eq < 0 ? tok : tok.slice(0, eq));
  if (eq < 0) return { key, value: undefined };
  let raw = tok.slice(eq + 1);
  if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) raw = raw.slice(1, -1);
  return { key, value: decodeCharString(raw) };
}

function svcParse(type: string) {
  return (t: string[], origin: Name): Parts => {
    needAtLeast(t, 2, type, 'a priority and a target name ("1 . alpn=h2")');
    const priority = uint(t[0], 16, `${type} priority`);
    const target = rdataName(t[1], origin, `${type} target`);
    const params = new Map<number, Buffer>();
    for (const tok of t.slice(2)) {
      const { key, value } = svcParamToken(tok);
      if (params.has(key)) throw new RdataError(`SvcParam ${svcKeyName(key)} appears twice`);
      params.set(key, svcValue(key, value));
    }
    if (priority === 0 && params.size) {
      throw new RdataError(`priority 0 is AliasMode, which takes no parameters (RFC 9460 section 2.4.2); use priority 1 or more for ServiceMode`);
    }
    if (params.has(2) && !params.has(1)) throw new RdataError('no-default-alpn needs alpn beside it (RFC 9460 section 7.1.1)');
    const mandatory = params.get(0);
    if (mandatory) {
      for (let i = 0; i < mandatory.length; i += 2) {
        const k = mandatory.readUInt16BE(i);
        if (!params.has(k)) throw new RdataError(`mandatory lists ${svcKeyName(k)}, which the record does not have`);
      }
    }
    // RFC 9460 section 2.2: parameters in strictly increasing key order on the wire.
    const wire = [...params.keys()].sort((a, b) => a - b).map((k) => {
      const v = params.get(k)!;
      if (v.length > 65535) throw new RdataError(`SvcParam ${svcKeyName(k)} value is over 65535 bytes`);
      return Buffer.concat([u16(k), u16(v.length), v]);
    });
    return [u16(priority), target, ...wire];
  };
}

interface SvcFields {
  priority: number;
  target: string;
  params: Array<[key: number, value: Buffer]>;
}

/** SVCB/HTTPS wire data taken apart; parameters out of key order are malformed. */
function svcFields(b: Buffer, type: string): SvcFields {
  const w = new Wire(b, type);
  const priority = w.u16();
  const target = w.name();
  const params: SvcFields['params'] = [];
  while (w.off < b.length) {
    const key = w.u16();
    const last = params[params.length - 1];
    if (last && key <= last[0]) throw new RdataError(`${type} parameters are not in increasing key order`);
    params.push([key, w.take(w.u16())]);
  }
  return { priority, target, params };
}

function svcText(type: string) {
  return (b: Buffer): string => {
    const { priority, target, params } = svcFields(b, type);
    const out = [String(priority), target];
    for (const [key, value] of params) {
      const v = svcValueText(key, value, type);
      out.push(v === undefined ? svcKeyName(key) : `${svcKeyName(key)}=${v}`);
    }
    return out.join(' ');
  };
}

/**
 * Whether the presentation text of this SVCB/HTTPS wire data needs the
 * value-list level of escaping: an alpn id holding a comma or a backslash.
 */
export function svcTextHasListEscapes(wire: Buffer): boolean {
  const alpn = svcFields(wire, 'SVCB').params.find(([key]) => key === 1);
  return alpn !== undefined && alpnIds(alpn[1], 'SVCB').some((id) => id.includes(COMMA) || id.includes(BACKSLASH));
}

const SVCB: Codec = { parse: svcParse('SVCB'), text: svcText('SVCB') };
const HTTPS: Codec = { parse: svcParse('HTTPS'), text: svcText('HTTPS') };

const CODECS = new Map<number, Codec>([
  [Type.HINFO, HINFO],
  [Type.NAPTR, NAPTR],
  [Type.DS, DS],
  [Type.SSHFP, SSHFP],
  [Type.DNSKEY, DNSKEY],
  [Type.TLSA, TLSA],
  [Type.SVCB, SVCB],
  [Type.HTTPS, HTTPS],
  [Type.URI, URI],
]);

export function hasCodec(type: number): boolean {
  return CODECS.has(type);
}

/** Wire parts and canonical text for a type of this file, or undefined for any other type. */
export function codecFromTokens(type: number, tokens: string[], origin: Name): { parts: Parts; text: (wire: Buffer) => string } | undefined {
  const c = CODECS.get(type);
  if (!c) return undefined;
  return { parts: c.parse(tokens, origin), text: c.text };
}

/** Canonical presentation text of wire data of a type of this file (RFC 3597 import). */
export function textFromWire(type: number, wire: Buffer): string {
  const c = CODECS.get(type);
  if (!c) throw new RdataError(`no presentation form for type ${type}`);
  return c.text(wire);
}
