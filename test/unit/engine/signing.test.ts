// Online signing in the pure engine: every authoritative RRset with a valid
// RRSIG (checked with verifyRRset against the zone's key), compact and
// classic denial, DS at cuts, wildcards, CO, truncation with signatures, and
// nothing signed without DO or for a zone without `dnssec:`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ask } from '../../support/engine.js';
import { buildQuery, parseMessage, rawRdata } from '../../support/dnsmsg.js';
import { zonesFrom } from '../../support/catalog.js';
import { rawSections, signatureProblems, signedCatalog, type RawRR } from '../../support/signed-answers.js';
import { Rcode, Type } from '../../../server/wire/constants.js';
import { nameFromText } from '../../../server/wire/names.js';
import { parseNsecRdata } from '../../../server/dnssec/denial.js';
import { parseRrsig } from '../../../server/dnssec/sign.js';
import type { Transport } from '../../../server/engine/context.js';
import { parsePoolsYaml } from '../../../server/pools/parse.js';
import { parseZoneYaml } from '../../../server/zones/parse.js';
import { compileZone } from '../../../server/zones/compile.js';

const ZONE = (dnssec: string): string => `
dnssec: ${dnssec}
ttl: 3600
records:
  '@':
    - { type: SOA, ttl: 900, value: { mname: ns1, rname: hostmaster, serial: 7, minimum: 60 } }
    - { type: NS, values: [ns1, ns2.other.net.] }
    - { type: MX, value: { preference: 10, exchange: mail } }
  ns1: { type: A, value: 192.0.2.1 }
  mail: { type: A, value: 192.0.2.25 }
  www: { type: A, ttl: 300, values: [192.0.2.10, 192.0.2.11] }
  alias: { type: CNAME, value: www }
  '*.wild': { type: TXT, value: wildcard }
  x.ent.deep: { type: A, value: 192.0.2.60 }
  big: { type: TXT, values: [${Array.from({ length: 40 }, (_, i) => `"record number ${i} padded to make the answer large"`).join(', ')}] }
  secure: { type: NS, value: ns.secure }
  ns.secure: { type: A, value: 192.0.2.53 }
  insecure: { type: NS, value: ns.elsewhere.net. }
`;
const DS = `
  secure:
    - { type: NS, value: ns.secure }
    - { type: DS, value: '12345 13 2 ${'ab'.repeat(32)}' }`;

function setup(dnssec = 'true', algorithm: 13 | 15 = 13) {
  const text = ZONE(dnssec).replace(/\n  secure: \{ type: NS, value: ns.secure \}/, DS);
  const zones = zonesFrom({ 'example.com': text, 'plain.test': ZONE('false') });
  const s = signedCatalog(zones, algorithm);
  const dnskey = s.dnskeys.get(nameFromText('example.com.'))!;
  const q = (name: string, type: string | number, o: { do?: boolean; co?: boolean; payload?: number; transport?: Transport } = {}) => {
    const msg = buildQuery(name, type, { edns: { payload: o.payload ?? 1232, dnssecOk: o.do ?? true, compactOk: o.co ?? false } });
    const out = ask(s.catalog, msg, o.transport ?? 'tcp')!;
    return { m: parseMessage(out), raw: rawSections(out) };
  };
  return { ...s, dnskey, q };
}

const glueOrReferral = (rr: RawRR): boolean => rr.type === Type.NS || rr.owner.startsWith('\x02ns');
const ok = (dnskey: Buffer, raw: RawRR[][], unsigned?: (rr: RawRR) => boolean): void => {
  for (const s of raw) assert.deepEqual(signatureProblems(s, dnskey, unsigned), []);
};
const nsecs = (raw: RawRR[][]) => raw[1]!.filter((r) => r.type === Type.NSEC).map((r) => ({ owner: r.owner, ...parseNsecRdata(r.rdata) }));

