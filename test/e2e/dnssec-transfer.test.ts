// Signed zone transfers: the sample zone (pool-backed www, wildcard, CNAME,
// SRV under empty non-terminals, a delegation with glue) is signed with a
// key from `keys generate`'s library, transferred by `dig AXFR` and by an
// NSD secondary. ldns-verify-zone must accept the AXFR as a complete signed
// zone, and delv (trust anchor: the zone's own key) must validate answers
// taken from the NSD secondary, positive and negative alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createKey } from '../../server/dnssec/keys.js';
import { dsRdata, dsText } from '../../server/dnssec/dnskey.js';
import { nameFromText } from '../../server/wire/names.js';
import { needTool } from '../support/tools.js';
import { startNsdSecondary } from '../support/nsd-secondary.js';
import { startSignedPrimary } from '../support/signed-primary.js';
import { delvAll, writeAnchorFile } from '../support/delv.js';

const REPO = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');

/** The primary runs in this process: dig must not block its event loop. */
async function digText(dig: string, args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(dig, args, { encoding: 'utf8', timeout: 15_000 });
  return stdout;
}

/** dig's AXFR output reduced to records: `owner ttl class type rdata`, comments dropped. */
function axfrRecords(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith(';'));
}

test('a signed zone transfers fully signed: ldns-verify-zone accepts the AXFR, delv validates through an NSD secondary', async (t) => {
  const dig = needTool(t, 'dig', 'bind9-dnsutils');
  const verifyZone = dig && needTool(t, 'ldns-verify-zone', 'ldnsutils');
  const delvPath = verifyZone && needTool(t, 'delv', 'bind9-dnsutils');
  const nsdPath = delvPath && needTool(t, 'nsd');
  if (!dig || !verifyZone || !delvPath || !nsdPath) return;
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-dnssec-xfr-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const zones = join(dir, 'zones');
  cpSync(join(REPO, 'zones'), zones, { recursive: true });
  rmSync(join(zones, '2.0.192.in-addr.arpa.yaml'));
  // A signed child: its DS is the parent's to sign, its NS and glue are not.
  const child = createKey(join(dir, 'child-keys'), nameFromText('secure.example.com.'), 13);
  appendFileSync(join(zones, 'example.com.yaml'), [
    '  secure:',
    '    - { type: NS, value: ns.secure }',
    `    - { type: DS, value: '${dsText(dsRdata(child.zone, child.dnskey))}' }`,
    '  ns.secure: { type: A, value: 192.0.2.54 }',
    '',
  ].join('\n'));
  const key = createKey(join(dir, 'keys'), nameFromText('example.com.'), 13);
  const primary = await startSignedPrimary(zones, join(dir, 'keys'));
  t.after(() => primary.stop());

  const records = axfrRecords(await digText(dig, ['@127.0.0.1', '-p', String(primary.port), 'example.com', 'AXFR', '+nocmd', '+nostats', '+onesoa']));
  const file = join(dir, 'example.com.axfr');
  writeFileSync(file, records.join('\n') + '\n');
  const v = spawnSync(verifyZone, [file], { encoding: 'utf8' });
  assert.equal(v.status, 0, `ldns-verify-zone failed:\n${v.stdout}${v.stderr}\n${records.join('\n')}`);
  assert.match(v.stdout + v.stderr, /Zone is verified and complete/);

  const has = (re: RegExp): boolean => records.some((l) => re.test(l));
  const count = (re: RegExp): number => records.filter((l) => re.test(l)).length;
  assert.equal(count(/^www\.example\.com\.\s+\d+\s+IN\s+A\s/), 3, 'the pool-backed name carries every configured member');
  assert.ok(has(/^www\.example\.com\.\s+\d+\s+IN\s+RRSIG\s+A\s/), 'the pool RRset is signed');
  assert.equal(count(/^example\.com\.\s+\d+\s+IN\s+DNSKEY\s/), 1);
  assert.ok(has(/^example\.com\.\s+\d+\s+IN\s+CDS\s/) && has(/^example\.com\.\s+\d+\s+IN\s+CDNSKEY\s/), 'CDS and CDNSKEY at the apex');
  assert.ok(has(/^lab\.example\.com\.\s+\d+\s+IN\s+NSEC\s+\S+\s+NS RRSIG NSEC$/), 'the delegation NSEC lists NS (no DS here), RRSIG, NSEC');
  assert.ok(!has(/^lab\.example\.com\.\s+\d+\s+IN\s+RRSIG\s+NS\s/), 'delegation NS is not signed');
  assert.ok(has(/^secure\.example\.com\.\s+\d+\s+IN\s+NSEC\s+\S+\s+NS DS RRSIG NSEC$/), 'a signed delegation NSEC lists NS DS');
  assert.ok(has(/^secure\.example\.com\.\s+\d+\s+IN\s+RRSIG\s+DS\s/) && !has(/^secure\.example\.com\.\s+\d+\s+IN\s+RRSIG\s+NS\s/), 'DS signed, NS not');
  assert.ok(!has(/^ns1\.lab\.example\.com\.\s+\d+\s+IN\s+(RRSIG|NSEC)\s/), 'glue is neither signed nor in the chain');
  assert.ok(!has(/^_tcp\.example\.com\.\s+\d+\s+IN\s+NSEC\s/), 'an empty non-terminal is not in the chain');
  // IXFR is answered with the same signed zone.
  const ixfr = axfrRecords(await digText(dig, ['@127.0.0.1', '-p', String(primary.port), 'example.com', 'IXFR=1', '+nocmd', '+nostats', '+onesoa']));
  assert.deepEqual([...new Set(ixfr)].sort(), [...new Set(records)].sort(), 'IXFR carries the whole signed zone');

  const nsd = await startNsdSecondary([{ origin: 'example.com', request: 'AXFR' }], { primary: { host: primary.host, port: primary.port }, nsdPath, serverOptions: ['minimal-responses: yes'] });
  t.after(() => nsd.stop());
  const target = { delvPath, host: nsd.host, port: nsd.port, zone: 'example.com', anchorFile: writeAnchorFile(dir, 'example.com', key.dnskey) };
  const positive: [string, string][] = [
    ['example.com', 'SOA'],
    ['example.com', 'DNSKEY'],
    ['example.com', 'CDS'],
    ['example.com', 'MX'],
    ['www.example.com', 'A'],
    ['www.example.com', 'AAAA'],
    ['blog.example.com', 'A'],
    ['x.apps.example.com', 'A'],
    ['_sip._tcp.example.com', 'SRV'],
    ['secure.example.com', 'DS'],
  ];
  const negative: [string, string][] = [
    ['nope.example.com', 'A'],
    ['www.example.com', 'MX'],
    ['_tcp.example.com', 'TXT'],
    ['x.apps.example.com', 'AAAA'],
    ['lab.example.com', 'DS'],
  ];
  const pos = await delvAll(target, positive);
  positive.forEach(([n, ty], i) => assert.ok(pos[i]!.fullyValidated, `${n} ${ty} from the secondary must be fully validated:\n${pos[i]!.output}`));
  const neg = await delvAll(target, negative);
  negative.forEach(([n, ty], i) => assert.ok(neg[i]!.negativeValidated, `${n} ${ty} from the secondary must be a validated negative answer:\n${neg[i]!.output}`));
});
