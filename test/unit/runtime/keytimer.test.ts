// The key timer wired to the served zones: followKeys rekeys when a phase
// change is due and when the key directory changes; ServedZones.rekey swaps
// in new signers (and the stepped serial) only when a zone's key phases
// moved, logs the change once, and keeps the old signers when the keys
// cannot be used. A rekey for a directory change reads only the zones whose
// key files changed; one on the clock reads no file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { followKeys, type RekeyCause } from '../../../server/runtime/keytimer.js';
import { ServedZones } from '../../../server/runtime/reloader.js';
import { Stats } from '../../../server/runtime/stats.js';
import { createKey, writeTiming } from '../../../server/dnssec/keys.js';
import { keyTag } from '../../../server/dnssec/dnskey.js';
import { Type } from '../../../server/wire/constants.js';
import { nameFromText, type Name } from '../../../server/wire/names.js';
import type { Catalog } from '../../../server/engine/catalog.js';
import { DIFF_ORIGIN, signedDiffZone } from '../../support/rollover.js';
import { ask } from '../../support/engine.js';
import { buildQuery } from '../../support/dnsmsg.js';
import { rawSections, signatureProblems, type RawRR } from '../../support/signed-answers.js';
import { SMALL_SIGNED_ZONE } from '../../support/zones.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('followKeys: a change in the key directory and a due phase change both rekey; stop() ends both', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-keytimer-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const calls: RekeyCause[] = [];
  const zones = { nextKeyChange: undefined as number | undefined, rekey: (cause: RekeyCause) => (calls.push(cause), false) };
  const follower = followKeys(zones, dir, { debounceMs: 50, slackMs: 0 });
  writeFileSync(join(dir, 'Kexample.com.+013+12345.timing'), 'x');
  await sleep(400);
  assert.deepEqual(calls, ['files'], 'one rekey for one burst of file changes');
  zones.nextKeyChange = Math.floor(Date.now() / 1000) + 1;
  follower.loaded();
  await sleep(zones.nextKeyChange * 1000 + 300 - Date.now());
  // The fake never moves nextKeyChange on: like keys that cannot be read, a change left in the past is retried a minute later, not in a loop.
  assert.deepEqual(calls, ['files', 'clock'], 'the due change rekeyed, once');
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

/** A zone's DNSKEY answer with DO, as served now: its records (RRSIGs included). */
function dnskeyAnswer(catalog: Catalog, zone: string): RawRR[] {
  return rawSections(ask(catalog, buildQuery(zone, 'DNSKEY', { edns: { dnssecOk: true } }), 'udp')!)[0]!;
}

const tagsIn = (records: RawRR[], type: number): number[] =>
  records
    .filter((r) => r.type === type)
    .map((r) => (type === Type.DNSKEY ? keyTag(r.rdata) : r.rdata.readUInt16BE(0)))
    .sort((a, b) => a - b);

