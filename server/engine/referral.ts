// Delegations: the highest zone cut at or above a name decides whether we
// answer or refer (RFC 1034 section 4.3.2 step 3b).
import { type Name, parentName } from '../wire/names.js';
import type { ZoneLike } from '../zones/image/adapter.js';

export function findCut(zone: ZoneLike, qname: Name): Name | undefined {
  let cut: Name | undefined;
  for (let n = qname; n !== zone.origin && n.length > zone.origin.length; n = parentName(n)) {
    if (zone.cuts.has(n)) cut = n;
  }
  return cut;
}
