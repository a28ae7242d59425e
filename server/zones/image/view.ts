// Reading an image (format.ts) in place: every lookup the engine makes is
// typed-array arithmetic over the buffers, with no objects made per lookup.
// Nodes, RRsets and zones are plain numbers (indices); -1 means "none".
// Names in arguments are the engine's canonical Name strings (wire/names.ts),
// read from an offset so a suffix needs no slice.
import type { DnssecOption } from '../dnssec-option.js';
import { endianness } from 'node:os';
import { crc32 } from 'node:zlib';
import { Type } from '../../wire/constants.js';
import type { Name } from '../../wire/names.js';
import { compareNameToBytes } from './canonical.js';
import {
  FORMAT_VERSION, H, HEADER_BYTES, HEADER_WORDS, MAGIC0, MAGIC1, N, NODE_APEX, NODE_CUT, NODE_EMPTY, NODE_WILDCARD, NODE_WILDCARD_CHILD,
  NODE_WORDS, NO_PARENT, R, RRSET_WORDS, WILDCARD_SEED, Z, ZONE_HAS_CUTS, ZONE_HAS_WILDCARDS, ZONE_WORDS, hashBytes, hashName,
  ImageError, type ImageMeta,
} from './format.js';

export interface OpenOptions {
  /** Check the CRC32 (a full pass over the bytes; skip only for an image this process just built). */
  verify?: boolean;
}

export class ZoneImage {
  /** The whole image; RDATA and names are read from here. */
  readonly bytes: Uint8Array;
  readonly meta: ImageMeta;
  readonly zoneCount: number;
  readonly nodeCount: number;
  readonly rrsetCount: number;
  private readonly zt: Uint32Array;
  private readonly nt: Uint32Array;
  private readonly rt: Uint32Array;
  private readonly ht: Uint32Array;
  private readonly offNames: number;
  private readonly offData: number;
  private readonly dataLimit: number;
  /** Origins by zone, and zone by origin: few, so plain JS. */
  private readonly origins: Name[];
  private readonly byOrigin = new Map<Name, number>();

  /** Opens an image; throws ImageError when it is not one this code can read. */
  constructor(image: ArrayBuffer | SharedArrayBuffer | Uint8Array, opts: OpenOptions = {}) {
    if (endianness() !== 'LE') throw new ImageError('zone images are little-endian; this host is not');
    const u8 = image instanceof Uint8Array ? image : new Uint8Array(image);
    if (u8.byteOffset % 8 !== 0) throw new ImageError('a zone image must start 8-byte aligned');
    if (u8.length < HEADER_BYTES) throw new ImageError('not a zone image: too short');
    const buf = u8.buffer;
    const base = u8.byteOffset;
    const h = new Uint32Array(buf, base, HEADER_WORDS);
    if (h[H.magic0] !== MAGIC0 || h[H.magic1] !== MAGIC1) throw new ImageError('not a zone image: bad magic');
    if (h[H.version] !== FORMAT_VERSION) throw new ImageError(`zone image version ${h[H.version]}, this server reads ${FORMAT_VERSION}`);
    if (h[H.length] !== u8.length) throw new ImageError(`zone image is ${u8.length} bytes, its header says ${h[H.length]}`);
    const offs = [H.offZones, H.offNodes, H.offRRsets, H.offHash, H.offNames, H.offData, H.offMeta].map((k) => h[k]!);
    for (let i = 0; i < offs.length; i++) {
      if (offs[i]! % 4 !== 0 || offs[i]! > u8.length || (i > 0 && offs[i]! < offs[i - 1]!)) throw new ImageError('zone image: bad section table');
    }
    if (opts.verify !== false && crc32(u8.subarray(HEADER_BYTES)) !== h[H.crc]) throw new ImageError('zone image: checksum mismatch');
    this.bytes = u8;
    this.zoneCount = h[H.zones]!;
    this.nodeCount = h[H.nodes]!;
    this.rrsetCount = h[H.rrsets]!;
    const fits = (off: number, words: number, next: number): boolean => off + words * 4 <= next;
    if (!fits(h[H.offZones]!, this.zoneCount * ZONE_WORDS, h[H.offNodes]!) || !fits(h[H.offNodes]!, this.nodeCount * NODE_WORDS, h[H.offRRsets]!) ||
      !fits(h[H.offRRsets]!, this.rrsetCount * RRSET_WORDS, h[H.offHash]!) || !fits(h[H.offHash]!, h[H.hashSlots]!, h[H.offNames]!)) {
      throw new ImageError('zone image: tables overlap');
    }
    this.zt = new Uint32Array(buf, base + h[H.offZones]!, this.zoneCount * ZONE_WORDS);
    this.nt = new Uint32Array(buf, base + h[H.offNodes]!, this.nodeCount * NODE_WORDS);
    this.rt = new Uint32Array(buf, base + h[H.offRRsets]!, this.rrsetCount * RRSET_WORDS);
    this.ht = new Uint32Array(buf, base + h[H.offHash]!, h[H.hashSlots]!);
    this.offNames = h[H.offNames]!;
    this.offData = h[H.offData]!;
    this.dataLimit = h[H.offData]! + h[H.dataBytes]!;
    if (this.dataLimit > h[H.offMeta]!) throw new ImageError('zone image: bad data length');
    this.meta = JSON.parse(Buffer.from(u8.buffer, base + h[H.offMeta]!, u8.length - h[H.offMeta]!).toString('utf8')) as ImageMeta;
    this.origins = this.meta.zones.map((z) => z.origin);
    this.origins.forEach((o, i) => this.byOrigin.set(o, i));
  }

