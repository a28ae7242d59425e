// Finished signed answers that are made per query name: compact NXDOMAIN
// (RFC 9824: the NSEC is owned by the query name, so its signature is too)
// and wildcard expansions signed as the query name. The main response cache
// does not take them, because a random-name flood would fill it with answers
// nobody asks for again and push out the ones in real use; without a cache,
// though, a name asked for all day costs a fresh signature every time.
//
// So they get a store of their own, segmented so that a flood cannot evict
// the hot answers:
//  - probation: every new answer goes here, oldest out first. A flood of
//    one-off names only ever churns this segment.
//  - protected: an answer asked for again while on probation moves here.
//    When full, the oldest entry goes unless it has been hit since it came in
//    or since its last reprieve; then it moves to the back instead. Answers
//    in real use stay; names asked exactly twice (a flood that repeats
//    itself) are the first to go.
// Both segments are bounded by entries and bytes. One store per catalog,
// i.e. per zone image: a reload starts afresh, and the catalog empties it
// with its other caches once per signed-response period, so no answer
// outlives its signatures.
import type { Name } from '../wire/names.js';

export interface SignedAnswerStats {
  entries: number;
  /** Of those, answers asked for more than once (safe from one-off floods). */
  protectedEntries: number;
  bytes: number;
  hits: number;
  /** Answers stored (each made, and signed, once). */
  stored: number;
  /** Answers dropped to stay within the bounds. */
  evictions: number;
}

export interface SignedAnswerOptions {
  /** Most answers on probation (default 16 384). */
  probationEntries?: number;
  /** Most answers protected (default 32 768). */
  protectedEntries?: number;
  /** Most bytes of the two together, responses plus keys and a per-entry overhead (default 32 MiB; a third for probation). */
  maxBytes?: number;
}

export interface StoredAnswer {
  readonly bytes: Buffer;
  /** Origin of the served zone the answer came from. */
  readonly zone: Name;
}

interface Stored extends StoredAnswer {
  /** Hits since promotion or since the last reprieve. */
  used: number;
  size: number;
}

/** Rough bookkeeping cost of an entry beyond its bytes. */
const OVERHEAD = 96;
/** Reprieves one eviction may hand out before it evicts regardless (bounds its work; each reprieve uses up a hit, so the cost is paid by hits). */
const MAX_REPRIEVES = 64;

/** One bounded segment: a Map in insertion order (first key = oldest) and its byte count. */
class Segment {
  readonly map = new Map<string, Stored>();
  bytes = 0;

  constructor(
    readonly maxEntries: number,
    readonly maxBytes: number,
  ) {}

  add(key: string, e: Stored): void {
    this.map.set(key, e);
    this.bytes += e.size;
  }

  remove(key: string): Stored | undefined {
    const e = this.map.get(key);
    if (e) {
      this.map.delete(key);
      this.bytes -= e.size;
    }
    return e;
  }

  over(): boolean {
    return this.map.size > this.maxEntries || this.bytes > this.maxBytes;
  }

  /** Drops the oldest entries until within bounds, giving hit ones a reprieve when `reprieve`; returns how many went. */
  trim(reprieve: boolean): number {
    let dropped = 0;
    let reprieves = 0;
    while (this.over()) {
      const [k, e] = this.map.entries().next().value as [string, Stored];
      this.map.delete(k);
      if (reprieve && e.used > 0 && reprieves++ < MAX_REPRIEVES) {
        e.used = 0;
        this.map.set(k, e);
        continue;
      }
      this.bytes -= e.size;
      dropped++;
    }
    return dropped;
  }

  clear(): void {
    this.map.clear();
    this.bytes = 0;
  }
}

export class SignedAnswerCache {
  private readonly probation: Segment;
  private readonly protectedSeg: Segment;
  private hits = 0;
  private stored = 0;
  private evictions = 0;

  constructor(o: SignedAnswerOptions = {}) {
    const prob = o.probationEntries ?? 16_384;
    const prot = o.protectedEntries ?? 32_768;
    const bytes = o.maxBytes ?? 32 * 1024 * 1024;
    if (!(prob >= 1) || !(prot >= 1) || !(bytes >= 3072)) {
      throw new Error('signed answer cache needs probationEntries >= 1, protectedEntries >= 1 and maxBytes >= 3072');
    }
    this.probation = new Segment(prob, Math.floor(bytes / 3));
    this.protectedSeg = new Segment(prot, bytes - Math.floor(bytes / 3));
  }

  clear(): void {
    this.probation.clear();
    this.protectedSeg.clear();
  }

  get(key: string): StoredAnswer | undefined {
    let e = this.protectedSeg.map.get(key);
    if (e) {
      e.used++;
      this.hits++;
      return e;
    }
    e = this.probation.remove(key);
    if (!e) return undefined;
    // Second sight: promoted. Not yet counted as used: a name asked exactly twice earns no reprieve.
    e.used = 0;
    this.protectedSeg.add(key, e);
    this.evictions += this.protectedSeg.trim(true);
    this.hits++;
    return e;
  }

  /** Stores a freshly made answer on probation. */
  set(key: string, bytes: Buffer, zone: Name): void {
    const size = OVERHEAD + key.length + bytes.length;
    if (size > this.probation.maxBytes) return;
    this.probation.remove(key);
    this.protectedSeg.remove(key);
    this.probation.add(key, { bytes, zone, used: 0, size });
    this.stored++;
    this.evictions += this.probation.trim(false);
  }

  stats(): SignedAnswerStats {
    return {
      entries: this.probation.map.size + this.protectedSeg.map.size,
      protectedEntries: this.protectedSeg.map.size,
      bytes: this.probation.bytes + this.protectedSeg.bytes,
      hits: this.hits,
      stored: this.stored,
      evictions: this.evictions,
    };
  }
}
