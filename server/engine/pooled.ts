// Pool-backed RRsets in an answer: the members health allows now, chosen by
// pools/select.ts, and what that does to the result (never cached as a fixed
// response; SERVFAIL when the pool says so).
import { Rcode, Type } from '../wire/constants.js';
import type { RRsetLike } from '../zones/image/adapter.js';
import { selectMembers } from '../pools/select.js';
import type { LookupOptions, LookupResult } from './sections.js';

/**
 * The RRset to send for `set`: itself when static, else the healthy members
 * chosen now. An empty result means NODATA; undefined means SERVFAIL was set
 * (or, with `optional`, that the set is simply left out).
 */
export function resolvePool(set: RRsetLike, opts: LookupOptions, res: LookupResult, optional = false): RRsetLike | undefined {
  const pool = set.pool;
  if (!pool) return set;
  res.dynamic = true;
  res.pooled++;
  const sel = selectMembers(pool, set.type === Type.A ? 4 : 6, opts.health);
  if (!sel.complete) res.reshuffleable = false;
  if (sel.servfail) {
    if (optional) return undefined; // additional data and ANY never fail the main answer
    res.rcode = Rcode.SERVFAIL;
    res.answer.length = 0;
    return undefined;
  }
  const chosen: RRsetLike = { owner: set.owner, type: set.type, ttl: sel.ttl, rdata: sel.rdata };
  res.reshuffle = chosen;
  return chosen;
}
