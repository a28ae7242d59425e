// Fall/rise per vantage and the shared verdict across vantages. Both are pure
// functions of their inputs and a time argument, so a plain number is the clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FallRise } from '../../../checks/state.js';
import { decide, isFresh, HOLD_MS, STALE_INTERVALS, type Verdict } from '../../../checks/verdict.js';
import type { VantageReport } from '../../../checks/store/types.js';
import { makeRng } from '../../support/rng.js';

const T0 = 1_700_000_000_000;
const INTERVAL = 10_000;

/** Feeds results one interval apart; returns the index of each flip. */
function feed(s: FallRise, results: boolean[], start = T0): number[] {
  const flips: number[] = [];
  results.forEach((ok, i) => {
    if (s.observe(ok, start + i * INTERVAL, ok ? undefined : 'HTTP 503')) flips.push(i);
  });
  return flips;
}

test('FallRise: cold start is up, and successes keep it up', () => {
  const s = new FallRise(T0, 3, 5);
  assert.equal(s.up, true);
  assert.equal(s.since, T0);
  assert.deepEqual(feed(s, [true, true, true]), []);
  assert.equal(s.up, true);
  assert.equal(s.since, T0, 'no flip, no new since');
});

test('FallRise: exactly `fall` consecutive failures take it down', () => {
  for (const fall of [1, 2, 3, 7]) {
    const s = new FallRise(T0, fall, 2);
    const fails = Array.from({ length: fall }, () => false);
    const flips = feed(s, fails);
    assert.deepEqual(flips, [fall - 1], `fall=${fall}`);
    assert.equal(s.up, false);
    assert.equal(s.since, T0 + (fall - 1) * INTERVAL);
    assert.equal(s.lastReason, 'HTTP 503');
  }
});

test('FallRise: a success in between resets the failure run', () => {
  const s = new FallRise(T0, 3, 2);
  assert.deepEqual(feed(s, [false, false, true, false, false, true, false, false]), []);
  assert.equal(s.up, true);
  assert.equal(s.observe(false, T0 + 100 * INTERVAL), true);
  assert.equal(s.up, false);
});

test('FallRise: `rise` consecutive successes bring it back; failures reset the run', () => {
  const s = new FallRise(T0, 2, 4);
  feed(s, [false, false]);
  assert.equal(s.up, false);
  // Three good, one bad: the run of 4 never completes.
  assert.deepEqual(feed(s, [true, true, true, false, true, true, true], T0 + 10 * INTERVAL), []);
  assert.equal(s.up, false);
  assert.equal(s.observe(true, T0 + 50 * INTERVAL), true);
  assert.equal(s.up, true);
  assert.equal(s.since, T0 + 50 * INTERVAL);
});

test('FallRise: further failures while down do not flip again', () => {
  const s = new FallRise(T0, 1, 1);
  assert.deepEqual(feed(s, [false, false, false, true, true, false]), [0, 3, 5]);
});

test('FallRise: a flapping member never flips faster than fall/rise allow', () => {
  for (const [fall, rise, seed] of [[3, 5, 1], [2, 2, 2], [1, 3, 3], [4, 1, 4]] as const) {
    const rand = makeRng(seed);
    const s = new FallRise(T0, fall, rise);
    const results: boolean[] = [];
    let flips = 0;
    // Lean towards success so both directions happen often.
    for (let i = 0; i < 5000; i++) {
      const ok = rand() < 0.6;
      results.push(ok);
      const wasUp = s.up;
      const flipped = s.observe(ok, T0 + i * INTERVAL);
      assert.equal(flipped, s.up !== wasUp, 'observe reports exactly the flips');
      // The trailing run of identical results must reach the threshold at a flip, and not before.
      let run = 0;
      for (let j = results.length - 1; j >= 0 && results[j] === ok; j--) run++;
      if (flipped) {
        flips++;
        if (s.up) assert.ok(ok && run >= rise, `up after a run of ${run} < rise ${rise}`);
        else assert.ok(!ok && run >= fall, `down after a run of ${run} < fall ${fall}`);
      } else if (wasUp && !ok) assert.ok(run < fall, `still up after ${run} failures (fall ${fall})`);
      else if (!wasUp && ok) assert.ok(run < rise, `still down after ${run} successes (rise ${rise})`);
    }
    assert.ok(flips > 10, `the sequence should flap (fall=${fall} rise=${rise}, ${flips} flips)`);
  }
});

