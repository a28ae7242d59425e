// Authenticated denial with NSEC: the type bitmap (RFC 4034 4.1.2), Compact
// Denial of Existence for online signing (RFC 9824), and the classic chain
// (RFC 4034 4.1, RFC 4035 2.3) for `denial: nsec` and signed transfers.
import { Type } from '../wire/constants.js';
import { type Name, isSubdomain, parentName } from '../wire/names.js';
import { canonicalSortKey } from './canonical.js';

export class DenialError extends Error {}

/** RFC 4034 4.1.2: windows of 256 types, each with the shortest bitmap that holds its highest type. */
export function typeBitmap(types: Iterable<number>): Buffer {
  const sorted = [...new Set(types)].sort((a, b) => a - b);
  for (const t of sorted) if (!Number.isInteger(t) || t < 0 || t > 0xffff) throw new DenialError(`type ${t} out of range`);
  const parts: Buffer[] = [];
  let i = 0;
  while (i < sorted.length) {
    const win = sorted[i]! >> 8;
    const bits = Buffer.alloc(32);
    let len = 0;
    for (; i < sorted.length && sorted[i]! >> 8 === win; i++) {
      const low = sorted[i]! & 0xff;
      bits[low >> 3]! |= 0x80 >> (low & 7);
      len = (low >> 3) + 1;
    }
    parts.push(Buffer.from([win, len]), bits.subarray(0, len));
  }
  return Buffer.concat(parts);
}

/** The types of a bitmap, ascending; throws on a malformed one (for tests and transfers in). */
export function parseTypeBitmap(b: Buffer): number[] {
  const out: number[] = [];
  let pos = 0;
  let lastWin = -1;
  while (pos < b.length) {
    if (pos + 2 > b.length) throw new DenialError('type bitmap ends inside a window header');
    const win = b[pos]!;
    const len = b[pos + 1]!;
    if (win <= lastWin) throw new DenialError('type bitmap windows out of order');
    if (len < 1 || len > 32 || pos + 2 + len > b.length) throw new DenialError(`type bitmap window ${win} has bad length ${len}`);
    for (let j = 0; j < len; j++) {
      const byte = b[pos + 2 + j]!;
      for (let k = 0; k < 8; k++) if (byte & (0x80 >> k)) out.push(win * 256 + j * 8 + k);
    }
    lastWin = win;
    pos += 2 + len;
  }
  return out;
}

/** NSEC rdata: next owner name (uncompressed, RFC 4034 4.1.1) and the type bitmap. */
export function nsecRdata(next: Name, types: Iterable<number>): Buffer {
  return Buffer.concat([Buffer.from(next, 'latin1'), typeBitmap(types)]);
}

/** Splits NSEC rdata into next name and types. */
export function parseNsecRdata(rdata: Buffer): { next: Name; types: number[] } {
  let pos = 0;
  while (pos < rdata.length && rdata[pos] !== 0) pos += rdata[pos]! + 1;
  if (pos >= rdata.length) throw new DenialError('NSEC next name runs past the rdata');
  return { next: rdata.toString('latin1', 0, pos + 1), types: parseTypeBitmap(rdata.subarray(pos + 1)) };
}

const MAX_NAME = 255;

/** The byte after `c` in canonical order, skipping upper case (it sorts as lower case); undefined past 0xff. */
function nextByte(c: number): number | undefined {
  if (c >= 0xff) return undefined;
  const n = c + 1;
  return n >= 0x41 && n <= 0x5a ? 0x5b : n;
}

/** The first name after `name` and every name below it (RFC 4471 3.1.2 style, no children). */
function successorSkippingChildren(name: Name): Name {
  if (name.length <= 1) throw new DenialError('the root has no successor outside its subtree');
  const len = name.charCodeAt(0);
  const label = name.slice(1, 1 + len);
  const rest = name.slice(1 + len);
  if (len < 63 && name.length < MAX_NAME) return String.fromCharCode(len + 1) + label + '\0' + rest;
  let stem = label;
  while (stem.length > 0) {
    const up = nextByte(stem.charCodeAt(stem.length - 1));
    if (up !== undefined) {
      const l = stem.slice(0, -1) + String.fromCharCode(up);
      return String.fromCharCode(l.length) + l + rest;
    }
    stem = stem.slice(0, -1);
  }
  return successorSkippingChildren(rest);
}

