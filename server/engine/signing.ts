// Online signing of one planned answer (DO set, zone served signed): the
// RRSIGs of every authoritative RRset, the denial proof of a negative answer
// (compact, RFC 9824, or the zone's classic NSEC chain), DS or its absence at
// a referral, and the wildcard proofs `denial: nsec` needs. Runs between
// lookup() and the writer; the signatures come from the zone's ZoneSigner,
// which caches them, so a repeated RRset is signed once per validity period.
// RRsets that exist for one query name only (compact denials, wildcard
// expansions signed as the name) are signed outside that cache: the whole
// answer is what gets kept for them.
import { Rcode, Type } from '../wire/constants.js';
import { type Name, wildcardOf } from '../wire/names.js';
import type { WireRdata } from '../wire/response.js';
import type { RRsetLike, ZoneLike, NodeLike } from '../zones/image/adapter.js';
import { rdataSetId } from '../dnssec/signer.js';
import { compactNodata, compactNxdomain, nsecRdata, type NsecEntry } from '../dnssec/denial.js';
import type { Catalog } from './catalog.js';
import { closestEncloser } from './closest.js';
import type { SignedZone } from './signed.js';
import { opaqueRdata } from './signed.js';
import type { Denial, LookupResult, PlannedRRset } from './sections.js';

export interface SigningOutcome {
  /** The rcode to send (compact denial turns NXDOMAIN into NOERROR unless the client set CO). */
  rcode: number;
  /**
   * False when the response is one of an unbounded family (a compact denial
   * or a wildcard expansion per query name): not for the response cache,
   * where a flood of random names would evict the answers in real use;
   * answer.ts keeps it in the signed answer cache (signedanswers.ts) instead.
   */
  cacheable: boolean;
}

/**
 * Stable ids of static RRsets' data, so their signatures are found again
 * without re-canonicalizing. Keyed by the rdata array, which copies of an
 * RRset share (the negative-answer SOA is one, made per query with its TTL).
 */
const setIds = new WeakMap<object, string>();

/**
 * The signer cache's name for an RRset's data. Pool answers (A/AAAA, fixed
 * width) are named by their sorted member addresses: one signature per member
 * subset, whatever order the shuffle gives. Static RRsets by their canonical
 * data, remembered per RRset object.
 */
export function setIdOf(rrset: RRsetLike): string {
  if (rrset.type === Type.A || rrset.type === Type.AAAA) {
    const parts: string[] = [];
    for (const r of rrset.rdata) parts.push(r.wire.toString('latin1'));
    return parts.sort().join('');
  }
  let id = setIds.get(rrset.rdata);
  if (id === undefined) {
    id = rdataSetId(rrset.type, rrset.rdata.map((r) => r.wire));
    setIds.set(rrset.rdata, id);
  }
  return id;
}

/** RRSIG rdata as the writer lays it down, made once per signature array (the signer returns cached arrays). */
const sigRdata = new WeakMap<readonly Buffer[], readonly WireRdata[]>();

function asRdata(sigs: readonly Buffer[]): readonly WireRdata[] {
  let w = sigRdata.get(sigs);
  if (!w) {
    w = sigs.map((b) => opaqueRdata(b, ''));
    sigRdata.set(sigs, w);
  }
  return w;
}

/** Signatures made for one answer and dropped after it: no WeakMap entry, which would outlive nothing. */
function onceRdata(sigs: readonly Buffer[]): readonly WireRdata[] {
  return sigs.map((b) => opaqueRdata(b, ''));
}

/** Signs `e` in place: `signOwner` differs from e.owner for a wildcard expansion signed as the wildcard. */
function signEntry(sz: SignedZone, e: PlannedRRset, signOwner: Name = e.owner): void {
  const r = e.rrset;
  e.sigs = asRdata(sz.signer.sign(signOwner, r.type, r.ttl, r.rdata.map((d) => d.wire), setIdOf(r)));
}

/** Signs `e`, an RRset that exists for this query name only, outside the signature cache. */
function signOnceEntry(sz: SignedZone, e: PlannedRRset): void {
  const r = e.rrset;
  e.sigs = onceRdata(sz.signer.signOnce(e.owner, r.type, r.ttl, r.rdata.map((d) => d.wire)));
}

