// What a lookup decides for one question: the rcode, AA, and the RRsets of
// each section, before anything is written. lookup.ts fills it, additional.ts
// and pooled.ts add to it, answer.ts writes it.
import type { Name } from '../wire/names.js';
import type { RRsetLike } from '../zones/image/adapter.js';
import type { HealthLookup } from '../pools/select.js';

export interface PlannedRRset {
  /** Owner to write: the query name for wildcard answers, else rrset.owner. */
  owner: Name;
  rrset: RRsetLike;
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
}

export interface LookupOptions {
  /** RFC 8482: over UDP an ANY query gets one RRset; over TCP all of them. */
  minimalAny: boolean;
  health: HealthLookup;
}
