// The set of zones served at one moment. A reload builds a new Catalog and
// swaps the reference; queries in flight keep the one they started with, so
// nothing is ever answered from a half-loaded set.
import { type Name, parentName, ROOT } from '../wire/names.js';
import type { ZoneLike } from '../zones/image/adapter.js';
import type { PoolSet } from '../pools/model.js';
import { type HealthLookup, ALL_UP } from '../pools/select.js';
import type { ZoneSigner } from '../dnssec/signer.js';
import { signedZone, type SignedZone } from './signed.js';
import { SignedAnswerCache } from './signedanswers.js';
import { Doorkeeper } from './doorkeeper.js';
import { AnswerStore } from './answerstore.js';

/** Where a pool answer's addresses sit, kept beside it in the pool store (see rememberPooled). */
export interface PoolLayout {
  generation: number;
  /** Offsets of the pool's address RDATA, all of length `width`. */
  offsets: readonly number[];
  width: number;
}

/** Responses remembered per catalog; bounded so names asked twice each cannot grow it without end. */
const CACHE_LIMIT = 100_000;

/**
 * Signed responses are kept at most this long (ms): the signatures in them were
 * good for at least the signer's refresh margin (days) when cached, and the
 * cache is emptied once per period, so no response outlives its signatures.
 */
export const SIGNED_CACHE_PERIOD_MS = 3_600_000;

export class Catalog {
  readonly zones: ReadonlyMap<Name, ZoneLike>;
  /** Finished responses by question name and the flags that shape them (see answer.ts). */
  readonly cache = new AnswerStore({ maxEntries: CACHE_LIMIT });
  readonly loadedAt = Date.now();
  /**
   * Pool-backed responses per health generation, with where each address sits
   * so a hit can be reshuffled in place (round robin without a rebuild).
   */
  readonly poolCache = new AnswerStore({ maxEntries: CACHE_LIMIT, bytes: 4 * 1024 * 1024 });
  /** Signed answers made per query name (compact NXDOMAIN, wildcard expansions), admitted on second sight. */
  readonly signedAnswers = new SignedAnswerCache();
  /** Second-sight admission for `cache` and `poolCache` (doorkeeper.ts). */
  private readonly door = new Doorkeeper();
  private readonly poolDoor = new Doorkeeper();

  readonly pools: PoolSet;
  /** Member health for pool-backed names; the server installs its live view. */
  health: HealthLookup = ALL_UP;

  /** The signer of every zone served signed (zone file `dnssec:` and keys at load); others are never signed. */
  readonly signers: ReadonlyMap<Name, ZoneSigner>;
  /** Per signed zone: signer, apex DNSKEY/CDS/CDNSKEY, the NSEC chain for `denial: nsec`. */
  readonly signed = new Map<Name, SignedZone>();
  /** Clock for the signed-response period (ms); injectable for tests. */
  now: () => number = Date.now;
  private period = -1;

  /**
   * `previous`: the catalog this one replaces. A signed zone served as the same
   * object with the same signer keeps its signed parts (apex sets, NSEC chain),
   * which are made from those two alone: a rekey that moves one zone does not
   * rebuild every zone's chain.
   */
  constructor(zones: Iterable<ZoneLike>, pools: PoolSet = { pools: new Map(), checks: new Map() }, signers: ReadonlyMap<Name, ZoneSigner> = new Map(), previous?: Catalog) {
    this.pools = pools;
    const m = new Map<Name, ZoneLike>();
    for (const z of zones) m.set(z.origin, z);
    this.zones = m;
    this.signers = signers;
    for (const [origin, signer] of signers) {
      const z = m.get(origin);
      if (!z?.dnssec) continue;
      const before = previous?.signed.get(origin);
      this.signed.set(origin, before?.zone === z && before.signer === signer ? before : signedZone(z, signer));
    }
  }

  /**
   * Called before a signed response may be served from or put into the
   * caches: once per SIGNED_CACHE_PERIOD_MS the caches start over, so cached
   * signatures are never older than the period.
   */
  freshenSigned(): void {
    const p = Math.floor(this.now() / SIGNED_CACHE_PERIOD_MS);
    if (p === this.period) return;
    this.period = p;
    this.cache.clear();
    this.poolCache.clear();
    this.signedAnswers.clear();
  }

  /** The deepest served zone containing `name`, if any. */
  findZone(name: Name): ZoneLike | undefined {
    let n = name;
    for (;;) {
      const z = this.zones.get(n);
      if (z) return z;
      if (n === ROOT) return undefined;
      n = parentName(n);
    }
  }

  /** Keeps a pool answer asked for before (doorkeeper.ts): one-off names under a pool wildcard stay out. */
  rememberPooled(h: number, qname: Name, shape: number, limit: number, zone: Name, bytes: Buffer, layout: PoolLayout): void {
    if (layout.offsets.length > 122 || !this.poolDoor.admitHash(h)) return; // more addresses than an entry's extra bytes hold: answered afresh
    // generation (f64), width, count, then each address's offset (u16).
    const extra = Buffer.allocUnsafe(10 + 2 * layout.offsets.length);
    extra.writeDoubleLE(layout.generation, 0);
    extra[8] = layout.width;
    extra[9] = layout.offsets.length;
    layout.offsets.forEach((o, i) => extra.writeUInt16LE(o, 10 + 2 * i));
    this.poolCache.put(h, qname, shape, limit, zone, bytes, extra);
  }

  /** Keeps an answer asked for before (doorkeeper.ts): a flood of random names cannot fill the cache and push out the rest. */
  remember(h: number, qname: Name, shape: number, limit: number, zone: Name, bytes: Buffer): void {
    if (!this.door.admitHash(h)) return;
    this.cache.put(h, qname, shape, limit, zone, bytes);
  }
}
