// The types beyond RFC 1035: presentation and structured forms, wire bytes
// (RFC 9460 appendix D vectors for SVCB), errors at their line, and the fast
// parser giving exactly the full parser's result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { rdataFromTokens, splitPresentation } from '../../../server/zones/rdata.js';
import { parseZoneYaml } from '../../../server/zones/parse.js';
import { fastParseZoneYaml } from '../../../server/zones/fastparse.js';
import { validateZone } from '../../../server/zones/validate.js';
import { Type, parseTypeName } from '../../../server/wire/constants.js';
import { nameFromText } from '../../../server/wire/names.js';
import { formatError, type ZoneError } from '../../../server/zones/model.js';

const ORIGIN = nameFromText('example.com.');

function wire(type: number, text: string): string {
  return rdataFromTokens(type, splitPresentation(text), ORIGIN).wire.toString('hex');
}

function canonical(type: number, text: string): string {
  return rdataFromTokens(type, splitPresentation(text), ORIGIN).text;
}

const hex = (s: string): string => s.replace(/\s+/g, '');

test('SVCB and HTTPS: the RFC 9460 appendix D test vectors', () => {
  const FOO_COM = '03666f6f076578616d706c6503636f6d00';
  const FOO_ORG = '03666f6f076578616d706c65036f726700';
  assert.equal(wire(Type.HTTPS, '0 foo.example.com.'), '0000' + FOO_COM, 'AliasMode');
  assert.equal(wire(Type.SVCB, '1 .'), '000100', 'ServiceMode, target "."');
  assert.equal(wire(Type.SVCB, '16 foo.example.com. port=53'), '0010' + FOO_COM + '000300020035');
  assert.equal(wire(Type.SVCB, '1 foo.example.com. key667=hello'), '0001' + FOO_COM + '029b000568656c6c6f');
  assert.equal(wire(Type.SVCB, '1 foo.example.com. key667="hello\\210qoo"'), '0001' + FOO_COM + '029b000968656c6c6fd2716f6f');
  assert.equal(
    wire(Type.SVCB, '1 foo.example.com. ipv6hint="2001:db8::1,2001:db8::53:1"'),
    '0001' + FOO_COM + hex('0006 0020 20010db8000000000000000000000001 20010db8000000000000000000530001'),
  );
  assert.equal(
    wire(Type.SVCB, '16 foo.example.org. alpn=h2,h3-19 mandatory=ipv4hint,alpn ipv4hint=192.0.2.1'),
    '0010' + FOO_ORG + hex('0000 0004 0001 0004  0001 0009 02 6832 05 68332d3139  0004 0004 c0000201'),
    'params sorted by key on the wire, mandatory keys sorted',
  );
  const escaped = '0010' + FOO_ORG + hex('0001 000c 08 665c6f6f2c626172 02 6832');
  assert.equal(wire(Type.SVCB, '16 foo.example.org. alpn="f\\\\\\\\oo\\\\,bar,h2"'), escaped, 'alpn: a comma and a backslash inside an id');
  assert.equal(wire(Type.SVCB, '16 foo.example.org. alpn=f\\\\\\092oo\\092,bar,h2'), escaped, 'the same with decimal escapes');
});