/**
 * An NSEC RRset (one record) at `owner`. `perName`: it exists for this
 * query name only (a compact denial of a name that is not there), so it is
 * signed outside the signature cache; the others (chain links, NODATA at
 * names that exist) are found there again.
 */
function nsecEntry(sz: SignedZone, owner: Name, rdata: Buffer, perName = false): PlannedRRset {
  const set: RRsetLike = { owner, type: Type.NSEC, ttl: sz.zone.negativeTtl, rdata: [opaqueRdata(rdata, '')] };
  const e: PlannedRRset = { owner, rrset: set, zone: sz.zone };
  e.sigs = perName ? onceRdata(sz.signer.signOnce(owner, Type.NSEC, set.ttl, [rdata])) : asRdata(sz.signer.sign(owner, Type.NSEC, set.ttl, [rdata]));
  return e;
}

/** The chain link as an NSEC entry; for NODATA at its owner, `without` is left out of the bitmap. */
function chainEntry(sz: SignedZone, link: NsecEntry, without?: number): PlannedRRset {
  const types = without === undefined ? link.types : link.types.filter((t) => t !== without);
  return nsecEntry(sz, link.owner, nsecRdata(link.next, types));
}

/** Types that exist at a node for a NODATA bitmap: at a cut only NS and DS are the parent's (RFC 4035 2.3). */
function typesAt(sz: SignedZone, node: NodeLike | undefined, name: Name, qtype: number): number[] {
  const out: number[] = [];
  if (node) for (const t of node.rrsets.keys()) out.push(t);
  if (name === sz.zone.origin) for (const t of sz.apex.keys()) out.push(t);
  const cut = sz.zone.cuts.has(name);
  // The asked type is never listed: an empty pool answer is a NODATA like any other.
  return out.filter((t) => t !== qtype && (!cut || t === Type.NS || t === Type.DS));
}

/** The one NSEC of a compact denial (RFC 9824) of `d`. */
function compactProof(sz: SignedZone, d: Denial): PlannedRRset {
  if (d.kind === 'nxdomain') {
    const n = compactNxdomain(d.name);
    return nsecEntry(sz, n.owner, n.rdata, true);
  }
  const n = compactNodata(d.name, typesAt(sz, d.node, d.wildcard ?? d.name, d.qtype));
  // NODATA under a wildcard is owned by the query name, one per name like an NXDOMAIN.
  return nsecEntry(sz, n.owner, n.rdata, d.wildcard !== undefined);
}

/**
 * A query for type NSEC cannot be denied: the NSEC that would prove NODATA
 * lists NSEC itself, and validators call such an answer bogus. The name's
 * NSEC is answered instead, as data (Knot's mod-onlinesign does the same):
 * with compact denial the one made for the name, with `denial: nsec` the
 * name's own chain link. Returns false where the denial stands: a missing
 * name asked with CO (its NXNAME NSEC proves NXDOMAIN), and with a chain a
 * name without a link of its own (missing, empty non-terminal, wildcard).
 */
function answerNsec(sz: SignedZone, res: LookupResult, compactOk: boolean): boolean {
  const d = res.denial!;
  let e: PlannedRRset;
  if (!sz.nsec) {
    if (d.kind === 'nxdomain' && compactOk) return false;
    e = compactProof(sz, d);
  } else {
    const link = sz.nsec.find(d.name);
    if (d.kind !== 'nodata' || d.wildcard !== undefined || link.owner !== d.name) return false;
    e = chainEntry(sz, link);
  }
  res.answer.push(e);
  res.authority = res.authority.filter((p) => p.rrset.type !== Type.SOA);
  return true;
}

/**
 * RRSIG is never stored, so a query for it would get a NODATA whose NSEC
 * lists RRSIG: a proof validators call bogus. Signatures are made per RRset
 * on demand and only ever sent beside their RRset, so the query is refused,
 * as Knot's mod-onlinesign does (the oracle where the RFCs leave room).
 */
function refuseRrsig(res: LookupResult): number {
  res.answer.length = 0;
  res.authority.length = 0;
  res.additional.length = 0;
  res.aa = false;
  return Rcode.REFUSED;
}

