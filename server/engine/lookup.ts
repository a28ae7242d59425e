// The authoritative lookup of RFC 1034 section 4.3.2, with RFC 2308 negative
// answers and RFC 4592 wildcards. Pure: catalog + question -> plan of RRsets.
import { Rcode, Type } from '../wire/constants.js';
import { type Name, parentName, wildcardOf } from '../wire/names.js';
import type { RRset, Zone, ZoneNode } from '../zones/compile.js';
import type { Catalog } from './catalog.js';
import { findCut } from './referral.js';
import { addAdditional } from './additional.js';

export interface PlannedRRset {
  /** Owner to write: the query name for wildcard answers, else rrset.owner. */
  owner: Name;
  rrset: RRset;
}

export interface Plan {
  rcode: number;
  aa: boolean;
  answer: PlannedRRset[];
  authority: PlannedRRset[];
  additional: PlannedRRset[];
}

export interface LookupOptions {
  /** RFC 8482: over UDP an ANY query gets one RRset; over TCP all of them. */
  minimalAny: boolean;
}

/** Longest CNAME chain followed before giving up; real chains are short. */
const MAX_CHAIN = 12;

export function lookup(catalog: Catalog, zone: Zone, qname: Name, qtype: number, opts: LookupOptions): Plan {
  const plan: Plan = { rcode: Rcode.NOERROR, aa: true, answer: [], authority: [], additional: [] };
  const visited = new Set<Name>();
  let name = qname;
  let z: Zone | undefined = zone;
  for (let step = 0; z && step < MAX_CHAIN; step++) {
    visited.add(name);
    const answered = plan.answer.length;
    const referred = plan.authority.length;
    const next = lookupInZone(z, name, qtype, opts, plan, step === 0);
    for (let i = answered; i < plan.answer.length; i++) addAdditional(z, plan.answer[i]!.rrset, plan);
    for (let i = referred; i < plan.authority.length; i++) addAdditional(z, plan.authority[i]!.rrset, plan);
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
  if (cname && qtype !== Type.CNAME) {
    plan.answer.push({ owner, rrset: cname });
    return cname.rdata[0]!.target;
  }
  if (qtype === Type.ANY && node.rrsets.size > 0) {
    const sets = [...node.rrsets.values()].sort((a, b) => a.type - b.type);
    for (const s of opts.minimalAny ? sets.slice(0, 1) : sets) plan.answer.push({ owner, rrset: s });
    return undefined;
  }
  const set = node.rrsets.get(qtype);
  if (set) plan.answer.push({ owner, rrset: set });
  else plan.authority.push(negativeSoa(zone));
  return undefined;
}

/** SOA for negative answers, its TTL capped by the SOA minimum (RFC 2308 section 5). */
function negativeSoa(zone: Zone): PlannedRRset {
  const soa = zone.soa;
  if (zone.negativeTtl === soa.ttl) return { owner: soa.owner, rrset: soa };
  return { owner: soa.owner, rrset: { ...soa, ttl: zone.negativeTtl } };
}
