// The served serial of a signed zone (dnssec/serial.ts): it steps at every
// re-sign period and at every key timing point, never goes back along a
// whole rollover, and is the same for every server reading the same keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKey, loadZoneKeys, writeTiming, type ZoneKey } from '../../../server/dnssec/keys.js';
import { planRollover } from '../../../server/dnssec/rollover.js';
import { CHANGES_PER_PERIOD, periodOffset, RESIGN_EPOCH, resignPeriod, serialStep, servedSerial } from '../../../server/dnssec/serial.js';
import { ValidityWindow } from '../../../server/dnssec/window.js';
import { serialNewer } from '../../../server/xfr/axfr.js';
import { nameFromText } from '../../../server/wire/names.js';

const ZONE = nameFromText('example.com.');
const DAY = 86_400;
const PERIOD = resignPeriod(new ValidityWindow());

test('the re-sign period leaves the secondaries refresh-before of validity when the next serial comes', () => {
  assert.equal(PERIOD, 7 * DAY);
  assert.equal(resignPeriod(new ValidityWindow({ validity: 10 * DAY, refreshBefore: 3 * DAY })), 7 * DAY);
});

test('serialStep: one step per period, one per key timing point passed within it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-serial-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const start = RESIGN_EPOCH + 40 * PERIOD;
  // Generated long before: its publish/activate points are in an earlier period.
  const key = createKey(dir, ZONE, 13, start - 30 * DAY);
  assert.deepEqual(serialStep([key], PERIOD, start + 10), { step: 40 * CHANGES_PER_PERIOD, next: start + PERIOD });
  assert.deepEqual(serialStep([key], PERIOD, start + PERIOD), { step: 41 * CHANGES_PER_PERIOD, next: start + 2 * PERIOD });
  assert.equal(serialStep([key], PERIOD, RESIGN_EPOCH - 5 * DAY).step, 0, 'before the epoch: no step');

  const roll = start + DAY;
  const plan = planRollover(roll, { propagation: 3600, dnskeyTtl: 3600, maxZoneTtl: DAY, dsTtl: DAY, registrarDelay: DAY });
  const next = createKey(dir, ZONE, 13, roll, plan.next);
  key.timing = { ...key.timing, retire: plan.old.retire, remove: plan.old.remove };
  writeTiming(key);
  const keys: ZoneKey[] = loadZoneKeys(dir, ZONE).keys;
  assert.equal(next.timing.publish, next.timing.activate! - 7200);
  assert.deepEqual(serialStep(keys, PERIOD, roll - 1), { step: 40 * CHANGES_PER_PERIOD, next: roll });
  assert.deepEqual(serialStep(keys, PERIOD, roll), { step: 40 * CHANGES_PER_PERIOD + 1, next: plan.next.activate });
  assert.deepEqual(serialStep(keys, PERIOD, plan.next.activate), { step: 40 * CHANGES_PER_PERIOD + 2, next: plan.old.retire });

  // A sweep over three periods: the step (and so the serial) never goes back, and changes exactly at the planned moments.
  const moments = new Set([roll, plan.next.activate, plan.old.retire, plan.old.remove, start + PERIOD, start + 2 * PERIOD]);
  let last = serialStep(keys, PERIOD, start).step;
  for (let now = start + 600; now < start + 3 * PERIOD; now += 600) {
    const s = serialStep(keys, PERIOD, now);
    const changedAt = [...moments].filter((m) => m > now - 600 && m <= now);
    if (changedAt.length) assert.ok(s.step > last, `a step at ${now - start}s`);
    else assert.equal(s.step, last, `no step at ${now - start}s`);
    assert.ok(s.next > now);
    last = s.step;
  }
  // A second server with a copy of the files computes the same.
  assert.deepEqual(serialStep(loadZoneKeys(dir, ZONE).keys, PERIOD, plan.old.retire + 5), serialStep(keys, PERIOD, plan.old.retire + 5));
});

test('periodOffset: zones start their periods at different moments, the same on every server', () => {
  const offsets = ['example.com.', 'example.net.', 'a.example.com.', 'diff.test.'].map((z) => periodOffset(nameFromText(z), PERIOD));
  assert.equal(new Set(offsets).size, offsets.length);
  for (const o of offsets) assert.ok(o >= 0 && o < PERIOD && Number.isInteger(o));
  assert.equal(periodOffset(nameFromText('example.com.'), PERIOD), offsets[0]);
  // With an offset the period boundary moves by as much.
  const at = RESIGN_EPOCH + 10 * PERIOD + offsets[0]!;
  assert.equal(serialStep([], PERIOD, at - 1, offsets[0]).step + CHANGES_PER_PERIOD, serialStep([], PERIOD, at, offsets[0]).step);
  assert.equal(serialStep([], PERIOD, at - 1, offsets[0]).next, at);
});

test('servedSerial: the file serial plus the step, in RFC 1982 arithmetic', () => {
  assert.equal(servedSerial(2024060101, 760), 2024060861);
  const wrapped = servedSerial(0xffff_fff0, 0x20);
  assert.equal(wrapped, 0x10);
  assert.ok(serialNewer(wrapped, 0xffff_fff0), 'past 2^32 the served serial is still newer');
});
