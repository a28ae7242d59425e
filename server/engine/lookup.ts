// The authoritative lookup of RFC 1034 section 4.3.2, with RFC 2308 negative
// answers and RFC 4592 wildcards. Pure: catalog + question -> res of RRsets.
import { Rcode, Type } from '../wire/constants.js';
import type { Name } from '../wire/names.js';
import type { RRsetLike, ZoneLike, NodeLike } from '../zones/image/adapter.js';
import type { Catalog } from './catalog.js';
import { findCut } from './referral.js';
import { addAdditional } from './additional.js';
import { wildcardFor } from './wildcard.js';
import { resolvePool } from './pooled.js';
import type { LookupOptions, LookupResult, PlannedRRset } from './sections.js';

/** Longest CNAME chain followed before giving up; real chains are short. */
const MAX_CHAIN = 16;

export function lookup(catalog: Catalog, zone: ZoneLike, qname: Name, qtype: number, opts: LookupOptions): LookupResult {
  const res: LookupResult = {
    rcode: Rcode.NOERROR,
    aa: true,
    dynamic: false,
    pooled: 0,
    reshuffle: null,
    reshuffleable: true,
    answer: [],
    authority: [],
    additional: [],
    denial: null,
    referral: null,
  };
  // Made when the first CNAME is followed: most lookups follow none.
  let visited: Set<Name> | undefined;
  let name = qname;
  let z: ZoneLike | undefined = zone;
  for (let step = 0; z && step < MAX_CHAIN; step++) {
    visited?.add(name);
    const answered = res.answer.length;
    const referred = res.authority.length;
    const next = lookupInZone(catalog, z, name, qtype, opts, res, step === 0);
    // ANY gets no additional addresses, as from NSD, Knot and BIND (RFC 8482 keeps ANY answers small).
    if (qtype !== Type.ANY) for (let i = answered; i < res.answer.length; i++) addAdditional(z, res.answer[i]!.rrset, res, opts);
    for (let i = referred; i < res.authority.length; i++) {
      const set = res.authority[i]!.rrset;
      // Glue below a cut is sent only with the referral it belongs to (RFC 1034 4.2.1).
      addAdditional(z, set, res, opts, set.type === Type.NS && set.owner !== z.origin);
    }
    if (next === undefined) break;
    visited ??= new Set<Name>([name]);
    if (visited.has(next)) break;
    name = next;
    z = catalog.findZone(name);
  }
  return res;
}

/** Fills `res` for one name in one zone; returns the CNAME target to follow, if any. */
function lookupInZone(catalog: Catalog, zone: ZoneLike, qname: Name, qtype: number, opts: LookupOptions, res: LookupResult, first: boolean): Name | undefined {
  const cut = zone.cuts.size ? findCut(zone, qname) : undefined;
  if (cut !== undefined && !(cut === qname && qtype === Type.DS)) {
    // Below a delegation we are not authoritative: refer (RFC 1034 4.3.2 step 3b).
    if (first) res.aa = false;
    res.authority.push({ owner: cut, rrset: zone.nodes.get(cut)!.rrsets.get(Type.NS)! });
    res.referral = { zone, cut };
    return undefined;
  }
  const node = zone.nodes.get(qname);
  // A signed zone's apex also holds DNSKEY, CDS and CDNSKEY (engine/signed.ts).
  const extra = qname === zone.origin ? catalog.signed.get(zone.origin)?.apex : undefined;
  if (node) return answerFromNode(zone, node, qname, qtype, opts, res, extra);
  if (zone.hasWildcards) {
    const wild = wildcardFor(zone, qname);
    if (wild) return answerFromNode(zone, wild, qname, qtype, opts, res);
  }
  res.rcode = Rcode.NXDOMAIN;
  res.authority.push(negativeSoa(zone));
  res.denial = { zone, name: qname, kind: 'nxdomain', qtype };
  return undefined;
}

function answerFromNode(zone: ZoneLike, node: NodeLike, owner: Name, qtype: number, opts: LookupOptions, res: LookupResult, extra?: ReadonlyMap<number, RRsetLike>): Name | undefined {
  res.rcode = Rcode.NOERROR;
  const cname = node.rrsets.get(Type.CNAME);
  // ANY matches the CNAME itself (RFC 1034 4.3.2 step 3a): no chasing. In a
  // signed zone NSEC and RRSIG live beside the CNAME (RFC 4035 2.5), so asking
  // for them is asking about the owner; validators reject a CNAME for them.
  if (cname && qtype !== Type.CNAME && qtype !== Type.ANY && !(zone.dnssec && (qtype === Type.NSEC || qtype === Type.RRSIG))) {
    res.answer.push({ owner, rrset: cname, zone });
    return cname.rdata[0]!.target;
  }
  if (qtype === Type.ANY && (node.rrsets.size > 0 || extra?.size)) {
    const own = extra ? [...node.rrsets.values()].filter((x) => !extra.has(x.type)) : [...node.rrsets.values()];
    const sets = [...own, ...(extra?.values() ?? [])].sort((a, b) => a.type - b.type);
    // ANY is best effort: a pool with nothing to give (empty or servfail) is left out,
    // never turning the whole answer into SERVFAIL.
    for (const s of opts.minimalAny ? sets.slice(0, 1) : sets) {
      const chosen = resolvePool(s, opts, res, true);
      if (chosen && chosen.rdata.length) res.answer.push({ owner, rrset: chosen, zone });
    }
    if (res.answer.length === 0) denyData(zone, node, owner, qtype, res);
    return undefined;
  }
  // The key directory's DNSKEY/CDS/CDNSKEY replace any the zone file has at the apex.
  const set = extra?.get(qtype) ?? node.rrsets.get(qtype);
  const chosen = set && resolvePool(set, opts, res);
  if (chosen && chosen.rdata.length) res.answer.push({ owner, rrset: chosen, zone });
  else if (res.rcode !== Rcode.SERVFAIL) denyData(zone, node, owner, qtype, res);
  return undefined;
}

/** NODATA: the SOA, and what a signed zone's denial proof needs to know. */
function denyData(zone: ZoneLike, node: NodeLike, name: Name, qtype: number, res: LookupResult): void {
  res.authority.push(negativeSoa(zone));
  const nodeOwner = node.rrsets.values().next().value?.owner;
  res.denial = { zone, name, kind: 'nodata', qtype, node, ...(nodeOwner !== undefined && nodeOwner !== name ? { wildcard: nodeOwner } : {}) };
}

/** SOA for negative answers, its TTL capped by the SOA minimum (RFC 2308 section 5). */
function negativeSoa(zone: ZoneLike): PlannedRRset {
  const soa = zone.soa;
  if (zone.negativeTtl === soa.ttl) return { owner: soa.owner, rrset: soa, zone };
  return { owner: soa.owner, rrset: { ...soa, ttl: zone.negativeTtl }, zone };
}
