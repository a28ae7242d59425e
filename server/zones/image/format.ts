// The compiled zone image: every served zone in one ArrayBuffer, so a
// million records are a few large typed arrays instead of millions of
// objects, and the whole set can be transferred, written to a file or put in
// a SharedArrayBuffer as is. Layout (all table integers little-endian u32,
// every section 8-byte aligned; the full description is in README.md):
//
//   header   32 u32: magic, version, length, crc32, counts, section offsets
//   zones    ZONE_WORDS u32 per zone
//   nodes    NODE_WORDS u32 per name, each zone's names contiguous, in
//            RFC 4034 6.1 canonical order (apex first)
//   rrsets   RRSET_WORDS u32 per RRset, contiguous per node, by type
//   hash     one open-addressing table per zone: local node index + 1, 0 = empty
//   names    owner names, canonical (lowercase) uncompressed wire bytes
//   data     per RRset, per record: u16 big-endian length, then the RDATA wire
//            bytes with names uncompressed (the writer may compress them)
//   meta     UTF-8 JSON: zone files and origins, pool names, the pools file
import type { DnssecOption } from '../dnssec-option.js';

export const MAGIC0 = 0x534e4450; // "PDNS"
export const MAGIC1 = 0x00474d49; // "IMG\0"
export const FORMAT_VERSION = 1;

/** 32 words, 17 used; the rest are zero and reserved. */
export const HEADER_WORDS = 32;
export const HEADER_BYTES = HEADER_WORDS * 4;
/** Header word indices. */
export const H = {
  magic0: 0,
  magic1: 1,
  version: 2,
  length: 3,
  crc: 4,
  zones: 5,
  nodes: 6,
  rrsets: 7,
  hashSlots: 8,
  offZones: 9,
  offNodes: 10,
  offRRsets: 11,
  offHash: 12,
  offNames: 13,
  offData: 14,
  offMeta: 15,
  /** Bytes of the data section without the padding that aligns meta. */
  dataBytes: 16,
} as const;

export const ZONE_WORDS = 8;
/** Zone record word indices. */
export const Z = {
  nodeStart: 0,
  nodeCount: 1,
  hashStart: 2,
  hashMask: 3,
  soa: 4,
  negativeTtl: 5,
  serial: 6,
  flags: 7,
} as const;
export const ZONE_HAS_WILDCARDS = 1;
export const ZONE_HAS_CUTS = 2;

export const NODE_WORDS = 4;
/** Node record word indices; `info` packs name length (bits 0-7), flags (8-15), label count (16-23). */
export const N = { nameOff: 0, info: 1, parent: 2, rrsetStart: 3 } as const;
/** Owns NS and is not the apex: a delegation point. */
export const NODE_CUT = 1;
/** First label is `*`. */
export const NODE_WILDCARD = 2;
/** Owns no RRsets (an empty non-terminal, or a wildcard's ENT). */
export const NODE_EMPTY = 4;
export const NODE_APEX = 8;
/** `*.` + this name is a node of the zone. */
export const NODE_WILDCARD_CHILD = 16;
export const NO_PARENT = 0xffffffff;

export const RRSET_WORDS = 4;
/** RRset record word indices; `typeCount` packs type (bits 0-15) and record count (16-31). */
export const R = { typeCount: 0, ttl: 1, dataOff: 2, pool: 3 } as const;
/** Most records one RRset may hold (the count is 16 bits, as in a message). */
export const MAX_RRSET_RECORDS = 0xffff;

export interface ImageMeta {
  version: number;
  builtAt: string;
  /** Per zone: origin, file, and the zone file's `dnssec:` option when it is served signed (keys come at serve time). */
  zones: Array<{ origin: string; file: string; dnssec?: DnssecOption }>;
  /** Pool names by id (an RRset's pool word is id + 1). */
  pools: string[];
  /** The pools file as read, so a reader rebuilds the same PoolSet (pools are few; they stay objects). */
  poolsFile?: string;
  poolsText?: string;
}

export function align8(n: number): number {
  return (n + 7) & ~7;
}

/** FNV-1a over latin1 char codes of `name` from `from`; the same bytes hash the same in the image. */
export function hashName(name: string, from: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export function hashBytes(b: Uint8Array, off: number, len: number, seed = 0x811c9dc5): number {
  let h = seed;
  for (let i = off; i < off + len; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}

/** The FNV state after the two bytes of a `*` label ("\x01*"), to hash `*.` + name without building it. */
export const WILDCARD_SEED = Math.imul(Math.imul(0x811c9dc5 ^ 1, 0x01000193) ^ 0x2a, 0x01000193) >>> 0;

export class ImageError extends Error {}
