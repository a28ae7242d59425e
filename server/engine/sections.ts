// What a lookup decides for one question: the rcode, AA, and the RRsets of
// each section, before anything is written. lookup.ts fills it, additional.ts
// and pooled.ts add to it, answer.ts writes it.
import type { Name } from '../wire/names.js';
import type { RRsetLike, ZoneLike, NodeLike } from '../zones/image/adapter.js';
import type { WireRdata } from '../wire/response.js';
import type { HealthLookup } from '../pools/select.js';

export interface PlannedRRset {
  /** Owner to write: the query name for wildcard answers, else rrset.owner. */
  owner: Name;
  rrset: RRsetLike;
  /** The zone whose authoritative data this is; absent for a referral's NS and for glue (never signed). */
  zone?: ZoneLike;
  /** RRSIG rdata written right after the RRset, as one unit (signing.ts fills it for DO queries). */
  sigs?: readonly WireRdata[];
}

/** Why the answer is negative, for the denial proof of a signed zone (signing.ts). */
export interface Denial {
  zone: ZoneLike;
  /** The name denied: the query name, or the last CNAME target. */
  name: Name;
  kind: 'nxdomain' | 'nodata';
  qtype: number;
  /** NODATA: the node that exists (for a wildcard NODATA, the `*` node). */
  node?: NodeLike;
  /** NODATA from a wildcard: the `*` owner whose node matched. */
  wildcard?: Name;
}

export interface LookupResult {
  rcode: number;
  aa: boolean;
  /** Holds per-query choices (pools): must not be served from the response cache. */
  dynamic: boolean;
  /** Pool-backed RRsets in the plan. */
  pooled: number;
  /**
   * The one pool-backed RRset, when its addresses are a shuffle of a set fixed
   * by health: the response may be cached per health generation and reshuffled.
   */
  reshuffle: RRsetLike | null;
  /** False once any pool's answer was cut or weighted (then never cached). */
  reshuffleable: boolean;
  answer: PlannedRRset[];
  authority: PlannedRRset[];
  additional: PlannedRRset[];
  /** Set when the answer is negative (NXDOMAIN or NODATA). */
  denial: Denial | null;
  /** Set when the answer is a referral: the zone and its cut. */
  referral: { zone: ZoneLike; cut: Name } | null;
}

export interface LookupOptions {
  /** RFC 8482: over UDP an ANY query gets one RRset; over TCP all of them. */
  minimalAny: boolean;
  health: HealthLookup;
}
