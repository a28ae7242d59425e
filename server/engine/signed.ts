// What serving one zone signed needs beyond the zone itself, built once per
// load next to the catalog: its ZoneSigner, the apex RRsets signing adds
// (DNSKEY, CDS, CDNSKEY) as ordinary RRsets the lookup answers from, and for
// `denial: nsec` the zone's NSEC chain and its index. Signed transfers use
// the same pieces (signedApexRRsets, zoneNsecChain), so AXFR and the answers
// agree on the DNSKEY RRset and the chain.
import { Type } from '../wire/constants.js';
import type { Name } from '../wire/names.js';
import type { RRsetLike, ZoneLike } from '../zones/image/adapter.js';
import type { Rdata } from '../zones/rdata.js';
import type { DenialMode } from '../zones/dnssec-option.js';
import type { ZoneSigner } from '../dnssec/signer.js';
import { dnskeyText, dsText } from '../dnssec/dnskey.js';
import { nsecChain, NsecIndex, type NsecEntry } from '../dnssec/denial.js';

export interface SignedZone {
  zone: ZoneLike;
  signer: ZoneSigner;
  denial: DenialMode;
  /** DNSKEY, CDS and CDNSKEY at the apex, answered like the zone's own data. */
  apex: ReadonlyMap<number, RRsetLike>;
  /** `denial: nsec`: the chain over the zone, apex RRsets included. */
  nsec: NsecIndex | undefined;
}

/**
 * Types signing owns: the apex DNSKEY/CDS/CDNSKEY come from the key
 * directory, RRSIG and NSEC are made here, and a zone file's NSEC3 (50) or
 * NSEC3PARAM (51), from a zone signed elsewhere, would contradict the NSEC
 * chain. Zone-file copies of them are neither served in a signed transfer
 * nor listed in the chain.
 */
export const SIGNER_OWNED: ReadonlySet<number> = new Set<number>([Type.DNSKEY, Type.CDS, Type.CDNSKEY, Type.RRSIG, Type.NSEC, 50, 51]);

/** Rdata the writer lays down as is (never compressed: RFC 3597, RFC 4034). */
export function opaqueRdata(wire: Buffer, text = `\\# ${wire.length} ${wire.toString('hex')}`): Rdata {
  return { parts: [wire], compressible: false, wire, text };
}

/**
 * The apex RRsets signing adds, with the SOA's TTL (as a signed transfer
 * carries them). A zone file's own DNSKEY/CDS/CDNSKEY at the apex are
 * replaced: the key directory decides what is published.
 */
export function signedApexRRsets(zone: ZoneLike, signer: ZoneSigner): RRsetLike[] {
  return signer.apexRRsets().map((s) => ({
    owner: zone.origin,
    type: s.type,
    ttl: zone.soa.ttl,
    rdata: s.rdata.map((w) => opaqueRdata(w, s.type === Type.CDS ? dsText(w) : dnskeyText(w))),
  }));
}

/** The classic NSEC chain of the zone as served signed (RFC 4035 2.3), apex RRsets included. */
export function zoneNsecChain(zone: ZoneLike, apex: Iterable<RRsetLike>): NsecEntry[] {
  const extra = [...apex].map((s) => s.type);
  const owners = (function* (): Generator<readonly [Name, Iterable<number>]> {
    for (const [name, node] of zone.nodes) {
      const types = [...node.rrsets.keys()].filter((t) => !SIGNER_OWNED.has(t));
      yield [name, name === zone.origin ? [...types, ...extra] : types];
    }
  })();
  return nsecChain(zone.origin, owners, zone.cuts);
}

export function signedZone(zone: ZoneLike, signer: ZoneSigner): SignedZone {
  const apexSets = signedApexRRsets(zone, signer);
  const apex = new Map(apexSets.map((s) => [s.type, s]));
  const denial = zone.dnssec?.denial ?? 'compact';
  return { zone, signer, denial, apex, nsec: denial === 'nsec' ? new NsecIndex(zoneNsecChain(zone, apexSets)) : undefined };
}