test('SVCB: the RFC 9460 appendix D failure cases, and AliasMode with parameters', () => {
  const bad: [string, RegExp][] = [
    ['1 foo.example.com. key123=abc key123=def', /appears twice/],
    ['1 foo.example.com. mandatory', /mandatory needs a value/],
    ['1 foo.example.com. alpn', /alpn needs a value/],
    ['1 foo.example.com. port', /port needs a value/],
    ['1 foo.example.com. ipv4hint', /ipv4hint needs a value/],
    ['1 foo.example.com. ipv6hint', /ipv6hint needs a value/],
    ['1 foo.example.com. no-default-alpn=abc', /no-default-alpn takes no value/],
    ['1 foo.example.com. mandatory=key123', /mandatory lists key123, which the record does not have/],
    ['1 foo.example.com. mandatory=mandatory', /mandatory may not list itself/],
    ['1 foo.example.com. mandatory=key123,key123 key123=abc', /lists a key twice/],
    ['1 foo.example.com. no-default-alpn', /no-default-alpn needs alpn/],
    ['0 foo.example.com. alpn=h2', /AliasMode.*no parameters/],
    ['1 . port=70000', /port 70000 is out of range/],
    ['1 . ipv4hint=192.0.2', /not an IPv4 address/],
    ['1 . frob=1', /unknown SvcParam key "frob"/],
    ['1 . key1=h2', /write key1 by its name, alpn/],
    ['1 . key65535', /reserved/],
    ['1 . alpn=h2,,h3', /empty item/],
  ];
  for (const [text, re] of bad) assert.throws(() => wire(Type.SVCB, text), re, text);
});

test('SVCB presentation: canonical text in key order, lists escaped back', () => {
  assert.equal(canonical(Type.HTTPS, '1 . port=443 alpn=h3,h2 ech=AEX+DQ=='), '1 . alpn="h3,h2" port=443 ech=AEX+DQ==');
  assert.equal(canonical(Type.SVCB, '16 foo.example.org. alpn="f\\\\\\\\oo\\\\,bar,h2"'), '16 foo.example.org. alpn="f\\\\\\\\oo\\\\,bar,h2"');
  assert.equal(canonical(Type.SVCB, '1 svc key65000="hello world" no-default-alpn alpn=h2'), '1 svc.example.com. alpn="h2" no-default-alpn key65000="hello world"');
});

test('fixed-layout types: wire bytes, canonical text and the checks on each field', () => {
  assert.equal(wire(Type.HINFO, '"INTEL" "Plan 9"'), '05494e54454c06506c616e2039');
  assert.equal(canonical(Type.HINFO, 'PC unix'), '"PC" "unix"');
  assert.equal(wire(Type.URI, '10 1 "ftp://x/"'), '000a0001' + Buffer.from('ftp://x/').toString('hex'), 'URI target without a length byte');
  assert.equal(wire(Type.NAPTR, '100 10 "S" "SIP+D2U" "" _sip._udp'), '0064000a' + '0153' + '075349502b443255' + '00' + '045f736970045f756470076578616d706c6503636f6d00');
  assert.equal(wire(Type.DS, '60485 5 1 2BB183AF 5F22588179A53B0A98631FAD1A292118'), 'ec450501' + '2bb183af5f22588179a53b0a98631fad1a292118', 'hex may be split by spaces');
  assert.equal(canonical(Type.DS, '60485 5 1 2bb183af5f22588179a53b0a98631fad1a292118'), '60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118');
  assert.equal(wire(Type.DNSKEY, '256 3 8 AwEA AQAB'), '01000308' + '030100010001', 'base64 may be split by spaces');
  assert.equal(wire(Type.SSHFP, '1 1 2bb183af5f22588179a53b0a98631fad1a292118'), '0101' + '2bb183af5f22588179a53b0a98631fad1a292118');
  assert.equal(wire(Type.TLSA, '2 0 0 3082010a'), '020000' + '3082010a');
  const bad: [number, string, RegExp][] = [
    [Type.DS, '60485 5 2 2bb183af5f22588179a53b0a98631fad1a292118', /DS digest for type 2 is 32 bytes/],
    [Type.DS, '60485 5 1 xyz', /hex digits/],
    [Type.DS, '70000 5 1 2bb183af5f22588179a53b0a98631fad1a292118', /key tag 70000 is out of range/],
    [Type.DNSKEY, '257 2 13 AwEAAQ==', /protocol must be 3/],
    [Type.DNSKEY, '257 3 13 not*base64', /must be base64/],
    [Type.SSHFP, '4 2 abcd', /fingerprint for type 2 is 32 bytes/],
    [Type.TLSA, '3 1 1 abcd', /TLSA data for type 1 is 32 bytes/],
    [Type.NAPTR, '100 10 "U" "E2U+sip" "!x!y!" next', /regexp or a replacement, not both/],
    [Type.NAPTR, '100 10 "S!" "x" "" .', /flags .* only letters and digits/],
    [Type.HINFO, 'PC', /HINFO needs 2 fields/],
    [Type.URI, '10 1 ""', /target is empty/],
  ];
  for (const [type, text, re] of bad) assert.throws(() => wire(type, text), re, text);
  for (const t of ['HINFO', 'NAPTR', 'DS', 'SSHFP', 'DNSKEY', 'TLSA', 'SVCB', 'HTTPS', 'URI']) assert.ok(parseTypeName(t.toLowerCase()), t);
  // Zone files written before these types had a presentation form used RFC 3597: still read, and checked.
  const ds = '60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118';
  assert.equal(wire(43, '\\# 24 ec450501 2bb183af5f22588179a53b0a98631fad1a292118'), wire(Type.DS, ds));
  assert.equal(canonical(43, '\\# 24 ec450501 2bb183af5f22588179a53b0a98631fad1a292118'), ds);
  assert.throws(() => wire(Type.DS, '\\# 4 00010203'), /DS data is malformed/);
  assert.throws(() => wire(Type.DS, '\\# 20 ec450502 2bb183af5f22588179a53b0a98631fad'), /DS digest for type 2 is 32 bytes/);
  assert.throws(() => wire(Type.A, '\\# 4 c0000201'), /own presentation form/, 'RFC 1035 types are written in their own form');
});

