// Signed answers made per query name (compact NXDOMAIN, wildcard expansions):
// kept whole (noted on first sight, on probation when made again, protected
// when asked once more), served again
// without a new signature, and safe from a flood of one-off names. The store itself (SignedAnswerCache)
// is checked first, then through the engine with real signatures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ask } from '../../support/engine.js';
import { buildQuery, parseMessage } from '../../support/dnsmsg.js';
import { zonesFrom } from '../../support/catalog.js';
import { rawSections, signatureProblems, signedCatalog } from '../../support/signed-answers.js';
import { Rcode, Type } from '../../../server/wire/constants.js';
import { nameFromText } from '../../../server/wire/names.js';
import { SignedAnswerCache } from '../../../server/engine/signedanswers.js';
import { RequestHandler } from '../../../server/engine/handler.js';
import { Stats } from '../../../server/runtime/stats.js';

const Z = nameFromText('example.com.');
const bytes = (n: number): Buffer => Buffer.alloc(n, 1);

/** Made twice: the second time it is stored (the first is only noted). */
const store = (c: SignedAnswerCache, k: string, n = 50): void => {
  c.set(k, bytes(n), Z);
  c.set(k, bytes(n), Z);
};

test('a first sight is only noted; made again it waits on probation; asked again it is protected', () => {
  const c = new SignedAnswerCache();
  assert.equal(c.get('a'), undefined);
  c.set('a', bytes(100), Z);
  assert.equal(c.get('a'), undefined, 'a first sight is sent, not kept');
  assert.deepEqual([c.stats().entries, c.stats().firstSights], [0, 1]);
  c.set('a', bytes(100), Z);
  assert.equal(c.stats().protectedEntries, 0);
  assert.equal(c.get('a')?.bytes.length, 100);
  assert.equal(c.get('a')?.zone, Z);
  const s = c.stats();
  assert.deepEqual([s.entries, s.protectedEntries, s.hits, s.stored], [1, 1, 2, 1]);
  c.clear();
  assert.equal(c.get('a'), undefined);
  c.set('a', bytes(100), Z);
  assert.equal(c.get('a'), undefined, 'clear() forgets the first sights too');
});

test('a flood of one-off names stores nothing and evicts nothing', () => {
  const c = new SignedAnswerCache({ probationEntries: 20, protectedEntries: 10 });
  for (let i = 0; i < 10; i++) {
    store(c, `hot${i}`);
    c.get(`hot${i}`);
  }
  for (let i = 0; i < 1000; i++) c.set(`flood${i}`, bytes(50), Z);
  for (let i = 0; i < 10; i++) assert.ok(c.get(`hot${i}`), `hot${i}`);
  const s = c.stats();
  assert.deepEqual([s.entries, s.evictions, s.stored], [10, 0, 10]);
  assert.ok(s.firstSights >= 1000);
});

test('a flood of names made twice churns probation only: protected answers stay', () => {
  const c = new SignedAnswerCache({ probationEntries: 20, protectedEntries: 10 });
  for (let i = 0; i < 10; i++) {
    store(c, `hot${i}`);
    c.get(`hot${i}`);
  }
  for (let i = 0; i < 1000; i++) store(c, `flood${i}`);
  for (let i = 0; i < 10; i++) assert.ok(c.get(`hot${i}`), `hot${i}`);
  const s = c.stats();
  assert.equal(s.entries, 30);
  assert.equal(s.evictions, 980);
});

test('names asked exactly twice go first from a full protected segment; hot ones stay', () => {
  const c = new SignedAnswerCache({ probationEntries: 50, protectedEntries: 20 });
  const twice = (k: string): void => {
    store(c, k);
    c.get(k);
  };
  for (let i = 0; i < 10; i++) twice(`hot${i}`);
  for (let round = 0; round < 100; round++) {
    for (let i = 0; i < 10; i++) assert.ok(c.get(`hot${i}`), `hot${i} still there in round ${round}`);
    for (let i = 0; i < 10; i++) twice(`flood${round}.${i}`);
  }
  assert.equal(c.stats().protectedEntries, 20);
});

