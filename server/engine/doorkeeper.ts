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
  private readonly seen: Uint32Array;
  private readonly mask: number;

  /** `slots`: a power of two, at least 4; 4 bytes each. */
  constructor(slots = 1 << 18) {
    if (!(slots >= WAYS && (slots & (slots - 1)) === 0)) throw new Error(`doorkeeper slots must be a power of two, at least ${WAYS}`);
    this.seen = new Uint32Array(slots);
    this.mask = slots - WAYS;
  }

  /** True when `key` was offered before and its note is still there; otherwise notes it. */
  admit(key: string): boolean {
    return this.admitHash(keyHash(key));
  }

  /** admit() for a key already hashed (keyHash's range: never 0). */
  admitHash(h: number): boolean {
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

/** FNV-1a over the key's UTF-16 code units, from SEED; never 0, which marks an empty slot. */
export function keyHash(key: string): number {
  let h = SEED;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h | 1) >>> 0;
}

/** keyHash of a question name and its shape (answer.ts), with no string made for the pair. */
export function shapeHash(name: string, shape: number, limit: number): number {
  let h = SEED;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (shape & 0xffff), 0x01000193);
  h = Math.imul(h ^ (shape >>> 16), 0x01000193);
  h = Math.imul(h ^ limit, 0x01000193);
  return (h | 1) >>> 0;
}
