// The key timer wired to the served zones: followKeys rekeys when a phase
// change is due and when the key directory changes; ServedZones.rekey swaps
// in new signers (and the stepped serial) only when a zone's key phases
// moved, logs the change once, and keeps the old signers when the keys
// cannot be used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { followKeys } from '../../../server/runtime/keytimer.js';
import { ServedZones } from '../../../server/runtime/reloader.js';
import { Stats } from '../../../server/runtime/stats.js';
import { createKey } from '../../../server/dnssec/keys.js';
import { DIFF_ORIGIN, signedDiffZone } from '../../support/rollover.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('followKeys: a change in the key directory and a due phase change both rekey; stop() ends both', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-keytimer-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const calls: number[] = [];
  const zones = { nextKeyChange: undefined as number | undefined, rekey: () => (calls.push(Date.now()), false) };
  const follower = followKeys(zones, dir, { debounceMs: 50, slackMs: 0 });
  writeFileSync(join(dir, 'Kexample.com.+013+12345.timing'), 'x');
  await sleep(400);
  assert.equal(calls.length, 1, 'one rekey for one burst of file changes');
  zones.nextKeyChange = Math.floor(Date.now() / 1000) + 1;
  follower.loaded();
  await sleep(zones.nextKeyChange * 1000 + 300 - Date.now());
  // The fake never moves nextKeyChange on: like keys that cannot be read, a change left in the past is retried a minute later, not in a loop.
  assert.equal(calls.length, 2, 'the due change rekeyed, once');
  // A rekey that swapped nothing still schedules the next change it found.
  zones.nextKeyChange = Math.floor(Date.now() / 1000) + 1;
  follower.loaded();
  follower.stop();
  writeFileSync(join(dir, 'another'), 'x');
  await sleep(zones.nextKeyChange * 1000 + 300 - Date.now());
  assert.equal(calls.length, 2, 'stopped: neither the timer nor the watcher fires');
});

test('ServedZones.rekey: new signers and a stepped serial only when key phases moved, logged once; unusable keys keep the old ones', async (t) => {
  const { zones, keysDir } = signedDiffZone(t, 'pulsedns-rekey-');
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
  const served = new ServedZones(zones, log, new Stats(), { keysDir });
  assert.ok(await served.reload());
  const before = served.current;
  const serial = before.zones.get(DIFF_ORIGIN)!.serial;
  assert.ok(serial > 2024060101, 'a signed zone serves a serial ahead of the file');
  assert.equal(served.rekey(), false, 'nothing moved: the catalog stays');
  assert.equal(served.current, before);

  // A key published now and active in an hour: a rollover's first step.
  const now = Math.floor(Date.now() / 1000);
  const next = createKey(keysDir, DIFF_ORIGIN, 13, now, { publish: now, activate: now + 3600 });
  assert.equal(served.rekey(), true);
  const after = served.current;
  assert.notEqual(after, before);
  assert.equal(after.signed.get(DIFF_ORIGIN)!.signer.dnskeys.length, 2, 'both DNSKEYs published');
  assert.equal(after.signed.get(DIFF_ORIGIN)!.signer.cds.length, 1, 'CDS still names the signing key only');
  assert.equal(after.zones.get(DIFF_ORIGIN)!.serial, serial + 1, 'the publish time stepped the serial');
  assert.equal(served.nextKeyChange, now + 3600);
  assert.equal(lines.filter((l) => l.includes('DNSSEC key phase change')).length, 1);
  assert.equal(served.rekey(), false, 'the same phases again: no second swap, no second line');
  assert.equal(lines.filter((l) => l.includes('DNSSEC key phase change')).length, 1);

  writeFileSync(`${next.base}.key`, 'garbage\n');
  assert.equal(served.rekey(), false);
  assert.equal(served.current, after, 'a broken key file keeps the signers in use');
  assert.ok(lines.some((l) => l.includes('still signing with the previous ones')));
});
