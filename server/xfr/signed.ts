// What a secondary receives for a signed zone: the zone fully signed, as
// BIND, NSD or Knot expect to serve it without any signing of their own.
// Every authoritative RRset gets its RRSIG (pool-backed names with every
// configured member, as in unsigned transfers), the apex gains DNSKEY, CDS
// and CDNSKEY, and a classic NSEC chain (denial.ts nsecChain: glue and empty
// non-terminals left out, NS and DS only at a delegation) replaces the
// compact denial the zone may use online, since a secondary cannot make
// answers up. The SOA itself is sent by axfr.ts at both ends; its RRSIG is
// part of the body built here.
import { opaqueRdata, SIGNER_OWNED, zoneNsecChain, type SignedZone } from '../engine/signed.js';
import { cutAbove, nsecRdata, type NsecEntry } from '../dnssec/denial.js';
import { nsecText, rrsigText } from '../dnssec/text.js';
import { Type } from '../wire/constants.js';
import type { Name } from '../wire/names.js';
import type { RRsetLike, ZoneLike } from '../zones/image/adapter.js';

/** Built bodies, per compiled zone, kept for the signed zone they were made for until their signatures are due for refresh. */
const bodies = new WeakMap<ZoneLike, { signed: SignedZone; refreshAt: number; body: RRsetLike[] }>();

/**
 * Every RRset of the signed zone except the leading and trailing SOA, in
 * canonical name order: each name's RRsets, each followed by its RRSIG,
 * then the name's NSEC and its RRSIG. `plain`: the unsigned body
 * (axfr.ts transferOrder); `now` in seconds since 1970. The first transfer
 * after a load signs as it is consumed, so a large zone is signed message by
 * message between socket writes rather than in one block that would stall
 * the queries; once complete, the body is kept for the next transfers.
 */
export function signedTransferBody(signed: SignedZone, plain: Iterable<RRsetLike>, now = Math.floor(Date.now() / 1000)): Iterable<RRsetLike> {
  const cached = bodies.get(signed.zone);
  if (cached && cached.signed === signed && now < cached.refreshAt) return cached.body;
  return buildBody(signed, plain, now);
}

/** The chain the engine answers `denial: nsec` from, or the same computation for a compact-denial zone. */
function chainOf(signed: SignedZone): readonly NsecEntry[] {
  return signed.nsec?.chain ?? zoneNsecChain(signed.zone, signed.apex.values());
}

function* buildBody(signed: SignedZone, plain: Iterable<RRsetLike>, now: number): Generator<RRsetLike> {
  const { zone, signer } = signed;
  const origin = zone.origin;
  // The engine's apex RRsets (DNSKEY, CDS, CDNSKEY, with the SOA's TTL), as online answers give them.
  const byOwner = new Map<Name, RRsetLike[]>([[origin, [zone.soa, ...signed.apex.values()]]]);
  for (const set of plain) {
    if (SIGNER_OWNED.has(set.type)) continue;
    const list = byOwner.get(set.owner);
    if (list) list.push(set);
    else byOwner.set(set.owner, [set]);
  }
  const chain = new Map(chainOf(signed).map((e) => [e.owner, e]));
  const rrsig = (set: RRsetLike): RRsetLike => {
    const sigs = signer.signFresh(set.owner, set.type, set.ttl, set.rdata.map((r) => r.wire));
    return { owner: set.owner, type: Type.RRSIG, ttl: set.ttl, rdata: sigs.map((s) => opaqueRdata(s, rrsigText(s))) };
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
      const nsec: RRsetLike = { owner, type: Type.NSEC, ttl: zone.negativeTtl, rdata: [opaqueRdata(rd, nsecText(rd))] };
      yield emit(nsec);
      yield emit(rrsig(nsec));
    }
  }
  bodies.set(zone, { signed, refreshAt: signer.window.at(now).refreshAt, body });
}
