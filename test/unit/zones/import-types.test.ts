// import and export of the types beyond RFC 1035, with NSD as the second
// opinion: NSD reads our export and the master file we import, and what it
// prints must come back through import as the same records (judged by wire bytes).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importMasterFile } from '../../../server/zones/import.js';
import { exportZone } from '../../../server/zones/export.js';
import { parseZoneYaml } from '../../../server/zones/parse.js';
import type { ZoneSource } from '../../../server/zones/model.js';
import { nameToText } from '../../../server/wire/names.js';
import { needTool } from '../../support/tools.js';

const MASTER = `$ORIGIN shop.test.
$TTL 1h
@        IN SOA ns1 hostmaster 2024060101 2h 1h 2w 5m
         IN NS  ns1
         IN HTTPS 1 . alpn="h2,h3" ( ipv4hint=192.0.2.1,192.0.2.2
                    port=8443 )
         IN HTTPS 2 alt.example.net. mandatory=alpn alpn=h2 no-default-alpn ech="AEX+DQ==" key65000="two words"
         IN HINFO INTEL "Linux 6"
alias    IN HTTPS 0 svc.example.net.
_dns     IN SVCB 1 ns1 alpn=dot port=853
ns1      IN A 192.0.2.53
www      IN SSHFP 4 2 8cb0fc6c527506a053f4f14c8464bebbd6dede27 38d11468dd953d7d6a3021f1
         IN NAPTR 100 10 "S" "SIP+D2U" "" _sip._udp
         IN NAPTR 100 20 "U" "E2U+sip" "!^.*$!sip:info@shop.test!" .
         IN URI 10 1 "https://www.shop.test/"
_443._tcp.www IN TLSA 3 1 1 8CB0FC6C527506A053F4F14C8464BEBBD6DEDE2738D11468DD953D7D6A3021F1
child    IN NS ns.example.net.
         IN DS 60485 5 1 ( 2BB183AF5F22588179A53B0A98631FAD
                           1A292118 )
key      IN DNSKEY 257 3 13 (
                mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpV
                XckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ== )
`;

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-types-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function imported(text: string, origin?: string): ZoneSource {
  const r = importMasterFile(text, origin ? { file: 'db.shop', origin } : { file: 'db.shop' });
  assert.deepEqual(r.errors, [], 'import reported errors');
  const z = parseZoneYaml(r.yaml, 'shop.test.yaml');
  assert.deepEqual(z.errors, [], `imported YAML does not parse:\n${r.yaml}`);
  return z.zone!;
}

function recordSet(zone: ZoneSource): string[] {
  return zone.records.map((r) => `${nameToText(r.owner)} ${r.ttl} ${r.type} ${r.rdata.wire.toString('hex')}`).sort();
}

/** NSD's own reading of a master file, printed back (nsd-checkzone -p). */
function nsdReading(bin: string, dir: string, text: string): string {
  const file = join(dir, 'shop.test.zone');
  writeFileSync(file, text);
  try {
    return execFileSync(bin, ['-p', 'shop.test', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    assert.fail(`nsd-checkzone rejected the zone:\n${err.stdout ?? ''}${err.stderr ?? ''}\n${text}`);
  }
}

test('import reads every new type in its text form, as NSD reads it', (t) => {
  const zone = imported(MASTER);
  assert.equal(zone.records.length, 16);
  const bin = needTool(t, 'nsd-checkzone', 'nsd');
  if (!bin) return;
  const nsd = imported(nsdReading(bin, tempDir(t), MASTER), 'shop.test');
  assert.deepEqual(recordSet(zone), recordSet(nsd));
});

test('export of the new types loads in NSD and comes back the same through import', (t) => {
  const zone = imported(MASTER);
  const master = exportZone(zone);
  for (const type of ['HTTPS', 'SVCB', 'HINFO', 'SSHFP', 'NAPTR', 'URI', 'TLSA', 'DS', 'DNSKEY']) {
    assert.match(master, new RegExp(` IN ${type} +\\S`), `${type} exported by its mnemonic, in presentation form`);
  }
  assert.deepEqual(recordSet(imported(master)), recordSet(zone), 'export then import');
  const bin = needTool(t, 'nsd-checkzone', 'nsd');
  if (!bin) return;
  assert.deepEqual(recordSet(imported(nsdReading(bin, tempDir(t), master), 'shop.test')), recordSet(zone), 'NSD reads our export as the same records');
});

test('RFC 3597 data of a known new type imports to its presentation form', () => {
  const head = '$ORIGIN shop.test.\n$TTL 300\n@ SOA ns1 hm 1 2 3 4 5\n NS ns1\nns1 A 192.0.2.1\n';
  const r = importMasterFile(head + 'h TYPE65 \\# 10 00010000010003026832\nh HINFO \\# 8 02504304756e6978\n', { file: 'db' });
  assert.deepEqual(r.errors, []);
  assert.match(r.yaml, /type: HTTPS\n\s+value: 1 \. alpn="h2"/);
  assert.match(r.yaml, /type: HINFO\n\s+value: '"PC" "unix"'/);
  const bad = importMasterFile(head + 'h TYPE65 \\# 2 0001\nh DS \\# 4 00010203\n', { file: 'db' });
  assert.ok(bad.errors.some((e) => /HTTPS.*malformed/.test(e.message) && e.line === 6), JSON.stringify(bad.errors));
  assert.ok(bad.errors.some((e) => /DS.*malformed/.test(e.message) && e.line === 7), JSON.stringify(bad.errors));
});
