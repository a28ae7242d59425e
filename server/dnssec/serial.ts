// How far a signed zone's served SOA serial is ahead of its zone file's, so
// that secondaries, which fetch a zone only when its serial changes, get new
// signatures before theirs expire and every DNSKEY/CDS change of a rollover.
// Knot increments the serial whenever it re-signs; pulsedns signs online
// and has no journal, so the step is a pure function of the clock and the
// key files: every server sharing the keys computes the same serial, and a
// restart changes nothing.
//
//   step = period * CHANGES_PER_PERIOD + (key timing points in this period so far)
//
// `period` counts re-sign periods (validity - refresh-before: 7 days by
// default) since RESIGN_EPOCH plus the zone's own offset within a period
// (from its name, so the zones of a server do not all send their secondaries
// to transfer at the same moment). A transfer made in one period carries
// signatures valid for the whole validity (14 days), and the next period's
// serial change brings fresh ones while at least refresh-before (7 days)
// remain. Each key publish, activate, retire or remove time passed in the
// current period adds one, so a rollover step reaches the secondaries at once.
import type { Name } from '../wire/names.js';
import type { ZoneKey } from './keys.js';
import type { ValidityWindow } from './window.js';

/** 2026-01-01T00:00:00Z: periods are counted from here so that steps stay small. */
export const RESIGN_EPOCH = 1_767_225_600;

/** Key changes counted within one period; any beyond wait for the next period's step. */
export const CHANGES_PER_PERIOD = 16;

export interface SerialStep {
  /** Added to the zone file's serial (RFC 1982 arithmetic). */
  step: number;
  /** When the step next changes (seconds): the next period or the next key timing point. */
  next: number;
}

/** The re-sign period of a validity window: a serial change this often keeps the secondaries' signatures fresh. */
export function resignPeriod(window: ValidityWindow): number {
  return window.validity - window.refreshBefore;
}

/** Where in each period a zone's period starts (seconds): FNV-1a of its name, the same on every server. */
export function periodOffset(origin: Name, period: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < origin.length; i++) h = Math.imul(h ^ origin.charCodeAt(i), 0x01000193) >>> 0;
  return h % period;
}

/** The serial step of a zone with these keys at `now` (seconds); `offset`: periodOffset of the zone. */
export function serialStep(keys: readonly ZoneKey[], period: number, now: number, offset = 0): SerialStep {
  const epoch = RESIGN_EPOCH + offset;
  // Before the epoch (only a test's clock is there) periods still bound the next change; the step starts at 0.
  const p = Math.floor((now - epoch) / period);
  const start = epoch + p * period;
  // Counted per key and time, not per distinct time: two keys changing in the same second are two changes.
  let passed = 0;
  let next = start + period;
  for (const k of keys) {
    for (const t of [k.timing.publish, k.timing.activate, k.timing.retire, k.timing.remove]) {
      if (t === undefined) continue;
      // A phase starts at its time (keyPhase: now >= t).
      if (t > start && t <= now) passed++;
      else if (t > now && t < next) next = t;
    }
  }
  return { step: Math.max(0, p) * CHANGES_PER_PERIOD + Math.min(passed, CHANGES_PER_PERIOD - 1), next };
}

/** The serial served for a zone file serial and a step (mod 2^32, RFC 1982). */
export function servedSerial(fileSerial: number, step: number): number {
  return (fileSerial + step) >>> 0;
}
