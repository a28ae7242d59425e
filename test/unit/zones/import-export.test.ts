// Master-file import and export. Correctness is judged by wire RDATA, not by
// text, so that spelling differences (relative names, TTL units, case) do not
// hide or fake a difference; NSD is asked for a second opinion where present.
import { test, type TestContext } from 'node:test';
import { needTool } from '../../support/tools.js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { importMasterFile, type ImportError } from '../../../server/zones/import.js';
import { exportZone } from '../../../server/zones/export.js';
import { parseZoneYaml } from '../../../server/zones/parse.js';
import { rdataFromTokens } from '../../../server/zones/rdata.js';
import type { ZoneSource } from '../../../server/zones/model.js';
import { parseTypeName } from '../../../server/wire/constants.js';
import { nameFromText, nameToText } from '../../../server/wire/names.js';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-import-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function runCheckzone(bin: string, origin: string, file: string, cwd: string, print = false): string {
  try {
    return execFileSync(bin, [...(print ? ['-p'] : []), origin, file], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    assert.fail(`nsd-checkzone rejected ${file}:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}

/** Record set as sorted "owner ttl type wire-hex" lines: the identity that matters on the wire. */
function recordSet(zone: ZoneSource): string[] {
  return zone.records.map((r) => `${nameToText(r.owner)} ${r.ttl} ${r.type} ${r.rdata.wire.toString('hex')}`).sort();
}

function parsedZone(yaml: string, file = 'imported.yaml'): ZoneSource {
  const r = parseZoneYaml(yaml, file);
  assert.deepEqual(r.errors, [], `imported YAML does not parse:\n${yaml}`);
  assert.ok(r.zone);
  return r.zone;
}

function importOk(text: string, opts: Parameters<typeof importMasterFile>[1]): string {
  const r = importMasterFile(text, opts);
  assert.deepEqual(r.errors, [], 'import reported errors');
  return r.yaml;
}

/** Expected records written independently of the importer: absolute owner, TTL, type, presentation tokens. */
function expectedSet(rows: [string, number, string, string[]][]): string[] {
  return rows
    .map(([owner, ttl, type, tokens]) => {
      const t = parseTypeName(type);
      assert.ok(t !== undefined, type);
      const wire = rdataFromTokens(t, tokens, nameFromText('.')).wire;
      return `${nameToText(nameFromText(owner))} ${ttl} ${t} ${wire.toString('hex')}`;
    })
    .sort();
}

const INCLUDED = `; pulled in with origin sub.example.com.
@        IN A    192.0.2.77
host 5m  IN AAAA 2001:DB8:0:0::77
`;

// One of everything the importer claims to read, in the layouts BIND users write.
const BIND_ZONE = `; example.com, BIND style
$ORIGIN example.com.
$TTL 1h
@   IN  SOA ns1 hostmaster.example.com. (
        2024010101 ; serial (a ; inside a comment is fine)
        2h         ; refresh
        1h         ; retry
        2w         ; expire
        5m )       ; negative caching
    IN  NS  ns1
        NS  ns2.example.net.
    1d IN MX 10 mail          ; TTL before class
    IN 1d MX 20 mail2.example.net.  ; class before TTL
    TXT "v=spf1 mx -all"
    TXT "quote \\" semi ; back \\\\ dec \\065" "second string"
    CAA 0 issue "letsencrypt.org"
ns1 A 192.0.2.53
    A \\# 4 c0000236
    AAAA 2001:db8::53
WWW 1h30m A 192.0.2.10
_sip._tcp SRV ( 10 60
                5060 sip )
*.apps 300 A 192.0.2.80
blog CNAME www
odd TYPE65534 \\# 4 0a000001
empty TYPE65533 \\# 0
txt TXT "h\\195\\169llo" unquoted "😀"
$INCLUDE included.zone sub.example.com.
after A 192.0.2.99
$ORIGIN 2.0.192.in-addr.arpa.example.com.
10 1W PTR www.example.com.
`;

const BIND_EXPECTED = expectedSet([
  ['example.com.', 3600, 'SOA', ['ns1.example.com.', 'hostmaster.example.com.', '2024010101', '7200', '3600', '1209600', '300']],
  ['example.com.', 3600, 'NS', ['ns1.example.com.']],
  ['example.com.', 3600, 'NS', ['ns2.example.net.']],
  ['example.com.', 86400, 'MX', ['10', 'mail.example.com.']],
  ['example.com.', 86400, 'MX', ['20', 'mail2.example.net.']],
  ['example.com.', 3600, 'TXT', ['v=spf1 mx -all']],
  ['example.com.', 3600, 'TXT', ['quote \\" semi ; back \\\\ dec A', 'second string']],
  ['example.com.', 3600, 'CAA', ['0', 'issue', 'letsencrypt.org']],
  ['ns1.example.com.', 3600, 'A', ['192.0.2.53']],
  ['ns1.example.com.', 3600, 'A', ['192.0.2.54']],
  ['ns1.example.com.', 3600, 'AAAA', ['2001:db8::53']],
  ['www.example.com.', 5400, 'A', ['192.0.2.10']],
  ['_sip._tcp.example.com.', 3600, 'SRV', ['10', '60', '5060', 'sip.example.com.']],
  ['*.apps.example.com.', 300, 'A', ['192.0.2.80']],
  ['blog.example.com.', 3600, 'CNAME', ['www.example.com.']],
  ['odd.example.com.', 3600, 'TYPE65534', ['\\#', '4', '0a000001']],
  ['empty.example.com.', 3600, 'TYPE65533', ['\\#', '0']],
  ['txt.example.com.', 3600, 'TXT', ['h\\195\\169llo', 'unquoted', '\\240\\159\\152\\128']],
  ['sub.example.com.', 3600, 'A', ['192.0.2.77']],
  ['host.sub.example.com.', 300, 'AAAA', ['2001:db8::77']],
  ['after.example.com.', 3600, 'A', ['192.0.2.99']],
  ['10.2.0.192.in-addr.arpa.example.com.', 604800, 'PTR', ['www.example.com.']],
]);

function writeBindZone(dir: string): string {
  writeFileSync(join(dir, 'included.zone'), INCLUDED);
  const file = join(dir, 'example.com.zone');
  writeFileSync(file, BIND_ZONE);
  return file;
}

test('a BIND-style master file imports to YAML holding the same records', (t) => {
  const dir = tempDir(t);
  const file = writeBindZone(dir);
  const yaml = importOk(BIND_ZONE, { file, includeDir: dir });
  assert.deepEqual(recordSet(parsedZone(yaml)), BIND_EXPECTED);

  // The shape people will read and edit.
  const doc = parseYaml(yaml) as { origin: string; ttl: number; records: Record<string, unknown> };
  assert.equal(doc.origin, 'example.com.');
  assert.equal(doc.ttl, 3600);
  assert.match(yaml, /^ {2}'@':$/m, 'apex key is quoted');
  assert.match(yaml, /^ {2}'\*\.apps':$/m, 'wildcard key is quoted');
  const apex = doc.records['@'] as Record<string, unknown>[];
  const soa = apex.find((e) => e.type === 'SOA')!;
  assert.deepEqual(soa.value, { mname: 'ns1', rname: 'hostmaster', serial: 2024010101, refresh: 7200, retry: 3600, expire: 1209600, minimum: 300 });
  assert.equal('ttl' in soa, false, 'no per-entry TTL when it equals the zone default');
  const mx = apex.find((e) => e.type === 'MX')!;
  assert.equal(mx.ttl, 86400);
  assert.deepEqual(mx.values, [{ preference: 10, exchange: 'mail' }, { preference: 20, exchange: 'mail2.example.net.' }]);
  const txt = apex.find((e) => e.type === 'TXT')!;
  assert.deepEqual(txt.values, ['v=spf1 mx -all', ['quote " semi ; back \\ dec A', 'second string']]);
  assert.deepEqual(apex.find((e) => e.type === 'CAA')!.value, { flags: 0, tag: 'issue', value: 'letsencrypt.org' });
  assert.deepEqual(doc.records['txt'], { type: 'TXT', value: ['héllo', 'unquoted', '😀'] });
  assert.deepEqual(doc.records['odd'], { type: 'TYPE65534', value: '\\# 4 0a000001' });
  assert.deepEqual(doc.records['_sip._tcp'], { type: 'SRV', value: { priority: 10, weight: 60, port: 5060, target: 'sip' } });
});

test('the import reads the file as NSD does', (t) => {
  const bin = needTool(t, 'nsd-checkzone', 'nsd');
  if (!bin) return;
  const dir = tempDir(t);
  const file = writeBindZone(dir);
  // NSD resolves $INCLUDE against its working directory, so run it in the zone's directory.
  const printed = runCheckzone(bin, 'example.com', file, dir, true);
  const ours = recordSet(parsedZone(importOk(BIND_ZONE, { file, includeDir: dir })));
  const nsds = recordSet(parsedZone(importOk(printed, { file: 'nsd-checkzone -p' })));
  assert.deepEqual(ours, nsds);
});

test('omitted TTLs follow RFC 1035 until $TTL, then $TTL (RFC 2308)', () => {
  const text = [
    '$ORIGIN example.com.',
    '@ SOA ns1 hostmaster 1 2 3 4 900',
    '  NS ns1',
    'a 600 A 192.0.2.1',
    'b A 192.0.2.2',
    '$TTL 120',
    'c A 192.0.2.3',
    'd 50 A 192.0.2.4',
    'e A 192.0.2.5',
    '',
  ].join('\n');
  const zone = parsedZone(importOk(text, {}));
  const ttl = (owner: string, type = 'A'): number | undefined =>
    zone.records.find((r) => r.owner === nameFromText(owner, zone.origin) && r.type === parseTypeName(type))?.ttl;
  assert.equal(ttl('@', 'SOA'), 900, 'SOA without any TTL takes its minimum, as BIND does');
  assert.equal(ttl('@', 'NS'), 900, 'and later records inherit it');
  assert.equal(ttl('a'), 600);
  assert.equal(ttl('b'), 600, 'before $TTL: the last explicit TTL');
  assert.equal(ttl('c'), 120);
  assert.equal(ttl('d'), 50);
  assert.equal(ttl('e'), 120, 'after $TTL: $TTL, not the last explicit TTL');
});

test('import errors name file, line and column', () => {
  const head = '$ORIGIN example.com.\n$TTL 1h\n@ SOA ns1 hostmaster 1 2 3 4 5\n  NS ns1\n';
  // [record lines appended after the 4-line head, expected line, expected col, message pattern]
  const cases: [string, number, number, RegExp][] = [
    ['www CH A 192.0.2.1', 5, 5, /class CH .*only IN/],
    ['www IN RP mbox txt', 5, 8, /RP.*TYPE17 \\# <length> <hex>/],
    ['www FROB 1', 5, 5, /unknown record type "FROB"/],
    ['www 1x A 192.0.2.1', 5, 5, /bad TTL "1x"/],
    ['www A 192.0.2', 5, 7, /not an IPv4 address/],
    ['ok A 192.0.2.1\nwww TXT "never closed', 6, 9, /quoted string is not closed/],
    ['www A ( 192.0.2.1\n\nmail A 192.0.2.2', 5, 7, /"\(" is never closed/],
    ['www A 192.0.2.1 )', 5, 17, /"\)" without a matching "\("/],
    ['$GENERATE 1-10 host$ A 192.0.2.$', 5, 1, /\$GENERATE/],
    ['other.org. A 192.0.2.1', 5, 1, /outside the zone example\.com\./],
    ['www TYPE1 \\# 3 c00002', 5, 11, /not a valid A record/],
    ['www 1h A 192.0.2.1\nwww 2h A 192.0.2.2', 6, 1, /TTL 7200 differs from 3600/],
    ['$INCLUDE /nonexistent/pulsedns.zone', 5, 10, /cannot read \$INCLUDE file/],
  ];
  for (const [lines, line, col, pattern] of cases) {
    const r = importMasterFile(head + lines + '\n', { file: 'db.example' });
    const hit = r.errors.find((e: ImportError) => pattern.test(e.message));
    assert.ok(hit, `${JSON.stringify(lines)}: no error matching ${pattern}; got ${JSON.stringify(r.errors)}`);
    assert.deepEqual({ file: hit.file, line: hit.line, col: hit.col }, { file: 'db.example', line, col }, `${JSON.stringify(lines)}: ${hit.message}`);
  }

  const noOrigin = importMasterFile('www 3600 A 192.0.2.1\n', {});
  assert.match(noOrigin.errors[0]?.message ?? '', /relative, but no origin/);
  assert.deepEqual([noOrigin.errors[0]?.line, noOrigin.errors[0]?.col], [1, 1]);
});

// A YAML zone with the awkward cases export has to escape and import has to read back.
const YAML_ZONE = `origin: example.org.
ttl: 3600
records:
  '@':
    - type: SOA
      value: { mname: ns1, rname: hostmaster, serial: 2024060101, refresh: 7200, retry: 3600, expire: 1209600, minimum: 300 }
    - type: NS
      values: [ns1, ns2.example.net.]
    - type: MX
      ttl: 600
      values:
        - { preference: 10, exchange: mail }
        - { preference: 20, exchange: mail2.example.net. }
    - type: TXT
      values:
        - v=spf1 mx -all
        - 'quotes " and \\ and ; and ( ) and $ORIGIN'
        - [first, second string]
        - ""
        - "unicode é 😀 and a tab\\tand a NUL \\0"
        - ${'x'.repeat(300)}
        - ${'é'.repeat(200)}
    - type: CAA
      values:
        - { flags: 0, tag: issue, value: letsencrypt.org }
        - { flags: 128, tag: iodef, value: 'mailto:security@example.org' }
  ns1:
    - { type: A, value: 192.0.2.53 }
    - { type: AAAA, value: 2001:db8::53 }
  www:
    type: A
    ttl: 300
    values: [192.0.2.10, 192.0.2.11]
  '*.apps':
    type: CNAME
    value: www
  _sip._tcp:
    type: SRV
    value: { priority: 10, weight: 60, port: 5060, target: www }
  'we\\.ird':
    type: TYPE65534
    value: \\# 4 0a000001
  '10':
    type: PTR
    value: www.example.org.
  lab:
    type: NS
    value: ns.lab
  ns.lab:
    type: A
    value: 192.0.2.99
`;

test('export then import gives back the same record set', () => {
  const zone = parsedZone(YAML_ZONE, 'example.org.yaml');
  const master = exportZone(zone);
  const lines = master.split('\n').filter((l) => l && !l.startsWith(';'));
  assert.equal(lines[0], '$ORIGIN example.org.');
  assert.equal(lines[1], '$TTL 3600');
  assert.match(lines[2]!, /^example\.org\.\s+3600 IN SOA /);
  assert.ok(lines.slice(2).every((l) => /^\S+\.\s+\d+ IN \S+ /.test(l)), 'absolute owner, TTL and class on every line');
  assert.match(master, / TYPE65534 \\# 4 0a000001$/m);
  assert.match(master, /^we\\\.ird\.example\.org\. /m);

  const yaml = importOk(master, {});
  const back = parsedZone(yaml);
  assert.equal(back.origin, zone.origin);
  // Exported in 255-byte pieces (one cuts an é in half), read back as the one string it was.
  const txt = (parseYaml(yaml) as { records: Record<string, { type: string; values?: unknown[] }[]> }).records['@']!.find((e) => e.type === 'TXT')!;
  assert.ok(txt.values!.includes('x'.repeat(300)));
  assert.ok(txt.values!.includes('é'.repeat(200)));
  assert.equal(back.defaultTtl, zone.defaultTtl);
  assert.deepEqual(recordSet(back), recordSet(zone));
});

test('nsd-checkzone accepts the exported zone', (t) => {
  const bin = needTool(t, 'nsd-checkzone', 'nsd');
  if (!bin) return;
  const dir = tempDir(t);
  const zone = parsedZone(YAML_ZONE, 'example.org.yaml');
  const file = join(dir, 'example.org.zone');
  writeFileSync(file, exportZone(zone));
  const out = runCheckzone(bin, 'example.org', file, dir);
  assert.match(out, /zone example\.org is ok/);
  // NSD's reading of our export, imported again, must still be the same zone.
  const printed = runCheckzone(bin, 'example.org', file, dir, true);
  assert.deepEqual(recordSet(parsedZone(importOk(printed, { origin: 'example.org' }))), recordSet(zone));
});
