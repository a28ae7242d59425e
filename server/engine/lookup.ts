// The authoritative lookup of RFC 1034 section 4.3.2, with RFC 2308 negative
// answers and RFC 4592 wildcards. Pure: catalog + question -> res of RRsets.
import { Rcode, Type } from '../wire/constants.js';
import type { Name } from '../wire/names.js';
import type { NodeLike, ZoneLike } from '../zones/image/adapter.js';
import type { Catalog } from './catalog.js';
import { findCut } from './referral.js';
import { addAdditional } from './additional.js';
import { wildcardFor } from './wildcard.js';
import { resolvePool } from './pooled.js';
import type { LookupOptions, LookupResult, PlannedRRset } from './sections.js';

/** Longest CNAME chain followed before giving up; real chains are short. */
const MAX_CHAIN = 16;

export function lookup(catalog: Catalog, zone: ZoneLike, qname: Name, qtype: number, opts: LookupOptions): LookupResult {
  const res: LookupResult = { rcode: Rcode.NOERROR, aa: true, dynamic: false, pooled: 0, reshuffle: null, reshuffleable: true, answer: [], authority: [], additional: [] };
  const visited = new Set<Name>();
  let name = qname;
  let z: ZoneLike | undefined = zone;
  for (let step = 0; z && step < MAX_CHAIN; step++) {
    visited.add(name);
    const answered = res.answer.length;
    const referred = res.authority.length;
    const next = lookupInZone(z, name, qtype, opts, res, step === 0);
    // ANY gets no additional addresses, as from NSD, Knot and BIND (RFC 8482 keeps ANY answers small).
    if (qtype !== Type.ANY) for (let i = answered; i < res.answer.length; i++) addAdditional(z, res.answer[i]!.rrset, res, opts);
    for (let i = referred; i < res.authority.length; i++) {
      const set = res.authority[i]!.rrset;
      // Glue below a cut is sent only with the referral it belongs to (RFC 1034 4.2.1).
      addAdditional(z, set, res, opts, set.type === Type.NS && set.owner !== z.origin);
    }
    if (next === undefined || visited.has(next)) break;
    name = next;
    z = catalog.findZone(name);
  }
  return res;
}

/** Fills `res` for one name in one zone; returns the CNAME target to follow, if any. */
function lookupInZone(zone: ZoneLike, qname: Name, qtype: number, opts: LookupOptions, res: LookupResult, first: boolean): Name | undefined {
  const cut = zone.cuts.size ? findCut(zone, qname) : undefined;
  if (cut !== undefined && !(cut === qname && qtype === Type.DS)) {
    // Below a delegation we are not authoritative: refer (RFC 1034 4.3.2 step 3b).
    if (first) res.aa = false;
    res.authority.push({ owner: cut, rrset: zone.nodes.get(cut)!.rrsets.get(Type.NS)! });
    return undefined;
  }
  const node = zone.nodes.get(qname);
  if (node) return answerFromNode(zone, node, qname, qtype, opts, res);
  if (zone.hasWildcards) {
    const wild = wildcardFor(zone, qname);
    if (wild) return answerFromNode(zone, wild, qname, qtype, opts, res);
  }
  res.rcode = Rcode.NXDOMAIN;
  res.authority.push(negativeSoa(zone));
  return undefined;
}

function answerFromNode(zone: ZoneLike, node: NodeLike, owner: Name, qtype: number, opts: LookupOptions, res: LookupResult): Name | undefined {
  res.rcode = Rcode.NOERROR;
  const cname = node.rrsets.get(Type.CNAME);
  // ANY matches the CNAME itself (RFC 1034 4.3.2 step 3a): no chasing.
  if (cname && qtype !== Type.CNAME && qtype !== Type.ANY) {
    res.answer.push({ owner, rrset: cname });
    return cname.rdata[0]!.target;
  }
  if (qtype === Type.ANY && node.rrsets.size > 0) {
    const sets = [...node.rrsets.values()].sort((a, b) => a.type - b.type);
    // ANY is best effort: a pool with nothing to give (empty or servfail) is left out,
    // never turning the whole answer into SERVFAIL.
    for (const s of opts.minimalAny ? sets.slice(0, 1) : sets) {
      const chosen = resolvePool(s, opts, res, true);
      if (chosen && chosen.rdata.length) res.answer.push({ owner, rrset: chosen });
    }
    if (res.answer.length === 0) res.authority.push(negativeSoa(zone));
    return undefined;
  }
  const set = node.rrsets.get(qtype);
  const chosen = set && resolvePool(set, opts, res);
  if (chosen && chosen.rdata.length) res.answer.push({ owner, rrset: chosen });
  else if (res.rcode !== Rcode.SERVFAIL) res.authority.push(negativeSoa(zone));
  return undefined;
}

/** SOA for negative answers, its TTL capped by the SOA minimum (RFC 2308 section 5). */
function negativeSoa(zone: ZoneLike): PlannedRRset {
  const soa = zone.soa;
  if (zone.negativeTtl === soa.ttl) return { owner: soa.owner, rrset: soa };
  return { owner: soa.owner, rrset: { ...soa, ttl: zone.negativeTtl } };
}
