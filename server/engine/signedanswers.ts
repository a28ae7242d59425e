// Finished signed answers that are made per query name: compact NXDOMAIN
// (RFC 9824: the NSEC is owned by the query name, so its signature is too)
// and wildcard expansions signed as the query name. The main response cache
// does not take them, because a random-name flood would fill it with answers
// nobody asks for again and push out the ones in real use; without a cache,
// though, a name asked for all day costs a fresh signature every time.
//
// This cache takes them under two rules that keep a flood out:
//  - admission on second sight: the first time a key is met it is only noted
//    in a "doorkeeper" (two rotating sets of keys, bounded); the answer is
//    stored when the key comes again while still noted. A flood of one-off
//    names only churns the doorkeeper and never reaches the store.
//  - second-chance eviction: the store is bounded (entries and bytes); when
//    full, the oldest entry goes unless it has been hit since it came in or
//    since its last reprieve, in which case it moves to the back. Answers a
//    client repeats survive; names asked exactly twice (a flood that repeats
//    itself) are the first to go.
// One per catalog, i.e. per zone image: a reload starts afresh. The catalog
// empties it with its other caches once per signed-response period, so no
// answer outlives its signatures.

import type { Name } from '../wire/names.js';

export interface SignedAnswerStats {
  entries: number;
  bytes: number;
  hits: number;
  /** Answers stored after a second sight. */
  admitted: number;
  /** Answers made and not stored (first sight). */
  passed: number;
  evictions: number;
}

export interface SignedAnswerOptions {
  /** Most answers stored (default 20 000). */
  maxEntries?: number;
  /** Most bytes stored, responses plus keys and a per-entry overhead (default 16 MiB). */
  maxBytes?: number;
  /** Keys noted per doorkeeper generation (default 20 000; two generations are kept). */
  doorkeeper?: number;
}

export interface StoredAnswer {
  readonly bytes: Buffer;
  /** Origin of the served zone the answer came from. */
  readonly zone: Name;
}

interface Stored extends StoredAnswer {
  /** Hits since admission or since the last reprieve. */
  used: number;
  size: number;
}

/** Rough bookkeeping cost of an entry beyond its bytes. */
const OVERHEAD = 96;
/** Reprieves one eviction may hand out before it evicts regardless (bounds its work). */
const MAX_REPRIEVES = 8;

export class SignedAnswerCache {
  readonly maxEntries: number;
  readonly maxBytes: number;
  private readonly doorSize: number;
  private readonly store = new Map<string, Stored>();
  private seenNow = new Set<string>();
  private seenBefore = new Set<string>();
  private bytes = 0;
  private hits = 0;
  private admitted = 0;
  private passed = 0;
  private evictions = 0;

  constructor(o: SignedAnswerOptions = {}) {
    this.maxEntries = o.maxEntries ?? 20_000;
    this.maxBytes = o.maxBytes ?? 16 * 1024 * 1024;
    this.doorSize = o.doorkeeper ?? 20_000;
    if (!(this.maxEntries >= 1) || !(this.maxBytes >= 1024) || !(this.doorSize >= 1)) {
      throw new Error('signed answer cache needs maxEntries >= 1, maxBytes >= 1024 and doorkeeper >= 1');
    }
  }

  /** Empties the store and the doorkeeper (the catalog does, once per signed-response period). */
  clear(): void {
    this.store.clear();
    this.seenNow.clear();
    this.seenBefore.clear();
    this.bytes = 0;
  }

  get(key: string): StoredAnswer | undefined {
    const e = this.store.get(key);
    if (!e) return undefined;
    e.used++;
    this.hits++;
    return e;
  }

  /**
   * Whether an answer made for `key` now should be stored (the key was met
   * before, recently); notes the key otherwise. Asked before the answer is
   * made, so a first sight can skip work only a stored answer would repay.
   */
  admits(key: string): boolean {
    if (this.seenNow.has(key) || this.seenBefore.has(key)) return true;
    if (this.seenNow.size >= this.doorSize) {
      this.seenBefore = this.seenNow;
      this.seenNow = new Set();
    }
    this.seenNow.add(key);
    this.passed++;
    return false;
  }

  /** Stores an answer admits() let in. */
  set(key: string, bytes: Buffer, zone: Name): void {
    const size = OVERHEAD + key.length + bytes.length;
    if (size > this.maxBytes) return;
    const old = this.store.get(key);
    if (old) {
      this.store.delete(key);
      this.bytes -= old.size;
    }
    this.seenNow.delete(key);
    this.seenBefore.delete(key);
    this.store.set(key, { bytes, zone, used: 0, size });
    this.bytes += size;
    this.admitted++;
    let reprieves = 0;
    while (this.store.size > this.maxEntries || this.bytes > this.maxBytes) {
      const [k, e] = this.store.entries().next().value as [string, Stored];
      this.store.delete(k);
      if (e.used > 0 && k !== key && reprieves++ < MAX_REPRIEVES) {
        e.used = 0;
        this.store.set(k, e);
        continue;
      }
      this.bytes -= e.size;
      this.evictions++;
    }
  }

  stats(): SignedAnswerStats {
    return { entries: this.store.size, bytes: this.bytes, hits: this.hits, admitted: this.admitted, passed: this.passed, evictions: this.evictions };
  }
}