test('FallRise: strict alternation never flips when fall and rise exceed 1', () => {
  const s = new FallRise(T0, 2, 2);
  const flips = feed(s, Array.from({ length: 200 }, (_, i) => i % 2 === 0));
  assert.deepEqual(flips, []);
  assert.equal(s.up, true);
});

function report(vantage: string, up: boolean, at: number, intervalMs = INTERVAL): VantageReport {
  return { vantage, up, at, intervalMs, since: at - 60_000, ...(up ? {} : { reason: 'connect ECONNREFUSED' }) };
}

test('decide: no reports at all is up (cold start)', () => {
  for (const reports of [undefined, []]) {
    const v = decide(reports, T0);
    assert.equal(v.up, true);
    assert.equal(v.fresh, 0);
    assert.equal(v.held, false);
    assert.equal(v.failedOpen, false);
  }
});

test('decide: a strict majority of fresh vantages is needed to go down', () => {
  const cases: Array<[boolean[], boolean]> = [
    [[true], true],
    [[false], false],
    [[true, true, false], true], // 1 of 3 down
    [[true, false, false], false], // 2 of 3 down
    [[false, false, false], false],
    [[true, false], true], // 1 of 2: a tie stays up
    [[false, false], false],
    [[true, true, false, false], true], // 2 of 4: tie
    [[true, false, false, false], false],
  ];
  for (const [votes, up] of cases) {
    const reports = votes.map((v, i) => report(`v${i}`, v, T0 - 1000));
    const d = decide(reports, T0);
    assert.equal(d.up, up, `votes ${JSON.stringify(votes)}`);
    assert.equal(d.fresh, votes.length);
    assert.equal(d.down, votes.filter((v) => !v).length);
    assert.equal(d.decidedAt, T0);
    assert.equal(d.held, false);
  }
});

test('decide: a vantage silent for more than 3 intervals no longer votes', () => {
  const limit = STALE_INTERVALS * INTERVAL;
  assert.equal(isFresh(report('a', true, T0 - limit), T0), true, 'exactly 3 intervals is still fresh');
  assert.equal(isFresh(report('a', true, T0 - limit - 1), T0), false);
  // Two stale "down" votes would outvote the fresh one if they counted.
  const reports = [report('a', false, T0 - limit - 1), report('b', false, T0 - 10 * INTERVAL), report('c', true, T0 - 500)];
  const d = decide(reports, T0);
  assert.equal(d.up, true);
  assert.equal(d.fresh, 1);
  assert.equal(d.down, 0);
  // And the other way round: stale "up" votes do not rescue a member a fresh vantage sees down.
  const d2 = decide([report('a', true, T0 - limit - 1), report('b', true, T0 - limit - 1), report('c', false, T0)], T0);
  assert.equal(d2.up, false);
  assert.equal(d2.fresh, 1);
});

test('decide: freshness follows each report\'s own interval', () => {
  const slow = report('slow', false, T0 - 100_000, 60_000); // 100 s old, 3 x 60 s window
  const fast = report('fast', true, T0 - 100_000, 10_000); // 100 s old, 3 x 10 s window
  const d = decide([slow, fast], T0);
  assert.equal(d.fresh, 1);
  assert.equal(d.up, false);
});

