// Wakes the server when a signing key changes phase (a rollover step), so a
// rollover moves on with nobody at the keyboard. Every load computes the
// signed zones' next key or serial change (runtime/signers.ts, serialStep);
// followKeys() sleeps until the earliest, then has every serving process
// rebuild the signers of the zones whose phases moved (ServedZones.rekey),
// without a recompile and without reading a file: the times were read with
// the keys. It also rekeys when the key directory changes, reading the keys
// of the zones whose files changed, so the key `keys roll` adds is published
// as soon as its files arrive. Times live in the key files, so a restart
// simply schedules afresh.

import { watchZones } from './watch.js';

/** setTimeout's ceiling (about 24.8 days); longer waits are taken in steps. */
const MAX_DELAY_MS = 2 ** 31 - 1;

export interface KeyTimer {
  /** Replaces any pending wake-up; `at` in seconds since 1970, undefined for none. */
  schedule(at: number | undefined): void;
  /** When the pending wake-up is due (seconds), if one is. */
  readonly due: number | undefined;
  stop(): void;
}

export interface KeyTimerOptions {
  /** Milliseconds since 1970; injectable for tests. */
  nowMs?: () => number;
  /** Wake this long after the change time so the new phase is certainly in force (default 1 s). */
  slackMs?: number;
}

export function keyTimer(onChange: () => void, o: KeyTimerOptions = {}): KeyTimer {
  const nowMs = o.nowMs ?? Date.now;
  const slack = o.slackMs ?? 1000;
  let timer: NodeJS.Timeout | undefined;
  let due: number | undefined;
  const clear = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    due = undefined;
  };
  const arm = (): void => {
    if (due === undefined) return;
    const wait = due * 1000 + slack - nowMs();
    timer = setTimeout(
      () => {
        timer = undefined;
        if (due !== undefined && due * 1000 + slack > nowMs()) return arm(); // a long wait taken in steps
        due = undefined;
        onChange();
      },
      Math.max(0, Math.min(wait, MAX_DELAY_MS)),
    );
    // The server stays up for its sockets, not for this timer.
    timer.unref();
  };
  return {
    schedule(at) {
      clear();
      due = at;
      arm();
    },
    get due() {
      return due;
    },
    stop: clear,
  };
}

/** After a rekey that could not read the keys, when to look again. */
const RETRY_SECONDS = 60;

/** What woke a rekey: a phase change or serial step came due, or something in the key directory changed. */
export type RekeyCause = 'clock' | 'files';

/** What followKeys needs of the served zones (ServedZones). */
export interface Rekeyable {
  /** Serves new signers when a zone's key phases moved; `files`: read the keys whose files changed first. */
  rekey(cause: RekeyCause): boolean;
  /** The next key phase change of the zones served (seconds), as of the last load or rekey. */
  readonly nextKeyChange: number | undefined;
}

export interface KeyFollower {
  /** Call after every load: waits for the new catalog's next key change. */
  loaded(): void;
  stop(): void;
}

/**
 * Keeps `zones`' signers in step with the key files in `keysDir`: rekeys at
 * each phase change (a second late, so the new phase is in force) and a
 * moment after anything in the directory changes. Every serving process
 * runs its own; they agree because they read the same files by the same clock.
 */
export function followKeys(zones: Rekeyable, keysDir: string, o: KeyTimerOptions & { debounceMs?: number } = {}): KeyFollower {
  const nowMs = o.nowMs ?? Date.now;
  const check = (cause: RekeyCause): void => {
    // A swap schedules through loaded(); without one the next change may still have moved.
    if (zones.rekey(cause)) return;
    const next = zones.nextKeyChange;
    // Keys that could not be read leave a change that is already past: try again later, not at once and forever.
    const now = Math.floor(nowMs() / 1000);
    timer.schedule(next !== undefined && next <= now ? now + RETRY_SECONDS : next);
  };
  const timer = keyTimer(() => check('clock'), o);
  const watcher = watchZones(keysDir, () => check('files'), o.debounceMs ?? 500);
  timer.schedule(zones.nextKeyChange);
  return {
    loaded: () => timer.schedule(zones.nextKeyChange),
    stop() {
      timer.stop();
      watcher.close();
    },
  };
}
