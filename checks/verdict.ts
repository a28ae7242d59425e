// The shared verdict on a member from every vantage's report. Every server
// computes it from the same store, so nameservers agree.
import type { VantageReport } from './store/types.js';

/** A vantage silent for this many of its intervals no longer votes. */
export const STALE_INTERVALS = 3;
/** With no fresh vantage, the last verdict holds this long, then we fail open (default of --stale-hold). */
export const HOLD_MS = 5 * 60_000;

export interface Verdict {
  up: boolean;
  /** Vantages whose reports are fresh, and how many of them say down. */
  fresh: number;
  down: number;
  /** No fresh vantage: `held` while the last verdict is kept, `failedOpen` after. */
  held: boolean;
  failedOpen: boolean;
  /** When the verdict last had fresh votes behind it. */
  decidedAt: number;
}

export function isFresh(r: VantageReport, now: number): boolean {
  return now - r.at <= STALE_INTERVALS * r.intervalMs;
}

/**
 * Down when a strict majority of fresh vantages say down (a tie stays up:
 * with doubt, answering with a member beats answering with nothing).
 */
export function decide(reports: readonly VantageReport[] | undefined, now: number, previous?: Verdict, holdMs = HOLD_MS): Verdict {
  const fresh = (reports ?? []).filter((r) => isFresh(r, now));
  if (fresh.length > 0) {
    const down = fresh.filter((r) => !r.up).length;
    return { up: down * 2 <= fresh.length, fresh: fresh.length, down, held: false, failedOpen: false, decidedAt: now };
  }
  const hadVerdict = previous !== undefined && (previous.fresh > 0 || previous.held);
  if ((!reports || reports.length === 0) && !hadVerdict) {
    // Never probed yet: cold start counts as healthy.
    return { up: true, fresh: 0, down: 0, held: false, failedOpen: false, decidedAt: previous?.decidedAt ?? now };
  }
  // Reports gone stale, or gone altogether (a Redis restarted without persistence):
  // hold what we knew rather than bring a dead member back. The hold runs
  // from the moment the last vote went stale, worked out from the reports
  // themselves, so every server holding them (one that ran throughout, one
  // restarted from its saved view) fails open at the same moment.
  const lastDecided = reports && reports.length > 0
    ? Math.max(...reports.map((r) => r.at + STALE_INTERVALS * r.intervalMs))
    : previous?.decidedAt ?? now;
  if (now - lastDecided < holdMs) {
    const list = reports ?? [];
    const up = previous ? previous.up : list.filter((r) => !r.up).length * 2 <= list.length;
    return { up, fresh: 0, down: 0, held: true, failedOpen: false, decidedAt: lastDecided };
  }
  return { up: true, fresh: 0, down: 0, held: false, failedOpen: true, decidedAt: lastDecided };
}