const ZONE = `ttl: 3600
records:
  '@':
    - { type: SOA, value: { mname: ns1, rname: hostmaster, serial: 1 } }
    - { type: NS, value: ns1 }
    - type: HTTPS
      values:
        - { priority: 1, target: '.', params: { alpn: [h2, h3], ipv4hint: [192.0.2.1], port: 8443 } }
        - { priority: 2, target: '.', params: 'alpn=h2 no-default-alpn' }
        - { priority: 3, target: '.', params: { alpn: ['a,b', 'c\\d'], no-default-alpn: true } }
    - { type: HINFO, value: { cpu: INTEL, os: 'Linux "6"' } }
  ns1: { type: A, value: 192.0.2.53 }
  p: { type: HTTPS, value: '1 . alpn="h2,h3" ipv4hint=192.0.2.1 port=8443' }
  alias: { type: SVCB, value: { priority: 0, target: svc.example.net. } }
  _443._tcp.www: { type: TLSA, value: { usage: 3, selector: 1, matching_type: 1, data: 8cb0fc6c527506a053f4f14c8464bebbd6dede2738d11468dd953d7d6a3021f1 } }
  www:
    - { type: SSHFP, value: { algorithm: 4, fp_type: 2, fingerprint: 8cb0fc6c527506a053f4f14c8464bebbd6dede2738d11468dd953d7d6a3021f1 } }
    - { type: NAPTR, value: { order: 100, preference: 10, flags: S, service: 'SIP+D2U', replacement: _sip._udp } }
    - { type: URI, value: { priority: 10, weight: 1, target: 'ftp://ftp.example.com/"x"' } }
  child:
    - { type: NS, value: ns.example.net. }
    - { type: DS, value: { key_tag: 60485, algorithm: 5, digest_type: 1, digest: 2BB183AF5F22588179A53B0A98631FAD1A292118 } }
  key: { type: DNSKEY, value: { flags: 257, algorithm: 13, public_key: 'mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==' } }
`;

function parsed(text: string): { errors: ZoneError[]; texts: string[] } {
  const r = parseZoneYaml(text, 'example.com.yaml', 'example.com');
  const errors = [...r.errors, ...(r.zone ? validateZone(r.zone) : [])];
  return { errors, texts: r.zone?.records.map((x) => x.rdata.text) ?? [] };
}

