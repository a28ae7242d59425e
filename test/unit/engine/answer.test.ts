// The query engine as a pure function: zones + query bytes -> response bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ask as answer } from '../../support/engine.js';
import { buildQuery, parseMessage, type Message, type QueryOptions } from '../../support/dnsmsg.js';
import { catalogFrom } from '../../support/catalog.js';

const ZONE = `
ttl: 3600
records:
  '@':
    - { type: SOA, ttl: 900, value: { mname: ns1, rname: hostmaster, serial: 7, minimum: 60 } }
    - { type: NS, values: [ns1, ns2.other.net.] }
    - { type: MX, value: { preference: 10, exchange: mail } }
  ns1: { type: A, value: 192.0.2.1 }
  mail:
    - { type: A, value: 192.0.2.25 }
    - { type: AAAA, value: '2001:db8::25' }
  www: { type: A, ttl: 300, values: [192.0.2.10, 192.0.2.11] }
  alias: { type: CNAME, value: www }
  alias2: { type: CNAME, value: alias }
  loop1: { type: CNAME, value: loop2 }
  loop2: { type: CNAME, value: loop1 }
  dangling: { type: CNAME, value: nothing }
  external: { type: CNAME, value: www.example.org. }
  cross: { type: CNAME, value: host.second.test. }
  '*.wild': { type: TXT, value: wildcard }
  sub.wild: { type: A, value: 192.0.2.50 }
  x.ent.deep: { type: A, value: 192.0.2.60 }
  '*.deep': { type: A, value: 192.0.2.61 }
  big: { type: TXT, values: [${Array.from({ length: 40 }, (_, i) => `"record number ${i} padded to make the answer large"`).join(', ')}] }
  child: { type: NS, values: [ns.child, ns.elsewhere.net.] }
  ns.child: { type: A, value: 192.0.2.53 }
  _sip._udp: { type: SRV, value: '0 5 5060 mail' }
  unknown: { type: TYPE65280, value: '\\# 4 0a000001' }
`;
const SECOND = `
records:
  '@':
    - { type: SOA, value: 'ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300' }
    - { type: NS, value: ns1.example.com. }
  host: { type: AAAA, value: '2001:db8::1' }
`;

const catalog = catalogFrom({ 'example.com': ZONE, 'second.test': SECOND });

function ask(name: string, type: string | number, opts: QueryOptions & { tcp?: boolean } = {}): Message {
  const out = answer(catalog, buildQuery(name, type, opts), opts.tcp ? 'tcp' : 'udp');
  assert.ok(out, 'expected a response');
  return parseMessage(out);
}

const names = (rrs: Message['answer']): string[] => rrs.map((r) => `${r.name} ${r.type} ${r.data}`);

test('positive answer is authoritative, with the RRset TTL', () => {
  const m = ask('www.example.com', 'A');
  assert.equal(m.rcode, 0);
  assert.ok(m.aa && m.qr && !m.tc && !m.ra);
  assert.deepEqual(m.answer.map((r) => r.data).sort(), ['192.0.2.10', '192.0.2.11']);
  assert.ok(m.answer.every((r) => r.ttl === 300));
  assert.equal(m.authority.length, 0);
});

test('NXDOMAIN and NODATA carry the SOA with TTL min(SOA TTL, minimum)', () => {
  const nx = ask('nope.example.com', 'A');
  assert.equal(nx.rcode, 3);
  assert.ok(nx.aa);
  assert.equal(nx.authority.length, 1);
  assert.equal(nx.authority[0]!.type, 6);
  assert.equal(nx.authority[0]!.ttl, 60);
  const nodata = ask('www.example.com', 'AAAA');
  assert.equal(nodata.rcode, 0);
  assert.equal(nodata.answer.length, 0);
  assert.equal(nodata.authority[0]!.type, 6);
  assert.equal(nodata.authority[0]!.ttl, 60);
});

test('empty non-terminal is NODATA, not NXDOMAIN', () => {
  const m = ask('ent.deep.example.com', 'A');
  assert.equal(m.rcode, 0);
  assert.equal(m.answer.length, 0);
});

