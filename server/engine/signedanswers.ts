// Finished signed answers that are made per query name: compact NXDOMAIN
// (RFC 9824: the NSEC is owned by the query name, so its signature is too)
// and wildcard expansions signed as the query name. The main response cache
// does not take them, because a random-name flood would fill it with answers
// nobody asks for again and push out the ones in real use; without a cache,
// though, a name asked for all day costs a fresh signature every time.
//
// So they get a store of their own, segmented so that a flood cannot evict
// the hot answers, behind a doorkeeper:
//  - first sight: the answer is sent and not kept, only noted (doorkeeper.ts).
//    Under a random-name flood, storing every one-off answer (a buffer and an
//    entry that live just long enough to reach the old generation, then die)
//    cost about a tenth of the flood rate in insertions and garbage
//    collection. A name asked again pays one more signature, then is kept.
//  - probation: an answer made a second time goes here, oldest out first. A
//    flood of names asked twice only ever churns this segment.
//  - protected: an answer asked for again while on probation moves here.
//    When full, a clock hand (CLOCK, second chance) sweeps the slots: an entry
//    hit since the hand last passed is spared (its mark cleared), the first
//    one not hit goes. Answers in real use stay; names asked exactly twice
//    (a flood that repeats itself) are the first to go.
// Both segments are bounded by entries and bytes. One store per catalog,
// i.e. per zone image: a reload starts afresh, and the catalog empties it
// with its other caches once per signed-response period, so no answer
// outlives its signatures.
import type { Name } from '../wire/names.js';
import { Doorkeeper } from './doorkeeper.js';

export interface SignedAnswerStats {
  entries: number;
  /** Of those, answers asked for more than once (safe from one-off floods). */
  protectedEntries: number;
  bytes: number;
  hits: number;
  /** Answers stored (made, and signed, for the second time). */
  stored: number;
  /** Answers made for a key not seen before: sent, noted, not stored. */
  firstSights: number;
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
  readonly key: string;
  readonly size: number;
  /** Hits since promotion or since the clock hand last passed it. */
  used: number;
  /** Its slot in the segment that holds it; -1 once it left. */
  slot: number;
}

/** Rough bookkeeping cost of an entry beyond its bytes. */
const OVERHEAD = 112;
/** Reprieves one eviction may hand out before it evicts regardless (bounds its work; each reprieve uses up a hit). */
const MAX_REPRIEVES = 64;

// Both segments keep their order in a fixed array of slots, not in a Map's
// insertion order: taking the oldest key of a Map that is deleted from at the
// front walks over every deleted entry V8 has not compacted yet, which made
// each insertion cost tens of microseconds under a flood.

/** A bounded segment: entries in fixed slots, found by key through the map. */
abstract class Segment {
  readonly map = new Map<string, Stored>();
  protected readonly slots: (Stored | undefined)[];
  bytes = 0;

  constructor(
    readonly maxEntries: number,
    readonly maxBytes: number,
  ) {
    this.slots = new Array<Stored | undefined>(maxEntries).fill(undefined);
  }

  /** Adds `e`; returns how many entries went to make room. */
  abstract add(e: Stored): number;

  remove(key: string): Stored | undefined {
    const e = this.map.get(key);
    if (e) this.unlink(e);
    return e;
  }

  clear(): void {
    this.map.clear();
    this.slots.fill(undefined);
    this.bytes = 0;
  }

  protected place(e: Stored, slot: number): void {
    e.slot = slot;
    this.slots[slot] = e;
    this.map.set(e.key, e);
    this.bytes += e.size;
  }

  protected unlink(e: Stored): void {
    this.map.delete(e.key);
    this.slots[e.slot] = undefined;
    this.freed(e.slot);
    e.slot = -1;
    this.bytes -= e.size;
  }

  protected freed(_slot: number): void {}
}

/** Probation: first in, first out, the slots a ring (a slot emptied by a promotion stays a gap until the ring passes it). */
class Fifo extends Segment {
  private head = 0;
  private used = 0;