/** Adds the NSEC records proving the negative answer; returns the rcode to send. */
function addDenial(sz: SignedZone, res: LookupResult, compactOk: boolean): number {
  const d = res.denial!;
  if (d.qtype === Type.RRSIG) return refuseRrsig(res);
  if (d.qtype === Type.NSEC && answerNsec(sz, res, compactOk)) return Rcode.NOERROR;
  const chain = sz.nsec;
  if (!chain) {
    res.authority.push(compactProof(sz, d));
    return d.kind === 'nxdomain' ? (compactOk ? Rcode.NXDOMAIN : Rcode.NOERROR) : res.rcode;
  }
  const proofs: PlannedRRset[] = [];
  const add = (e: PlannedRRset): void => {
    if (!proofs.some((p) => p.owner === e.owner)) proofs.push(e);
  };
  if (d.kind === 'nxdomain') {
    // RFC 4035 3.1.3.2: the name is covered, and so is the wildcard that could have matched.
    add(chainEntry(sz, chain.find(d.name)));
    add(chainEntry(sz, chain.find(wildcardOf(closestEncloser(sz.zone, d.name)))));
  } else if (d.wildcard !== undefined) {
    // RFC 4035 3.1.3.4: the wildcard lacks the type, and the name itself does not exist.
    add(chainEntry(sz, chain.find(d.wildcard), d.qtype));
    add(chainEntry(sz, chain.find(d.name)));
  } else {
    const link = chain.find(d.name);
    // The name's own link, or (an empty non-terminal) the one covering it.
    add(link.owner === d.name ? chainEntry(sz, link, d.qtype) : chainEntry(sz, link));
  }
  res.authority.push(...proofs);
  return res.rcode;
}

/** DS and its RRSIG after the NS of a referral; for an unsigned child, the NSEC proving no DS (RFC 4035 3.1.4). */
function addReferralProof(sz: SignedZone, res: LookupResult, cut: Name): void {
  const node = sz.zone.nodes.get(cut);
  const ds = node?.rrsets.get(Type.DS);
  if (ds) {
    const e: PlannedRRset = { owner: cut, rrset: ds, zone: sz.zone };
    signEntry(sz, e);
    res.authority.push(e);
    return;
  }
  if (sz.nsec) {
    res.authority.push(chainEntry(sz, sz.nsec.find(cut)));
    return;
  }
  const n = compactNodata(cut, typesAt(sz, node, cut, Type.DS));
  res.authority.push(nsecEntry(sz, n.owner, n.rdata));
}

/**
 * Adds signatures and proofs to `res` for a DO query. Entries of zones not
 * served signed, a referral's NS and glue stay as they are.
 */
export function signResult(catalog: Catalog, res: LookupResult, compactOk: boolean): SigningOutcome {
  const signedOf = (z: ZoneLike | undefined): SignedZone | undefined => (z ? catalog.signed.get(z.origin) : undefined);
  let cacheable = true;
  let rcode = res.rcode;
  const expanded: { sz: SignedZone; name: Name }[] = [];
  for (const section of [res.answer, res.authority, res.additional]) {
    for (const e of section) {
      const sz = signedOf(e.zone);
      if (!sz) continue;
      if (e.owner !== e.rrset.owner) {
        // A wildcard expansion. Compact: signed as the query name, a complete answer by itself
        // (one signature per name). nsec: signed as the wildcard, with the proof that the name is absent.
        cacheable = false;
        if (sz.nsec) {
          signEntry(sz, e, e.rrset.owner);
          if (!expanded.some((x) => x.name === e.owner)) expanded.push({ sz, name: e.owner });
          continue;
        }
        // Pool-backed answers are never kept whole, so their signatures stay in the signature cache.
        if (!res.dynamic) {
          signOnceEntry(sz, e);
          continue;
        }
      }
      signEntry(sz, e);
    }
  }
  for (const { sz, name } of expanded) {
    const link = sz.nsec!.find(name);
    if (!res.authority.some((p) => p.owner === link.owner && p.rrset.type === Type.NSEC)) res.authority.push(chainEntry(sz, link));
  }
  const dz = signedOf(res.denial?.zone);
  if (dz) {
    rcode = addDenial(dz, res, compactOk);
    if (res.denial!.kind === 'nxdomain' || res.denial!.wildcard !== undefined) cacheable = false;
  }
  const rz = res.referral && signedOf(res.referral.zone);
  if (rz) addReferralProof(rz, res, res.referral!.cut);
  return { rcode, cacheable };
}
