// Wildcard synthesis (RFC 4592): which `*` node answers for a name the zone lacks.
import { type Name, wildcardOf } from '../wire/names.js';
import type { NodeLike, ZoneLike } from '../zones/image/adapter.js';
import { closestEncloser } from './closest.js';

/** RFC 4592: the source of synthesis is `*.` + the closest encloser, which may be an empty non-terminal. */
export function wildcardFor(zone: ZoneLike, qname: Name): NodeLike | undefined {
  return zone.nodes.get(wildcardOf(closestEncloser(zone, qname)));
}