test('decide: with no fresh vantage the last verdict holds for 5 minutes, then fails open', () => {
  const reports = [report('a', false, T0), report('b', false, T0), report('c', true, T0)];
  let v: Verdict = decide(reports, T0);
  assert.equal(v.up, false);
  // Tick once a second as LiveHealth does, the probers having gone silent at T0.
  const stale = T0 + STALE_INTERVALS * INTERVAL;
  let heldFrom: number | undefined;
  let openedAt: number | undefined;
  for (let now = T0 + 1000; now <= T0 + HOLD_MS + 120_000; now += 1000) {
    v = decide(reports, now, v);
    if (now <= stale) {
      assert.equal(v.held, false);
      assert.equal(v.up, false);
      continue;
    }
    if (v.held) {
      heldFrom ??= now;
      assert.equal(v.up, false, 'held verdict keeps the member down');
      assert.equal(v.fresh, 0);
    } else if (v.failedOpen) {
      openedAt ??= now;
      assert.equal(v.up, true);
    } else assert.fail(`unexpected verdict at +${now - T0} ms: ${JSON.stringify(v)}`);
  }
  assert.equal(heldFrom, stale + 1000);
  // Five minutes from the last moment a fresh vantage spoke.
  assert.equal(openedAt, stale + HOLD_MS);
  assert.equal(v.decidedAt, stale);
});

test('decide: a held up verdict stays up, and a fresh report ends the hold or the fail-open', () => {
  const reports = [report('a', true, T0)];
  const first = decide(reports, T0);
  const held = decide(reports, T0 + 60_000, first);
  assert.equal(held.held, true);
  assert.equal(held.up, true);

  const down = [report('a', false, T0)];
  const staleAt = T0 + STALE_INTERVALS * INTERVAL;
  const open = decide(down, staleAt + HOLD_MS + 10_000, decide(down, T0));
  assert.equal(open.failedOpen, true);
  assert.equal(open.up, true);
  const back = decide([report('a', false, staleAt + HOLD_MS + 20_000)], staleAt + HOLD_MS + 20_000, open);
  assert.equal(back.failedOpen, false);
  assert.equal(back.held, false);
  assert.equal(back.up, false);
});

test('decide: only stale reports and no previous verdict (a server just started)', () => {
  const recent = [report('a', false, T0 - 60_000), report('b', false, T0 - 60_000), report('c', true, T0 - 60_000)];
  const v = decide(recent, T0);
  assert.equal(v.held, true, 'stale for less than 5 minutes: the stale majority still counts');
  assert.equal(v.up, false);
  // The hold runs from when the reports went stale (3 intervals after their time).
  const old = recent.map((r) => ({ ...r, at: T0 - HOLD_MS - STALE_INTERVALS * INTERVAL - 1 }));
  const w = decide(old, T0);
  assert.equal(w.failedOpen, true);
  assert.equal(w.up, true);
});

test('decide: a server restarted from saved reports fails open at the same moment as one that ran throughout', () => {
  const reports = [report('a', false, T0), report('b', false, T0 + 700), report('c', true, T0 + 300)];
  const hold = 60_000;
  const openAt = (from: number, start: Verdict | undefined, tick: number): number => {
    let v = start;
    for (let now = from; ; now += tick) {
      v = decide(reports, now, v, hold);
      if (v.failedOpen) return now;
    }
  };
  // Ran throughout, ticking at an odd phase; restarted 20 s in with the verdict it had saved.
  const ran = openAt(T0 + 1, undefined, 7);
  const saved = decide(reports, T0 + 800, undefined, hold);
  const restarted = openAt(T0 + 20_000, saved, 7);
  assert.ok(Math.abs(ran - restarted) <= 7, `ran throughout: ${ran - T0} ms, restarted: ${restarted - T0} ms`);
  assert.ok(Math.abs(ran - (T0 + 700 + STALE_INTERVALS * INTERVAL + hold)) <= 7);
});

test('reports that vanish (a Redis restarted empty) hold the last verdict instead of reviving the member', () => {
  const t0 = 1_000_000;
  const down = decide([{ vantage: 'a', up: false, at: t0, intervalMs: 1000, since: t0 }], t0);
  assert.equal(down.up, false);
  const afterWipe = decide([], t0 + 500, down);
  assert.equal(afterWipe.up, false, 'still down right after the store lost its reports');
  assert.equal(afterWipe.held, true);
  const stillHeld = decide(undefined, t0 + 60_000, afterWipe);
  assert.equal(stillHeld.up, false);
  const open = decide([], t0 + 5 * 60_000 + 1, stillHeld);
  assert.equal(open.up, true, 'after the hold, fail open');
  assert.equal(open.failedOpen, true);
});
