// The fast zone parser must give exactly parseZoneYaml's result, or undefined.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, basename, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { parseZoneYaml } from '../../../server/zones/parse.js';
import { fastParseZoneCompact, fastParseZoneYaml } from '../../../server/zones/fastparse.js';
import { compactFromSource, type RecordTable } from '../../../server/zones/table.js';
import { importMasterFile } from '../../../server/zones/import.js';
import { makeRng } from '../../support/rng.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

function originOf(file: string): string | undefined {
  const b = basename(file).replace(/\.ya?ml$/, '');
  return b.startsWith('_') ? undefined : b;
}

/** Fast result equals the full one (errors, and whole objects: owner, type, ttl, rdata, pos, serialAuto, ...). */
function same(text: string, file = 'z.yaml', origin: string | undefined = 'example.com'): boolean {
  const fast = fastParseZoneYaml(text, file, origin);
  if (fast === undefined) return false;
  const full = parseZoneYaml(text, file, origin);
  // Compare piece by piece: a failing deepStrictEqual on a large zone renders a diff too big to print.
  const { zone: fz, ...fastRest } = fast;
  const { zone: wz, ...fullRest } = full;
  assert.deepStrictEqual(fastRest, fullRest, 'errors differ');
  assert.equal(fz === undefined, wz === undefined, 'one parser gave a zone, the other none');
  sameCompact(text, file, origin, full);
  if (!fz || !wz) return true;
  const { records: fr, ...fzRest } = fz;
  const { records: wr, ...wzRest } = wz;
  assert.deepStrictEqual(fzRest, wzRest);
  assert.equal(fr.length, wr.length, 'record count');
  for (let i = 0; i < fr.length; i++) {
    const a = fr[i]!;
    const b = wr[i]!;
    const show = (x: typeof a): string => JSON.stringify({ ...x, rdata: { text: x.rdata.text, wire: x.rdata.wire.toString('hex') } });
    assert.ok(isDeepStrictEqual(a, b), `record ${i} differs:\nfast ${show(a)}\nfull ${show(b)}`);
  }
  return true;
}

/** The compiler's path (records straight into a table) holds what the full parser's zone holds. */
function sameCompact(text: string, file: string, origin: string | undefined, full: ReturnType<typeof parseZoneYaml>): void {
  const compact = fastParseZoneCompact(text, file, origin);
  assert.ok(compact, 'the compact fast path bailed where the other did not');
  assert.deepStrictEqual(compact.errors, full.errors, 'compact: errors differ');
  assert.equal(compact.zone === undefined, full.zone === undefined);
  if (!compact.zone || !full.zone) return;
  const want = compactFromSource(full.zone);
  const { records: ct, ...cRest } = compact.zone;
  const { records: wt, ...wRest } = want;
  assert.deepStrictEqual(cRest, wRest);
  assert.equal(ct.count, wt.count, 'compact: record count');
  for (let i = 0; i < ct.count; i++) {
    const row = (t: RecordTable, k: number): string =>
      [t.names[t.owner[k]!], t.type[k], t.ttl[k], Buffer.from(t.wire(k)).toString('hex'), t.line[k], t.col[k], t.nsTargets.get(k)].join(' ');
    assert.equal(row(ct, i), row(wt, i), `compact record ${i}`);
  }
}

function yamlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out.push(...yamlFiles(p));
    else if (/\.ya?ml$/.test(n)) out.push(p);
  }
  return out;
}

test('repository zone files: equal result or undefined', () => {
  const files = ['zones', 'test/fixtures/diff', 'deploy/compose-zones'].flatMap((d) => yamlFiles(join(ROOT, d)));
  assert.ok(files.length > 0);
  let fastCount = 0;
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    try {
      if (same(text, f, originOf(f))) fastCount++;
    } catch (e) {
      throw new Error(`${f}: ${(e as Error).message}`);
    }
  }
  // At least the simple sample zones are inside the subset.
  assert.ok(fastCount >= 2, `only ${fastCount} of ${files.length} files took the fast path`);
});

// ---- generated zones -----------------------------------------------------

