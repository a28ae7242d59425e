// pulsedns as a signing server, judged by BIND's validator: a real `pulsedns
// serve --keys DIR` with signed copies of the differential test's zones
// (`dnssec:` added, keys made by createKey), asked by delv with the zone's own
// key as its only trust anchor. Every positive answer must be "fully
// validated", every negative one "negative response, fully validated", in
// both algorithms and both denial modes. Also: CO restores NXDOMAIN, no RRSIG
// without DO, NSID, a zone without keys is a load error naming the command.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { Rcode, Type } from '../../server/wire/constants.js';
import { nameFromText } from '../../server/wire/names.js';
import { createKey, type Algorithm } from '../../server/dnssec/keys.js';
import { needTool } from '../support/tools.js';
import { CLI, startPulse, type Spawned } from '../support/server.js';
import { query } from '../support/client.js';
import { freePort } from '../support/ports.js';
import { delvAll, writeAnchorFile, type DelvResult } from '../support/delv.js';

const FIXTURES = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'diff');
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Served {
  dir: string;
  keysDir: string;
  s: Spawned;
  /** DNSKEY rdata of diff.test. */
  dnskey: Buffer;
}

/** The differential zones with `dnssec` set, keys for both, and a server on them. */
async function serveSigned(dnssec: string, algorithm: Algorithm, extra: string[] = []): Promise<Served> {
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-dnssec-serve-'));
  dirs.push(dir);
  const zones = join(dir, 'zones');
  const keysDir = join(dir, 'keys');
  mkdirSync(zones);
  for (const z of ['diff.test', 'other.test']) writeFileSync(join(zones, `${z}.yaml`), `dnssec: ${dnssec}\n${readFileSync(join(FIXTURES, `${z}.yaml`), 'utf8')}`);
  const key = createKey(keysDir, nameFromText('diff.test.'), algorithm);
  createKey(keysDir, nameFromText('other.test.'), algorithm);
  const s = await startPulse(zones, ['--keys', keysDir, ...extra]);
  return { dir, keysDir, s, dnskey: key.dnskey };
}

const POSITIVE: [string, string][] = [
  ['diff.test', 'SOA'],
  ['diff.test', 'NS'],
  ['diff.test', 'MX'],
  ['diff.test', 'TXT'],
  ['diff.test', 'CAA'],
  ['diff.test', 'DNSKEY'],
  ['diff.test', 'CDS'],
  ['diff.test', 'CDNSKEY'],
  ['diff.test', 'TYPE65280'],
  ['www.diff.test', 'A'],
  ['www.diff.test', 'AAAA'],
  ['txt.diff.test', 'TXT'],
  ['unk.diff.test', 'TYPE65280'],
  ['_sip._tcp.diff.test', 'SRV'],
  ['c1.diff.test', 'A'],
  ['x.w.diff.test', 'A'],
  ['a.b.sub.w.diff.test', 'A'],
  ['q.wmx.diff.test', 'MX'],
  ['x.wc.diff.test', 'A'],
  ['cwild.diff.test', 'A'],
  ['a.b.ent.diff.test', 'A'],
  ['svc.diff.test', 'HTTPS'],
  ['signed.diff.test', 'DS'],
  ['mid.diff.test', 'A'],
  ['big.diff.test', 'TXT'],
];

const NEGATIVE: [string, string][] = [
  ['nothing.diff.test', 'A'],
  ['a.b.nothing.diff.test', 'TXT'],
  ['www.diff.test', 'TXT'],
  ['ent.diff.test', 'A'],
  ['b.ent.diff.test', 'TXT'],
  ['x.w.diff.test', 'AAAA'],
  ['deep.w.diff.test', 'A'],
  ['deleg.diff.test', 'DS'],
  ['outdeleg.diff.test', 'DS'],
  ['mail.diff.test', 'DS'],
];