/**
 * The immediate canonical successor of `name` (RFC 4471 3.1.2): `\000.name`
 * when that fits in 255 bytes, else the next sibling-or-later name. The Next
 * Domain Name of a compact denial NSEC (RFC 9824 section 3).
 */
export function nameSuccessor(name: Name): Name {
  if (name.length + 2 <= MAX_NAME) return '\x01\0' + name;
  return successorSkippingChildren(name);
}

export interface NsecRecord {
  owner: Name;
  /** NSEC rdata. */
  rdata: Buffer;
}

/**
 * RFC 9824 NXDOMAIN: a NOERROR answer holding one NSEC at the query name
 * whose bitmap says RRSIG, NSEC and NXNAME. (The engine sets rcode
 * NXDOMAIN instead only when the query carries the CO flag.)
 */
export function compactNxdomain(qname: Name): NsecRecord {
  // Made for every NXDOMAIN a flood of random names asks: the bitmap is fixed, the rdata one buffer.
  const next = nameSuccessor(qname);
  const rdata = Buffer.allocUnsafe(next.length + NXNAME_BITMAP.length);
  rdata.write(next, 0, 'latin1');
  NXNAME_BITMAP.copy(rdata, next.length);
  return { owner: qname, rdata };
}

const NXNAME_BITMAP = typeBitmap([Type.RRSIG, Type.NSEC, Type.NXNAME]);

/**
 * RFC 9824 NODATA (also for an empty non-terminal, with no types): an NSEC
 * at the query name listing the types the name really has, plus RRSIG and NSEC.
 */
export function compactNodata(qname: Name, types: Iterable<number>): NsecRecord {
  return { owner: qname, rdata: nsecRdata(nameSuccessor(qname), [...types, Type.RRSIG, Type.NSEC]) };
}

/** One link of a classic NSEC chain. */
export interface NsecEntry {
  owner: Name;
  next: Name;
  /** Bitmap types, NSEC and RRSIG included. */
  types: number[];
}

/** The nearest zone cut strictly above `name` (and below the apex), if any: then `name` is glue or occluded. */
export function cutAbove(name: Name, origin: Name, cuts: ReadonlySet<Name>): Name | undefined {
  for (let n = parentName(name); n !== origin && n.length > origin.length; n = parentName(n)) if (cuts.has(n)) return n;
  return undefined;
}

/**
 * The NSEC chain of a zone (RFC 4035 2.3): one entry per authoritative name
 * with data, in canonical order, the last pointing back at the apex. Names
 * below a cut (glue, occluded data) and names without data (empty
 * non-terminals) get none; at a cut only NS and DS are authoritative.
 */
export function nsecChain(origin: Name, owners: Iterable<readonly [Name, Iterable<number>]>, cuts: ReadonlySet<Name> = new Set()): NsecEntry[] {
  const links: { key: string; owner: Name; types: number[] }[] = [];
  for (const [owner, types] of owners) {
    if (!isSubdomain(owner, origin) || cutAbove(owner, origin, cuts) !== undefined) continue;
    let t = [...types];
    if (cuts.has(owner) && owner !== origin) t = t.filter((x) => x === Type.NS || x === Type.DS);
    t = t.filter((x) => x !== Type.NSEC && x !== Type.RRSIG);
    if (t.length === 0) continue;
    links.push({ key: canonicalSortKey(owner), owner, types: [...new Set([...t, Type.NSEC, Type.RRSIG])].sort((a, b) => a - b) });
  }
  links.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  if (links.length === 0 || links[0]!.owner !== origin) throw new DenialError('the NSEC chain needs data at the zone apex');
  return links.map((l, i) => ({ owner: l.owner, next: links[(i + 1) % links.length]!.owner, types: l.types }));
}

/** Finds the chain link that matches or covers a name, for `denial: nsec` answers. */
export class NsecIndex {
  private readonly keys: string[];

  constructor(readonly chain: readonly NsecEntry[]) {
    this.keys = chain.map((e) => canonicalSortKey(e.owner));
  }

  /** The entry whose owner is `name`, or the one whose span (owner, next) holds it. */
  find(name: Name): NsecEntry {
    if (this.chain.length === 0) throw new DenialError('empty NSEC chain');
    const key = canonicalSortKey(name);
    let lo = 0;
    let hi = this.keys.length - 1;
    // The last key <= name; names sort after the apex, so index 0 always qualifies for names in the zone.
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.keys[mid]! <= key) lo = mid;
      else hi = mid - 1;
    }
    return this.chain[this.keys[lo]! <= key ? lo : this.chain.length - 1]!;
  }
}