/** One record body per type, in flow form (value part only). */
function values(i: number, r: () => number): [string, string][] {
  const ip = `${10 + (i % 200)}.${(i >> 8) & 255}.${i & 255}.${1 + Math.floor(r() * 250)}`;
  return [
    ['A', `value: ${ip}`],
    ['A', `values: [${ip}, 192.0.2.${i % 250}]`],
    ['AAAA', `value: '2001:db8::${(i % 65535).toString(16)}'`],
    ['AAAA', `value: 2001:db8:${(i % 65535).toString(16)}::1`],
    ['NS', `values: [ns1, ns2.example.net.]`],
    ['CNAME', `value: target${i}`],
    ['PTR', `value: "host${i}.example.net."`],
    ['MX', `value: { preference: ${i % 100}, exchange: mail${i} }`],
    ['MX', `values: ['10 mx1.example.net.', { preference: 20, exchange: mx2 }]`],
    ['SRV', `value: { priority: 10, weight: ${i % 100}, port: 5060, target: sip${i} }`],
    ['SRV', `value: '1 2 443 www'`],
    ['TXT', `value: v=spf1 mx -all ${i}`],
    ['TXT', `values: ['it''s ${i}', [first string, second string, ''], "dq ${i}", 12345]`],
    ['TXT', `value: 'café ☃ ; "x" \\ (y)'`],
    ['CAA', `value: { flags: 0, tag: issue, value: ca${i}.example.net }`],
    ['CAA', `value: { flags: 128, tag: iodef, value: 'mailto:sec@example.com' }`],
    ['TYPE65280', `value: '\\# 4 0a0b0c${(i % 256).toString(16).padStart(2, '0')}'`],
    ['CNAME', `value: 10`],
    ['HTTPS', `value: { priority: 1, target: '.', params: { alpn: [h2, h3], port: ${i % 65535}, ipv4hint: 192.0.2.${i % 250} } }`],
    ['HTTPS', `value: '1 . alpn="h2,h3" no-default-alpn ipv6hint=2001:db8::${(i % 65535).toString(16)}'`],
    ['SVCB', `value: { priority: 0, target: svc${i}.example.net. }`],
    ['TLSA', `value: { usage: 3, selector: 1, matching_type: 1, data: 8cb0fc6c527506a053f4f14c8464bebbd6dede2738d11468dd953d7d6a3021f1 }`],
    ['SSHFP', `value: '4 2 8cb0fc6c527506a053f4f14c8464bebbd6dede2738d11468dd953d7d6a3021f1'`],
    ['NAPTR', `value: { order: ${i % 100}, preference: 10, flags: S, service: 'SIP+D2U', replacement: _sip._udp }`],
    ['URI', `value: { priority: 10, weight: 1, target: 'https://h${i}.example.com/' }`],
    ['HINFO', `value: { cpu: INTEL, os: 'Linux ${i}' }`],
    ['DS', `value: { key_tag: ${i % 65535}, algorithm: 13, digest_type: 2, digest: 8cb0fc6c527506a053f4f14c8464bebbd6dede2738d11468dd953d7d6a3021f1 }`],
    ['DNSKEY', `value: '257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpV XckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ=='`],
  ];
}

const BASE_EXTRA = `  blk:
    - type: SOA
      value:
        mname: ns1
        rname: hostmaster
        serial: 2024010101
  caa: { type: CAA, value: { flags: 0, tag: issue, value: 'a"b\\c' } }
  t1: { type: TXT, values: [a b, 'c''d', "e f"] }
`;

const SOA_FLOW = `    - { type: SOA, value: { mname: ns1, rname: hostmaster, serial: auto, refresh: 7200 } }`;

