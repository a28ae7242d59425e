// The closest encloser of a name that does not exist (RFC 4592 section 3.3.1):
// its longest ancestor present in the zone, empty non-terminals included.
import { type Name, parentName } from '../wire/names.js';
import type { ZoneLike } from '../zones/image/adapter.js';

/** `qname` must be inside the zone and absent from it; the apex always exists, so the walk ends. */
export function closestEncloser(zone: ZoneLike, qname: Name): Name {
  let encloser = parentName(qname);
  while (!zone.nodes.has(encloser)) encloser = parentName(encloser);
  return encloser;
}
