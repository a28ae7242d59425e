// Second-sight admission for the answer caches. An answer is worth keeping
// once its question comes back; a flood of one-off names (random subdomains,
// the usual attack on an authoritative server) never does, and storing each
// of its answers costs an insertion, memory that dies old (the expensive kind
// of garbage), and, once a cache is full, the answers in real use.
//
// The doorkeeper notes a 32-bit hash of each key offered, in a fixed table
// where a later key can overwrite an earlier one (lossy by design: bounded,
// never walked). A key offered again while its note is still there is let
// in. So a name asked twice is computed twice, then served from the cache.
export class Doorkeeper {
  private readonly seen: Uint32Array;
  private readonly mask: number;

  /** `slots`: a power of two; 4 bytes each. */
  constructor(slots = 1 << 16) {
    if (!(slots >= 1 && (slots & (slots - 1)) === 0)) throw new Error('doorkeeper slots must be a power of two');
    this.seen = new Uint32Array(slots);
    this.mask = slots - 1;
  }

  /** True when `key` was offered before and its note is still there; otherwise notes it. */
  admit(key: string): boolean {
    const h = keyHash(key);
    const slot = h & this.mask;
    if (this.seen[slot] === h) return true;
    this.seen[slot] = h;
    return false;
  }

  clear(): void {
    this.seen.fill(0);
  }
}

/** FNV-1a over the key's UTF-16 code units; never 0, which marks an empty slot. */
export function keyHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h | 1) >>> 0;
}