for (const alg of [13, 15] as const) {
  test(`positive answers carry valid RRSIGs, additional too (algorithm ${alg})`, () => {
    const { q, dnskey } = setup(alg === 13 ? 'true' : '{ algorithm: ed25519 }', alg);
    for (const [name, type] of [['www.example.com', 'A'], ['example.com', 'MX'], ['alias.example.com', 'A'], ['example.com', 'NS'], ['example.com', 'SOA']] as const) {
      const { m, raw } = q(name, type);
      assert.equal(m.rcode, Rcode.NOERROR, `${name} ${type}`);
      assert.ok(m.answer.some((r) => r.type === Type.RRSIG), `${name} ${type} has RRSIG`);
      ok(dnskey, raw);
    }
    const mx = q('example.com', 'MX');
    assert.ok(mx.m.additional.some((r) => r.type === Type.RRSIG), 'the MX target address is signed');
  });
}

test('DNSKEY, CDS and CDNSKEY at the apex, signed; in ANY too', () => {
  const { q, dnskey } = setup();
  const k = q('example.com', 'DNSKEY');
  assert.equal(k.raw[0]!.filter((r) => r.type === Type.DNSKEY).length, 1);
  assert.deepEqual(k.raw[0]!.find((r) => r.type === Type.DNSKEY)!.rdata, dnskey);
  ok(dnskey, k.raw);
  for (const t of [Type.CDS, Type.CDNSKEY]) {
    const r = q('example.com', t);
    assert.equal(r.raw[0]!.filter((x) => x.type === t).length, 1, String(t));
    ok(dnskey, r.raw);
  }
  const any = q('example.com', 'ANY');
  assert.ok(any.m.answer.some((r) => r.type === Type.DNSKEY));
  ok(dnskey, any.raw);
  // Published without DO too (the records exist), never with RRSIGs then.
  const plain = q('example.com', 'DNSKEY', { do: false });
  assert.equal(plain.m.answer.length, 1);
});

test('no RRSIG without DO, and none for a zone without dnssec', () => {
  const { q } = setup();
  for (const [name, type] of [['www.example.com', 'A'], ['nothing.example.com', 'A'], ['www.example.com', 'TXT']] as const) {
    const { m } = q(name, type, { do: false });
    assert.ok(![...m.answer, ...m.authority, ...m.additional].some((r) => r.type === Type.RRSIG || r.type === Type.NSEC), `${name} ${type}`);
    assert.equal(m.ednsFlags & 0x8000, 0);
  }
  assert.equal(q('nothing.example.com', 'A', { do: false }).m.rcode, Rcode.NXDOMAIN);
  const other = q('www.plain.test', 'A');
  assert.ok(!other.m.answer.some((r) => r.type === Type.RRSIG));
  assert.equal(q('nothing.plain.test', 'A').m.rcode, Rcode.NXDOMAIN);
});

test('compact denial: NXDOMAIN as NOERROR with NXNAME, CO restores NXDOMAIN and is echoed', () => {
  const { q, dnskey } = setup();
  const { m, raw } = q('nothing.example.com', 'A');
  assert.equal(m.rcode, Rcode.NOERROR);
  assert.equal(m.ednsFlags & 0xc000, 0x8000);
  const [n] = nsecs(raw);
  assert.equal(n!.owner, nameFromText('nothing.example.com.'));
  assert.equal(n!.next, nameFromText('\\000.nothing.example.com.'));
  assert.deepEqual(n!.types, [Type.RRSIG, Type.NSEC, Type.NXNAME]);
  ok(dnskey, raw);
  const co = q('nothing.example.com', 'A', { co: true });
  assert.equal(co.m.rcode, Rcode.NXDOMAIN);
  assert.equal(co.m.ednsFlags & 0xc000, 0xc000);
  ok(dnskey, co.raw);
});

test('compact denial: NODATA lists the real types, an empty non-terminal only RRSIG and NSEC', () => {
  const { q, dnskey } = setup();
  const nodata = q('www.example.com', 'TXT');
  assert.deepEqual(nsecs(nodata.raw)[0]!.types, [Type.A, Type.RRSIG, Type.NSEC]);
  ok(dnskey, nodata.raw);
  const ent = q('ent.deep.example.com', 'A');
  assert.equal(ent.m.rcode, Rcode.NOERROR);
  assert.deepEqual(nsecs(ent.raw)[0]!.types, [Type.RRSIG, Type.NSEC]);
  const apex = q('example.com', 'TXT');
  assert.ok(nsecs(apex.raw)[0]!.types.includes(Type.DNSKEY));
});

