// CSK rollover: the RFC 7583 plan, keyStateAt at every phase (from the pure
// function and from the key files `keys roll` writes), the DNSKEY and CDS
// sets a ZoneSigner publishes along the way, the key timer, and two servers
// sharing one key directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKey, loadZoneKeys, writeTiming, type ZoneKey } from '../../../server/dnssec/keys.js';
import { dsRdata } from '../../../server/dnssec/dnskey.js';
import { keyStateAt, planRollover, rolloverBlocker, type RolloverTimings } from '../../../server/dnssec/rollover.js';
import { ZoneSigner } from '../../../server/dnssec/signer.js';
import { verifyRRset } from '../../../server/dnssec/sign.js';
import { keyTimer } from '../../../server/runtime/keytimer.js';
import { cmdKeys } from '../../../server/commands/keys.js';
import { Type } from '../../../server/wire/constants.js';
import { nameFromText } from '../../../server/wire/names.js';

const ZONE = nameFromText('example.com.');
const SHORT: RolloverTimings = { propagation: 2, dnskeyTtl: 3, maxZoneTtl: 5, dsTtl: 4, registrarDelay: 6 };

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-roll-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs a `pulsedns keys` command in-process: exit code and what it printed. */
async function keys(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => out.push(String(s)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => err.push(String(s)) > 0) as typeof process.stderr.write;
  try {
    return { code: await cmdKeys(args), out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

const tags = (ks: readonly ZoneKey[]): number[] => ks.map((k) => k.tag).sort((a, b) => a - b);

test('planRollover follows the documented formula', () => {
  const p = planRollover(1000, SHORT);
  assert.deepEqual(p.next, { publish: 1000, activate: 1000 + 2 + 3 });
  // Retire = Activate + max(Dprp + TTLmax, Dreg + TTLds) = 1005 + max(7, 10); Remove = Retire + Dprp + TTLmax.
  assert.deepEqual(p.old, { retire: 1015, remove: 1022 });
  const slowParent = planRollover(0, { ...SHORT, registrarDelay: 0, dsTtl: 0 });
  assert.equal(slowParent.old.retire, 5 + 7, 'with an instant parent the zone TTL term decides');
});

test('a whole rollover: phases, DNSKEY and CDS sets at each step, from the files', (t) => {
  const dir = tempDir(t);
  const t0 = 1_800_000_000;
  const old = createKey(dir, ZONE, 13, t0);
  assert.equal(rolloverBlocker([old], t0 + 10), undefined);
  const rollAt = t0 + 100;
  const plan = planRollover(rollAt, SHORT);
  const next = createKey(dir, ZONE, 13, rollAt, plan.next);
  old.timing = { ...old.timing, retire: plan.old.retire, remove: plan.old.remove };
  writeTiming(old);
  const fromFiles = loadZoneKeys(dir, ZONE).keys;
  assert.match(rolloverBlocker(fromFiles, rollAt) ?? '', /already under way/);
  // The next phase change the key files announce; none once the old key is gone.
  assert.equal(keyStateAt(fromFiles, rollAt + 1).nextChange, plan.next.activate);
  assert.equal(keyStateAt(fromFiles, plan.old.remove).nextChange, undefined);

  const steps: { at: number; published: number[]; active: number[]; retired: number[]; next?: number }[] = [
    { at: rollAt - 1, published: [old.tag], active: [old.tag], retired: [], next: rollAt },
    { at: rollAt, published: tags([old, next]), active: [old.tag], retired: [], next: plan.next.activate },
    { at: plan.next.activate, published: tags([old, next]), active: tags([old, next]), retired: [], next: plan.old.retire },
    { at: plan.old.retire, published: tags([old, next]), active: [next.tag], retired: [old.tag], next: plan.old.remove },
    { at: plan.old.remove, published: [next.tag], active: [next.tag], retired: [] },
  ];
  for (const s of steps) {
    const st = keyStateAt(fromFiles, s.at);
    assert.deepEqual([tags(st.published), tags(st.active), tags(st.retired), st.nextChange], [s.published, s.active, s.retired, s.next], `at +${s.at - t0}s`);
    // What a server reloading at that moment would publish.
    const signer = new ZoneSigner(ZONE, fromFiles, { clock: () => s.at });
    const byTag = new Map(fromFiles.map((k) => [k.tag, k]));
    assert.deepEqual(signer.dnskeys.map((d) => d.toString('hex')).sort(), s.published.map((g) => byTag.get(g)!.dnskey.toString('hex')).sort(), `DNSKEY at +${s.at - t0}s`);
    assert.deepEqual(signer.cds.map((d) => d.toString('hex')).sort(), s.active.map((g) => dsRdata(ZONE, byTag.get(g)!.dnskey).toString('hex')).sort(), `CDS at +${s.at - t0}s`);
    // Every signature verifies with a key the DNSKEY set holds.
    const rrsigs = signer.signFresh(ZONE, Type.DNSKEY, 3600, signer.dnskeys);
    assert.equal(rrsigs.length, s.active.length);
    for (const sig of rrsigs) assert.ok(signer.dnskeys.some((k) => verifyRRset(k, ZONE, Type.DNSKEY, signer.dnskeys, sig, s.at).valid));
  }
});

test('keys generate, ds, roll and list as a user runs them', async (t) => {
  const dir = tempDir(t);
  const kdir = join(dir, 'keys');
  assert.equal((await keys([])).code, 2);
  assert.equal((await keys(['generate', 'example.com'])).code, 2, '--keys is required');
  assert.equal((await keys(['generate', 'example.com', '--keys', kdir, '--algorithm', 'rsasha256'])).code, 2);
  assert.equal((await keys(['roll', 'example.com', '--keys', kdir])).code, 1, 'nothing to roll yet');
  const gen = await keys(['generate', 'example.com', '--keys', kdir]);
  assert.equal(gen.code, 0, gen.err);
  const again = await keys(['generate', 'example.com', '--keys', kdir]);
  assert.equal(again.code, 1);
  assert.match(again.err, /already has key \d+.*keys roll/);
  const ds = await keys(['ds', 'example.com', '--keys', kdir]);
  assert.match(ds.out, /^example\.com\. IN DS \d+ 13 2 [0-9A-F]{64}\n$/);
  assert.equal((await keys(['ds', 'example.com', '--keys', kdir, '--digest', 'sha1'])).code, 2);

  const before = Math.floor(Date.now() / 1000);
  const roll = await keys(['roll', 'example.com', '--keys', kdir, '--propagation', '2s', '--dnskey-ttl', '3', '--max-ttl', '5', '--ds-ttl', '4', '--registrar-delay', '6']);
  assert.equal(roll.code, 0, roll.err);
  assert.match(roll.out, /rollover of example\.com\.: key \d+ -> key \d+/);
  assert.equal((await keys(['roll', 'example.com', '--keys', kdir])).code, 1, 'one rollover at a time');
  const loaded = loadZoneKeys(kdir, ZONE).keys;
  assert.equal(loaded.length, 2);
  const fresh = loaded.find((k) => k.timing.retire === undefined)!;
  const leaving = loaded.find((k) => k.timing.retire !== undefined)!;
  assert.ok(fresh.timing.publish! >= before && fresh.timing.activate === fresh.timing.publish! + 5);
  assert.deepEqual([leaving.timing.retire, leaving.timing.remove], [fresh.timing.activate! + 10, fresh.timing.activate! + 17]);
  assert.match(readFileSync(`${leaving.base}.timing`, 'utf8'), /^Retire: \d{14}$/m);
  // During the rollover `keys ds` names the incoming key only, and says which DS is leaving.
  const dsDuring = await keys(['ds', 'example.com', '--keys', kdir]);
  assert.match(dsDuring.out, new RegExp(`^example\\.com\\. IN DS ${fresh.tag} `));
  assert.match(dsDuring.err, new RegExp(`key ${leaving.tag} is being rolled out`));
  const list = await keys(['list', '--all', '--keys', kdir]);
  assert.match(list.out, new RegExp(`example\\.com\\.\\s+${leaving.tag}\\s+ecdsap256sha256\\s+active`));
  assert.match(list.out, /^next change: /m);
});

test('the key timer wakes once the change time has passed, and can be replaced or stopped', async () => {
  const fired: number[] = [];
  const timer = keyTimer(() => fired.push(Date.now()), { slackMs: 20 });
  const at = Math.ceil(Date.now() / 1000) + 1;
  timer.schedule(at);
  assert.equal(timer.due, at);
  await new Promise((r) => setTimeout(r, (at * 1000 + 400) - Date.now()));
  assert.equal(fired.length, 1);
  assert.ok(fired[0]! >= at * 1000 + 20);
  assert.equal(timer.due, undefined);
  timer.schedule(Math.floor(Date.now() / 1000) + 3600);
  timer.stop();
  assert.equal(timer.due, undefined);
  // A change already past fires at once (a server started mid-rollover).
  const late = keyTimer(() => fired.push(0), { slackMs: 0 });
  late.schedule(1);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(fired.length, 2);
});

test('two servers with the same key directory publish identical DNSKEY, CDS and CDNSKEY and validate each other', (t) => {
  const dir = tempDir(t);
  createKey(join(dir, 'ns1'), ZONE, 13);
  cpSync(join(dir, 'ns1'), join(dir, 'ns2'), { recursive: true });
  const ns1 = new ZoneSigner(ZONE, loadZoneKeys(join(dir, 'ns1'), ZONE).keys);
  const ns2 = new ZoneSigner(ZONE, loadZoneKeys(join(dir, 'ns2'), ZONE).keys);
  for (const f of ['dnskeys', 'cds', 'cdnskeys'] as const) assert.deepEqual(ns1[f], ns2[f], f);
  const www = nameFromText('www.example.com.');
  const a = [Buffer.from([192, 0, 2, 10])];
  const [s1] = ns1.signFresh(www, Type.A, 300, a);
  const [s2] = ns2.signFresh(www, Type.A, 300, a);
  assert.ok(verifyRRset(ns2.dnskeys[0]!, www, Type.A, a, s1!).valid, 'ns1 signature verifies with ns2 DNSKEY');
  assert.ok(verifyRRset(ns1.dnskeys[0]!, www, Type.A, a, s2!).valid, 'ns2 signature verifies with ns1 DNSKEY');
  // Quantized validity: the same inception and expiration from both.
  assert.deepEqual(s1!.subarray(8, 16), s2!.subarray(8, 16));
});