test('a zone with every new type: structured and presentation forms agree', () => {
  const r = parsed(ZONE);
  assert.deepEqual(r.errors.map(formatError), []);
  const https = r.texts.filter((t) => /^[123] \. /.test(t));
  assert.equal(https.length, 4);
  assert.equal(https[0], '1 . alpn="h2,h3" port=8443 ipv4hint=192.0.2.1');
  assert.equal(https[3], https[0], 'mapping and presentation string give the same record');
  assert.equal(https[1], '2 . alpn="h2" no-default-alpn');
  assert.equal(https[2], '3 . alpn="a\\\\,b,c\\\\\\\\d" no-default-alpn', 'list items are literal: a comma and a backslash kept inside');
  assert.ok(r.texts.includes('"INTEL" "Linux \\"6\\""'), 'structured text fields are literal');
  assert.ok(r.texts.includes('10 1 "ftp://ftp.example.com/\\"x\\""'));
  assert.ok(r.texts.includes('100 10 "S" "SIP+D2U" "" _sip._udp.example.com.'), 'NAPTR regexp and replacement have defaults');
  assert.ok(r.texts.includes('257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ=='), 'DNSKEY protocol defaults to 3');
});

test('the fast parser gives exactly the full parser result for the new types', () => {
  const fast = fastParseZoneYaml(ZONE, 'example.com.yaml', 'example.com');
  const full = parseZoneYaml(ZONE, 'example.com.yaml', 'example.com');
  // `no-default-alpn: true` is a boolean, which the fast path leaves to the full parser.
  assert.equal(fast, undefined);
  const withoutBool = ZONE.replace(", no-default-alpn: true", '');
  const f2 = fastParseZoneYaml(withoutBool, 'example.com.yaml', 'example.com');
  const w2 = parseZoneYaml(withoutBool, 'example.com.yaml', 'example.com');
  assert.ok(f2, 'the common styles take the fast path');
  assert.ok(isDeepStrictEqual(f2, w2), 'same records, positions and rdata');
  assert.ok(full.zone);
});

test('errors in the new types name the line and say what is wrong', () => {
  const HEAD = "records:\n  '@':\n    - { type: SOA, value: { mname: ns1, rname: hostmaster } }\n    - { type: NS, value: ns1 }\n  ns1: { type: A, value: 192.0.2.1 }\n";
  const cases: [string, RegExp][] = [
    ["  x: { type: HTTPS, value: { priority: 0, target: svc, params: { alpn: h2 } } }\n", /HTTPS: priority 0 is AliasMode/],
    ["  x: { type: HTTPS, value: { priority: 1, target: svc, params: [alpn] } }\n", /params is a mapping/],
    ["  x: { type: TLSA, value: { usage: 3, selector: 1, matching: 1, data: ab } }\n", /unknown field "matching" \(expected: usage, selector, matching_type, data\)/],
    ["  x: { type: DS, value: '1 2 3' }\n", /DS needs key tag, algorithm, digest type and digest/],
    ["  x: { type: SSHFP, value: { algorithm: 4, fp_type: 2 } }\n", /missing field "fingerprint"/],
    ["  x: { type: DS, value: '60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118' }\n", /DS at "x" needs a delegation there/],
  ];
  for (const [line, re] of cases) {
    const errs = parsed(HEAD + line).errors;
    const hit = errs.find((e) => re.test(e.message));
    assert.ok(hit, `${line.trim()}: expected ${re}, got ${errs.map(formatError).join('; ')}`);
    assert.equal(hit.line, 6, formatError(hit));
  }
  const apex = parsed(HEAD.replace("    - { type: NS, value: ns1 }\n", "    - { type: NS, value: ns1 }\n    - { type: DS, value: '60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118' }\n")).errors;
  assert.ok(apex.some((e) => /DS at the apex belongs in the parent zone/.test(e.message) && e.line === 5), apex.map(formatError).join('; '));
});
