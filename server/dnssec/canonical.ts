// Canonical forms of RFC 4034 section 6: name order (6.1), RR form (6.2) and
// RRset order (6.3). Names inside pulsedns are already lowercased wire bytes
// (wire/names.ts), so owners need no work; only the rdata of the types that
// embed names is walked, and only when it holds an upper-case letter (RFC 3597
// `\#` data is stored as written).
import { Class } from '../wire/constants.js';
import type { Name } from '../wire/names.js';

export class CanonicalError extends Error {}

/**
 * Where the domain names sit in the rdata of the types RFC 4034 section 6.2
 * item 3 lists, as amended by RFC 6840 section 5.1 (NSEC taken out; HINFO
 * carries no name). Each step: 'n' a name, a number: that many fixed bytes,
 * 's' a <character-string>.
 */
const NAME_LAYOUT = new Map<number, readonly (number | 'n' | 's')[]>([
  [2, ['n']], // NS
  [3, ['n']], // MD
  [4, ['n']], // MF
  [5, ['n']], // CNAME
  [6, ['n', 'n']], // SOA
  [7, ['n']], // MB
  [8, ['n']], // MG
  [9, ['n']], // MR
  [12, ['n']], // PTR
  [14, ['n', 'n']], // MINFO
  [15, [2, 'n']], // MX
  [17, ['n', 'n']], // RP
  [18, [2, 'n']], // AFSDB
  [21, [2, 'n']], // RT
  [24, [18, 'n']], // SIG
  [26, [2, 'n', 'n']], // PX
  [30, ['n']], // NXT
  [33, [6, 'n']], // SRV
  [35, [4, 's', 's', 's', 'n']], // NAPTR
  [36, [2, 'n']], // KX
  [39, ['n']], // DNAME
  [46, [18, 'n']], // RRSIG
]);

function isUpper(c: number): boolean {
  return c >= 0x41 && c <= 0x5a;
}

/** End offset of the uncompressed name starting at `pos`, lowering it in `out` when given. */
function walkName(rd: Buffer, pos: number, type: number, out?: Buffer): number {
  for (let hops = 0; hops < 128; hops++) {
    if (pos >= rd.length) throw new CanonicalError(`type ${type} rdata ends inside a name`);
    const len = rd[pos]!;
    if (len === 0) return pos + 1;
    if (len > 63) throw new CanonicalError(`type ${type} rdata holds a compressed or invalid name`);
    if (out) for (let i = pos + 1; i <= pos + len && i < rd.length; i++) if (isUpper(out[i]!)) out[i] = out[i]! | 0x20;
    pos += len + 1;
  }
  throw new CanonicalError(`type ${type} rdata holds an over-long name`);
}

/**
 * RFC 4034 6.2 form of one rdata: names of the listed types lowercased.
 * Returns the same buffer when nothing changes (the common case: our own
 * encoder already lowercases).
 */
export function canonicalRdata(type: number, rdata: Buffer): Buffer {
  const layout = NAME_LAYOUT.get(type);
  if (!layout) return rdata;
  let needs = false;
  for (let i = 0; i < rdata.length; i++) if (isUpper(rdata[i]!)) { needs = true; break; }
  if (!needs) return rdata;
  const out = Buffer.from(rdata);
  let pos = 0;
  for (const step of layout) {
    if (step === 'n') pos = walkName(rdata, pos, type, out);
    else if (step === 's') pos += 1 + (rdata[pos] ?? 0);
    else pos += step;
    if (pos > rdata.length) throw new CanonicalError(`type ${type} rdata is too short`);
  }
  return out;
}

/**
 * The rdata of an RRset in canonical order (RFC 4034 6.3): canonical forms
 * sorted as left-justified unsigned octet strings (a shorter prefix first),
 * exact duplicates dropped (RFC 2181 5: an RRset holds no duplicates).
 */
export function canonicalRdataSet(type: number, rdatas: readonly Buffer[]): Buffer[] {
  const forms = rdatas.map((r) => canonicalRdata(type, r));
  if (forms.length < 2) return forms;
  forms.sort(Buffer.compare);
  const out = [forms[0]!];
  for (let i = 1; i < forms.length; i++) if (!forms[i]!.equals(out[out.length - 1]!)) out.push(forms[i]!);
  return out;
}

/** Length of canonicalRRsetWire's output. */
export function canonicalRRsetSize(owner: Name, sorted: readonly Buffer[]): number {
  let size = 0;
  for (const rd of sorted) size += owner.length + 10 + rd.length;
  return size;
}

/** Writes canonicalRRsetWire's bytes into `buf` at `pos`; returns the end offset. */
export function writeCanonicalRRset(buf: Buffer, pos: number, owner: Name, type: number, originalTtl: number, sorted: readonly Buffer[]): number {
  for (const rd of sorted) {
    pos += buf.write(owner, pos, 'latin1');
    buf.writeUInt16BE(type, pos);
    buf.writeUInt16BE(Class.IN, pos + 2);
    buf.writeUInt32BE(originalTtl >>> 0, pos + 4);
    buf.writeUInt16BE(rd.length, pos + 8);
    pos += 10;
    pos += rd.copy(buf, pos);
  }
  return pos;
}

/**
 * Bytes of the RRs that a signature covers (RFC 4034 3.1.8.1, "RR(1) | RR(2)
 * ..."): owner, type, class IN, the original TTL, rdata length, rdata; for
 * rdata already in canonical order (canonicalRdataSet).
 */
export function canonicalRRsetWire(owner: Name, type: number, originalTtl: number, sorted: readonly Buffer[]): Buffer {
  const buf = Buffer.allocUnsafe(canonicalRRsetSize(owner, sorted));
  writeCanonicalRRset(buf, 0, owner, type, originalTtl, sorted);
  return buf;
}

/**
 * A string whose plain `<` order is RFC 4034 6.1 canonical name order: the
 * labels right to left, each byte shifted up by one and each label closed by
 * U+0000, so a label sorts before any longer label it begins (and a name
 * before its own subdomains). Cheap to compare in sorts and binary searches.
 */
export function canonicalSortKey(name: Name): string {
  const starts: number[] = [];
  for (let i = 0; name.charCodeAt(i) !== 0 && i < name.length; i += name.charCodeAt(i) + 1) starts.push(i);
  let key = '';
  for (let k = starts.length - 1; k >= 0; k--) {
    const at = starts[k]!;
    const len = name.charCodeAt(at);
    for (let j = at + 1; j <= at + len; j++) key += String.fromCharCode(name.charCodeAt(j) + 1);
    key += '\0';
  }
  return key;
}

/** Negative, zero or positive as `a` sorts before, with or after `b` canonically. */
export function compareCanonical(a: Name, b: Name): number {
  if (a === b) return 0;
  const ka = canonicalSortKey(a);
  const kb = canonicalSortKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
