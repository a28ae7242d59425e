// ZoneSource -> the read-only structure the engine walks. Built once per load,
// off to the side, then swapped in whole.
import { Type } from '../wire/constants.js';
import { type Name, parentName, isWildcard } from '../wire/names.js';
import type { Rdata } from './rdata.js';
import type { ZoneSource } from './model.js';
import type { DnssecOption } from './dnssec-option.js';
import type { Pool, PoolSet } from '../pools/model.js';

export interface RRset {
  owner: Name;
  type: number;
  ttl: number;
  /** For pool-backed sets: every configured member (what transfers and exports see). */
  rdata: Rdata[];
  /** Present when the answer is chosen per query from member health. */
  pool?: Pool;
}

/** A name in the tree. Empty non-terminals exist as nodes with no RRsets. */
export interface ZoneNode {
  rrsets: Map<number, RRset>;
}

export interface Zone {
  origin: Name;
  file: string;
  serial: number;
  soa: RRset;
  /** TTL for negative answers: min(SOA TTL, SOA minimum), RFC 2308 section 5. */
  negativeTtl: number;
  nodes: Map<Name, ZoneNode>;
  /** Delegation points: names below the apex that own NS. */
  cuts: Set<Name>;
  hasWildcards: boolean;
  source: ZoneSource;
  /** Present when the zone is served signed (zone file `dnssec:`); the keys come at serve time. */
  dnssec?: DnssecOption;
}

export function soaSerial(soa: RRset): number {
  const w = soa.rdata[0]!.wire;
  return w.readUInt32BE(w.length - 20);
}

function soaMinimum(soa: RRset): number {
  const w = soa.rdata[0]!.wire;
  return w.readUInt32BE(w.length - 4);
}

/** Assumes the source passed validation (one SOA at the apex). */
export function compileZone(src: ZoneSource, pools?: PoolSet): Zone {
  const nodes = new Map<Name, ZoneNode>();
  const nodeFor = (n: Name): ZoneNode => {
    let node = nodes.get(n);
    if (!node) {
      node = { rrsets: new Map() };
      nodes.set(n, node);
      // Every ancestor up to the apex exists, even with no data (RFC 4592 section 2.2.2).
      if (n !== src.origin) nodeFor(parentName(n));
    }
    return node;
  };
  nodeFor(src.origin);
  let hasWildcards = false;
  const cuts = new Set<Name>();
  for (const r of src.records) {
    const node = nodeFor(r.owner);
    let set = node.rrsets.get(r.type);
    if (!set) node.rrsets.set(r.type, (set = { owner: r.owner, type: r.type, ttl: r.ttl, rdata: [] }));
    set.rdata.push(r.rdata);
    if (isWildcard(r.owner)) hasWildcards = true;
    if (r.type === Type.NS && r.owner !== src.origin) cuts.add(r.owner);
  }
  for (const ref of src.poolRefs) {
    const pool = pools?.pools.get(ref.pool);
    if (!pool) continue; // validation reported it
    const family = ref.type === Type.A ? 4 : 6;
    const rdata = pool.tiers.flat().filter((m) => m.family === family).map((m) => m.rdata);
    nodeFor(ref.owner).rrsets.set(ref.type, { owner: ref.owner, type: ref.type, ttl: pool.ttl, rdata, pool });
  }
  const soa = nodes.get(src.origin)!.rrsets.get(Type.SOA)!;
  return {
    origin: src.origin,
    file: src.file,
    serial: soaSerial(soa),
    soa,
    negativeTtl: Math.min(soa.ttl, soaMinimum(soa)),
    nodes,
    cuts,
    hasWildcards,
    source: src,
    ...(src.dnssec ? { dnssec: src.dnssec } : {}),
  };
}
