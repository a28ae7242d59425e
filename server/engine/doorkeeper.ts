// Second-sight admission for the answer caches. An answer is worth keeping
// once its question comes back; a flood of one-off names (random subdomains,
// the usual attack on an authoritative server) never does, and storing each
// of its answers costs an insertion, memory that dies old (the expensive kind
// of garbage), and, once a cache is full, the answers in real use.
//
// The doorkeeper notes a 32-bit hash of each key offered, in a fixed table
// where later keys can push an earlier one out (lossy by design: bounded,
// never walked). A key offered again while its note is still there is let
// in. So a name asked twice is computed twice, then served from the cache.
//
// The table is made of four-note buckets, the newest note first. With one
// note per slot, two names in real use that shared a slot and were asked in
// turn overwrote each other's note every time and were never cached: with
// 50,000 names in use and 65,536 slots, a tenth of all queries missed the
// cache for good, and each of those answers was rebuilt and its garbage
// collected. A bucket keeps four; only a fifth name in the same bucket can
// starve one (about 1 in 130 names at 50,000 in use).
import { randomBytes } from 'node:crypto';

const WAYS = 4;

export class Doorkeeper {
  /** Empty until the first key is offered: a catalog in a process that answers nothing never takes the table. */
  private seen = new Uint32Array(0);
  private mask = 0;
  private readonly slots: number;

  /** `slots`: a power of two, at least 4; 4 bytes each. */
  constructor(slots = 1 << 18) {
    if (!(slots >= WAYS && (slots & (slots - 1)) === 0)) throw new Error(`doorkeeper slots must be a power of two, at least ${WAYS}`);
    this.slots = slots;
  }

  /** True when `key` was offered before and its note is still there; otherwise notes it. */
  admit(key: string): boolean {
    return this.admitHash(keyHash(key));
  }

  /** admit() for a key already hashed (keyHash's range: never 0). */
  admitHash(h: number): boolean {
    if (this.seen.length === 0) {
      this.seen = new Uint32Array(this.slots);
      this.mask = this.slots - WAYS;
    }
    const b = h & this.mask;
    const seen = this.seen;
    if (seen[b] === h || seen[b + 1] === h || seen[b + 2] === h || seen[b + 3] === h) return true;
    seen[b + 3] = seen[b + 2]!;
    seen[b + 2] = seen[b + 1]!;
    seen[b + 1] = seen[b]!;
    seen[b] = h;
    return false;
  }

  clear(): void {
    this.seen.fill(0);
  }
}

/**
 * A per-process start for the hashes below. Query names are the client's to
 * choose: with a hash anyone can compute, a flood of names made to share one
 * slot would make every lookup in the answer stores (answerstore.ts) walk a
 * chain as long as the flood. Seeded, the slots cannot be predicted.
 */
const SEED = 0x811c9dc5 ^ randomBytes(4).readUInt32LE(0);

// Two FNV-1a lanes with different multipliers, folded and mixed at the end.
// One 32-bit FNV lane from a random start collides on similar names far more
// often than chance for some starts: 120,000 names r0..r119999 gave up to 561
// equal hashes (chance: about 3), so in an unlucky process a random-name flood
// got hundreds of one-off answers past the doorkeeper. Two lanes must collide
// together; over 1,500 starts the worst was 9.
const P1 = 0x01000193;
const P2 = 0x5bd1e995;

function fold(h: number, g: number): number {
  h ^= Math.imul(g, 0x27d4eb2d) ^ (g >>> 15);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) | 1) >>> 0;
}

// The two lanes after run(); module state rather than a returned pair, so
// no object is made per query.
let laneH = 0;
let laneG = 0;

function run(seed: number, text: string): void {
  let h = seed;
  let g = ~seed;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h = Math.imul(h ^ c, P1);
    g = Math.imul(g ^ c, P2);
  }
  laneH = h;
  laneG = g;
}

/** A seeded hash of the key's UTF-16 code units; never 0, which marks an empty slot. */
export function keyHash(key: string): number {
  return hashFrom(SEED, key);
}

/** keyHash from a given start (exported so a test can try the starts that broke FNV). */
export function hashFrom(seed: number, key: string): number {
  run(seed, key);
  return fold(laneH, laneG);
}

/** keyHash of a question name and its shape (answer.ts), with no string made for the pair. */
export function shapeHash(name: string, shape: number, limit: number): number {
  run(SEED, name);
  const h = Math.imul(Math.imul(Math.imul(laneH ^ (shape & 0xffff), P1) ^ (shape >>> 16), P1) ^ limit, P1);
  const g = Math.imul(Math.imul(Math.imul(laneG ^ (shape & 0xffff), P2) ^ (shape >>> 16), P2) ^ limit, P2);
  return fold(h, g);
}
