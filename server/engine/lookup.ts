// The authoritative lookup of RFC 1034 section 4.3.2, with RFC 2308 negative
// answers and RFC 4592 wildcards. Pure: catalog + question -> plan of RRsets.
import { Rcode, Type } from '../wire/constants.js';
import { type Name, parentName, wildcardOf } from '../wire/names.js';
import type { RRset, Zone, ZoneNode } from '../zones/compile.js';
import type { Catalog } from './catalog.js';
import { findCut } from './referral.js';
import { addAdditional } from './additional.js';
import { selectMembers, type HealthLookup } from '../pools/select.js';

export interface PlannedRRset {
  /** Owner to write: the query name for wildcard answers, else rrset.owner. */
  owner: Name;
  rrset: RRset;
}

export interface Plan {
  rcode: number;
  aa: boolean;
  /** Holds per-query choices (pools): must not be served from the response cache. */
  dynamic: boolean;
  /** Pool-backed RRsets in the plan. */
  pooled: number;
  /**
   * The one pool-backed RRset, when its addresses are a shuffle of a set fixed
   * by health: the response may be cached per health generation and reshuffled.
   */
  reshuffle: RRset | null;
  /** False once any pool's answer was cut or weighted (then never cached). */
  reshuffleable: boolean;
  answer: PlannedRRset[];
  authority: PlannedRRset[];
  additional: PlannedRRset[];
}

export interface LookupOptions {
  /** RFC 8482: over UDP an ANY query gets one RRset; over TCP all of them. */
  minimalAny: boolean;
  health: HealthLookup;
}

/** Longest CNAME chain followed before giving up; real chains are short. */
const MAX_CHAIN = 16;

export function lookup(catalog: Catalog, zone: Zone, qname: Name, qtype: number, opts: LookupOptions): Plan {
  const plan: Plan = { rcode: Rcode.NOERROR, aa: true, dynamic: false, pooled: 0, reshuffle: null, reshuffleable: true, answer: [], authority: [], additional: [] };
  const visited = new Set<Name>();
  let name = qname;
  let z: Zone | undefined = zone;
  for (let step = 0; z && step < MAX_CHAIN; step++) {
    visited.add(name);
    const answered = plan.answer.length;
    const referred = plan.authority.length;
    const next = lookupInZone(z, name, qtype, opts, plan, step === 0);
    // ANY gets no additional addresses, as from NSD, Knot and BIND (RFC 8482 keeps ANY answers small).
    if (qtype !== Type.ANY) for (let i = answered; i < plan.answer.length; i++) addAdditional(z, plan.answer[i]!.rrset, plan, opts);
    for (let i = referred; i < plan.authority.length; i++) {
      const set = plan.authority[i]!.rrset;
      // Glue below a cut is sent only with the referral it belongs to (RFC 1034 4.2.1).
      addAdditional(z, set, plan, opts, set.type === Type.NS && set.owner !== z.origin);
    }
    if (next === undefined || visited.has(next)) break;
    name = next;
    z = catalog.findZone(name);
  }
  return plan;
}

/** Fills `plan` for one name in one zone; returns the CNAME target to follow, if any. */
function lookupInZone(zone: Zone, qname: Name, qtype: number, opts: LookupOptions, plan: Plan, first: boolean): Name | undefined {
  const cut = zone.cuts.size ? findCut(zone, qname) : undefined;
  if (cut !== undefined && !(cut === qname && qtype === Type.DS)) {
    // Below a delegation we are not authoritative: refer (RFC 1034 4.3.2 step 3b).
    if (first) plan.aa = false;
    plan.authority.push({ owner: cut, rrset: zone.nodes.get(cut)!.rrsets.get(Type.NS)! });
    return undefined;
  }
  const node = zone.nodes.get(qname);
  if (node) return answerFromNode(zone, node, qname, qtype, opts, plan);
  if (zone.hasWildcards) {
    const wild = wildcardFor(zone, qname);
    if (wild) return answerFromNode(zone, wild, qname, qtype, opts, plan);
  }
  plan.rcode = Rcode.NXDOMAIN;
  plan.authority.push(negativeSoa(zone));
  return undefined;
}

/** RFC 4592: the source of synthesis is `*.` + the closest encloser, which may be an empty non-terminal. */
function wildcardFor(zone: Zone, qname: Name): ZoneNode | undefined {
  let encloser = parentName(qname);
  while (!zone.nodes.has(encloser)) encloser = parentName(encloser);
  return zone.nodes.get(wildcardOf(encloser));
}

function answerFromNode(zone: Zone, node: ZoneNode, owner: Name, qtype: number, opts: LookupOptions, plan: Plan): Name | undefined {
  plan.rcode = Rcode.NOERROR;
  const cname = node.rrsets.get(Type.CNAME);
  // ANY matches the CNAME itself (RFC 1034 4.3.2 step 3a): no chasing.
  if (cname && qtype !== Type.CNAME && qtype !== Type.ANY) {
    plan.answer.push({ owner, rrset: cname });
    return cname.rdata[0]!.target;
  }
  if (qtype === Type.ANY && node.rrsets.size > 0) {
    const sets = [...node.rrsets.values()].sort((a, b) => a.type - b.type);
    // ANY is best effort: a pool with nothing to give (empty or servfail) is left out,
    // never turning the whole answer into SERVFAIL.
    for (const s of opts.minimalAny ? sets.slice(0, 1) : sets) {
      const chosen = resolvePool(s, opts, plan, true);
      if (chosen && chosen.rdata.length) plan.answer.push({ owner, rrset: chosen });
    }
    if (plan.answer.length === 0) plan.authority.push(negativeSoa(zone));
    return undefined;
  }
  const set = node.rrsets.get(qtype);
  const chosen = set && resolvePool(set, opts, plan);
  if (chosen && chosen.rdata.length) plan.answer.push({ owner, rrset: chosen });
  else if (plan.rcode !== Rcode.SERVFAIL) plan.authority.push(negativeSoa(zone));
  return undefined;
}

/**
 * The RRset to send for `set`: itself when static, else the healthy members
 * chosen now. An empty result means NODATA; undefined means SERVFAIL was set
 * (or, with `optional`, that the set is simply left out).
 */
export function resolvePool(set: RRset, opts: LookupOptions, plan: Plan, optional = false): RRset | undefined {
  const pool = set.pool;
  if (!pool) return set;
  plan.dynamic = true;
  plan.pooled++;
  const sel = selectMembers(pool, set.type === Type.A ? 4 : 6, opts.health);
  if (!sel.complete) plan.reshuffleable = false;
  if (sel.servfail) {
    if (optional) return undefined; // additional data and ANY never fail the main answer
    plan.rcode = Rcode.SERVFAIL;
    plan.answer.length = 0;
    return undefined;
  }
  const chosen: RRset = { owner: set.owner, type: set.type, ttl: sel.ttl, rdata: sel.rdata };
  plan.reshuffle = chosen;
  return chosen;
}

/** SOA for negative answers, its TTL capped by the SOA minimum (RFC 2308 section 5). */
function negativeSoa(zone: Zone): PlannedRRset {
  const soa = zone.soa;
  if (zone.negativeTtl === soa.ttl) return { owner: soa.owner, rrset: soa };
  return { owner: soa.owner, rrset: { ...soa, ttl: zone.negativeTtl } };
}