test('wildcards: compact signs as the query name; nsec signs as the wildcard with the covering NSEC', () => {
  const compact = setup();
  const c = compact.q('a.b.wild.example.com', 'TXT');
  const sig = parseRrsig(c.raw[0]!.find((r) => r.type === Type.RRSIG)!.rdata);
  assert.equal(sig.labels, 5);
  ok(compact.dnskey, c.raw);
  const nsec = setup('{ denial: nsec }');
  const n = nsec.q('a.b.wild.example.com', 'TXT');
  assert.equal(parseRrsig(n.raw[0]!.find((r) => r.type === Type.RRSIG)!.rdata).labels, 3);
  assert.equal(nsecs(n.raw).length, 1, 'the NSEC proving a.b.wild does not exist');
  ok(nsec.dnskey, n.raw);
  // Wildcard NODATA: the wildcard's NSEC without the type, which here also covers the name.
  const nd = nsec.q('a.wild.example.com', 'A');
  const [w] = nsecs(nd.raw);
  assert.equal(w!.owner, nameFromText('*.wild.example.com.'));
  assert.ok(!w!.types.includes(Type.A));
  ok(nsec.dnskey, nd.raw);
});

test('classic NSEC: NXDOMAIN has the name and wildcard covers, NODATA the name\'s own link', () => {
  const { q, dnskey } = setup('{ denial: nsec, algorithm: ed25519 }', 15);
  const nx = q('nothing.example.com', 'A', { co: true });
  assert.equal(nx.m.rcode, Rcode.NXDOMAIN);
  assert.ok(nsecs(nx.raw).length >= 1);
  ok(dnskey, nx.raw);
  const nd = q('www.example.com', 'TXT');
  const [link] = nsecs(nd.raw);
  assert.equal(link!.owner, nameFromText('www.example.com.'));
  assert.ok(link!.types.includes(Type.A) && !link!.types.includes(Type.TXT));
  ok(dnskey, nd.raw);
});

test('referrals: DS with RRSIG for a signed child, the no-DS NSEC for an insecure one; DS asked at the cut', () => {
  for (const mode of ['true', '{ denial: nsec }']) {
    const { q, dnskey } = setup(mode);
    const sec = q('host.secure.example.com', 'A');
    assert.equal(sec.m.aa, false);
    assert.ok(sec.m.authority.some((r) => r.type === Type.DS));
    ok(dnskey, sec.raw, glueOrReferral);
    const ins = q('host.insecure.example.com', 'A');
    const [n] = nsecs(ins.raw);
    assert.equal(n!.owner, nameFromText('insecure.example.com.'), mode);
    assert.deepEqual(n!.types, [Type.NS, Type.RRSIG, Type.NSEC]);
    ok(dnskey, ins.raw, glueOrReferral);
    const ds = q('secure.example.com', 'DS');
    assert.equal(ds.m.aa, true);
    assert.equal(ds.m.answer.filter((r) => r.type === Type.DS).length, 1);
    ok(dnskey, ds.raw);
    const nods = q('insecure.example.com', 'DS');
    assert.equal(nods.m.answer.length, 0);
    assert.deepEqual(nsecs(nods.raw)[0]!.types, [Type.NS, Type.RRSIG, Type.NSEC]);
    ok(dnskey, nods.raw);
  }
});

test('truncation keeps an RRset and its RRSIG together; TCP gets it all', () => {
  const { q, dnskey } = setup();
  const udp = q('big.example.com', 'TXT', { transport: 'udp', payload: 1232 });
  assert.equal(udp.m.tc, true);
  assert.equal(udp.m.answer.length, 0);
  const tcp = q('big.example.com', 'TXT');
  assert.equal(tcp.m.answer.filter((r) => r.type === Type.TXT).length, 40);
  ok(dnskey, tcp.raw);
  // An answer that fits but whose additional signature would not: the address goes with its RRSIG or not at all.
  const mx = q('example.com', 'MX', { transport: 'udp', payload: 512 });
  const addr = mx.m.additional.filter((r) => r.type === Type.A).length;
  const sigs = mx.m.additional.filter((r) => r.type === Type.RRSIG).length;
  assert.equal(addr, sigs);
});

