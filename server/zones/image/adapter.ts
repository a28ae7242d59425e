// The image behind today's Zone surface (origin, serial, soa, negativeTtl,
// nodes, cuts, hasWildcards), decoding a node's RRsets only when asked. This is
// the cheap path to integration: the engine reads `zone.nodes.get(name)` and
// `node.rrsets.get(type)` exactly as now, so lookup/referral/additional/answer
// and the response writer need only their parameter types widened from Zone
// to ZoneLike (nothing in them reads `Rdata.text` or `zone.source`). The
// objects it returns are short-lived: a hit in the response cache never
// reaches them, and a miss makes one node's worth. The later, allocation-free
// path is for the engine to call ZoneImage directly (see README.md).
import { Type } from '../../wire/constants.js';
import type { Name } from '../../wire/names.js';
import type { RdataPart } from '../rdata.js';
import type { DnssecOption } from '../dnssec-option.js';
import type { Pool, PoolSet } from '../../pools/model.js';
import { ZoneImage, latin1, wireNameEnd } from './view.js';

/** The parts of Rdata the query path and the response writer read. */
export interface WireRdata {
  parts: RdataPart[];
  compressible: boolean;
  wire: Buffer;
  target?: Name;
}

export interface RRsetLike {
  owner: Name;
  type: number;
  ttl: number;
  rdata: WireRdata[];
  pool?: Pool;
}

export interface NodeLike {
  rrsets: ReadonlyMap<number, RRsetLike>;
}

/** What the engine reads of a zone; compile.ts's Zone satisfies it as is. */
export interface ZoneLike {
  origin: Name;
  file: string;
  serial: number;
  soa: RRsetLike;
  negativeTtl: number;
  nodes: ReadonlyMap<Name, NodeLike>;
  cuts: ReadonlySet<Name>;
  hasWildcards: boolean;
  /** Present when the zone is served signed (zone file `dnssec:`); the image meta carries it. */
  dnssec?: DnssecOption;
  /** `nodes` iterates in canonical order (RFC 4034 6.1), apex first: an image does, a Map need not. */
  canonicalOrder?: boolean;
}

const COMPRESSIBLE = new Set<number>([Type.NS, Type.CNAME, Type.SOA, Type.PTR, Type.MX]);

/** Zone `z` of `img` as a ZoneLike; `pools` gives pool-backed RRsets their Pool. */
export function imageZone(img: ZoneImage, z: number, pools: PoolSet): ZoneLike {
  return new ImageZone(img, z, pools);
}

/** Every zone of an image, for a Catalog. */
export function imageZones(img: ZoneImage, pools: PoolSet): ZoneLike[] {
  const out: ZoneLike[] = [];
  for (let z = 0; z < img.zoneCount; z++) out.push(imageZone(img, z, pools));
  return out;
}

class ImageZone implements ZoneLike {
  readonly origin: Name;
  readonly file: string;
  readonly serial: number;
  readonly negativeTtl: number;
  readonly hasWildcards: boolean;
  readonly canonicalOrder = true;
  readonly dnssec?: DnssecOption;
  readonly soa: RRsetLike;
  readonly nodes: ImageNodes;
  readonly cuts: ImageCuts;
  private readonly soaIndex: number;

  constructor(readonly img: ZoneImage, readonly z: number, private readonly pools: PoolSet) {
    this.origin = img.origin(z);
    this.file = img.file(z);
    this.serial = img.serial(z);
    this.negativeTtl = img.negativeTtl(z);
    this.hasWildcards = img.hasWildcards(z);
    const dnssec = img.dnssec(z);
    if (dnssec) this.dnssec = dnssec;
    this.soaIndex = img.soa(z);
    this.soa = this.decodeSet(this.origin, this.soaIndex);
    this.nodes = new ImageNodes(this);
    this.cuts = new ImageCuts(this);
  }

  /** One node decoded; the apex SOA is always the same object as `soa` (transfers compare them). */
  decodeNode(node: number, owner: Name): NodeLike {
    const rrsets = new Map<number, RRsetLike>();
    const end = this.img.rrsetEnd(node);
    for (let r = this.img.rrsetStart(node); r < end; r++) {
      rrsets.set(this.img.type(r), r === this.soaIndex ? this.soa : this.decodeSet(owner, r));
    }
    return { rrsets };
  }

  decodeSet(owner: Name, r: number): RRsetLike {
    const img = this.img;
    const type = img.type(r);
    const rdata: WireRdata[] = [];
    for (let off = img.dataStart(r), end = img.dataEnd(r); off < end; off = img.nextRecord(off)) rdata.push(decodeRdata(img, type, off));
    const set: RRsetLike = { owner, type, ttl: img.ttl(r), rdata };
    const poolName = img.pool(r);
    const pool = poolName === undefined ? undefined : this.pools.pools.get(poolName);
    if (pool) set.pool = pool;
    return set;
  }
}

