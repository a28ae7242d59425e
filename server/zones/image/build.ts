// Validated zones -> one image (format.ts). Works from the compact record
// tables (table.ts), not from compile.ts's Zone, so a million records never
// exist as objects: owners are numbered, put in canonical order by one sort of keys, records
// are bucketed per owner (no comparison sort), and everything is written into
// one ArrayBuffer sized by a first pass. Mirrors compileZone(): every
// ancestor up to the apex is a node, cuts are non-apex NS owners, pool-backed
// RRsets hold every member of the family and a pool id.
import { collectNow } from './collect.js';
import { endianness } from 'node:os';
import { crc32 } from 'node:zlib';
import { Type } from '../../wire/constants.js';
import { type Name, parentName, isWildcard, labelCount } from '../../wire/names.js';
import type { ZoneSource, PoolRef } from '../model.js';
import { compactFromSource, type CompactZone } from '../table.js';
import type { PoolSet } from '../../pools/model.js';
import { canonicalKey, idOfKey } from './canonical.js';
import {
  FORMAT_VERSION, H, HEADER_BYTES, HEADER_WORDS, MAGIC0, MAGIC1, MAX_RRSET_RECORDS, N, NODE_APEX, NODE_CUT, NODE_EMPTY, NODE_WILDCARD,
  NODE_WILDCARD_CHILD, NODE_WORDS, NO_PARENT, R, RRSET_WORDS, Z, ZONE_HAS_CUTS, ZONE_HAS_WILDCARDS, ZONE_WORDS, align8, hashName,
  ImageError, type ImageMeta,
} from './format.js';

/** One RRset to write: static records of one owner and type (table indices), or a pool reference (member RDATA). */
interface SetPlan {
  type: number;
  ttl: number;
  records: number[];
  members?: Uint8Array[];
  pool: number; // id + 1, 0 = static
}

/** A zone reduced to numbered owners in canonical order. */
interface ZonePlan {
  src: CompactZone;
  names: Name[]; // in canonical order (apex first)
  /** Records by owner rank: recStart[rank]..recStart[rank+1] index `recOrder`. */
  recStart: Uint32Array;
  recOrder: Uint32Array;
  poolsAt: Map<number, PoolRef[]>;
  /** Rank of each name's parent (the apex's is its own). */
  parentRank: Uint32Array;
  hasWildcards: boolean;
  /** Sizes for the first pass: RRsets and data bytes of this zone. */
  rrsets: number;
  dataBytes: number;
}

/**
 * Records whose tables' indexes must be freed before the next collection.
 * Collecting after every zone made a compile of thousands of small zones
 * quadratic (each full collection walks a heap that grows with the zones
 * planned: 5,000 zone files took 269 s); a big zone still gets its own.
 */
const COLLECT_EVERY_RECORDS = 100_000;

/** Drops a planned table's name index and lines; collects once per COLLECT_EVERY_RECORDS records freed. */
function releaser(): (t: CompactZone['records']) => void {
  let freed = 0;
  return (t) => {
    t.releaseForWrite();
    freed += t.count;
    if (freed < COLLECT_EVERY_RECORDS) return;
    freed = 0;
    collectNow();
  };
}