function generate(n: number, seed: number, style: 'flow' | 'block' | 'mixed'): string {
  const r = makeRng(seed);
  const lines: string[] = ['# generated', 'origin: example.com.', 'ttl: 3600 # default', '', 'records:'];
  lines.push(`  '@':`, SOA_FLOW, `    - { type: NS, values: [ns1, ns2] }`);
  let count = 0;
  for (let i = 0; count < n; i++) {
    const all = values(i, r);
    const [type, body] = all[Math.floor(r() * all.length)]!;
    // Some TTLs as durations (5m, 1h30m): both parsers read them alike.
    const ttl = r() < 0.3 ? `ttl: ${r() < 0.7 ? Math.floor(r() * 86400) : `${1 + Math.floor(r() * 23)}h${Math.floor(r() * 60)}m`}, ` : '';
    const owner = r() < 0.2 ? `'h${i}.sub'` : r() < 0.1 ? `"d${i}"` : r() < 0.05 ? `h${i}.example.com.` : `h${i}`;
    const s = style === 'mixed' ? (['flow', 'block', 'list', 'compact'] as const)[i % 4] : style === 'flow' ? 'flow' : (['block', 'list', 'compact'] as const)[i % 3];
    if (r() < 0.05) lines.push('', '  # a comment line');
    if (s === 'flow') {
      lines.push(`  ${owner}: { type: ${type}, ${ttl}${body} }${r() < 0.1 ? '   # trailing' : ''}`);
      count++;
    } else if (s === 'list') {
      lines.push(`  ${owner}:`, `    - { type: ${type}, ${ttl}${body} }`, `    - { type: TXT, value: 'second ${i}' }`);
      count += 2;
    } else if (s === 'block') {
      lines.push(`  ${owner}:`, `    type: ${type}`);
      if (ttl) lines.push(`    ${ttl.slice(0, -2)}`);
      lines.push(`    ${body}`);
      count++;
    } else {
      lines.push(`  ${owner}:`, `    - type: ${type}`);
      if (ttl) lines.push(`      ${ttl.slice(0, -2)}`);
      lines.push(`      ${body}`);
      lines.push(`    - type: TXT`, `      values:`, `        - plain text ${i}`, `        - 'quoted'`, `        - [a, b]`);
      count += 4;
    }
  }
  return lines.join('\n') + '\n';
}

for (const style of ['flow', 'block', 'mixed'] as const) {
  test(`generated ${style} zone of 5000 records: same result`, () => {
    const text = generate(5000, style.length, style);
    assert.ok(same(text), 'generated zone did not take the fast path');
  });
}

test('block SOA and zone without origin key: same result', () => {
  const text = `ttl: 300
records:
  '@':
    - type: SOA
      ttl: 7200
      value:
        mname: ns1   # comment
        rname: hostmaster
        serial: 2024060101
    - type: NS
      values:
        - ns1
        - ns2.example.net.
    - type: MX
      values:
        - { preference: 10, exchange: mail }
        - '20 mail2.example.net.'
  ns1:
    - { type: A, value: 192.0.2.53 }
  www: { type: A, pool: web }
  '10': { type: PTR, value: www }
  20: { type: PTR, value: www }
`;
  assert.ok(same(text, 'x.yaml', 'example.com'));
  assert.ok(same(text.replace('ttl: 300', 'origin: other.test'), 'x.yaml', undefined));
});

test('importer output: same result', () => {
  const master = `$ORIGIN example.com.
$TTL 3600
@ IN SOA ns1 hostmaster 2024010101 7200 3600 1209600 300
@ IN NS ns1
@ IN NS ns2.example.net.
@ IN MX 10 mail
ns1 IN A 192.0.2.53
ns1 IN AAAA 2001:db8::53
www 300 IN A 192.0.2.10
www 300 IN A 192.0.2.11
txt IN TXT "hello world" "second"
txt IN TXT "v=spf1 mx -all"
_sip._tcp IN SRV 10 60 5060 sip
sip IN A 192.0.2.60
caa IN CAA 0 issue "letsencrypt.org"
*.apps IN A 192.0.2.80
c IN CNAME www
`;
  const { yaml, errors } = importMasterFile(master, { file: 'example.com.zone' });
  assert.deepEqual(errors, []);
  assert.ok(same(yaml, 'example.com.yaml', 'example.com'), `importer output did not take the fast path:\n${yaml}`);
});

// ---- mutation fuzzing: whatever the fast path accepts, the full parser must agree with ----

test('mutated zones: fast result is undefined or equal to the full parser', () => {
  const r = makeRng(Number(process.env.FASTPARSE_SEED ?? 12345));
  const base = generate(40, 3, 'mixed') + BASE_EXTRA;
  assert.ok(same(base), 'the unmutated base must take the fast path');
  const tricky = [':', ': ', '#', ' #', "'", '"', '{', '}', '[', ']', ',', '- ', '-', '&a ', '*a', '!', '|', '>', '?', '%', '@', '`', '\\', '\t', ' ', '  ', '\n', '\n  ', '0', '.', 'e5', '0x', '~', 'null', 'true', '<<', '\u00e9', '\r', '---\n', '...'];
  let accepted = 0;
  const N = Number(process.env.FASTPARSE_FUZZ ?? 4000);
  for (let n = 0; n < N; n++) {
    let text = base;
    const edits = 1 + Math.floor(r() * 3);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(r() * text.length);
      const op = r();
      if (op < 0.6) text = text.slice(0, at) + tricky[Math.floor(r() * tricky.length)] + text.slice(at);
      else if (op < 0.85) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(r() * 3));
      else {
        const lines = text.split('\n');
        const i = Math.floor(r() * lines.length);
        lines.splice(i, 0, lines[Math.floor(r() * lines.length)]!);
        text = lines.join('\n');
      }
    }
    try {
      if (same(text)) accepted++;
    } catch (err) {
      throw new Error(`mutant ${n} differs: ${(err as Error).message}\n---\n${text}`);
    }
  }
  console.log(`# fastparse fuzz: ${accepted} of ${N} mutants took the fast path, all equal to the full parser`);
  assert.ok(accepted > 0);
});