test('ServedZones.rekey: a key directory change reads only the zone whose key files changed, and a replaced or deleted key takes effect; the clock reads no file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-rekey-few-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const zonesDir = join(dir, 'zones');
  const keysDir = join(dir, 'keys');
  mkdirSync(zonesDir);
  const names = ['a.test', 'b.test', 'c.test'];
  const origin = (n: string): Name => nameFromText(`${n}.`);
  const first = new Map(names.map((n) => {
    writeFileSync(join(zonesDir, `${n}.yaml`), SMALL_SIGNED_ZONE);
    return [n, createKey(keysDir, origin(n), 13)];
  }));
  // Files changed within two seconds of a look are read again at the next (keydir.ts); these are older, as on a running server.
  await sleep(2100);
  const served = new ServedZones(zonesDir, pino({ level: 'silent' }), new Stats(), { keysDir });
  assert.ok(await served.reload());
  const reads = (): number => served.keyFiles!.reads;
  const answers = new Map(names.map((n) => [n, dnskeyAnswer(served.current, n)]));
  const signer = (n: string) => served.current.signed.get(origin(n))!.signer;
  const signers = new Map(names.map((n) => [n, signer(n)]));
  const parts = new Map(names.map((n) => [n, served.current.signed.get(origin(n))]));
  const others = (changed: string): string[] => names.filter((n) => n !== changed);
  const unchanged = (changed: string): void => {
    for (const n of others(changed)) {
      assert.deepEqual(dnskeyAnswer(served.current, n), answers.get(n), `${n}: the same answer, signatures included`);
      assert.equal(signer(n), signers.get(n), `${n}: the same signer`);
      assert.equal(served.current.signed.get(origin(n)), parts.get(n), `${n}: the same signed parts, not built again`);
    }
  };

  let before = reads();
  assert.equal(served.rekey('files'), false, 'nothing changed');
  assert.equal(reads() - before, 0, 'and nothing was read');

  // keys roll's first step for b.test: a new key, published now, active in an hour.
  const now = Math.floor(Date.now() / 1000);
  const next = createKey(keysDir, origin('b.test'), 13, now, { publish: now, activate: now + 3600 });
  before = reads();
  assert.equal(served.rekey('files'), true);
  assert.equal(reads() - before, 1, 'b.test only');
  let b = dnskeyAnswer(served.current, 'b.test');
  assert.deepEqual(tagsIn(b, Type.DNSKEY), [first.get('b.test')!.tag, next.tag].sort((x, y) => x - y), 'the new DNSKEY is served');
  assert.deepEqual(signatureProblems(b, first.get('b.test')!.dnskey), [], 'signed by the key that signs');
  unchanged('b.test');

  // Its timing file replaced (by rename, as keys roll does): active from now.
  next.timing = { ...next.timing, activate: now };
  writeTiming(next);
  before = reads();
  assert.equal(served.rekey('files'), true);
  assert.equal(reads() - before, 1);
  const cds = rawSections(ask(served.current, buildQuery('b.test', Type.CDS, { edns: {} }), 'udp')!)[0]!;
  assert.deepEqual(tagsIn(cds, Type.CDS), [first.get('b.test')!.tag, next.tag].sort((x, y) => x - y), 'both keys sign');
  unchanged('b.test');

  // The new key deleted: b.test is back to its first key.
  for (const ext of ['key', 'private', 'timing']) rmSync(`${next.base}.${ext}`);
  before = reads();
  assert.equal(served.rekey('files'), true);
  assert.equal(reads() - before, 1);
  b = dnskeyAnswer(served.current, 'b.test');
  assert.deepEqual(tagsIn(b, Type.DNSKEY), [first.get('b.test')!.tag]);
  assert.deepEqual(signatureProblems(b, first.get('b.test')!.dnskey), []);
  unchanged('b.test');

  // c.test's next key is published two seconds from now: the directory change learns its times, the clock publishes it.
  const soon = Math.floor(Date.now() / 1000) + 2;
  const later = createKey(keysDir, origin('c.test'), 13, soon, { publish: soon, activate: soon + 3600 });
  assert.equal(served.rekey('files'), false, 'not yet published: nothing to swap');
  assert.equal(served.nextKeyChange, soon);
  await sleep(soon * 1000 + 100 - Date.now());
  const bSigner = signer('b.test');
  const bAnswer = dnskeyAnswer(served.current, 'b.test');
  before = reads();
  assert.equal(served.rekey('clock'), true);
  assert.equal(reads() - before, 0, 'the clock reads no file');
  assert.deepEqual(tagsIn(dnskeyAnswer(served.current, 'c.test'), Type.DNSKEY), [first.get('c.test')!.tag, later.tag].sort((x, y) => x - y));
  assert.equal(signer('b.test'), bSigner);
  assert.deepEqual(dnskeyAnswer(served.current, 'b.test'), bAnswer);
  assert.deepEqual(dnskeyAnswer(served.current, 'a.test'), answers.get('a.test'));
});
