// One zone's signing at one moment: its keys, the validity window and the
// shared signature cache put together, so the engine asks one question:
// "the RRSIGs for this RRset". Rebuilt when the key set or its phases change
// (a rollover step); the cache key carries the key set, so a new signer never
// serves an old signer's signatures.
import { createHash } from 'node:crypto';
import { Type } from '../wire/constants.js';
import type { Name } from '../wire/names.js';
import { canonicalRdataSet } from './canonical.js';
import { dsRdata, FLAG_SEP } from './dnskey.js';
import { activeKeys, publishedKeys, type ZoneKey } from './keys.js';
import { SigCache } from './cache.js';
import { signingKey, signRRset, type SigningKey } from './sign.js';
import { ValidityWindow, type Validity } from './window.js';

export interface ZoneSignerOptions {
  window?: ValidityWindow;
  /** Shared by all zones so that one budget bounds them all. */
  cache?: SigCache;
  /** Seconds since 1970; injectable for tests. */
  clock?: () => number;
}

/** Short identity of an RRset's data: its canonical bytes when small, else their SHA-256. */
export function rdataSetId(type: number, rdatas: readonly Buffer[]): string {
  const set = canonicalRdataSet(type, rdatas);
  let size = 0;
  for (const r of set) size += r.length + 2;
  if (size <= 128) {
    let id = '';
    for (const r of set) id += String.fromCharCode(r.length >> 8, r.length & 0xff) + r.toString('latin1');
    return id;
  }
  const h = createHash('sha256');
  for (const r of set) h.update(Buffer.from([r.length >> 8, r.length & 0xff])).update(r);
  return '#' + h.digest('base64');
}

const systemClock = (): number => Math.floor(Date.now() / 1000);

export class ZoneSigner {
  readonly origin: Name;
  /** DNSKEY rdata to publish at the apex. */
  readonly dnskeys: Buffer[];
  /** CDS and CDNSKEY rdata (RFC 7344): the SEP keys that sign now, for parents that scan. */
  readonly cds: Buffer[];
  readonly cdnskeys: Buffer[];
  readonly window: ValidityWindow;
  readonly cache: SigCache;
  private readonly keys: SigningKey[];
  private readonly clock: () => number;
  private readonly keySetId: string;
  /** The RRset sign() was last asked for, and its signatures until they are due for refresh. */
  private readonly last = { setId: '', owner: '', type: -1, ttl: -1, sigs: [] as Buffer[], refreshAt: -Infinity };

  /** `keys`: every key of the zone (loadZoneKeys); their phases at `now` decide which publish and which sign. */
  constructor(origin: Name, keys: readonly ZoneKey[], o: ZoneSignerOptions = {}) {
    this.origin = origin;
    this.clock = o.clock ?? systemClock;
    this.window = o.window ?? new ValidityWindow();
    this.cache = o.cache ?? new SigCache();
    const now = this.clock();
    const signers = activeKeys(keys, now);
    if (signers.length === 0) throw new Error('no active key to sign with');
    this.keys = signers.map((k) => signingKey(k, origin));
    this.dnskeys = publishedKeys(keys, now).map((k) => k.dnskey);
    const sep = signers.filter((k) => k.flags & FLAG_SEP);
    this.cdnskeys = sep.map((k) => k.dnskey);
    this.cds = sep.map((k) => dsRdata(origin, k.dnskey));
    this.keySetId = origin + signers.map((k) => `${k.algorithm}/${k.tag}`).join(',') + '|';
  }

  /** The RRSIG rdata (one per signing key) over an RRset, made fresh: no cache. */
  signFresh(owner: Name, type: number, ttl: number, rdatas: readonly Buffer[]): Buffer[] {
    return this.made(owner, type, ttl, rdatas, this.window.at(this.clock()), true);
  }

  /**
   * Like signFresh, for an RRset that exists for one query name (a compact
   * denial, a wildcard expansion signed as the name): the signatures are
   * written into one response and dropped, so they skip the signature
   * cache, where a random-name flood would only churn entries never used
   * again (the engine keeps whole answers for names that come back).
   */
  signOnce(owner: Name, type: number, ttl: number, rdatas: readonly Buffer[]): Buffer[] {
    return this.made(owner, type, ttl, rdatas, this.window.at(this.clock()), false);
  }

  /**
   * The RRSIG rdata over an RRset, from the cache when a fresh enough
   * signature is there. `setId` names the rdata set when the caller knows
   * it cheaply (a pool's member subset; unique per owner, type and TTL);
   * without it, rdataSetId is used.
   */
  sign(owner: Name, type: number, ttl: number, rdatas: readonly Buffer[], setId?: string): Buffer[] {
    const now = this.clock();
    // The same RRset as the call before (every compact NXDOMAIN signs the zone's SOA): no key to build, no lookup.
    const last = this.last;
    if (setId !== undefined && last.setId === setId && last.owner === owner && last.type === type && last.ttl === ttl && now < last.refreshAt) {
      this.cache.countHit();
      return last.sigs;
    }
    const key = this.keySetId + owner + String.fromCharCode(type, ttl >>> 16, ttl & 0xffff) + (setId !== undefined ? '@' + setId : rdataSetId(type, rdatas));
    let got = this.cache.entry(key, now);
    if (!got) {
      const v = this.window.at(now);
      got = { rrsigs: this.made(owner, type, ttl, rdatas, v, true), refreshAt: v.refreshAt };
      this.cache.set(key, got.rrsigs, got.refreshAt);
    }
    if (setId !== undefined) {
      last.setId = setId;
      last.owner = owner;
      last.type = type;
      last.ttl = ttl;
      last.sigs = got.rrsigs;
      last.refreshAt = got.refreshAt;
    }
    return got.rrsigs;
  }

  private made(owner: Name, type: number, ttl: number, rdatas: readonly Buffer[], v: Validity, lasting: boolean): Buffer[] {
    this.cache.noteSigned(this.keys.length);
    const out: Buffer[] = [];
    for (const k of this.keys) out.push(signRRset(k, owner, type, ttl, rdatas, v.inception, v.expiration, lasting));
    return out;
  }

  /** The apex RRsets signing adds, each with its rdata; the caller signs them like any other RRset. */
  apexRRsets(): { type: number; rdata: Buffer[] }[] {
    return [
      { type: Type.DNSKEY, rdata: this.dnskeys },
      { type: Type.CDS, rdata: this.cds },
      { type: Type.CDNSKEY, rdata: this.cdnskeys },
    ].filter((s) => s.rdata.length > 0);
  }
}
