// What one rekey (runtime/keytimer.ts: a key phase change or a change in the
// key directory) costs a server with many signed zones. rekey() runs on the
// loop that answers queries and is synchronous, so its time is also how long
// answering stops. Not part of `npm run bench`: run it on its own,
//   node dist/bench/rekey.js [zones]     (default 3000)
// It makes that many one-name signed zones, each with one key, in a temp
// directory, loads them, then times rekeys of each kind.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { ServedZones } from '../server/runtime/reloader.js';
import { Stats } from '../server/runtime/stats.js';
import { createKey, keyFileStem } from '../server/dnssec/keys.js';
import { KeyDirectory } from '../server/dnssec/keydir.js';
import { nameFromText } from '../server/wire/names.js';
import { SMALL_SIGNED_ZONE } from '../test/support/zones.js';

const count = Number(process.argv[2] ?? 3000);
const root = mkdtempSync(join(tmpdir(), 'pulsedns-rekey-bench-'));
const zonesDir = join(root, 'zones');
const keysDir = join(root, 'keys');
mkdirSync(zonesDir);
mkdirSync(keysDir, { mode: 0o700 });

const zoneName = (i: number): string => `z${i}.rekey.test`;

try {
  const made = performance.now();
  // One key made, its files copied for every zone under the zone's name: the same key material
  // costs a load or a rekey what distinct keys cost, and node 20's generateKeyPairSync can
  // deadlock in a garbage collection after some thousands of keys made in one process.
  const template = createKey(join(root, 'template'), nameFromText('template.rekey.test.'), 13);
  const texts = ['key', 'private', 'timing'].map((ext) => [ext, readFileSync(`${template.base}.${ext}`, 'utf8')] as const);
  for (let i = 0; i < count; i++) {
    writeFileSync(join(zonesDir, `${zoneName(i)}.yaml`), SMALL_SIGNED_ZONE);
    const stem = join(keysDir, keyFileStem(nameFromText(`${zoneName(i)}.`), 13, template.tag));
    for (const [ext, text] of texts) writeFileSync(`${stem}.${ext}`, text.replaceAll('template.rekey.test.', `${zoneName(i)}.`), { mode: ext === 'private' ? 0o600 : 0o644 });
  }
  process.stdout.write(`${count} signed zones and keys made in ${Math.round(performance.now() - made)} ms\n`);

  const served = new ServedZones(zonesDir, pino({ level: 'silent' }), new Stats(), { keysDir });
  let t = performance.now();
  if (!(await served.reload())) throw new Error(`load failed: ${served.lastErrors[0]?.message}`);
  process.stdout.write(`load (compile in a child, keys read here): ${Math.round(performance.now() - t)} ms\n`);
  // A load's share on the serving loop: every zone's keys read afresh, in one listing.
  t = performance.now();
  const all = new KeyDirectory(keysDir);
  all.rescan();
  for (let i = 0; i < count; i++) all.load(nameFromText(`${zoneName(i)}.`));
  process.stdout.write(`every zone's keys read, as a load reads them: ${Math.round(performance.now() - t)} ms\n`);

  const time = (label: string, run: () => boolean): void => {
    const t0 = performance.now();
    const swapped = run();
    const read = served.keyFiles ? ` ${served.keyFiles.reads - reads} zones read,` : '';
    reads = served.keyFiles?.reads ?? 0;
    process.stdout.write(`${label}:${read} ${(performance.now() - t0).toFixed(1)} ms${swapped ? ' (swapped)' : ''}\n`);
  };
  let reads = served.keyFiles?.reads ?? 0;
  // Files changed in the last two seconds are read again at every look (keydir.ts); let them age as a live server's have.
  await new Promise((r) => setTimeout(r, 2100));
  time('rekey on a key directory change, nothing changed', () => served.rekey('files'));
  time('rekey on the clock, nothing due', () => served.rekey('clock'));
  // One zone's new key, published now: the change `keys roll` makes.
  const now = Math.floor(Date.now() / 1000);
  createKey(keysDir, nameFromText(`${zoneName(1)}.`), 13, now, { publish: now, activate: now + 3600 });
  time('rekey on a key directory change, one zone gained a published key', () => served.rekey('files'));
  // Another zone's key published two seconds from now: learnt from the files, then due by the clock.
  const soon = Math.floor(Date.now() / 1000) + 2;
  createKey(keysDir, nameFromText(`${zoneName(2)}.`), 13, soon, { publish: soon, activate: soon + 3600 });
  time('rekey on a key directory change, one zone gained a key published later', () => served.rekey('files'));
  await new Promise((r) => setTimeout(r, soon * 1000 + 100 - Date.now()));
  time('rekey on the clock, that key is due', () => served.rekey('clock'));
} finally {
  rmSync(root, { recursive: true, force: true });
}
