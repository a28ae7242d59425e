// A DO query for type NSEC in a signed zone: the NSEC that would deny it
// lists NSEC itself, so a NODATA proof is impossible (delv called it "no
// valid RRSIG"). The name's NSEC is answered as data instead, as Knot's
// mod-onlinesign does (test/e2e/dnssec-knot-differential.test.ts compares
// the two). Found by that differential test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ask } from '../../support/engine.js';
import { buildQuery, parseMessage } from '../../support/dnsmsg.js';
import { zonesFrom } from '../../support/catalog.js';
import { rawSections, signatureProblems, signedCatalog } from '../../support/signed-answers.js';
import { Rcode, Type, typeName } from '../../../server/wire/constants.js';
import { nameFromText, nameToText } from '../../../server/wire/names.js';
import { parseNsecRdata } from '../../../server/dnssec/denial.js';

const ZONE = (denial: string): string => `
dnssec: { denial: ${denial} }
ttl: 3600
records:
  '@':
    - { type: SOA, ttl: 900, value: { mname: ns1, rname: hostmaster, serial: 7, minimum: 60 } }
    - { type: NS, value: ns1 }
  ns1: { type: A, value: 192.0.2.1 }
  www: { type: A, values: [192.0.2.10, 192.0.2.11] }
  '*.wild': { type: TXT, value: wildcard }
  x.ent: { type: A, value: 192.0.2.60 }
`;

function setup(denial: 'compact' | 'nsec') {
  const s = signedCatalog(zonesFrom({ 'example.com': ZONE(denial) }));
  const dnskey = s.dnskeys.get(nameFromText('example.com.'))!;
  return (name: string, co = false) => {
    const out = ask(s.catalog, buildQuery(name, Type.NSEC, { edns: { dnssecOk: true, compactOk: co } }), 'udp')!;
    const m = parseMessage(out);
    const raw = rawSections(out);
    for (const sec of raw) assert.deepEqual(signatureProblems(sec, dnskey), [], `${name}: signatures`);
    const nsec = (i: number) =>
      raw[i]!.filter((r) => r.type === Type.NSEC).map((r) => {
        const n = parseNsecRdata(r.rdata);
        return `${nameToText(r.owner)} ${nameToText(n.next)} ${n.types.map(typeName).join(' ')}`;
      });
    return { m, answer: nsec(0), authority: nsec(1), soa: raw[1]!.some((r) => r.type === Type.SOA) };
  };
}

test('compact denial: an NSEC query gets the NSEC made for the name, as the answer', () => {
  const q = setup('compact');
  const www = q('www.example.com');
  assert.equal(www.m.rcode, Rcode.NOERROR);
  assert.deepEqual(www.answer, ['www.example.com. \\000.www.example.com. A RRSIG NSEC']);
  assert.deepEqual([www.authority, www.soa], [[], false], 'no SOA: it is not a negative answer');
  assert.deepEqual(q('x.ent.example.com').answer, ['x.ent.example.com. \\000.x.ent.example.com. A RRSIG NSEC']);
  assert.deepEqual(q('ent.example.com').answer, ['ent.example.com. \\000.ent.example.com. RRSIG NSEC'], 'empty non-terminal');
  assert.deepEqual(q('a.wild.example.com').answer, ['a.wild.example.com. \\000.a.wild.example.com. TXT RRSIG NSEC'], 'wildcard');
  const missing = q('nothing.example.com');
  assert.equal(missing.m.rcode, Rcode.NOERROR);
  assert.deepEqual(missing.answer, ['nothing.example.com. \\000.nothing.example.com. RRSIG NSEC NXNAME']);
  // With CO the client wants NXDOMAIN for a missing name: the NXNAME NSEC stays its proof.
  const co = q('nothing.example.com', true);
  assert.equal(co.m.rcode, Rcode.NXDOMAIN);
  assert.deepEqual([co.answer, co.authority, co.soa], [[], ['nothing.example.com. \\000.nothing.example.com. RRSIG NSEC NXNAME'], true]);
});

test('classic NSEC: an NSEC query at a name with a link gets that link; elsewhere the denial stands', () => {
  const q = setup('nsec');
  const www = q('www.example.com');
  assert.equal(www.m.rcode, Rcode.NOERROR);
  assert.deepEqual(www.answer, ['www.example.com. example.com. A RRSIG NSEC']);
  assert.deepEqual([www.authority, www.soa], [[], false]);
  const ent = q('ent.example.com');
  assert.deepEqual([ent.m.rcode, ent.answer, ent.soa], [Rcode.NOERROR, [], true], 'an empty non-terminal has no NSEC of its own');
  assert.ok(ent.authority.length > 0);
  const missing = q('nothing.example.com');
  assert.deepEqual([missing.m.rcode, missing.answer, missing.soa], [Rcode.NXDOMAIN, [], true]);
});
