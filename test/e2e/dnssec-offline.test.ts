// The DNSSEC library against independent validators: a zone with every
// shape the engine serves (wildcard, CNAME, empty non-terminal, delegations
// with and without DS, glue, a 40-address RRset, an unknown type) is signed
// RRset by RRset with server/dnssec, given an NSEC chain from denial.ts, and
// then (1) ldns-verify-zone must accept the file and (2) NSD serves it while
// delv, with the zone's own key as its only trust anchor, must call every
// positive answer "fully validated" and every negative one "negative
// response, fully validated". A wrong anchor and a flipped signature byte
// must fail, so the checks are known to bite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseTypeName, Type } from '../../server/wire/constants.js';
import { type Name, nameFromText } from '../../server/wire/names.js';
import { rdataFromTokens, splitPresentation } from '../../server/zones/rdata.js';
import { createKey, loadZoneKeys, type Algorithm } from '../../server/dnssec/keys.js';
import { dsRdata } from '../../server/dnssec/dnskey.js';
import { ZoneSigner } from '../../server/dnssec/signer.js';
import { needTool } from '../support/tools.js';
import { startNsd } from '../support/nsd.js';
import { signZoneText, type PlainRRset } from '../support/signzone.js';
import { delv, delvAll, writeAnchorFile } from '../support/delv.js';

const ORIGIN = 'example.com.';

const ZONE = `
@            3600 SOA   ns1 hostmaster 2026120101 7200 3600 1209600 300
@            3600 NS    ns1
@            3600 NS    ns2
@            3600 MX    10 mail
@            3600 TXT   "v=spf1 -all"
@            3600 CAA   0 issue "letsencrypt.org"
ns1          3600 A     192.0.2.1
ns2          3600 A     192.0.2.2
ns2          3600 AAAA  2001:db8::2
mail         3600 A     192.0.2.25
www           300 A     192.0.2.10
www           300 A     192.0.2.11
www           300 AAAA  2001:db8::10
alias         300 CNAME www
*.wild        300 A     192.0.2.99
deep.ent.tree 300 TXT   "below two empty non-terminals"
_sip._tcp     300 SRV   10 5 5060 www
secure       3600 NS    ns.secure
ns.secure    3600 A     192.0.2.53
insecure     3600 NS    ns.example.net.
odd           300 TYPE65534 \\# 4 0a000001
`;

/** The zone above as RRsets, plus a 40-address RRset and the DS of a signed child. */
function zoneRRsets(childDs: Buffer): PlainRRset[] {
  const origin = nameFromText(ORIGIN);
  const sets = new Map<string, PlainRRset>();
  const add = (owner: Name, type: number, ttl: number, wire: Buffer, text?: string): void => {
    const key = `${owner}/${type}`;
    let s = sets.get(key);
    if (!s) sets.set(key, (s = { owner, type, ttl, rdata: [], text: [] }));
    s.rdata.push(wire);
    s.text!.push(text ?? '');
  };
  for (const line of ZONE.trim().split('\n')) {
    const [owner, ttl, type, ...rest] = splitPresentation(line);
    const t = parseTypeName(type!)!;
    const rd = rdataFromTokens(t, rest, origin);
    add(nameFromText(owner!, origin), t, Number(ttl), rd.wire, rd.text);
  }
  for (let i = 1; i <= 40; i++) add(nameFromText('big', origin), Type.A, 300, Buffer.from([198, 51, 100, i]), `198.51.100.${i}`);
  const ds = { owner: nameFromText('secure', origin), type: Type.DS, ttl: 3600, rdata: [childDs] };
  return [...sets.values(), ds];
}

function signedZone(dir: string, algorithm: Algorithm): { text: string; dnskey: Buffer } {
  const origin = nameFromText(ORIGIN);
  const key = createKey(join(dir, 'keys'), origin, algorithm);
  const child = createKey(join(dir, 'child-keys'), nameFromText('secure.example.com'), 13);
  const signer = new ZoneSigner(origin, loadZoneKeys(join(dir, 'keys'), origin).keys);
  return { text: signZoneText(origin, zoneRRsets(dsRdata(child.zone, child.dnskey)), signer, 300), dnskey: key.dnskey };
}

const POSITIVE: [string, string][] = [
  ['example.com', 'SOA'],
  ['example.com', 'NS'],
  ['example.com', 'MX'],
  ['example.com', 'TXT'],
  ['example.com', 'CAA'],
  ['example.com', 'DNSKEY'],
  ['example.com', 'CDS'],
  ['example.com', 'CDNSKEY'],
  ['www.example.com', 'A'],
  ['www.example.com', 'AAAA'],
  ['alias.example.com', 'A'],
  ['anything.wild.example.com', 'A'],
  ['deep.ent.tree.example.com', 'TXT'],
  ['_sip._tcp.example.com', 'SRV'],
  ['secure.example.com', 'DS'],
  ['odd.example.com', 'TYPE65534'],
  ['big.example.com', 'A'],
];

