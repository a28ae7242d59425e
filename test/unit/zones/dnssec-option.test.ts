// The `dnssec:` zone key: both parsers read it alike, bad values are errors
// with a position, and the compiled zone carries it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseZoneYaml } from '../../../server/zones/parse.js';
import { fastParseZoneYaml } from '../../../server/zones/fastparse.js';
import { compileZone } from '../../../server/zones/compile.js';
import { dnssecOption } from '../../../server/zones/dnssec-option.js';

const body = `records:\n  '@':\n    - { type: SOA, value: { mname: ns1, rname: hostmaster, serial: 1 } }\n    - { type: NS, value: ns1 }\n  ns1: { type: A, value: 192.0.2.1 }\n`;

test('dnssec: true, false, and the mapping form', () => {
  const cases: [string, unknown][] = [
    ['dnssec: true\n', { algorithm: 13, denial: 'compact' }],
    ['dnssec: false\n', undefined],
    ['dnssec: { algorithm: ed25519 }\n', { algorithm: 15, denial: 'compact' }],
    ['dnssec: { algorithm: ecdsap256sha256, denial: nsec }\n', { algorithm: 13, denial: 'nsec' }],
    ['dnssec:\n  denial: nsec\n', { algorithm: 13, denial: 'nsec' }],
    ['', undefined],
  ];
  for (const [head, want] of cases) {
    const r = parseZoneYaml(head + body, 'example.com.yaml', 'example.com');
    assert.deepEqual(r.errors, [], head);
    assert.deepEqual(r.zone!.dnssec, want, head);
    assert.deepEqual(compileZone(r.zone!).dnssec, want, head);
    const fast = fastParseZoneYaml(head + body, 'example.com.yaml', 'example.com');
    // The fast parser reads the booleans itself and leaves mappings to the full parser.
    if (fast) assert.deepEqual(fast.zone!.dnssec, want, `fast: ${head}`);
  }
  assert.ok(fastParseZoneYaml('dnssec: true\n' + body, 'example.com.yaml', 'example.com'), 'the common form stays on the fast path');
});

test('bad dnssec values are errors at their line', () => {
  for (const [head, msg] of [
    ['dnssec: yes please\n', /dnssec is true, false, or a mapping/],
    ['dnssec: { algorithm: rsasha256 }\n', /ecdsap256sha256 \(13\) or ed25519 \(15\)/],
    ['dnssec: { denial: nsec3 }\n', /compact \(RFC 9824\) or nsec/],
    ['dnssec: { salt: ab }\n', /unknown dnssec key "salt"/],
  ] as const) {
    const r = parseZoneYaml(head + body, 'example.com.yaml', 'example.com');
    assert.equal(r.errors.length, 1, head);
    assert.match(r.errors[0]!.message, msg);
    assert.equal(r.errors[0]!.line, 1);
  }
  assert.deepEqual(dnssecOption({ algorithm: 15 }).option, { algorithm: 15, denial: 'compact' });
});