function planZone(src: CompactZone, pools: PoolSet, release: ((t: CompactZone['records']) => void) | undefined): ZonePlan {
  const origin = src.origin;
  const t = src.records;
  // Owners keep the table's numbers; names added here (the apex, empty
  // non-terminals, pool-backed owners) get the next ones.
  const byId = t.names;
  const apex = t.ownerId(origin);
  const parentId: number[] = [];
  const withAncestors = (id: number): void => {
    // Every ancestor up to the apex exists, even with no data (RFC 4592 2.2.2); iterative, not recursive.
    for (let child = id, n = byId[id]!; n !== origin && parentId[child] === undefined; ) {
      // Most owners sit right below the apex: no slice, no lookup.
      if (n.length - n.charCodeAt(0) - 1 === origin.length) {
        parentId[child] = apex;
        break;
      }
      n = parentName(n);
      const pid = t.ownerId(n);
      parentId[child] = pid;
      child = pid;
    }
  };
  // Names that get a node: owners of records or pools, their ancestors, the apex. (The table may
  // also number names that hold nothing, such as an owner whose every record was refused.)
  const keep: number[] = [];
  const mark = (id: number): void => {
    withAncestors(id);
    for (let k = id; keep[k] !== 1; k = parentId[k]!) keep[k] = 1;
  };
  keep[apex] = 1;
  parentId[apex] = apex;
  let hasWildcards = false;
  let dataBytes = 0;
  for (let i = 0; i < t.count; i++) {
    const id = t.owner[i]!;
    dataBytes += 2 + t.dataLen[i]!;
    if (keep[id] === 1) continue;
    mark(id);
    if (isWildcard(byId[id]!)) hasWildcards = true;
  }
  const refOwners = src.poolRefs.map((ref) => {
    const id = t.ownerId(ref.owner);
    mark(id);
    return id;
  });
  // Every name has its number now: the index and the lines go before a million sort keys arrive.
  release?.(t);
  // One plain string sort: each canonical key carries the id after it (canonical.ts), so it comes back.
  const sorted: string[] = [];
  for (let id = 0; id < byId.length; id++) if (keep[id] === 1) sorted.push(canonicalKey(byId[id]!, id));
  sorted.sort();
  const order = sorted.map(idOfKey);
  sorted.length = 0;
  const rank = new Uint32Array(byId.length);
  for (let i = 0; i < order.length; i++) rank[order[i]!] = i;
  // Bucket the records by owner rank, keeping file order within an owner.
  const recStart = new Uint32Array(order.length + 1);
  for (let i = 0; i < t.count; i++) recStart[rank[t.owner[i]!]! + 1]!++;
  for (let i = 0; i < order.length; i++) recStart[i + 1]! += recStart[i]!;
  const fill = recStart.slice(0, order.length);
  const recOrder = new Uint32Array(t.count);
  for (let i = 0; i < t.count; i++) recOrder[fill[rank[t.owner[i]!]!]!++] = i;
  const poolsAt = new Map<number, PoolRef[]>();
  src.poolRefs.forEach((ref, i) => {
    const at = rank[refOwners[i]!]!;
    const list = poolsAt.get(at);
    if (list) list.push(ref);
    else poolsAt.set(at, [ref]);
  });
  const parentRank = new Uint32Array(order.length);
  for (let i = 0; i < order.length; i++) parentRank[i] = rank[parentId[order[i]!]!]!;
  // RRsets: distinct types per owner (records of an owner are adjacent now), plus pool-backed sets.
  let rrsets = 0;
  const types = new Set<number>();
  for (let k = 0; k < order.length; k++) {
    const from = recStart[k]!;
    const to = recStart[k + 1]!;
    const refs = poolsAt.get(k);
    if (to - from === 1 && !refs) {
      rrsets++;
      continue;
    }
    types.clear();
    for (let j = from; j < to; j++) types.add(t.type[recOrder[j]!]!);
    for (const ref of refs ?? []) {
      const pool = pools.pools.get(ref.pool);
      if (!pool) continue;
      if (!types.has(ref.type)) rrsets++;
      const family = ref.type === Type.A ? 4 : 6;
      for (const m of pool.tiers.flat()) if (m.family === family) dataBytes += 2 + m.rdata.wire.length;
    }
    rrsets += types.size;
  }
  return { src, names: order.map((id) => byId[id]!), recStart, recOrder, poolsAt, parentRank, hasWildcards, rrsets, dataBytes };
}

/** The RRsets of the owner at `rank`, by type (what compileZone would hold in node.rrsets). */
function setsAt(plan: ZonePlan, rank: number, pools: PoolSet, poolIds: Map<string, number>): SetPlan[] {
  const t = plan.src.records;
  const from = plan.recStart[rank]!;
  const to = plan.recStart[rank + 1]!;
  const refs = plan.poolsAt.get(rank);
  const sets = new Map<number, SetPlan>();
  for (let k = from; k < to; k++) {
    const i = plan.recOrder[k]!;
    const type = t.type[i]!;
    const set = sets.get(type);
    // compileZone keeps the first record's TTL for the set (validation makes them agree).
    if (set) set.records.push(i);
    else sets.set(type, { type, ttl: t.ttl[i]!, records: [i], pool: 0 });
  }
  for (const ref of refs ?? []) {
    const pool = pools.pools.get(ref.pool);
    if (!pool) continue; // validation reported it
    const family = ref.type === Type.A ? 4 : 6;
    let id = poolIds.get(ref.pool);
    if (id === undefined) poolIds.set(ref.pool, (id = poolIds.size));
    const members = pool.tiers.flat().filter((m) => m.family === family).map((m) => m.rdata.wire);
    sets.set(ref.type, { type: ref.type, ttl: pool.ttl, records: [], members, pool: id + 1 });
  }
  const out = [...sets.values()].sort((a, b) => a.type - b.type);
  for (const s of out) {
    if ((s.members ?? s.records).length > MAX_RRSET_RECORDS) throw new ImageError(`${plan.src.file}: an RRset holds ${(s.members ?? s.records).length} records, the limit is ${MAX_RRSET_RECORDS}`);
  }
  return out;
}

function hashSlots(nodes: number): number {
  let s = 8;
  while (s < nodes * 2) s *= 2;
  return s;
}