test('CNAME chains are followed inside served zones, across zones, and stop at loops', () => {
  assert.deepEqual(names(ask('alias2.example.com', 'A').answer), [
    'alias2.example.com. 5 alias.example.com.',
    'alias.example.com. 5 www.example.com.',
    'www.example.com. 1 192.0.2.10',
    'www.example.com. 1 192.0.2.11',
  ]);
  const cross = ask('cross.example.com', 'AAAA');
  assert.deepEqual(names(cross.answer), ['cross.example.com. 5 host.second.test.', 'host.second.test. 28 2001:db8:0:0:0:0:0:1']);
  const loop = ask('loop1.example.com', 'A');
  assert.equal(loop.rcode, 0);
  assert.equal(loop.answer.length, 2);
  const dangling = ask('dangling.example.com', 'A');
  assert.equal(dangling.rcode, 3, 'RFC 6604: rcode describes the last name in the chain');
  assert.equal(dangling.answer.length, 1);
  const ext = ask('external.example.com', 'A');
  assert.equal(ext.rcode, 0);
  assert.deepEqual(names(ext.answer), ['external.example.com. 5 www.example.org.']);
  assert.equal(ask('alias.example.com', 'CNAME').answer.length, 1);
});

test('wildcards synthesize at the query name but not over existing names', () => {
  const m = ask('anything.wild.example.com', 'TXT');
  assert.deepEqual(names(m.answer), ['anything.wild.example.com. 16 "wildcard"']);
  const deeper = ask('a.b.wild.example.com', 'TXT');
  assert.equal(deeper.answer[0]!.name, 'a.b.wild.example.com.');
  const existing = ask('sub.wild.example.com', 'TXT');
  assert.equal(existing.rcode, 0);
  assert.equal(existing.answer.length, 0, 'an existing name is never matched by the wildcard');
  // Closest encloser of y.ent.deep is the empty non-terminal ent.deep, and *.ent.deep does not exist.
  assert.equal(ask('y.ent.deep.example.com', 'A').rcode, 3);
  assert.deepEqual(names(ask('z.deep.example.com', 'A').answer), ['z.deep.example.com. 1 192.0.2.61']);
});

test('below a delegation the answer is a referral with glue, AA clear', () => {
  const m = ask('www.child.example.com', 'A');
  assert.equal(m.rcode, 0);
  assert.equal(m.aa, false);
  assert.equal(m.answer.length, 0);
  assert.deepEqual(m.authority.map((r) => r.data).sort(), ['ns.child.example.com.', 'ns.elsewhere.net.']);
  assert.deepEqual(names(m.additional), ['ns.child.example.com. 1 192.0.2.53']);
  assert.equal(ask('child.example.com', 'NS').aa, false);
});

test('additional section holds in-zone addresses of NS, MX and SRV targets', () => {
  assert.deepEqual(names(ask('example.com', 'NS').additional), ['ns1.example.com. 1 192.0.2.1']);
  assert.deepEqual(names(ask('example.com', 'MX').additional), ['mail.example.com. 1 192.0.2.25', 'mail.example.com. 28 2001:db8:0:0:0:0:0:25']);
  assert.equal(ask('_sip._udp.example.com', 'SRV').additional.length, 2);
});

test('question case is echoed, answers owned by it too', () => {
  const out = answer(catalog, buildQuery('WwW.ExAmPle.CoM', 'A'), 'udp')!;
  const m = parseMessage(out);
  assert.equal(m.question!.rawName, 'WwW.ExAmPle.CoM.');
  // The answer owner is a pointer to the question, so it reads back in the client's case.
  assert.ok(out.includes(Buffer.from('WwW')));
  assert.equal(m.answer.length, 2);
  // A second query with other case is served from the cache with its own case.
  const again = answer(catalog, buildQuery('wWw.example.COM', 'A'), 'udp')!;
  assert.equal(parseMessage(again).question!.rawName, 'wWw.example.COM.');
});

test('names outside every zone are REFUSED, never recursed', () => {
  const m = ask('www.example.org', 'A', { rd: true });
  assert.equal(m.rcode, 5);
  assert.equal(m.ra, false);
  assert.equal(m.rd, true, 'RD is copied');
});

test('other opcodes get NOTIMP; other classes REFUSED', () => {
  assert.equal(ask('example.com', 'SOA', { opcode: 2 }).rcode, 4);
  assert.equal(ask('version.bind', 'TXT', { qclass: 3 }).rcode, 5);
});

test('ANY: one RRset over UDP (RFC 8482), all of them over TCP', () => {
  assert.equal(new Set(ask('example.com', 'ANY').answer.map((r) => r.type)).size, 1);
  const tcp = ask('example.com', 'ANY', { tcp: true });
  assert.deepEqual([...new Set(tcp.answer.map((r) => r.type))].sort((a, b) => a - b), [2, 6, 15]);
});