  add(e: Stored): number {
    let dropped = 0;
    while (this.used >= this.maxEntries || (this.bytes + e.size > this.maxBytes && this.map.size > 0)) dropped += this.dropOldest();
    this.place(e, (this.head + this.used) % this.maxEntries);
    this.used++;
    return dropped;
  }

  private dropOldest(): number {
    const e = this.slots[this.head];
    this.head = (this.head + 1) % this.maxEntries;
    this.used--;
    if (!e) return 0;
    this.unlink(e);
    return 1;
  }

  override clear(): void {
    super.clear();
    this.head = this.used = 0;
  }
}

/** Protected: CLOCK (second chance) over the slots; a hit only counts, it moves nothing. */
class Clock extends Segment {
  private readonly free: number[] = [];
  private fresh = 0;
  private hand = 0;

  add(e: Stored): number {
    let dropped = 0;
    while (this.bytes + e.size > this.maxBytes && this.map.size > 0) dropped += this.evict();
    if (this.free.length === 0 && this.fresh === this.maxEntries) dropped += this.evict();
    this.place(e, this.free.pop() ?? this.fresh++);
    return dropped;
  }

  protected override freed(slot: number): void {
    this.free.push(slot);
  }

  /** Frees one slot: the hand passes entries hit since it last came by (clearing their mark), up to MAX_REPRIEVES. */
  private evict(): number {
    let reprieves = 0;
    for (;;) {
      const e = this.slots[this.hand];
      this.hand = (this.hand + 1) % this.fresh;
      if (!e) continue;
      if (e.used > 0 && reprieves++ < MAX_REPRIEVES) {
        e.used = 0;
        continue;
      }
      this.unlink(e);
      return 1;
    }
  }

  override clear(): void {
    super.clear();
    this.free.length = 0;
    this.fresh = this.hand = 0;
  }
}

export class SignedAnswerCache {
  private readonly probation: Fifo;
  private readonly protectedSeg: Clock;
  private readonly door = new Doorkeeper();
  private hits = 0;
  private stored = 0;
  private firstSights = 0;
  private evictions = 0;

  constructor(o: SignedAnswerOptions = {}) {
    const prob = o.probationEntries ?? 16_384;
    const prot = o.protectedEntries ?? 32_768;
    const bytes = o.maxBytes ?? 32 * 1024 * 1024;
    if (!(prob >= 1) || !(prot >= 1) || !(bytes >= 3072)) {
      throw new Error('signed answer cache needs probationEntries >= 1, protectedEntries >= 1 and maxBytes >= 3072');
    }
    this.probation = new Fifo(prob, Math.floor(bytes / 3));
    this.protectedSeg = new Clock(prot, bytes - Math.floor(bytes / 3));
  }

  clear(): void {
    this.probation.clear();
    this.protectedSeg.clear();
    this.door.clear();
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
    this.evictions += this.protectedSeg.add(e);
    this.hits++;
    return e;
  }

  /** Offers a freshly made answer: noted on first sight, stored on probation on the second. */
  set(key: string, bytes: Buffer, zone: Name): void {
    if (!this.door.admit(key)) {
      this.firstSights++;
      return;
    }
    const size = OVERHEAD + key.length + bytes.length;
    if (size > this.probation.maxBytes) return;
    this.probation.remove(key);
    this.protectedSeg.remove(key);
    this.evictions += this.probation.add({ key, bytes, zone, used: 0, size, slot: -1 });
    this.stored++;
  }

  stats(): SignedAnswerStats {
    return {
      entries: this.probation.map.size + this.protectedSeg.map.size,
      protectedEntries: this.protectedSeg.map.size,
      bytes: this.probation.bytes + this.protectedSeg.bytes,
      hits: this.hits,
      stored: this.stored,
      firstSights: this.firstSights,
      evictions: this.evictions,
    };
  }
}
