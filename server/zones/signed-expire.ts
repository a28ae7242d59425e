// The SOA expire of a zone served signed. A secondary keeps serving a zone
// until the expire runs out, counted from its last successful refresh; what
// it serves are the signatures of its last transfer. pulsedns steps a signed
// zone's served serial at least every 7 days (the re-sign period,
// dnssec/serial.ts) and each step's transfer carries signatures made afresh,
// valid 14 days (less the one-hour time quantum). A secondary cut off from
// pulsedns has refreshed a serial at most 7 days after its transfer, so it
// answers with signatures that are still valid only if 7 days + expire stay
// under 14 days - 1 hour. 6 days leaves almost a day for clocks and refresh
// timing. Only a warning: the zone still serves, and the operator may run
// secondaries that re-sign or that never lose the primary for long.
import { Type } from '../wire/constants.js';
import { nameToText, type Name } from '../wire/names.js';
import type { DnssecOption } from './dnssec-option.js';
import type { SourcePos, ZoneError, ZoneSource } from './model.js';
import type { CompactZone } from './table.js';

/** The largest SOA expire (seconds) with which a signed zone's secondaries stop before its signatures expire. */
export const SIGNED_EXPIRE_MAX = 6 * 86400;

interface ZoneHead {
  origin: Name;
  dnssec?: DnssecOption;
}

/** The warning for a signed zone whose apex SOA (its RDATA `wire`, written at `pos`) has too long an expire. */
export function signedExpireWarning(zone: ZoneHead, wire: Uint8Array, pos: SourcePos): ZoneError | undefined {
  if (!zone.dnssec) return undefined;
  // The expire is the fourth of the five numbers that end the SOA RDATA.
  const expire = new DataView(wire.buffer, wire.byteOffset, wire.byteLength).getUint32(wire.byteLength - 8);
  if (expire <= SIGNED_EXPIRE_MAX) return undefined;
  return {
    ...pos,
    message:
      `SOA expire ${expire} (${days(expire)}) is above ${SIGNED_EXPIRE_MAX} (${days(SIGNED_EXPIRE_MAX)}), the limit for a zone served signed (dnssec:): ` +
      `a secondary cut off from pulsedns would go on answering for ${nameToText(zone.origin)} with signatures that have expired, which validating resolvers reject; set expire to 6d or less`,
  };
}

function days(seconds: number): string {
  const d = Math.round((seconds / 86400) * 10) / 10;
  return `${d} day${d === 1 ? '' : 's'}`;
}

/** `check`'s form of the rule (lint.ts): a parsed zone. */
export function sourceExpireWarnings(zone: ZoneSource): ZoneError[] {
  const soa = zone.records.find((r) => r.type === Type.SOA && r.owner === zone.origin);
  const w = soa && signedExpireWarning(zone, soa.rdata.wire, soa.pos);
  return w ? [w] : [];
}

/** The loader's form (image/worker.ts): a zone as a record table. */
export function compactExpireWarnings(zone: CompactZone): ZoneError[] {
  if (!zone.dnssec) return [];
  const t = zone.records;
  for (let i = 0; i < t.count; i++) {
    if (t.type[i] !== Type.SOA || t.names[t.owner[i]!] !== zone.origin) continue;
    const w = signedExpireWarning(zone, t.wire(i), t.pos(i, zone.file));
    return w ? [w] : [];
  }
  return [];
}