  // ---- zones

  origin(z: number): Name {
    return this.origins[z]!;
  }
  file(z: number): string {
    return this.meta.zones[z]!.file;
  }
  /** The zone file's `dnssec:` option, when the zone is served signed. */
  dnssec(z: number): DnssecOption | undefined {
    return this.meta.zones[z]!.dnssec;
  }
  serial(z: number): number {
    return this.zt[z * ZONE_WORDS + Z.serial]!;
  }
  negativeTtl(z: number): number {
    return this.zt[z * ZONE_WORDS + Z.negativeTtl]!;
  }
  /** The apex SOA RRset. */
  soa(z: number): number {
    return this.zt[z * ZONE_WORDS + Z.soa]!;
  }
  hasWildcards(z: number): boolean {
    return (this.zt[z * ZONE_WORDS + Z.flags]! & ZONE_HAS_WILDCARDS) !== 0;
  }
  hasCuts(z: number): boolean {
    return (this.zt[z * ZONE_WORDS + Z.flags]! & ZONE_HAS_CUTS) !== 0;
  }
  /** The zone's apex node; its nodes are apex .. apex + nodesIn(z) - 1, in canonical order. */
  apex(z: number): number {
    return this.zt[z * ZONE_WORDS + Z.nodeStart]!;
  }
  nodesIn(z: number): number {
    return this.zt[z * ZONE_WORDS + Z.nodeCount]!;
  }
  /** The zone whose origin is exactly `name`. */
  zoneByOrigin(name: Name): number {
    return this.byOrigin.get(name) ?? -1;
  }
  /** The deepest zone containing `name` (Catalog.findZone). */
  findZone(name: Name): number {
    let from = 0;
    for (;;) {
      const z = this.byOrigin.get(from === 0 ? name : name.slice(from));
      if (z !== undefined) return z;
      if (from >= name.length - 1) return -1;
      from += name.charCodeAt(from) + 1;
    }
  }

  // ---- names

  /** The node named `name` (its suffix from `from`) in zone `z`, or -1. */
  findNode(z: number, name: Name, from = 0): number {
    const zr = z * ZONE_WORDS;
    const mask = this.zt[zr + Z.hashMask]!;
    const start = this.zt[zr + Z.hashStart]!;
    const base = this.zt[zr + Z.nodeStart]!;
    const len = name.length - from;
    for (let h = hashName(name, from) & mask; ; h = (h + 1) & mask) {
      const v = this.ht[start + h]!;
      if (v === 0) return -1;
      const node = base + v - 1;
      if (this.nameEquals(node, name, from, len)) return node;
    }
  }

  private nameEquals(node: number, name: Name, from: number, len: number): boolean {
    const at = node * NODE_WORDS;
    if ((this.nt[at + N.info]! & 0xff) !== len) return false;
    const off = this.offNames + this.nt[at + N.nameOff]!;
    const b = this.bytes;
    for (let i = 0; i < len; i++) if (b[off + i] !== name.charCodeAt(from + i)) return false;
    return true;
  }