/** CNAME chains ending in a negative answer: delv says "fully validated" (the chain) and then proves the end. */
const CHAIN_NEGATIVE: [string, string][] = [
  ['cnx1.diff.test', 'A'],
  ['cnodata.diff.test', 'TXT'],
  ['cent.diff.test', 'A'],
];

/** Fewer questions for the other combinations: the crypto or the denial changes, not the lookup. */
const SAMPLE = new Set(['diff.test DNSKEY', 'www.diff.test A', 'x.w.diff.test A', 'c1.diff.test A', 'mid.diff.test A', 'signed.diff.test DS', 'nothing.diff.test A', 'www.diff.test TXT', 'ent.diff.test A', 'x.w.diff.test AAAA', 'deleg.diff.test DS', 'a.b.nothing.diff.test TXT']);

type Expect = 'positive' | 'negative' | 'chain-negative';

function verdicts(qs: readonly (readonly [string, string])[], results: DelvResult[], expect: Expect): string[] {
  const good = (r: DelvResult): boolean =>
    expect === 'positive' ? r.fullyValidated : expect === 'negative' ? r.negativeValidated : r.fullyValidated && /resolution failed: ncache nx(rrset|domain)/.test(r.output);
  return qs.flatMap(([n, ty], i) => (good(results[i]!) ? [] : [`${n} ${ty}:\n${results[i]!.output}`]));
}

const MODES: { dnssec: string; algorithm: Algorithm; all: boolean }[] = [
  { dnssec: 'true', algorithm: 13, all: true },
  { dnssec: '{ algorithm: ed25519 }', algorithm: 15, all: false },
  { dnssec: '{ denial: nsec }', algorithm: 13, all: true },
  { dnssec: '{ algorithm: ed25519, denial: nsec }', algorithm: 15, all: false },
];

for (const mode of MODES) {
  test(`delv validates pulsedns's signed answers (dnssec: ${mode.dnssec})`, async (t) => {
    const delvPath = needTool(t, 'delv', 'bind9-dnsutils');
    if (!delvPath) return;
    const { dir, s, dnskey } = await serveSigned(mode.dnssec, mode.algorithm);
    try {
      const target = { delvPath, host: '127.0.0.1', port: s.port, zone: 'diff.test', anchorFile: writeAnchorFile(dir, 'diff.test', dnskey) };
      const pick = (list: [string, string][]): [string, string][] => (mode.all ? list : list.filter(([n, ty]) => SAMPLE.has(`${n} ${ty}`)));
      const pos = pick(POSITIVE);
      const neg = pick(NEGATIVE);
      const chains = pick(CHAIN_NEGATIVE);
      const [p, n, c] = [await delvAll(target, pos), await delvAll(target, neg), await delvAll(target, chains)];
      assert.deepEqual(verdicts(pos, p, 'positive'), [], 'every positive answer fully validated');
      assert.deepEqual(verdicts(neg, n, 'negative'), [], 'every negative answer fully validated');
      assert.deepEqual(verdicts(chains, c, 'chain-negative'), [], 'chains into negative answers validated to the end');
      // The check bites: another key as anchor makes the same answer fail.
      const wrong = createKey(join(dir, 'wrong'), nameFromText('diff.test.'), 13).dnskey;
      mkdirSync(join(dir, 'w'));
      const [bad] = await delvAll({ ...target, anchorFile: writeAnchorFile(join(dir, 'w'), 'diff.test', wrong) }, [['www.diff.test', 'A']]);
      assert.equal(bad!.fullyValidated, false);
    } finally {
      await s.stop();
    }
  });
}

