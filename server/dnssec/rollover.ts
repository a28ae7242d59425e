// CSK rollover on RFC 7583 timings, and where a zone's keys stand at a
// moment. Pure: times in, times out. `keys roll` writes the times this plans
// into the key timing files; a running server reads them at each reload and
// asks keyStateAt() when the next change is due, so a rollover moves on by
// the server's clock alone and survives restarts.
//
// The scheme is double-signature with a pre-published DNSKEY (docs/dnssec.md):
//   Publish(new)  = now
//   Activate(new) = Publish(new) + Dprp + TTLkey          (every cache has seen the new DNSKEY)
//   Retire(old)   = Activate(new) + max(Dprp + TTLmax, Dreg + TTLds)
//   Remove(old)   = Retire(old) + Dprp + TTLmax             (no cache holds an old signature)
// Between Activate(new) and Retire(old) both keys sign everything; CDS and
// CDNSKEY list the keys that sign, so the parent sees the new key's DS
// appear at Activate(new) and the old one's go at Retire(old). A CSK also
// signs the DNSKEY RRset, so the old key keeps signing until no cache can
// hold a DS set that names only the old key (the Dreg + TTLds term).
import type { ZoneKey } from './keys.js';
import { keyPhase } from './keys.js';

/** Seconds. The names follow RFC 7583 section 2. */
export interface RolloverTimings {
  /** Dprp: how long a change takes to reach every secondary (transfer delay, NOTIFY lost, SOA refresh). */
  propagation: number;
  /** TTLkey: the DNSKEY RRset's TTL. */
  dnskeyTtl: number;
  /** TTLmax: the largest TTL in the zone (every signed RRset, NSEC included). */
  maxZoneTtl: number;
  /** TTLds: the DS TTL at the parent. */
  dsTtl: number;
  /** Dreg + parent propagation: from CDS change (or the operator's upload) to the new DS being served by the parent. */
  registrarDelay: number;
}

/** Defaults for `keys roll`. pulsedns gives DNSKEY the zone's SOA TTL; pass the real one when it is longer than an hour. */
export const DEFAULT_TIMINGS: RolloverTimings = {
  propagation: 3600,
  dnskeyTtl: 3600,
  maxZoneTtl: 86_400,
  dsTtl: 86_400,
  registrarDelay: 86_400,
};

export interface RolloverPlan {
  /** Times for the new key (its created time is `now`). */
  next: { publish: number; activate: number };
  /** Times to add to every key now signing. */
  old: { retire: number; remove: number };
}

export function planRollover(now: number, t: RolloverTimings = DEFAULT_TIMINGS): RolloverPlan {
  const publish = now;
  const activate = publish + t.propagation + t.dnskeyTtl;
  const retire = activate + Math.max(t.propagation + t.maxZoneTtl, t.registrarDelay + t.dsTtl);
  return { next: { publish, activate }, old: { retire, remove: retire + t.propagation + t.maxZoneTtl } };
}

export interface KeyState {
  /** Keys whose DNSKEY is in the zone: published, active or retired, not removed. */
  published: ZoneKey[];
  /** Keys that sign (and are named by CDS/CDNSKEY). */
  active: ZoneKey[];
  /** Published but no longer signing. */
  retired: ZoneKey[];
  /** The earliest scheduled time after `now` at which any of these changes, if one is. */
  nextChange?: number;
}

/** Where `keys` stand at `now` (seconds), and when that next changes. */
export function keyStateAt(keys: readonly ZoneKey[], now: number): KeyState {
  const state: KeyState = { published: [], active: [], retired: [] };
  let next = Infinity;
  for (const k of keys) {
    const phase = keyPhase(k, now);
    if (phase === 'published' || phase === 'active' || phase === 'retired') state.published.push(k);
    if (phase === 'active') state.active.push(k);
    if (phase === 'retired') state.retired.push(k);
    for (const t of [k.timing.publish, k.timing.activate, k.timing.retire, k.timing.remove]) {
      if (t !== undefined && t > now && t < next) next = t;
    }
  }
  if (next !== Infinity) state.nextChange = next;
  return state;
}

/** Why a rollover cannot start now, or undefined when it can: one at a time, and something must be signing. */
export function rolloverBlocker(keys: readonly ZoneKey[], now: number): string | undefined {
  const s = keyStateAt(keys, now);
  if (s.active.length === 0) return 'no key is active; make one with `pulsedns keys generate`';
  const busy = keys.find((k) => {
    const p = keyPhase(k, now);
    return p === 'created' || p === 'published' || (p !== 'removed' && k.timing.retire !== undefined);
  });
  if (busy) return `a rollover is already under way (key ${busy.tag}); it ends when the last old key is removed`;
  return undefined;
}