  /**
   * The closest encloser of `name` in zone `z` (RFC 4592): the node of the
   * longest suffix of `name` that exists. `name` must be in the zone, so the
   * apex ends the walk.
   */
  closestEncloser(z: number, name: Name): number {
    for (let from = 0; from < name.length; from += name.charCodeAt(from) + 1) {
      const node = this.findNode(z, name, from);
      if (node >= 0) return node;
    }
    return this.apex(z);
  }

  /**
   * The highest delegation point at or above `name`, below the apex
   * (referral.ts findCut), or -1. Walks parents from the closest encloser:
   * a cut is always a node, so no other name can be one.
   */
  findCut(z: number, name: Name): number {
    if (!this.hasCuts(z)) return -1;
    let cut = -1;
    for (let n = this.closestEncloser(z, name); n !== NO_PARENT; n = this.nt[n * NODE_WORDS + N.parent]!) {
      if (this.nodeFlags(n) & NODE_CUT) cut = n;
    }
    return cut;
  }

  /** `*.` + the name of `node`, if that is a node (the source of synthesis, RFC 4592). */
  wildcardChild(node: number): number {
    if (!(this.nodeFlags(node) & NODE_WILDCARD_CHILD)) return -1;
    const at = node * NODE_WORDS;
    const len = this.nt[at + N.info]! & 0xff;
    const off = this.offNames + this.nt[at + N.nameOff]!;
    const z = this.zoneOfNode(node);
    const zr = z * ZONE_WORDS;
    const mask = this.zt[zr + Z.hashMask]!;
    const start = this.zt[zr + Z.hashStart]!;
    const base = this.zt[zr + Z.nodeStart]!;
    const b = this.bytes;
    for (let h = hashBytes(b, off, len, WILDCARD_SEED) & mask; ; h = (h + 1) & mask) {
      const v = this.ht[start + h]!;
      if (v === 0) return -1;
      const cand = base + v - 1;
      const ca = cand * NODE_WORDS;
      if ((this.nt[ca + N.info]! & 0xff) !== len + 2) continue;
      const co = this.offNames + this.nt[ca + N.nameOff]!;
      if (b[co] !== 1 || b[co + 1] !== 0x2a) continue;
      let same = true;
      for (let i = 0; i < len && same; i++) same = b[co + 2 + i] === b[off + i];
      if (same) return cand;
    }
  }

  /** The zone a node belongs to (binary search over the few zones). */
  zoneOfNode(node: number): number {
    let lo = 0;
    let hi = this.zoneCount - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.zt[mid * ZONE_WORDS + Z.nodeStart]! <= node) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  nodeFlags(node: number): number {
    return (this.nt[node * NODE_WORDS + N.info]! >> 8) & 0xff;
  }
  isCut(node: number): boolean {
    return (this.nodeFlags(node) & NODE_CUT) !== 0;
  }
  isEmpty(node: number): boolean {
    return (this.nodeFlags(node) & NODE_EMPTY) !== 0;
  }
  isWildcard(node: number): boolean {
    return (this.nodeFlags(node) & NODE_WILDCARD) !== 0;
  }
  isApex(node: number): boolean {
    return (this.nodeFlags(node) & NODE_APEX) !== 0;
  }
  labels(node: number): number {
    return (this.nt[node * NODE_WORDS + N.info]! >> 16) & 0xff;
  }
  parent(node: number): number {
    const p = this.nt[node * NODE_WORDS + N.parent]!;
    return p === NO_PARENT ? -1 : p;
  }
  /** Byte offset of the node's wire name in `bytes`, and its length. */
  nameOffset(node: number): number {
    return this.offNames + this.nt[node * NODE_WORDS + N.nameOff]!;
  }
  nameLength(node: number): number {
    return this.nt[node * NODE_WORDS + N.info]! & 0xff;
  }
  /** The node's name as a canonical Name (allocates a string). */
  name(node: number): Name {
    const off = this.nameOffset(node);
    return latin1(this.bytes, off, off + this.nameLength(node));
  }

