// A whole CSK rollover on a running `pulsedns serve`, by the clock alone:
// `pulsedns keys roll` with timings of a few seconds, then nothing but the
// server's key timer moves the zone through publish, double signature,
// retire and remove. At each phase delv must fully validate a positive and a
// negative answer with the trust anchor a parent's DS set would give at that
// moment (the old key until the new one appears in CDS, the new one from
// then on; both while both sign), and CDS/CDNSKEY must name the keys that sign.
// The server is restarted in the middle: the rest happens by the new
// process's timer, from the same files and clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { needTool } from '../support/tools.js';
import { startPulse } from '../support/server.js';
import { delvAll, writeAnchorFile } from '../support/delv.js';
import { diffApex, rollDiff, signedDiffZone, sortedTags as sorted } from '../support/rollover.js';
// Activate(new) = +5 s, Retire(old) = +10 s, Remove(old) = +14 s (rollover.ts planRollover).
const ROLL = ['--propagation', '2', '--dnskey-ttl', '3', '--max-ttl', '2', '--ds-ttl', '2', '--registrar-delay', '3'];
const QUESTIONS: [string, string][] = [
  ['www.diff.test', 'A'],
  ['nothing.diff.test', 'A'],
];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('a CSK rollover on a live server: delv validates at every phase with the anchor the parent would hold, CDS follows the new key', async (t) => {
  const delvPath = needTool(t, 'delv', 'bind9-dnsutils');
  if (!delvPath) return;
  const { dir, zones, keysDir, key: oldKey } = signedDiffZone(t, 'pulsedns-live-roll-');
  let s = await startPulse(zones, ['--keys', keysDir]);
  t.after(() => s.stop());
  const server = { host: '127.0.0.1', port: s.port };
  const logged: string[] = [];

  /** Tags of the DNSKEY set and of the keys CDS names, as served now. */
  const served = async (): Promise<{ dnskey: number[]; cds: number[] }> => {
    const { dnskey, cds } = await diffApex(server);
    return { dnskey, cds };
  };
  const anchors = new Map<number, string>();
  const anchorFor = (tag: number, dnskey: Buffer): string => {
    if (!anchors.has(tag)) {
      mkdirSync(join(dir, `anchor-${tag}`));
      anchors.set(tag, writeAnchorFile(join(dir, `anchor-${tag}`), 'diff.test', dnskey));
    }
    return anchors.get(tag)!;
  };
  /** delv with each anchor: the positive answer "fully validated", the negative one "negative response, fully validated". */
  const validates = async (phase: string, keys: { tag: number; dnskey: Buffer }[]): Promise<void> => {
    for (const k of keys) {
      const [pos, neg] = await delvAll({ delvPath, host: server.host, port: server.port, zone: 'diff.test', anchorFile: anchorFor(k.tag, k.dnskey) }, QUESTIONS);
      assert.ok(pos!.fullyValidated, `${phase}, anchor key ${k.tag}: ${QUESTIONS[0]!.join(' ')}\n${pos!.output}`);
      assert.ok(neg!.negativeValidated, `${phase}, anchor key ${k.tag}: ${QUESTIONS[1]!.join(' ')}\n${neg!.output}`);
    }
  };

  assert.deepEqual(await served(), { dnskey: [oldKey.tag], cds: [oldKey.tag] });
  await validates('before the rollover', [oldKey]);

  const { next: newKey, start, old } = rollDiff(keysDir, oldKey, ROLL);
  assert.deepEqual([newKey.timing.activate! - start, old.timing.retire! - start, old.timing.remove! - start], [5, 10, 14], 'the timings this test is built around');
  const both = sorted([oldKey.tag, newKey.tag]);

  // Each phase is checked a moment after it begins (the timer wakes a second late) and must still hold after delv ran.
  const phases: { name: string; at: number; want: { dnskey: number[]; cds: number[] }; anchors: { tag: number; dnskey: Buffer }[]; thenRestart?: boolean }[] = [
    // The server picks the new key up from the key directory: no reload.
    { name: 'new key published, old key signs', at: 0, want: { dnskey: both, cds: [oldKey.tag] }, anchors: [oldKey] },
    // CDS names both: a parent adds the new DS; resolvers may hold either DS set.
    // Then a restart mid-rollover: the new process reads the same files and clock, and its own timer takes the rest.
    { name: 'both keys sign', at: 5, want: { dnskey: both, cds: both }, anchors: [oldKey, newKey], thenRestart: true },
    { name: 'old key retired, still published', at: 10, want: { dnskey: both, cds: [newKey.tag] }, anchors: [newKey] },
    { name: 'old key removed', at: 14, want: { dnskey: [newKey.tag], cds: [newKey.tag] }, anchors: [newKey] },
  ];
  for (const p of phases) {
    // Until the phase is served (the timer fires a second after the change), bounded.
    let now = await served();
    while (JSON.stringify(now) !== JSON.stringify(p.want) && Date.now() / 1000 < start + p.at + 4) {
      await sleep(200);
      now = await served();
    }
    assert.deepEqual(now, p.want, `${p.name}: DNSKEY and CDS as served`);
    await validates(p.name, p.anchors);
    assert.deepEqual(await served(), p.want, `${p.name}: the phase lasted while delv ran (a machine this slow cannot run this test)`);
    if (!p.thenRestart) continue;
    await s.stop();
    logged.push(...s.output);
    s = await startPulse(zones, ['--keys', keysDir]);
    server.port = s.port;
    if (Date.now() / 1000 < start + 10) assert.deepEqual(await served(), p.want, `${p.name}: served at once after the restart`);
  }
  // Each change is logged once, by the process that lived through it (one that happened during the restart is nobody's change).
  const log = [...logged, ...s.output].filter((l) => l.includes('DNSSEC key phase change')).map((l) => (JSON.parse(l) as { keys: string }).keys);
  assert.equal(new Set(log).size, log.length, `no change logged twice:\n${log.join('\n')}`);
  const [o, n] = [oldKey.tag, newKey.tag].map(String);
  for (const want of [`active ${o}; retired -`, `active ${both.join(',')}; retired -`, `published ${n}; active ${n}; retired -`]) {
    assert.ok(log.some((l) => l.endsWith(want)), `a change to "${want}" was logged:\n${log.join('\n')}`);
  }
});
