// What a secondary receives for a signed zone: the zone fully signed, as
// BIND, NSD or Knot expect to serve it without any signing of their own.
// Every authoritative RRset gets its RRSIG (pool-backed names with every
// configured member, as in unsigned transfers), the apex gains DNSKEY, CDS
// and CDNSKEY, and a classic NSEC chain (denial.ts nsecChain: glue and empty
// non-terminals left out, NS and DS only at a delegation) replaces the
// compact denial the zone may use online, since a secondary cannot make
// answers up. The SOA itself is sent by axfr.ts at both ends; its RRSIG is
// part of the body built here.
import type { Catalog } from '../engine/catalog.js';
import { cutAbove, nsecChain, nsecRdata } from '../dnssec/denial.js';
import { dnskeyText, dsText } from '../dnssec/dnskey.js';
import type { ZoneSigner } from '../dnssec/signer.js';
import { nsecText, rrsigText } from '../dnssec/text.js';
import { Type } from '../wire/constants.js';
import type { Name } from '../wire/names.js';
import type { RRsetLike, ZoneLike } from '../zones/image/adapter.js';
import type { Rdata } from '../zones/rdata.js';

/**
 * MERGE SEAM: the signer of a signed zone. The `signing` branch keeps one
 * ZoneSigner per signed zone, on the catalog (`signers`) or on the zone
 * (`signer`); both are looked for until it is merged and one is chosen.
 */
export function zoneSignerOf(catalog: Catalog, zone: ZoneLike): ZoneSigner | undefined {
  const onCatalog = (catalog as unknown as { signers?: ReadonlyMap<Name, ZoneSigner> }).signers;
  return onCatalog?.get(zone.origin) ?? (zone as unknown as { signer?: ZoneSigner }).signer;
}

/** Types signing owns at the apex: the zone's own copies (if any) give way to the signer's. */
// NSEC3 (50) and NSEC3PARAM (51) from a zone signed elsewhere would contradict our NSEC chain.
const SIGNER_TYPES = new Set<number>([Type.DNSKEY, Type.CDS, Type.CDNSKEY, Type.RRSIG, Type.NSEC, 50, 51]);

function made(wire: Buffer, text: string): Rdata {
  return { parts: [wire], compressible: false, wire, text };
}

function apexText(type: number, rd: Buffer): string {
  return type === Type.DNSKEY || type === Type.CDNSKEY ? dnskeyText(rd) : dsText(rd);
}

/** Built bodies, per compiled zone and signer, kept until their signatures are due for refresh. */
const bodies = new WeakMap<ZoneLike, { signer: ZoneSigner; refreshAt: number; body: RRsetLike[] }>();

/**
 * Every RRset of the signed zone except the leading and trailing SOA, in
 * canonical name order: each name's RRsets, each followed by its RRSIG,
 * then the name's NSEC and its RRSIG. `plain`: the unsigned body
 * (axfr.ts transferOrder); `now` in seconds since 1970. The first transfer
 * after a load signs as it is consumed, so a large zone is signed message by
 * message between socket writes rather than in one block that would stall
 * the queries; once complete, the body is kept for the next transfers.
 */
export function signedTransferBody(zone: ZoneLike, signer: ZoneSigner, plain: Iterable<RRsetLike>, now = Math.floor(Date.now() / 1000)): Iterable<RRsetLike> {
  const cached = bodies.get(zone);
  if (cached && cached.signer === signer && now < cached.refreshAt) return cached.body;
  return buildBody(zone, signer, plain, now);
}

function* buildBody(zone: ZoneLike, signer: ZoneSigner, plain: Iterable<RRsetLike>, now: number): Generator<RRsetLike> {
  const origin = zone.origin;
  const byOwner = new Map<Name, RRsetLike[]>([[origin, [zone.soa]]]);
  for (const set of plain) {
    if (SIGNER_TYPES.has(set.type)) continue;
    const list = byOwner.get(set.owner);
    if (list) list.push(set);
    else byOwner.set(set.owner, [set]);
  }
  for (const s of signer.apexRRsets()) {
    // The SOA's TTL, as online answers give them (engine side).
    byOwner.get(origin)!.push({ owner: origin, type: s.type, ttl: zone.soa.ttl, rdata: s.rdata.map((rd) => made(rd, apexText(s.type, rd))) });
  }
  const chain = new Map(nsecChain(origin, [...byOwner].map(([owner, sets]) => [owner, sets.map((s) => s.type)] as const), zone.cuts).map((e) => [e.owner, e]));
  const rrsig = (set: RRsetLike): RRsetLike => {
    const sigs = signer.signFresh(set.owner, set.type, set.ttl, set.rdata.map((r) => r.wire));
    return { owner: set.owner, type: Type.RRSIG, ttl: set.ttl, rdata: sigs.map((s) => made(s, rrsigText(s))) };
  };
  const body: RRsetLike[] = [];
  const emit = (set: RRsetLike): RRsetLike => {
    body.push(set);
    return set;
  };
  for (const [owner, sets] of byOwner) {
    // Not authoritative (RFC 4035 2.2): glue and anything else below a cut, and at a cut all but DS.
    const belowCut = cutAbove(owner, origin, zone.cuts) !== undefined;
    const atCut = owner !== origin && zone.cuts.has(owner);
    for (const set of sets) {
      if (set !== zone.soa) yield emit(set);
      if (!belowCut && (!atCut || set.type === Type.DS)) yield emit(rrsig(set));
    }
    const link = chain.get(owner);
    if (link) {
      const rd = nsecRdata(link.next, link.types);
      const nsec: RRsetLike = { owner, type: Type.NSEC, ttl: zone.negativeTtl, rdata: [made(rd, nsecText(rd))] };
      yield emit(nsec);
      yield emit(rrsig(nsec));
    }
  }
  bodies.set(zone, { signer, refreshAt: signer.window.at(now).refreshAt, body });
}
