// Additional-section processing (RFC 1034 section 4.3.2 step 6): addresses
// of NS, MX and SRV targets that live in the same zone, glue included.
import { Type } from '../wire/constants.js';
import { isSubdomain } from '../wire/names.js';
import { findCut } from './referral.js';
import type { RRsetLike, ZoneLike } from '../zones/image/adapter.js';
import { resolvePool } from './pooled.js';
import type { LookupOptions, LookupResult } from './sections.js';

const WANTS_ADDRESSES = new Set<number>([Type.NS, Type.MX, Type.SRV]);

/** Adds the A and AAAA RRsets of `rrset`'s targets, when `zone` holds them. */
export function addAdditional(zone: ZoneLike, rrset: RRsetLike, res: LookupResult, opts: LookupOptions, glue = false): void {
  if (!WANTS_ADDRESSES.has(rrset.type)) return;
  for (const rd of rrset.rdata) {
    const t = rd.target;
    if (t === undefined || !isSubdomain(t, zone.origin)) continue;
    if (res.additional.some((e) => e.owner === t)) continue;
    const below = zone.cuts.size > 0 && findCut(zone, t) !== undefined;
    if (!glue && below) continue;
    const node = zone.nodes.get(t);
    if (!node) continue;
    for (const type of [Type.A, Type.AAAA]) {
      const set = node.rrsets.get(type);
      // Pool-backed targets (a mail server behind a pool) get the same healthy choice an A query would.
      const chosen = set && resolvePool(set, opts, res, true);
      // Glue (at or below a cut) is not the zone's authoritative data: it goes unsigned (RFC 4035 2.2).
      if (chosen && chosen.rdata.length) res.additional.push(below ? { owner: t, rrset: chosen } : { owner: t, rrset: chosen, zone });
    }
  }
}