test('signed answers are cached whole; random names are not kept', () => {
  const { q, catalog } = setup();
  q('www.example.com', 'A');
  assert.equal(catalog.cache.size, 0, 'a first sight is not kept');
  q('www.example.com', 'A');
  const before = catalog.cache.size;
  assert.equal(before, 1, 'asked again, it is');
  const again = q('www.example.com', 'A');
  assert.ok(again.m.answer.some((r) => r.type === Type.RRSIG));
  assert.equal(catalog.cache.size, before);
  const sigCache = catalog.signed.get(nameFromText('example.com.'))!.signer.cache;
  const entries = sigCache.stats().entries;
  for (let i = 0; i < 20; i++) q(`random${i}.example.com`, 'A');
  assert.equal(catalog.cache.size, before, 'compact NXDOMAINs are not in the response cache');
  const st = sigCache.stats();
  assert.ok(st.signatures >= 20);
  assert.equal(st.entries, entries + 1, 'nor their signatures in the signature cache (one entry: the SOA in every denial)');
});

test('RRSIG TTL follows the covered RRset; NSEC TTL is the negative TTL', () => {
  const { q } = setup();
  const w = q('www.example.com', 'A');
  assert.ok(w.m.answer.every((r) => r.ttl === 300));
  const n = q('nothing.example.com', 'A');
  for (const r of n.m.authority) assert.equal(r.ttl, 60, `${r.type}`);
  assert.ok(rawRdata(n.m.authority.find((r) => r.type === Type.NSEC)!).length > 0);
});

test('pool answers: one signature per member subset, reused across reshuffles, a new one when health moves', () => {
  const pools = parsePoolsYaml('pools:\n  web:\n    members: [192.0.2.1, 192.0.2.2, 192.0.2.3, 192.0.2.4]\n', '_pools.yaml').pools;
  const src = parseZoneYaml(`dnssec: true
records:
  '@':
    - { type: SOA, value: { mname: ns1, rname: h } }
    - { type: NS, value: ns1 }
  ns1: { type: A, value: 192.0.2.53 }
  www: { type: A, pool: web }
`, 'example.com.yaml', 'example.com').zone!;
  const { catalog, dnskeys } = signedCatalog([compileZone(src, pools)], 13, pools);
  const dnskey = dnskeys.get(nameFromText('example.com.'))!;
  let gen = 1;
  const down = new Set<string>();
  catalog.health = { state: (_p, m) => (down.has(m.address) ? 'down' : 'up'), latchedTier: () => undefined, generation: () => gen };
  const signer = catalog.signed.get(nameFromText('example.com.'))!.signer;
  const orders = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const out = ask(catalog, buildQuery('www.example.com', 'A', { edns: { dnssecOk: true } }), 'udp')!;
    const raw = rawSections(out);
    assert.deepEqual(raw[0]!.map((r) => r.type), [Type.A, Type.A, Type.A, Type.A, Type.RRSIG], 'RRSIG after the shuffled addresses');
    ok(dnskey, raw);
    orders.add(raw[0]!.slice(0, 4).map((r) => r.rdata.toString('hex')).join());
  }
  assert.ok(orders.size > 3, 'still shuffled');
  assert.equal(catalog.poolCache.size, 1);
  const made = signer.cache.stats().signatures;
  down.add('192.0.2.3');
  gen++;
  for (let i = 0; i < 10; i++) {
    const raw = rawSections(ask(catalog, buildQuery('www.example.com', 'A', { edns: { dnssecOk: true } }), 'udp')!);
    assert.equal(raw[0]!.filter((r) => r.type === Type.A).length, 3);
    ok(dnskey, raw);
  }
  assert.equal(signer.cache.stats().signatures, made + 1, 'the new subset signed once');
  down.clear();
  gen++;
  ask(catalog, buildQuery('www.example.com', 'A', { edns: { dnssecOk: true } }), 'udp');
  assert.equal(signer.cache.stats().signatures, made + 1, 'the old subset\'s signature reused');
});