test('EDNS: OPT echoed with payload 1232 and DO copied; version > 0 is BADVERS', () => {
  const m = ask('www.example.com', 'A', { edns: { payload: 4096, dnssecOk: true } });
  assert.deepEqual(m.opt, { payload: 1232, extRcode: 0, version: 0, dnssecOk: true });
  const plain = ask('www.example.com', 'A');
  assert.equal(plain.opt, null);
  const bad = ask('www.example.com', 'A', { edns: { version: 1 } });
  assert.equal(bad.rcode, 16);
  assert.equal(bad.answer.length, 0);
  assert.ok(bad.opt);
});

test('answers that do not fit are truncated to whole RRsets with TC set, OPT kept', () => {
  const udp = ask('big.example.com', 'TXT');
  assert.ok(udp.tc);
  assert.ok(udp.size <= 512);
  assert.equal(udp.answer.length, 0, 'the RRset is never split');
  const edns = ask('big.example.com', 'TXT', { edns: { payload: 1232 } });
  assert.ok(edns.tc);
  assert.ok(edns.opt);
  assert.ok(edns.size <= 1232);
  const tcp = ask('big.example.com', 'TXT', { tcp: true });
  assert.ok(!tcp.tc);
  assert.equal(tcp.answer.length, 40);
});

test('unknown types are served in RFC 3597 form', () => {
  const m = ask('unknown.example.com', 65280);
  assert.deepEqual(names(m.answer), ['unknown.example.com. 65280 \\# 4 0a000001']);
});

test('malformed queries get FORMERR or silence', () => {
  const q = buildQuery('www.example.com', 'A');
  q.writeUInt16BE(2, 4); // QDCOUNT 2
  const r = answer(catalog, q, 'udp');
  assert.equal(parseMessage(r!).rcode, 1);
  assert.equal(answer(catalog, Buffer.alloc(5), 'udp'), null, 'too short to carry an ID');
  const resp = buildQuery('www.example.com', 'A');
  resp[2] |= 0x80;
  assert.equal(answer(catalog, resp, 'udp'), null, 'responses are never answered');
  const cut = buildQuery('www.example.com', 'A').subarray(0, 20);
  assert.equal(parseMessage(answer(catalog, cut, 'udp')!).rcode, 1);
});

test('pool answers are cached per health generation, reshuffled on every hit, and rebuilt when health moves', async () => {
  const { Catalog } = await import('../../../server/engine/catalog.js');
  const { parsePoolsYaml } = await import('../../../server/pools/parse.js');
  const { parseZoneYaml } = await import('../../../server/zones/parse.js');
  const { compileZone } = await import('../../../server/zones/compile.js');
  const pools = parsePoolsYaml('pools:\n  web:\n    members: [192.0.2.1, 192.0.2.2, 192.0.2.3, 192.0.2.4]\n', '_pools.yaml').pools;
  const src = parseZoneYaml(`records:
  '@':
    - { type: SOA, value: { mname: ns1, rname: h } }
    - { type: NS, value: ns1 }
  ns1: { type: A, value: 192.0.2.53 }
  www: { type: A, pool: web }
`, 'example.com.yaml', 'example.com').zone!;
  const cat = new Catalog([compileZone(src, pools)], pools);
  let gen = 1;
  const down = new Set<string>();
  cat.health = { state: (_p, m) => (down.has(m.address) ? 'down' : 'up'), latchedTier: () => undefined, generation: () => gen };
  const firsts = new Map<string, number>();
  for (let i = 0; i < 400; i++) {
    const m = parseMessage(answer(cat, buildQuery('www.example.com', 'A', { id: i }), 'udp')!);
    assert.equal(m.id, i);
    assert.deepEqual(m.answer.map((r) => r.data).sort(), ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4']);
    firsts.set(m.answer[0]!.data, (firsts.get(m.answer[0]!.data) ?? 0) + 1);
  }
  assert.equal(cat.poolCache.size, 1, 'served from the pool cache');
  for (const [addr, n] of firsts) assert.ok(n > 50, `${addr} first only ${n} times in 400`);
  down.add('192.0.2.3');
  gen++;
  const after = parseMessage(answer(cat, buildQuery('www.example.com', 'A'), 'udp')!);
  assert.deepEqual(after.answer.map((r) => r.data).sort(), ['192.0.2.1', '192.0.2.2', '192.0.2.4']);
  assert.equal(after.answer[0]!.ttl, 30, 'degraded TTL once a member is down');
});