test('the store stays within its byte budget', () => {
  const c = new SignedAnswerCache({ maxBytes: 6144 });
  for (let i = 0; i < 100; i++) {
    store(c, `k${i}`, 500);
    if (i % 2) c.get(`k${i}`);
  }
  assert.ok(c.stats().bytes <= 6144);
  assert.ok(c.stats().entries >= 5);
  store(c, 'huge', 8192);
  assert.equal(c.get('huge'), undefined, 'an answer larger than its segment is not kept');
});

const ZONE = `
dnssec: true
records:
  '@':
    - { type: SOA, ttl: 900, value: { mname: ns1, rname: hostmaster, serial: 7, minimum: 60 } }
    - { type: NS, value: ns1 }
  ns1: { type: A, value: 192.0.2.1 }
  '*.wild': { type: TXT, value: wildcard }
`;

function setup() {
  const s = signedCatalog(zonesFrom({ 'example.com': ZONE }), 13);
  const dnskey = s.dnskeys.get(Z)!;
  const signer = s.catalog.signed.get(Z)!.signer;
  const q = (name: string, type: string) => {
    const out = ask(s.catalog, buildQuery(name, type, { edns: { payload: 1232, dnssecOk: true } }), 'udp')!;
    const raw = rawSections(out);
    for (const sec of raw) assert.deepEqual(signatureProblems(sec, dnskey), [], `${name} ${type} validates`);
    return parseMessage(out);
  };
  return { ...s, signer, q, signatures: () => signer.cache.stats().signatures };
}

for (const [what, name, type] of [
  ['compact NXDOMAIN', 'missing.example.com', 'A'],
  ['wildcard expansion', 'any.wild.example.com', 'TXT'],
] as const) {
  test(`${what}: signed on first and second sight, then served whole without signing`, () => {
    const { catalog, q, signatures } = setup();
    const s0 = signatures();
    const first = q(name, type);
    assert.equal(first.rcode, Rcode.NOERROR);
    assert.ok(signatures() > s0);
    assert.equal(catalog.signedAnswers.stats().entries, 0, 'a first sight is not kept');
    const s1a = signatures();
    q(name, type);
    const s1 = signatures();
    assert.ok(s1 > s1a, 'the second sight is signed again, and kept');
    assert.equal(catalog.signedAnswers.stats().entries, 1);
    for (let i = 0; i < 5; i++) {
      const m = q(name, type);
      assert.ok([...m.answer, ...m.authority].some((r) => r.type === Type.RRSIG));
    }
    assert.equal(signatures(), s1, 'no signature made for the repeats');
    assert.equal(catalog.signedAnswers.stats().hits, 5);
    assert.equal(catalog.signedAnswers.stats().protectedEntries, 1);
  });
}

test('a random-name flood stays out of the signature cache and cannot evict the hot denial', () => {
  const { catalog, q, signer } = setup();
  for (let i = 0; i < 3; i++) q('hot.example.com', 'A');
  const sigEntries = signer.cache.stats().entries;
  for (let i = 0; i < 300; i++) q(`flood${i}.example.com`, 'A');
  const st = catalog.signedAnswers.stats();
  assert.equal(st.protectedEntries, 1, 'only the hot name is protected');
  assert.equal(signer.cache.stats().entries, sigEntries, 'per-name signatures skip the signature cache');
  const made = signer.cache.stats().signatures;
  q('hot.example.com', 'A');
  assert.equal(signer.cache.stats().signatures, made, 'the hot denial is still served whole');
});

test('per-zone counts come from the answer, for cached answers too', () => {
  const { catalog } = setup();
  const stats = new Stats();
  const h = new RequestHandler(() => catalog, stats, (e) => {
    throw e;
  });
  const ctx = h.context('udp');
  for (const [name, type, dnssecOk] of [['ns1.example.com', 'A', false], ['ns1.example.com', 'A', false], ['ns1.example.com', 'A', false], ['gone.example.com', 'A', true], ['gone.example.com', 'A', true], ['gone.example.com', 'A', true], ['elsewhere.org', 'A', false]] as const) {
    assert.ok(Buffer.isBuffer(h.handle(buildQuery(name, type, { edns: { dnssecOk } }), ctx)));
  }
  assert.equal(stats.byZone.get(Z), 6);
  assert.equal(stats.byZone.get(''), 1, 'the refused name counts outside every zone');
  assert.equal(stats.cacheHits, 2, 'one response-cache hit, one signed-answer hit');
});