export interface PoolsFileText {
  file: string;
  text: string;
}

/**
 * Builds the image of `sources` (validated, serials filled in). `poolsFile`
 * travels inside the image so every reader rebuilds the same pools.
 */
export function buildImage(sources: readonly ZoneSource[], pools: PoolSet, poolsFile?: PoolsFileText): ArrayBuffer {
  return buildImageCompact(sources.map(compactFromSource), pools, poolsFile);
}

/**
 * buildImage from the compiler's compact zones (table.ts); the tables gain the names of empty non-terminals.
 * `release`: the caller is done with the tables' name index and lines (the compile process):
 * they are dropped once the owners are numbered, and the planning's garbage is collected before
 * the image is allocated, so neither joins the next allocation at the build's peak.
 */
export function buildImageCompact(sources: readonly CompactZone[], pools: PoolSet, poolsFile?: PoolsFileText, release = false): ArrayBuffer {
  if (endianness() !== 'LE') throw new ImageError('zone images are little-endian; this host is not');
  const free = release ? releaser() : undefined;
  const plans = sources.map((src) => planZone(src, pools, free));
  // The sort keys and the planning's scratch arrays are garbage: gone before the image is allocated.
  if (release) collectNow();
  const poolIds = new Map<string, number>();
  let nodes = 0;
  let rrsets = 0;
  let slots = 0;
  let nameBytes = 0;
  let dataBytes = 0;
  for (const p of plans) {
    nodes += p.names.length;
    slots += hashSlots(p.names.length);
    rrsets += p.rrsets;
    dataBytes += p.dataBytes;
    for (const n of p.names) nameBytes += n.length;
  }
  // Pool ids in order of first use, as the write pass meets them.
  for (const p of plans) for (const ref of p.src.poolRefs) if (pools.pools.has(ref.pool) && !poolIds.has(ref.pool)) poolIds.set(ref.pool, poolIds.size);
  const meta: ImageMeta = {
    version: FORMAT_VERSION,
    builtAt: new Date().toISOString(),
    zones: plans.map((p) => ({ origin: p.src.origin, file: p.src.file, ...(p.src.dnssec ? { dnssec: p.src.dnssec } : {}) })),
    pools: [...poolIds.keys()],
    ...(poolsFile ? { poolsFile: poolsFile.file, poolsText: poolsFile.text } : {}),
  };
  // Origins are latin1 wire strings: JSON escapes the control bytes, so they survive.
  const metaBytes = Buffer.from(JSON.stringify(meta), 'utf8');
  const offZones = HEADER_BYTES;
  const offNodes = align8(offZones + plans.length * ZONE_WORDS * 4);
  const offRRsets = align8(offNodes + nodes * NODE_WORDS * 4);
  const offHash = align8(offRRsets + rrsets * RRSET_WORDS * 4);
  const offNames = align8(offHash + slots * 4);
  const offData = align8(offNames + nameBytes);
  const offMeta = align8(offData + dataBytes);
  const length = offMeta + metaBytes.length;
  if (length > 0xffffffff) throw new ImageError(`the zone image would be ${length} bytes, over the 4 GiB format limit`);

  const buf = new ArrayBuffer(length);
  const u8 = new Uint8Array(buf);
  const header = new Uint32Array(buf, 0, HEADER_WORDS);
  const zt = new Uint32Array(buf, offZones, plans.length * ZONE_WORDS);
  const nt = new Uint32Array(buf, offNodes, nodes * NODE_WORDS);
  const rt = new Uint32Array(buf, offRRsets, rrsets * RRSET_WORDS);
  const ht = new Uint32Array(buf, offHash, slots);

  // Pass 2: write.
  let node = 0;
  let rrset = 0;
  let slot = 0;
  let namePos = 0;
  let dataPos = 0;
  for (let z = 0; z < plans.length; z++) {
    const p = plans[z]!;
    const origin = p.src.origin;
    const t = p.src.records;
    /** Record `i` of the table as length + RDATA at the data cursor; short ones byte by byte, no view object. */
    const copyRecord = (i: number): void => {
      const len = t.dataLen[i]!;
      const from = t.dataOff[i]!;
      const o = offData + dataPos;
      u8[o] = len >> 8;
      u8[o + 1] = len & 0xff;
      if (len > 64) u8.set(t.data.subarray(from, from + len), o + 2);
      else for (let k = 0; k < len; k++) u8[o + 2 + k] = t.data[from + k]!;
      dataPos += 2 + len;
    };
    const nodeStart = node;
    const zoneSlots = hashSlots(p.names.length);
    const mask = zoneSlots - 1;
    let soa = -1;
    let hasCuts = false;
    const rrsetsBefore = rrset;
    for (let rank = 0; rank < p.names.length; rank++, node++) {
      const name = p.names[rank]!;
      for (let i = 0; i < name.length; i++) u8[offNames + namePos + i] = name.charCodeAt(i);
      // Most owners hold one record: written straight from the table, no plan objects.
      const from = p.recStart[rank]!;
      const single = p.recStart[rank + 1]! - from === 1 && !p.poolsAt.has(rank) ? p.recOrder[from]! : -1;
      const sets = single < 0 ? setsAt(p, rank, pools, poolIds) : undefined;
      let flags = 0;
      if (name === origin) flags |= NODE_APEX;
      if (isWildcard(name)) flags |= NODE_WILDCARD;
      if (sets?.length === 0) flags |= NODE_EMPTY;
      if (name !== origin && (sets ? sets.some((s) => s.type === Type.NS && s.pool === 0) : t.type[single] === Type.NS)) {
        flags |= NODE_CUT;
        hasCuts = true;
      }
      const at = node * NODE_WORDS;
      nt[at + N.nameOff] = namePos;
      nt[at + N.info] = name.length | (flags << 8) | (labelCount(name) << 16);
      nt[at + N.parent] = name === origin ? NO_PARENT : nodeStart + p.parentRank[rank]!;
      nt[at + N.rrsetStart] = rrset;
      if (isWildcard(name)) nt[nt[at + N.parent]! * NODE_WORDS + N.info]! |= NODE_WILDCARD_CHILD << 8;
      namePos += name.length;
      const startSet = (type: number, ttl: number, count: number, pool: number): void => {
        if (name === origin && type === Type.SOA) soa = rrset;
        const r = rrset * RRSET_WORDS;
        rt[r + R.typeCount] = type | (count << 16);
        rt[r + R.ttl] = ttl;
        rt[r + R.dataOff] = dataPos;
        rt[r + R.pool] = pool;
        rrset++;
      };
      if (single >= 0) {
        startSet(t.type[single]!, t.ttl[single]!, 1, 0);
        copyRecord(single);
      } else {
        for (const s of sets!) {
          startSet(s.type, s.ttl, (s.members ?? s.records).length, s.pool);
          for (const i of s.records) copyRecord(i);
          for (const w of s.members ?? []) {
            const o = offData + dataPos;
            u8[o] = w.length >> 8;
            u8[o + 1] = w.length & 0xff;
            u8.set(w, o + 2);
            dataPos += 2 + w.length;
          }
        }
      }
      let h = hashName(name, 0) & mask;
      while (ht[slot + h] !== 0) h = (h + 1) & mask;
      ht[slot + h] = rank + 1;
    }
    if (rrset - rrsetsBefore !== p.rrsets) throw new ImageError(`${p.src.file}: RRset count changed between passes`);
    if (soa < 0) throw new ImageError(`${p.src.file}: no SOA at the apex`);
    const soaAt = rt[soa * RRSET_WORDS + R.dataOff]! + offData;
    const soaLen = (u8[soaAt]! << 8) | u8[soaAt + 1]!;
    const soaEnd = soaAt + 2 + soaLen;
    const dv = new DataView(buf);
    const zr = z * ZONE_WORDS;
    zt[zr + Z.nodeStart] = nodeStart;
    zt[zr + Z.nodeCount] = p.names.length;
    zt[zr + Z.hashStart] = slot;
    zt[zr + Z.hashMask] = mask;
    zt[zr + Z.soa] = soa;
    zt[zr + Z.negativeTtl] = Math.min(rt[soa * RRSET_WORDS + R.ttl]!, dv.getUint32(soaEnd - 4));
    zt[zr + Z.serial] = dv.getUint32(soaEnd - 20);
    zt[zr + Z.flags] = (p.hasWildcards ? ZONE_HAS_WILDCARDS : 0) | (hasCuts ? ZONE_HAS_CUTS : 0);
    slot += zoneSlots;
  }
  if (dataPos !== dataBytes || namePos !== nameBytes) throw new ImageError('zone image sizes changed between passes');
  u8.set(metaBytes, offMeta);
  header[H.magic0] = MAGIC0;
  header[H.magic1] = MAGIC1;
  header[H.version] = FORMAT_VERSION;
  header[H.length] = length;
  header[H.zones] = plans.length;
  header[H.nodes] = nodes;
  header[H.rrsets] = rrsets;
  header[H.hashSlots] = slots;
  header[H.offZones] = offZones;
  header[H.offNodes] = offNodes;
  header[H.offRRsets] = offRRsets;
  header[H.offHash] = offHash;
  header[H.offNames] = offNames;
  header[H.offData] = offData;
  header[H.offMeta] = offMeta;
  header[H.dataBytes] = dataBytes;
  header[H.crc] = crc32(u8.subarray(HEADER_BYTES));
  return buf;
}