  /** The next node in canonical order, wrapping to the apex after the last (an NSEC chain's order). */
  next(node: number): number {
    const z = this.zoneOfNode(node);
    const apex = this.apex(z);
    return node + 1 < apex + this.nodesIn(z) ? node + 1 : apex;
  }

  /**
   * The last node whose name is at or before `name` in canonical order (the
   * owner of the NSEC that covers a missing name), by binary search; `name`
   * must be in the zone, so the apex is the lowest answer.
   */
  predecessor(z: number, name: Name): number {
    let lo = this.apex(z);
    let hi = lo + this.nodesIn(z) - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (compareNameToBytes(name, 0, this.bytes, this.nameOffset(mid)) >= 0) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  // ---- RRsets

  /** RRsets of a node are rrsetStart(node) .. rrsetEnd(node) - 1, by type. */
  rrsetStart(node: number): number {
    return this.nt[node * NODE_WORDS + N.rrsetStart]!;
  }
  rrsetEnd(node: number): number {
    return node + 1 < this.nodeCount ? this.nt[(node + 1) * NODE_WORDS + N.rrsetStart]! : this.rrsetCount;
  }
  /** The node's RRset of `type`, or -1. */
  findRRset(node: number, type: number): number {
    const end = this.rrsetEnd(node);
    for (let r = this.rrsetStart(node); r < end; r++) {
      const t = this.rt[r * RRSET_WORDS + R.typeCount]! & 0xffff;
      if (t === type) return r;
      if (t > type) return -1;
    }
    return -1;
  }
  type(rrset: number): number {
    return this.rt[rrset * RRSET_WORDS + R.typeCount]! & 0xffff;
  }
  ttl(rrset: number): number {
    return this.rt[rrset * RRSET_WORDS + R.ttl]!;
  }
  /** Number of records. */
  count(rrset: number): number {
    return this.rt[rrset * RRSET_WORDS + R.typeCount]! >>> 16;
  }
  /** The pool backing this RRset (its name), or undefined for static data. */
  pool(rrset: number): string | undefined {
    const p = this.rt[rrset * RRSET_WORDS + R.pool]!;
    return p === 0 ? undefined : this.meta.pools[p - 1];
  }
  /**
   * Byte offset in `bytes` of the RRset's first record: each record is a
   * 16-bit big-endian RDLENGTH and that many bytes; `dataEnd` is past the last.
   */
  dataStart(rrset: number): number {
    return this.offData + this.rt[rrset * RRSET_WORDS + R.dataOff]!;
  }
  dataEnd(rrset: number): number {
    return rrset + 1 < this.rrsetCount ? this.offData + this.rt[(rrset + 1) * RRSET_WORDS + R.dataOff]! : this.dataLimit;
  }
  /** RDLENGTH of the record at `off` (as returned by dataStart or nextRecord). */
  rdlength(off: number): number {
    return (this.bytes[off]! << 8) | this.bytes[off + 1]!;
  }
  nextRecord(off: number): number {
    return off + 2 + this.rdlength(off);
  }

  /**
   * Where, inside the RDATA at `off`, the name a record points at starts (NS,
   * CNAME, PTR: 0; MX: 2; SRV: 6), or -1 for types without one. The name is
   * uncompressed wire, so its end is found by walking labels.
   */
  static targetAt(type: number): number {
    return TARGET_AT[type] ?? -1;
  }

  /** The target name (see targetAt) of the record at `off` as a Name (allocates), or undefined. */
  target(type: number, off: number): Name | undefined {
    const t = ZoneImage.targetAt(type);
    if (t < 0) return undefined;
    const start = off + 2 + t;
    return latin1(this.bytes, start, wireNameEnd(this.bytes, start));
  }
}

/** Offset of the pointed-at name inside RDATA, per type (rdata.ts `target`). */
const TARGET_AT: Record<number, number> = { [Type.NS]: 0, [Type.CNAME]: 0, [Type.PTR]: 0, [Type.MX]: 2, [Type.SRV]: 6 };

export function wireNameEnd(b: Uint8Array, off: number): number {
  let i = off;
  while (b[i] !== 0) i += b[i]! + 1;
  return i + 1;
}

export function latin1(b: Uint8Array, start: number, end: number): string {
  return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('latin1');
}