const NEGATIVE: [string, string, string][] = [
  ['nope.example.com', 'A', 'NXDOMAIN'],
  ['zzz.example.com', 'A', 'NXDOMAIN after the last name'],
  ['a.b.nope.example.com', 'TXT', 'NXDOMAIN deeper'],
  ['www.example.com', 'MX', 'NODATA'],
  ['ent.tree.example.com', 'A', 'NODATA at an empty non-terminal'],
  ['tree.example.com', 'TXT', 'NODATA at an empty non-terminal'],
  ['anything.wild.example.com', 'AAAA', 'wildcard NODATA'],
  ['insecure.example.com', 'DS', 'no DS at an insecure delegation (RFC 4035 3.1.4)'],
  ['mail.example.com', 'DS', 'NODATA for DS where no cut is'],
];

/** Ed25519 only changes the signature primitive: a few questions of each kind keep the suite fast. */
const ED25519_SAMPLE = new Set(['example.com DNSKEY', 'www.example.com A', 'anything.wild.example.com A', 'nope.example.com A', 'www.example.com MX', 'insecure.example.com DS']);

for (const algorithm of [13, 15] as const) {
  const pick = <T extends readonly string[]>(list: T[]): T[] => (algorithm === 13 ? list : list.filter((q) => ED25519_SAMPLE.has(`${q[0]} ${q[1]}`)));
  test(`a zone signed by the library (algorithm ${algorithm}) passes ldns-verify-zone and validates in delv through NSD`, async (t) => {
    const verifyZone = needTool(t, 'ldns-verify-zone', 'ldnsutils');
    const delvPath = verifyZone && needTool(t, 'delv', 'bind9-dnsutils');
    const nsdPath = delvPath && needTool(t, 'nsd');
    if (!verifyZone || !delvPath || !nsdPath) return;
    const dir = mkdtempSync(join(tmpdir(), 'pulsedns-dnssec-offline-'));
    try {
      const { text, dnskey } = signedZone(dir, algorithm);
      const file = join(dir, 'example.com.signed');
      writeFileSync(file, text);
      const v = spawnSync(verifyZone, [file], { encoding: 'utf8' });
      assert.equal(v.status, 0, `ldns-verify-zone failed:\n${v.stdout}${v.stderr}`);
      assert.match(v.stdout + v.stderr, /Zone is verified and complete/);

      // A flipped byte in one signature must make ldns-verify-zone fail.
      const broken = text.replace(/(www\.example\.com\. 300 IN RRSIG A [^\n]* )([A-Za-z0-9+/])/, (_m, head: string, c: string) => head + (c === 'A' ? 'B' : 'A'));
      assert.notEqual(broken, text);
      writeFileSync(join(dir, 'broken.signed'), broken);
      assert.notEqual(spawnSync(verifyZone, [join(dir, 'broken.signed')], { encoding: 'utf8' }).status, 0, 'a corrupted signature is caught');

      const nsd = await startNsd({ 'example.com': text }, { nsdPath });
      t.after(() => nsd.stop());
      const target = { delvPath, host: nsd.host, port: nsd.port, zone: 'example.com', anchorFile: writeAnchorFile(dir, 'example.com', dnskey) };
      const positiveQs = pick(POSITIVE);
      const positive = await delvAll(target, positiveQs);
      positiveQs.forEach(([name, type], i) => assert.ok(positive[i]!.fullyValidated, `${name} ${type} must be fully validated:\n${positive[i]!.output}`));
      const negativeQs = pick(NEGATIVE);
      const negative = await delvAll(target, negativeQs.map(([n, ty]) => [n, ty] as const));
      negativeQs.forEach(([name, type, what], i) => {
        assert.ok(negative[i]!.negativeValidated, `${name} ${type} (${what}) must be a validated negative response:\n${negative[i]!.output}`);
      });
      // A CNAME to a name without the type: delv validates the chain and the NODATA at its end.
      const chained = await delv(target, 'alias.example.com', 'MX');
      assert.ok(chained.fullyValidated && /www\.example\.com\.\s+\d+\s+IN\s+\\-MX\s+;-\$NXRRSET/.test(chained.output), `alias MX:\n${chained.output}`);
      // With another key as the anchor nothing validates.
      const stranger = createKey(join(dir, 'stranger'), nameFromText(ORIGIN), algorithm);
      const wrong = await delv({ ...target, anchorFile: writeAnchorFile(join(dir, 'stranger'), 'example.com', stranger.dnskey) }, 'www.example.com', 'A');
      assert.ok(!wrong.fullyValidated && !wrong.negativeValidated, `a wrong trust anchor must not validate:\n${wrong.output}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
