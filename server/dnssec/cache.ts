// The signature cache: RRSIGs made once and reused until they need
// refreshing. Bounded by entries and by bytes, and segmented (SLRU): a new
// entry starts on probation and moves to the protected segment when it is
// used again. The protected segment may hold at most a fixed share of the
// budget and only ever loses entries to other protected entries, so a flood
// of one-off names (each a fresh denial signature) churns probation and
// cannot push the hot answers out.

export interface SigCacheOptions {
  /** Most entries held (default 100 000). */
  maxEntries?: number;
  /** Most bytes held, signatures plus keys and a per-entry overhead (default 64 MiB). */
  maxBytes?: number;
  /** Share of both budgets the protected segment may use (default 0.8). */
  protectedShare?: number;
}

export interface SigCacheStats {
  entries: number;
  bytes: number;
  protectedEntries: number;
  hits: number;
  misses: number;
  /** Entries dropped to make room (stale ones dropped on lookup not counted). */
  evictions: number;
  /** Signatures made by the signers using this cache. */
  signatures: number;
}

interface Entry {
  rrsigs: Buffer[];
  refreshAt: number;
  size: number;
  /** When (seconds) a hit last moved it to the recent end of the protected segment. */
  movedAt?: number;
}

/** Rough bookkeeping cost of an entry beyond its bytes (Map slot, object, array). */
const OVERHEAD = 96;

export class SigCache {
  readonly maxEntries: number;
  readonly maxBytes: number;
  private readonly protMaxEntries: number;
  private readonly protMaxBytes: number;
  // Maps iterate in insertion order: the first key is the least recently used.
  private readonly probation = new Map<string, Entry>();
  private readonly protectedSeg = new Map<string, Entry>();
  private probBytes = 0;
  private protBytes = 0;
  private hits = 0;
  private misses = 0;
  private evictions = 0;
  private signatures = 0;

  constructor(o: SigCacheOptions = {}) {
    this.maxEntries = o.maxEntries ?? 100_000;
    this.maxBytes = o.maxBytes ?? 64 * 1024 * 1024;
    const share = o.protectedShare ?? 0.8;
    if (!(this.maxEntries >= 2) || !(this.maxBytes >= 1024) || !(share > 0 && share < 1)) {
      throw new Error('signature cache needs maxEntries >= 2, maxBytes >= 1024 and 0 < protectedShare < 1');
    }
    this.protMaxEntries = Math.max(1, Math.floor(this.maxEntries * share));
    this.protMaxBytes = Math.floor(this.maxBytes * share);
  }

  /** The cached RRSIGs for `key`, unless absent or due for refresh at `now` (seconds). */
  get(key: string, now: number): Buffer[] | undefined {
    return this.entry(key, now)?.rrsigs;
  }

  /** get(), with the time (seconds) the RRSIGs are due for refresh. */
  entry(key: string, now: number): { readonly rrsigs: Buffer[]; readonly refreshAt: number } | undefined {
    let e = this.protectedSeg.get(key);
    if (e) {
      if (now >= e.refreshAt) {
        this.protectedSeg.delete(key);
        this.protBytes -= e.size;
        this.misses++;
        return undefined;
      }
      // Recency to the second is enough; moving a hot entry on every hit (a delete and a set) made
      // garbage on every signed answer that carries it (the negative-answer SOA: every NXDOMAIN).
      if (e.movedAt !== now) {
        this.protectedSeg.delete(key);
        this.protectedSeg.set(key, e);
        e.movedAt = now;
      }
      this.hits++;
      return e;
    }
    e = this.probation.get(key);
    if (!e) {
      this.misses++;
      return undefined;
    }
    this.probation.delete(key);
    this.probBytes -= e.size;
    if (now >= e.refreshAt) {
      this.misses++;
      return undefined;
    }
    this.promote(key, e);
    this.hits++;
    return e;
  }

  set(key: string, rrsigs: Buffer[], refreshAt: number): void {
    let size = OVERHEAD + key.length;
    for (const r of rrsigs) size += r.length;
    if (size > this.maxBytes - this.protMaxBytes) return; // would not fit on probation
    this.delete(key);
    this.probation.set(key, { rrsigs, refreshAt, size });
    this.probBytes += size;
    this.shrink();
  }

  delete(key: string): void {
    const p = this.probation.get(key);
    if (p) {
      this.probation.delete(key);
      this.probBytes -= p.size;
    }
    const q = this.protectedSeg.get(key);
    if (q) {
      this.protectedSeg.delete(key);
      this.protBytes -= q.size;
    }
  }

  clear(): void {
    this.probation.clear();
    this.protectedSeg.clear();
    this.probBytes = this.protBytes = 0;
  }

  /** A hit the signer answered from its own last-call memo (signer.ts), counted as this cache's. */
  countHit(): void {
    this.hits++;
  }

  /** Called by signers for every signature they make, so /metrics can show the rate. */
  noteSigned(n: number): void {
    this.signatures += n;
  }

  stats(): SigCacheStats {
    return {
      entries: this.probation.size + this.protectedSeg.size,
      bytes: this.probBytes + this.protBytes,
      protectedEntries: this.protectedSeg.size,
      hits: this.hits,
      misses: this.misses,
      evictions: this.evictions,
      signatures: this.signatures,
    };
  }

  private promote(key: string, e: Entry): void {
    this.protectedSeg.set(key, e);
    this.protBytes += e.size;
    // Over its share, the protected segment hands its least recently used entries back to probation.
    while (this.protectedSeg.size > this.protMaxEntries || this.protBytes > this.protMaxBytes) {
      const [k, old] = this.protectedSeg.entries().next().value as [string, Entry];
      this.protectedSeg.delete(k);
      this.protBytes -= old.size;
      this.probation.set(k, old);
      this.probBytes += old.size;
    }
    this.shrink();
  }

  /** Evicts from probation (least recently used first) until both budgets hold. */
  private shrink(): void {
    while (this.probation.size + this.protectedSeg.size > this.maxEntries || this.probBytes + this.protBytes > this.maxBytes) {
      const first = this.probation.entries().next();
      if (first.done) break; // cannot happen: protected stays within its share
      const [k, e] = first.value;
      this.probation.delete(k);
      this.probBytes -= e.size;
      this.evictions++;
    }
  }
}
