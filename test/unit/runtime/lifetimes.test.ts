// How long cached answers may still name a member: the `wait` of a drain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePoolsYaml } from '../../../server/pools/parse.js';
import { AnswerLifetimes } from '../../../server/runtime/lifetimes.js';
import type { HealthLookup, MemberState } from '../../../server/pools/select.js';

const { pools } = parsePoolsYaml('pools:\n  web:\n    members: [192.0.2.1, 192.0.2.2, 192.0.2.3]\n    ttl: 60\n    degraded_ttl: 20\n', '_pools.yaml');

function setup(): { clock: { now: number }; states: Map<string, MemberState>; lt: AnswerLifetimes } {
  const clock = { now: 1_000_000 };
  const states = new Map<string, MemberState>();
  const health: HealthLookup = { state: (_p, m) => states.get(m.address) ?? 'up', latchedTier: () => undefined };
  const lt = new AnswerLifetimes(() => pools, health, () => clock.now);
  lt.stop();
  return { clock, states, lt };
}

test('a healthy pool: answers named the member with the full ttl (plus one observation interval)', () => {
  const { clock, lt } = setup();
  clock.now += 100_000; // well past the start-up assumption
  lt.observe();
  assert.equal(lt.remainingSeconds('web', '192.0.2.1'), 61);
  assert.equal(lt.remainingSeconds('*', '192.0.2.1'), 61, '* covers every pool');
  assert.equal(lt.remainingSeconds('web', '192.0.2.99'), 0, 'never named');
});

test('degraded for longer than ttl: the degraded_ttl is all that is left to wait', () => {
  const { clock, states, lt } = setup();
  states.set('192.0.2.3', 'down');
  clock.now += 100_000;
  lt.observe();
  assert.equal(lt.remainingSeconds('web', '192.0.2.1'), 21);
  assert.equal(lt.remainingSeconds('web', '192.0.2.3'), 0, 'down for long: no cached answer names it');
});

test('recently degraded: answers from before, with the full ttl, still count', () => {
  const { clock, states, lt } = setup();
  clock.now += 100_000;
  lt.observe(); // healthy: full ttl
  clock.now += 10_000;
  states.set('192.0.2.3', 'down');
  lt.observe(); // degraded now
  assert.equal(lt.remainingSeconds('web', '192.0.2.1'), 51, 'the full-ttl answer from 10 s ago outlives a degraded one');
});

test('just started: the longest TTL is assumed, since a predecessor may have served it', () => {
  const { states, lt } = setup();
  states.set('192.0.2.3', 'drain');
  lt.observe();
  assert.equal(lt.remainingSeconds('web', '192.0.2.3'), 61);
});