// ---- must bail out --------------------------------------------------------

const BASE = `records:
  '@':
    - { type: SOA, value: { mname: ns1, rname: hostmaster } }
    - { type: NS, values: [ns1, ns2] }
  ns1: { type: A, value: 192.0.2.1 }
`;

test('the base of the bail-out cases takes the fast path', () => {
  assert.ok(same(BASE));
});

const BAIL: Record<string, string> = {
  anchor: BASE + `  a: &x { type: A, value: 192.0.2.2 }\n  b: *x\n`,
  'anchor on scalar': BASE + `  a: { type: A, value: &v 192.0.2.2 }\n`,
  tag: BASE + `  a: { type: A, value: !!str 192.0.2.2 }\n`,
  'multi-line plain': BASE + `  a:\n    type: TXT\n    value: one\n      two\n`,
  'multi-line quoted': BASE + `  a:\n    type: TXT\n    value: 'one\n      two'\n`,
  'block scalar': BASE + `  a:\n    type: TXT\n    value: |\n      text\n`,
  'multi-line flow': BASE + `  a: { type: A,\n       value: 192.0.2.2 }\n`,
  'double-quoted escape': BASE + `  a: { type: TXT, value: "tab\\there" }\n`,
  tab: BASE + `  a: { type: A,\tvalue: 192.0.2.2 }\n`,
  'tab indent': BASE.replace('  ns1:', '\tns1:'),
  'syntax error': BASE + `  a: { type: A, value: 192.0.2.2\n`,
  'float ttl': BASE + `  a: { type: A, ttl: 1.5, value: 192.0.2.2 }\n`,
  'octal-looking ttl': BASE + `  a: { type: A, ttl: 0300, value: 192.0.2.2 }\n`,
  'hex ttl': BASE + `  a: { type: A, ttl: 0x10, value: 192.0.2.2 }\n`,
  'null value': BASE + `  a: { type: TXT, value: null }\n`,
  'bool value': BASE + `  a: { type: TXT, value: true }\n`,
  'float value': BASE + `  a: { type: CNAME, value: 1e3 }\n`,
  'directive': '%YAML 1.2\n---\n' + BASE,
  'merge key': BASE + `  <<: { type: A, value: 192.0.2.2 }\n`,
  'alias owner': BASE + `  *.apps: { type: A, value: 192.0.2.2 }\n`,
  'no records': `ttl: 300\n`,
  'crlf': BASE.replace(/\n/g, '\r\n'),
  'comment without space': BASE + `  a: { type: A, value: 192.0.2.2 }# c\n`,
  'compact seq at key indent': BASE + `  a:\n    type: NS\n    values:\n    - ns1\n`,
  'trailing comma': BASE + `  a: { type: A, value: 192.0.2.2, }\n`,
  'empty value in flow': BASE + `  a: { type: A, value: }\n`,
  'complex key': BASE + `  ? a\n  : { type: A, value: 192.0.2.2 }\n`,
  // Deeper than the fast path reads (FAST_MAX_DEPTH): the depth scan and the full parser decide (source.ts).
  'deep flow': BASE + `  a: { type: TXT, value: ${'['.repeat(45)}x${']'.repeat(45)} }\n`,
  'deep block': BASE + `  a:\n${Array.from({ length: 45 }, (_, i) => `${'  '.repeat(i + 2)}k${i}:`).join('\n')} v\n`,
};

for (const [name, text] of Object.entries(BAIL)) {
  test(`bails out: ${name}`, () => {
    assert.equal(fastParseZoneYaml(text, 'z.yaml', 'example.com'), undefined);
  });
}

