// Additional-section processing (RFC 1034 section 4.3.2 step 6): addresses
// of NS, MX and SRV targets that live in the same zone, glue included.
import { Type } from '../wire/constants.js';
import { isSubdomain } from '../wire/names.js';
import type { RRset, Zone } from '../zones/compile.js';
import type { Plan } from './lookup.js';

const WANTS_ADDRESSES = new Set<number>([Type.NS, Type.MX, Type.SRV]);

/** Adds the A and AAAA RRsets of `rrset`'s targets, when `zone` holds them. */
export function addAdditional(zone: Zone, rrset: RRset, plan: Plan): void {
  if (!WANTS_ADDRESSES.has(rrset.type)) return;
  for (const rd of rrset.rdata) {
    const t = rd.target;
    if (t === undefined || !isSubdomain(t, zone.origin)) continue;
    if (plan.additional.some((e) => e.owner === t)) continue;
    const node = zone.nodes.get(t);
    if (!node) continue;
    const a = node.rrsets.get(Type.A);
    const aaaa = node.rrsets.get(Type.AAAA);
    if (a) plan.additional.push({ owner: t, rrset: a });
    if (aaaa) plan.additional.push({ owner: t, rrset: aaaa });
  }
}
