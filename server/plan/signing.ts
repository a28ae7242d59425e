// What turning a zone's signing (`dnssec:`) on or off does beyond its
// answers. Off: the served SOA serial, which runs ahead of the file's while
// the zone is signed (dnssec/serial.ts), falls back to the file's, and the
// parent's DS goes on asking resolvers for signatures. On: every server needs
// a key for the zone, or it refuses the whole load. Pure: the clock comes in.
import { nameToText, type Name } from '../wire/names.js';
import type { Zone } from '../zones/compile.js';
import { CHANGES_PER_PERIOD, periodOffset, resignPeriod, serialStep, servedSerial } from '../dnssec/serial.js';
import { ValidityWindow } from '../dnssec/window.js';
import { generateHint } from '../runtime/signers.js';
import type { PlanWarning } from './plan.js';

export interface SigningChange {
  before: boolean;
  after: boolean;
}

/** The re-sign period of the signatures `serve` makes (the default window, as runtime/signers.ts uses). */
const PERIOD = resignPeriod(new ValidityWindow());

export interface SignedSerialBounds {
  /** The highest serial a signed zone with this file serial can serve now (the step with every key change it can count). */
  servedNow: number;
  /** The lowest file serial above every serial it can serve until `until` (seconds): the end of the next re-sign period. */
  above: number;
  until: number;
}

/** Where a signed zone's served serial can be now and up to a week on, for a file serial, without its keys. */
export function signedSerialBounds(origin: Name, fileSerial: number, now: number): SignedSerialBounds {
  const s = serialStep([], PERIOD, now, periodOffset(origin, PERIOD));
  return {
    servedNow: servedSerial(fileSerial, s.step + CHANGES_PER_PERIOD - 1),
    // The next period's step is CHANGES_PER_PERIOD more, plus its own key changes: all below two periods' worth.
    above: servedSerial(fileSerial, s.step + 2 * CHANGES_PER_PERIOD),
    until: s.next + PERIOD,
  };
}

/** RFC 1982: is `a` below `b`? */
function serialBelow(a: number, b: number): boolean {
  const d = (b - a) >>> 0;
  return d !== 0 && d < 0x8000_0000;
}

/** The warnings for a zone whose signing changes (`now` in seconds); none when it does not. */
export function signingWarnings(before: Zone | undefined, after: Zone | undefined, now: number): PlanWarning[] {
  const was = before?.dnssec !== undefined;
  const is = after?.dnssec !== undefined;
  if (after && was && is && before!.dnssec!.algorithm !== after.dnssec!.algorithm) return [algorithmWarning(after, before!.dnssec!.algorithm)];
  if (!after || was === is) return [];
  const zone = nameToText(after.origin);
  if (is) {
    const hint = generateHint(after.origin, 'DIR', after.dnssec!.algorithm);
    return [
      {
        code: 'signing-on',
        zone,
        message:
          `${zone}: ${before ? 'signing is turned on' : 'the new zone is signed'} (dnssec:): every server needs an active key for it in its key directory before this goes live ` +
          `(${hint}, then copy the key files to each server), or it refuses the whole load and keeps serving the previous zones; give the parent the DS (pulsedns keys ds) only once every server signs`,
      },
    ];
  }
  const out: PlanWarning[] = [
    {
      code: 'signing-off-ds',
      zone,
      message: `${zone}: signing is turned off: remove the zone's DS at the parent first and wait out the DS TTL, or validating resolvers will reject every answer from the unsigned zone`,
    },
  ];
  const b = signedSerialBounds(after.origin, before!.serial, now);
  if (serialBelow(after.serial, b.above)) {
    const until = new Date(b.until * 1000).toISOString().slice(0, 10);
    out.push({
      code: 'signing-off-serial',
      zone,
      message:
        `${zone}: signing is turned off, so the served SOA serial falls from up to ${b.servedNow} (file serial ${before!.serial} plus the re-sign step, ${CHANGES_PER_PERIOD} more each week) ` +
        `to the file's ${after.serial}: secondaries hold the higher one and stop following the zone; set serial to ${b.above} or more in this change ` +
        `(above every serial served until ${until} UTC; dig SOA ${zone} shows the one served now)`,
    });
  }
  return out;
}

/**
 * The signing algorithm changes in place. Resolvers validate with the
 * algorithm the parent's DS names; a zone signed only with another one is
 * bogus to them until the DS is replaced and its TTL has run out. Doing it
 * safely is an algorithm rollover (RFC 6781 4.1.4: both algorithms' keys and
 * signatures side by side, then the DS, then the old key out), which
 * pulsedns does not do. And every server needs a key of the new algorithm.
 */
function algorithmWarning(after: Zone, was: number): PlanWarning {
  const zone = nameToText(after.origin);
  const is = after.dnssec!.algorithm;
  return {
    code: 'signing-algorithm',
    zone,
    message:
      `${zone}: the signing algorithm changes from ${was} to ${is}: validating resolvers reject the zone from the moment it is signed with ${is} ` +
      `until the parent's DS names a ${is} key and the old DS has left their caches (the DS TTL); pulsedns does no algorithm rollover, so either ` +
      `take the DS out at the parent first and wait out its TTL (the zone is insecure meanwhile), or keep algorithm ${was}; ` +
      `every server also needs an active ${is} key (${generateHint(after.origin, 'DIR', is)})`,
  };
}