// ---- reported by the fast path itself: the full parser's errors, at the same line:col ----

const REPORTED: Record<string, { text: string; at: string | null }> = {
  'duplicate owner': { text: BASE + `  ns1: { type: AAAA, value: '2001:db8::1' }\n`, at: '6:3' },
  'duplicate record key': { text: BASE + `  a: { type: A, value: 192.0.2.2, value: 192.0.2.3 }\n`, at: '6:35' },
  'bad indentation': { text: BASE + `   b: { type: A, value: 192.0.2.2 }\n`, at: '6:4' },
  'bad indentation, less': { text: BASE + ` b: { type: A, value: 192.0.2.2 }\n  c: { type: A, value: 192.0.2.3 }\n`, at: '6:2' },
  'bad indentation after a block': { text: BASE + `  b:\n    type: A\n    value: 192.0.2.2\n   c: { type: A, value: 192.0.2.3 }\n`, at: '9:4' },
  'bad address': { text: BASE + `  a: { type: A, value: 192.0.2.300 }\n`, at: '6:24' },
  'bad address in a list': { text: BASE + `  a:\n    - type: A\n      values: [192.0.2.1, 192.0.2.x]\n`, at: '8:27' },
  'unknown key': { text: BASE + `  a: { type: A, vlaue: 192.0.2.2 }\n`, at: '6:17' },
  'unknown type': { text: BASE + `  a: { type: AX, value: 192.0.2.2 }\n`, at: '6:14' },
  'bad ttl': { text: BASE + `  a: { type: A, ttl: 3x, value: 192.0.2.2 }\n`, at: '6:22' },
  'bad zone ttl': { text: 'ttl: forever\n' + BASE, at: '1:6' },
  'outside zone': { text: BASE + `  a.example.net.: { type: A, value: 192.0.2.2 }\n`, at: '6:3' },
  'pool with value': { text: BASE + `  w: { type: A, pool: web, value: 192.0.2.2 }\n`, at: '6:6' },
  'nested map in non-structured type': { text: BASE + `  a: { type: A, value: { x: 1 } }\n`, at: '6:24' },
  'unknown struct field': { text: BASE + `  a: { type: MX, value: { pref: 1, exchange: x } }\n`, at: '6:25' },
  'owner spelled twice, among spellings of one name': { text: BASE + `  H1: { type: A, value: 192.0.2.5 }\n  h1: { type: A, value: 192.0.2.6 }\n  h1.example.com.: { type: AAAA, value: '::1' }\n  h1: { type: A, value: 192.0.2.7 }\n`, at: '9:3' },
  'record not a mapping': { text: BASE + `  a: 192.0.2.2\n`, at: '6:6' },
  'document marker': { text: '---\n' + BASE, at: null },
  'document marker and comments': { text: '# zone\n--- # start\n' + BASE + '  # end\n', at: null },
};

for (const [name, { text, at }] of Object.entries(REPORTED)) {
  test(`reported by the fast path: ${name}`, () => {
    const fast = fastParseZoneYaml(text, 'z.yaml', 'example.com');
    assert.ok(fast, 'the fast path fell back to the full parser');
    assert.equal(fast.errors[0] ? `${fast.errors[0].line}:${fast.errors[0].col}` : null, at, JSON.stringify(fast.errors));
    assert.ok(same(text));
  });
}

test('a typo deep in a 20,000-record zone: the fast path reports it at its line:col, as the full parser does', () => {
  const lines = generate(20_000, 11, 'flow').split('\n');
  const at = lines.findIndex((l, i) => i > lines.length / 2 && /^ {2}h\d+: \{ type: A, value: [0-9.]+ \}$/.test(l));
  assert.ok(at > 0);
  lines[at] = lines[at]!.replace(/value: (\d+)\.(\d+)\.(\d+)\.\d+/, 'value: $1.$2.$3.256');
  const text = lines.join('\n');
  const fast = fastParseZoneYaml(text, 'big.yaml', 'example.com');
  assert.ok(fast, 'fell back to the full parser');
  assert.equal(fast.errors.length, 1);
  assert.equal(fast.errors[0]!.line, at + 1);
  assert.equal(fast.errors[0]!.col, lines[at]!.indexOf('value: ') + 8);
  assert.match(fast.errors[0]!.message, /^A: "[0-9.]+\.256" is not an IPv4 address/);
  assert.ok(same(text, 'big.yaml'));
});