function decodeRdata(img: ZoneImage, type: number, off: number): WireRdata {
  const b = img.bytes;
  const len = img.rdlength(off);
  const start = off + 2;
  const wire = Buffer.from(b.buffer, b.byteOffset + start, len);
  const rd: WireRdata = { parts: [wire], compressible: COMPRESSIBLE.has(type), wire };
  const target = img.target(type, off);
  if (target !== undefined) rd.target = target;
  if (!rd.compressible) return rd;
  // The names the writer may compress, where rdata.ts puts them.
  if (type === Type.SOA) {
    const mEnd = wireNameEnd(b, start);
    const rEnd = wireNameEnd(b, mEnd);
    rd.parts = [latin1(b, start, mEnd), latin1(b, mEnd, rEnd), wire.subarray(rEnd - start)];
  } else if (type === Type.MX) {
    rd.parts = [wire.subarray(0, 2), target!];
  } else {
    rd.parts = [target!];
  }
  return rd;
}

class ImageNodes implements ReadonlyMap<Name, NodeLike> {
  constructor(private readonly zone: ImageZone) {}
  get size(): number {
    return this.zone.img.nodesIn(this.zone.z);
  }
  has(name: Name): boolean {
    return this.zone.img.findNode(this.zone.z, name) >= 0;
  }
  get(name: Name): NodeLike | undefined {
    const node = this.zone.img.findNode(this.zone.z, name);
    return node < 0 ? undefined : this.zone.decodeNode(node, name);
  }
  forEach(cb: (value: NodeLike, key: Name, map: ReadonlyMap<Name, NodeLike>) => void): void {
    for (const [k, v] of this.entries()) cb(v, k, this);
  }
  /** In canonical order (RFC 4034 6.1), apex first. */
  *entries(): MapIterator<[Name, NodeLike]> {
    const { img, z } = this.zone;
    const apex = img.apex(z);
    for (let n = apex; n < apex + img.nodesIn(z); n++) {
      const name = img.name(n);
      yield [name, this.zone.decodeNode(n, name)];
    }
  }
  *keys(): MapIterator<Name> {
    const { img, z } = this.zone;
    const apex = img.apex(z);
    for (let n = apex; n < apex + img.nodesIn(z); n++) yield img.name(n);
  }
  *values(): MapIterator<NodeLike> {
    for (const [, v] of this.entries()) yield v;
  }
  [Symbol.iterator](): MapIterator<[Name, NodeLike]> {
    return this.entries();
  }
}

class ImageCuts implements ReadonlySet<Name> {
  private counted = -1;
  constructor(private readonly zone: ImageZone) {}
  get size(): number {
    const { img, z } = this.zone;
    if (!img.hasCuts(z)) return 0;
    if (this.counted < 0) {
      let c = 0;
      const apex = img.apex(z);
      for (let n = apex; n < apex + img.nodesIn(z); n++) if (img.isCut(n)) c++;
      this.counted = c;
    }
    return this.counted;
  }
  has(name: Name): boolean {
    const node = this.zone.img.findNode(this.zone.z, name);
    return node >= 0 && this.zone.img.isCut(node);
  }
  forEach(cb: (value: Name, key: Name, set: ReadonlySet<Name>) => void): void {
    for (const n of this.keys()) cb(n, n, this);
  }
  *keys(): SetIterator<Name> {
    const { img, z } = this.zone;
    const apex = img.apex(z);
    for (let n = apex; n < apex + img.nodesIn(z); n++) if (img.isCut(n)) yield img.name(n);
  }
  values(): SetIterator<Name> {
    return this.keys();
  }
  *entries(): SetIterator<[Name, Name]> {
    for (const n of this.keys()) yield [n, n];
  }
  [Symbol.iterator](): SetIterator<Name> {
    return this.keys();
  }
}

/**
 * What a process that answers no query keeps of a zone (the cluster primary:
 * serials for NOTIFY, /status and metrics, the apex SOA, the signing option):
 * every byte copied out of the image, so the image itself (~70 MB at a
 * million records) can be freed. Only the apex node is left.
 */
export function zoneSummary(z: ZoneLike): ZoneLike {
  const soa: RRsetLike = {
    ...z.soa,
    rdata: z.soa.rdata.map((rd) => ({ ...rd, wire: Buffer.from(rd.wire), parts: rd.parts.map((p) => (typeof p === 'string' ? p : Buffer.from(p))) })),
  };
  return {
    origin: z.origin,
    file: z.file,
    serial: z.serial,
    soa,
    negativeTtl: z.negativeTtl,
    nodes: new Map([[z.origin, { rrsets: new Map([[Type.SOA, soa]]) }]]),
    cuts: new Set(),
    hasWildcards: false,
    canonicalOrder: true,
    ...(z.dnssec ? { dnssec: z.dnssec } : {}),
  };
}