test('CO restores NXDOMAIN; no RRSIG or NSEC without DO; NSID when asked', async () => {
  const { s } = await serveSigned('true', 13, ['--nsid', 'hex:6e7331']);
  try {
    const compact = await query(s, 'nothing.diff.test', 'A', { edns: { dnssecOk: true } });
    assert.equal(compact.rcode, Rcode.NOERROR);
    assert.ok(compact.authority.some((r) => r.type === Type.NSEC));
    assert.equal(compact.ednsFlags & 0xc000, 0x8000);
    const co = await query(s, 'nothing.diff.test', 'A', { edns: { dnssecOk: true, compactOk: true } });
    assert.equal(co.rcode, Rcode.NXDOMAIN);
    assert.equal(co.ednsFlags & 0xc000, 0xc000, 'CO echoed');
    for (const [n, ty] of [['www.diff.test', 'A'], ['nothing.diff.test', 'A'], ['www.diff.test', 'TXT'], ['deleg.diff.test', 'A']] as const) {
      for (const edns of [undefined, { dnssecOk: false }]) {
        const m = await query(s, n, ty, edns ? { edns } : {});
        const all = [...m.answer, ...m.authority, ...m.additional];
        assert.ok(!all.some((r) => r.type === Type.RRSIG || r.type === Type.NSEC || r.type === Type.DS), `${n} ${ty} without DO`);
      }
    }
    assert.equal((await query(s, 'nothing.diff.test', 'A', { edns: {} })).rcode, Rcode.NXDOMAIN);
    const withNsid = await query(s, 'www.diff.test', 'A', { edns: { nsid: true } });
    assert.deepEqual(withNsid.ednsOptions.map((o) => [o.code, o.data.toString()]), [[3, 'ns1']]);
    const without = await query(s, 'www.diff.test', 'A', { edns: {} });
    assert.deepEqual(without.ednsOptions, []);
    // dig agrees on the NSID (the operator's tool).
    const dig = spawnSync('dig', [`@127.0.0.1`, '-p', String(s.port), '+nsid', '+norec', 'www.diff.test', 'A'], { encoding: 'utf8' });
    if (dig.status === 0) assert.match(dig.stdout, /NSID: 6e 73 31 \("ns1"\)/);
    // Made a second time, the compact NXDOMAIN is kept whole (the first sight was only noted).
    await query(s, 'nothing.diff.test', 'A', { edns: { dnssecOk: true } });
    // Metrics show the signer at work.
    const metrics = await (await fetch(`${s.admin}/metrics`)).text();
    assert.match(metrics, /^pulsedns_dnssec_signatures_total [1-9]/m);
    assert.match(metrics, /^pulsedns_dnssec_signature_cache_entries [1-9]/m);
    assert.match(metrics, /^pulsedns_dnssec_answer_cache_entries [1-9]/m, 'compact NXDOMAINs kept whole');
    assert.match(metrics, /^pulsedns_dnssec_answer_cache_stored_total [1-9]/m);
    assert.match(metrics, /^pulsedns_dnssec_answer_cache_first_sights_total [1-9]/m);
  } finally {
    await s.stop();
  }
});

test('a zone that asks for signing without a key is a load error naming the command', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-dnssec-nokey-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'zones'));
  writeFileSync(join(dir, 'zones', 'diff.test.yaml'), `dnssec: true\n${readFileSync(join(FIXTURES, 'diff.test.yaml'), 'utf8')}`);
  mkdirSync(join(dir, 'keys'));
  // A real port: the command line refuses port 0, and the listeners are tried before the zones load.
  const listen = `127.0.0.1:${await freePort()}`;
  const r = spawnSync(process.execPath, [CLI, 'serve', '--zones', join(dir, 'zones'), '--keys', join(dir, 'keys'), '--listen', listen, '--admin', 'off', '--workers', '1'], { encoding: 'utf8', timeout: 15_000 });
  assert.notEqual(r.status, 0);
  assert.match(r.stdout + r.stderr, new RegExp(`pulsedns keys generate diff\\.test --keys ${join(dir, 'keys').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  // No --keys at all: the same refusal, pointing at the flag.
  const n = spawnSync(process.execPath, [CLI, 'serve', '--zones', join(dir, 'zones'), '--listen', listen, '--admin', 'off', '--workers', '1'], { encoding: 'utf8', timeout: 15_000 });
  assert.notEqual(n.status, 0);
  assert.match(n.stdout + n.stderr, /no key directory: add --keys DIR/);
});
