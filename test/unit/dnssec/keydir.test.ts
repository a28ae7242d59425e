// KeyDirectory: a look at the key directory reads again only the zones whose
// files changed (a timing file replaced by rename, a file rewritten in place,
// a key added or deleted), gives what loadZoneKeys gives, and keeps nothing
// of keys that cannot be read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nameFromText, type Name } from '../../../server/wire/names.js';
import { createKey, loadZoneKeys, writeTiming } from '../../../server/dnssec/keys.js';
import { KeyDirectory } from '../../../server/dnssec/keydir.js';

const NOW = 1_800_000_000;
const ZONES = ['a.test.', 'b.test.', 'c.test.'].map((z) => nameFromText(z));
const [A, B, C] = ZONES as [Name, Name, Name];

/** One look at the directory: each zone's keys, and which zones were read from their files. */
function look(dir: KeyDirectory): { tags: Map<Name, number[]>; read: number } {
  const before = dir.reads;
  dir.rescan();
  const tags = new Map(ZONES.map((z) => [z, dir.load(z).keys.map((k) => k.tag)]));
  return { tags, read: dir.reads - before };
}

test('KeyDirectory: only the zone whose files changed is read again; a replaced, rewritten, added or deleted file is noticed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-keydir-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const keys = ZONES.map((z) => createKey(dir, z, 13, NOW));
  // Every stat trusted at once: each change below comes within milliseconds of the look before it.
  const files = new KeyDirectory(dir, { freshMs: 0 });
  assert.equal(look(files).read, 3, 'the first look reads every zone');
  assert.equal(look(files).read, 0, 'nothing changed: nothing read');

  // keys roll's way: the timing file replaced whole, by rename.
  const b = keys[1]!;
  b.timing = { ...b.timing, retire: NOW + 100, remove: NOW + 200 };
  writeTiming(b);
  assert.equal(look(files).read, 1);
  assert.deepEqual(files.load(B).keys[0]!.timing, b.timing, 'the new times are the ones served');
  assert.deepEqual(files.load(B), loadZoneKeys(dir, B));

  // Rewritten in place, the same length: a later activate time. A few clock ticks after the file
  // was made, so its stamps differ (a write within the same tick is the fresh window's business).
  await new Promise((r) => setTimeout(r, 50));
  const timing = `${keys[2]!.base}.timing`;
  const text = readFileSync(timing, 'utf8');
  writeFileSync(timing, text.replace(/^Activate: 2027/m, 'Activate: 2028'));
  assert.equal(readFileSync(timing, 'utf8').length, text.length);
  assert.equal(look(files).read, 1);
  assert.equal(files.load(C).keys[0]!.timing.activate, NOW + 365 * 86400, 'a year later');

  const added = createKey(dir, A, 15, NOW);
  let l = look(files);
  assert.equal(l.read, 1);
  assert.deepEqual(l.tags.get(A), [keys[0]!.tag, added.tag].sort((x, y) => x - y));

  for (const ext of ['key', 'private', 'timing']) rmSync(`${added.base}.${ext}`);
  l = look(files);
  assert.equal(l.read, 1, 'the deleted key');
  assert.deepEqual(l.tags.get(A), [keys[0]!.tag]);
  // Its private file put back alone: loadZoneKeys' warning about it comes with the keys.
  writeFileSync(`${added.base}.private`, 'x');
  l = look(files);
  assert.equal(l.read, 1);
  assert.deepEqual(files.load(A), loadZoneKeys(dir, A));
  assert.match(files.load(A).warnings[0]!, /has no \.key file beside it/);
  for (const ext of ['key', 'private', 'timing']) rmSync(`${keys[0]!.base}.${ext}`, { force: true });
  rmSync(`${added.base}.private`);
  assert.deepEqual(look(files).tags.get(A), [], 'a zone whose keys are all gone has none');
  assert.equal(look(files).read, 0);
});

test('KeyDirectory: a file changed just before a look is read again at the next, since its stat may not show a write in the same tick', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-keydir-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  ZONES.map((z) => createKey(dir, z, 13, NOW));
  const files = new KeyDirectory(dir);
  assert.equal(look(files).read, 3);
  assert.equal(look(files).read, 3, 'all three were written a moment ago');
  await new Promise((r) => setTimeout(r, 2100));
  assert.equal(look(files).read, 3, 'the look after two seconds reads them once more');
  assert.equal(look(files).read, 0, 'then they are trusted');
});

test('KeyDirectory: a key that cannot be read fails as loadZoneKeys fails, every time, until it is mended', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-keydir-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const [a] = ZONES.map((z) => createKey(dir, z, 13, NOW));
  const files = new KeyDirectory(dir, { freshMs: 0 });
  look(files);
  const good = readFileSync(`${a!.base}.key`, 'utf8');
  writeFileSync(`${a!.base}.key`, 'garbage\n');
  const expected = ((): string => {
    try {
      loadZoneKeys(dir, A);
    } catch (e) {
      return (e as Error).message;
    }
    return 'no error';
  })();
  assert.match(expected, /\.key: the record is not a DNSKEY/);
  for (let i = 0; i < 2; i++) {
    files.rescan();
    assert.throws(() => files.load(A), { message: expected });
  }
  writeFileSync(`${a!.base}.key`, good);
  files.rescan();
  assert.deepEqual(files.load(A).keys.map((k) => k.tag), [a!.tag]);

  rmSync(dir, { recursive: true });
  files.rescan();
  assert.deepEqual(files.load(A), { keys: [], warnings: [] }, 'no directory, no keys: as loadZoneKeys');
});
