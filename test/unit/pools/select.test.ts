// selectMembers is pure: every policy is driven here by a hand-written health
// table and a seeded generator, so statistical checks are reproducible.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePoolsYaml } from '../../../server/pools/parse.js';
import { selectMembers, type HealthLookup, type MemberState } from '../../../server/pools/select.js';
import type { Pool, PoolMember } from '../../../server/pools/model.js';
import { formatError } from '../../../server/zones/model.js';
import { makeRng } from '../../support/rng.js';

/** Pools come from YAML so members carry the same RDATA and keys the server uses. */
function poolFrom(body: string): Pool {
  const text = `checks:\n  c: { type: tcp, port: 80 }\npools:\n  p:\n${body.replace(/^/gm, '    ')}\n`;
  const r = parsePoolsYaml(text, '_pools.yaml');
  assert.deepEqual(r.errors.map(formatError), []);
  const p = r.pools.pools.get('p');
  assert.ok(p);
  return p;
}

class Health implements HealthLookup {
  readonly states = new Map<string, MemberState>();
  latch: number | undefined;

  set(state: MemberState, ...addresses: string[]): this {
    for (const a of addresses) this.states.set(a, state);
    return this;
  }

  state(_pool: Pool, member: PoolMember): MemberState {
    return this.states.get(member.address) ?? 'up';
  }

  latchedTier(): number | undefined {
    return this.latch;
  }
}

const texts = (sel: { rdata: Array<{ text: string }> }): string[] => sel.rdata.map((r) => r.text);
const sorted = (sel: { rdata: Array<{ text: string }> }): string[] => texts(sel).sort();

test('all: every healthy member, ttl when nothing is degraded', () => {
  const pool = poolFrom('check: c\nmembers: [192.0.2.1, 192.0.2.2, 192.0.2.3]');
  const sel = selectMembers(pool, 4, new Health(), makeRng(1));
  assert.deepEqual(sorted(sel), ['192.0.2.1', '192.0.2.2', '192.0.2.3']);
  assert.equal(sel.ttl, 60);
  assert.equal(sel.tier, 0);
  assert.equal(sel.servfail, false);
});

test('all: order is shuffled so every member leads some answers', () => {
  const pool = poolFrom('check: c\nmembers: [192.0.2.1, 192.0.2.2, 192.0.2.3, 192.0.2.4]');
  const rand = makeRng(2);
  const firsts = new Map<string, number>();
  const draws = 2000;
  for (let i = 0; i < draws; i++) {
    const first = texts(selectMembers(pool, 4, new Health(), rand))[0]!;
    firsts.set(first, (firsts.get(first) ?? 0) + 1);
  }
  assert.equal(firsts.size, 4);
  // Uniform would be 500 each; a broken shuffle sits at 0 or 2000.
  for (const [addr, n] of firsts) assert.ok(n > 400 && n < 600, `${addr} led ${n} of ${draws}`);
});

test('all: caps at max_answers, still drawing from every member', () => {
  const members = Array.from({ length: 10 }, (_, i) => `192.0.2.${i + 1}`);
  const pool = poolFrom(`check: c\nmax_answers: 3\nmembers: [${members.join(', ')}]`);
  const rand = makeRng(3);
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const sel = selectMembers(pool, 4, new Health(), rand);
    assert.equal(sel.rdata.length, 3);
    assert.equal(new Set(texts(sel)).size, 3, 'no member twice in one answer');
    for (const t of texts(sel)) seen.add(t);
  }
  assert.equal(seen.size, 10);
});

test('all: the default cap is 8', () => {
  const members = Array.from({ length: 12 }, (_, i) => `192.0.2.${i + 1}`);
  const pool = poolFrom(`check: c\nmembers: [${members.join(', ')}]`);
  assert.equal(selectMembers(pool, 4, new Health(), makeRng(4)).rdata.length, 8);
});

test('drained and down members are left out; both shorten the TTL to degraded_ttl', () => {
  const pool = poolFrom('check: c\nmembers: [192.0.2.1, 192.0.2.2, 192.0.2.3]');
  const drained = selectMembers(pool, 4, new Health().set('drain', '192.0.2.2'), makeRng(5));
  assert.deepEqual(sorted(drained), ['192.0.2.1', '192.0.2.3']);
  // Answers while a member is drained are a stopgap like those while it is down: degraded_ttl.
  assert.equal(drained.ttl, 30);
  const down = selectMembers(pool, 4, new Health().set('down', '192.0.2.3'), makeRng(5));
  assert.deepEqual(sorted(down), ['192.0.2.1', '192.0.2.2']);
  assert.equal(down.ttl, 30);
  const both = selectMembers(pool, 4, new Health().set('drain', '192.0.2.1').set('down', '192.0.2.2'), makeRng(5));
  assert.deepEqual(sorted(both), ['192.0.2.3']);
});

test('failover: the first tier with a healthy member answers', () => {
  const pool = poolFrom('check: c\npolicy: failover\ntiers: [[192.0.2.1, 192.0.2.2], [192.0.2.11], [192.0.2.21]]');
  const all = selectMembers(pool, 4, new Health(), makeRng(6));
  assert.deepEqual(sorted(all), ['192.0.2.1', '192.0.2.2']);
  assert.equal(all.tier, 0);
  assert.equal(all.ttl, 60);

  const half = selectMembers(pool, 4, new Health().set('down', '192.0.2.1'), makeRng(6));
  assert.deepEqual(sorted(half), ['192.0.2.2']);
  assert.equal(half.tier, 0);
  assert.equal(half.ttl, 30);

  const second = selectMembers(pool, 4, new Health().set('down', '192.0.2.1', '192.0.2.2'), makeRng(6));
  assert.deepEqual(sorted(second), ['192.0.2.11']);
  assert.equal(second.tier, 1);
  assert.equal(second.ttl, 30);

  // A drained tier is skipped like a dead one.
  const drained = selectMembers(pool, 4, new Health().set('drain', '192.0.2.1', '192.0.2.2').set('down', '192.0.2.11'), makeRng(6));
  assert.deepEqual(sorted(drained), ['192.0.2.21']);
  assert.equal(drained.tier, 2);
});

test('failover: a backup tier answering shortens the TTL even with nothing down', () => {
  const pool = poolFrom('check: c\npolicy: failover\ntiers: [[192.0.2.1], [192.0.2.11]]');
  const sel = selectMembers(pool, 4, new Health().set('drain', '192.0.2.1'), makeRng(7));
  assert.equal(sel.tier, 1);
  assert.equal(sel.ttl, 30);
});

test('failover: min_healthy as a count', () => {
  const pool = poolFrom('check: c\npolicy: failover\nmin_healthy: 2\ntiers: [[192.0.2.1, 192.0.2.2, 192.0.2.3], [192.0.2.11, 192.0.2.12]]');
  assert.equal(selectMembers(pool, 4, new Health().set('down', '192.0.2.1'), makeRng(8)).tier, 0);
  const sel = selectMembers(pool, 4, new Health().set('down', '192.0.2.1', '192.0.2.2'), makeRng(8));
  assert.equal(sel.tier, 1, 'one healthy primary is fewer than 2');
  assert.deepEqual(sorted(sel), ['192.0.2.11', '192.0.2.12']);
});

test('failover: min_healthy as a fraction and as a percentage', () => {
  for (const mh of ['0.5', '"50%"']) {
    const pool = poolFrom(`check: c\npolicy: failover\nmin_healthy: ${mh}\ntiers: [[192.0.2.1, 192.0.2.2, 192.0.2.3, 192.0.2.4], [192.0.2.11]]`);
    // ceil(0.5 * 4) = 2 of 4 primaries must be up.
    assert.equal(selectMembers(pool, 4, new Health().set('down', '192.0.2.1', '192.0.2.2'), makeRng(9)).tier, 0, mh);
    assert.equal(selectMembers(pool, 4, new Health().set('down', '192.0.2.1', '192.0.2.2', '192.0.2.3'), makeRng(9)).tier, 1, mh);
  }
  // A fraction of an odd count rounds up: 0.5 of 3 needs 2.
  const odd = poolFrom('check: c\npolicy: failover\nmin_healthy: 0.5\ntiers: [[192.0.2.1, 192.0.2.2, 192.0.2.3], [192.0.2.11]]');
  assert.equal(selectMembers(odd, 4, new Health().set('down', '192.0.2.1'), makeRng(9)).tier, 0);
  assert.equal(selectMembers(odd, 4, new Health().set('down', '192.0.2.1', '192.0.2.2'), makeRng(9)).tier, 1);
});

test('failover: the fraction counts the tier members of the asked family only', () => {
  const pool = poolFrom("check: c\npolicy: failover\nmin_healthy: 0.5\ntiers: [[192.0.2.1, 192.0.2.2, '2001:db8::1', '2001:db8::2', '2001:db8::3', '2001:db8::4'], [192.0.2.11, '2001:db8::11']]");
  // One IPv4 primary up is half of the two IPv4 primaries, not of all six.
  assert.equal(selectMembers(pool, 4, new Health().set('down', '192.0.2.1'), makeRng(10)).tier, 0);
});

test('min_healthy as a count larger than a backup tier still lets that tier answer', () => {
  const pool = poolFrom('check: c\npolicy: failover\nmin_healthy: 2\ntiers: [[192.0.2.1, 192.0.2.2, 192.0.2.3], [192.0.2.11]]');
  const sel = selectMembers(pool, 4, new Health().set('down', '192.0.2.1', '192.0.2.2'), makeRng(30));
  assert.equal(sel.tier, 1);
  assert.deepEqual(texts(sel), ['192.0.2.11']);
});

test('manual failback: the latched backup tier keeps answering when primaries return', () => {
  const pool = poolFrom('check: c\npolicy: failover\nfailback: manual\ntiers: [[192.0.2.1], [192.0.2.11]]');
  const h = new Health();
  h.latch = 1;
  const sel = selectMembers(pool, 4, h, makeRng(11));
  assert.equal(sel.tier, 1);
  assert.deepEqual(texts(sel), ['192.0.2.11']);
  assert.equal(sel.ttl, 30);
});

test('manual failback: when the latched tier dies, the other tiers answer', () => {
  const pool = poolFrom('check: c\npolicy: failover\nfailback: manual\ntiers: [[192.0.2.1], [192.0.2.11], [192.0.2.21]]');
  const h = new Health();
  h.latch = 1;
  h.set('down', '192.0.2.11');
  // Still off the primaries: the tiers after the latched one come first.
  assert.deepEqual(texts(selectMembers(pool, 4, h, makeRng(12))), ['192.0.2.21']);
  h.set('down', '192.0.2.21');
  const sel = selectMembers(pool, 4, h, makeRng(12));
  assert.equal(sel.tier, 0);
  assert.deepEqual(texts(sel), ['192.0.2.1']);
});

test('automatic failback ignores a latch', () => {
  const pool = poolFrom('check: c\npolicy: failover\ntiers: [[192.0.2.1], [192.0.2.11]]');
  const h = new Health();
  h.latch = 1;
  assert.equal(selectMembers(pool, 4, h, makeRng(13)).tier, 0);
});

test('a latch beyond the configured tiers (tiers removed by a reload) falls back to tier order', () => {
  const pool = poolFrom('check: c\npolicy: failover\nfailback: manual\ntiers: [[192.0.2.1], [192.0.2.11]]');
  const h = new Health();
  h.latch = 5;
  assert.equal(selectMembers(pool, 4, h, makeRng(14)).tier, 0);
});

test('weighted: first picks follow the weights (3:1 is about 75%)', () => {
  const pool = poolFrom('check: c\npolicy: weighted\nmembers: [{address: 192.0.2.1, weight: 3}, {address: 192.0.2.2, weight: 1}]');
  const rand = makeRng(15);
  const draws = 4000;
  let heavy = 0;
  for (let i = 0; i < draws; i++) {
    const sel = selectMembers(pool, 4, new Health(), rand);
    assert.equal(sel.rdata.length, 1, 'weighted answers one address by default');
    if (texts(sel)[0] === '192.0.2.1') heavy++;
  }
  // Binomial sd at n=4000, p=0.75 is about 27 draws; 3% is over 4 sd.
  const share = heavy / draws;
  assert.ok(Math.abs(share - 0.75) < 0.03, `heavy member first in ${(share * 100).toFixed(1)}%`);
});

test('weighted: three members 5:3:2, with max_answers listing the rest by weight', () => {
  const pool = poolFrom('check: c\npolicy: weighted\nmax_answers: 3\nmembers: [{address: 192.0.2.1, weight: 5}, {address: 192.0.2.2, weight: 3}, {address: 192.0.2.3, weight: 2}]');
  const rand = makeRng(16);
  const firsts = new Map<string, number>();
  const draws = 4000;
  for (let i = 0; i < draws; i++) {
    const sel = selectMembers(pool, 4, new Health(), rand);
    assert.deepEqual(sorted(sel), ['192.0.2.1', '192.0.2.2', '192.0.2.3']);
    const f = texts(sel)[0]!;
    firsts.set(f, (firsts.get(f) ?? 0) + 1);
  }
  for (const [addr, want] of [['192.0.2.1', 0.5], ['192.0.2.2', 0.3], ['192.0.2.3', 0.2]] as const) {
    const got = (firsts.get(addr) ?? 0) / draws;
    assert.ok(Math.abs(got - want) < 0.03, `${addr} first in ${(got * 100).toFixed(1)}%, want ${want * 100}%`);
  }
});

test('weighted: a down member gets no draws', () => {
  const pool = poolFrom('check: c\npolicy: weighted\nmembers: [{address: 192.0.2.1, weight: 3}, {address: 192.0.2.2, weight: 1}]');
  const rand = makeRng(17);
  const h = new Health().set('down', '192.0.2.1');
  for (let i = 0; i < 200; i++) assert.deepEqual(texts(selectMembers(pool, 4, h, rand)), ['192.0.2.2']);
});

test('weighted: weight 0 is used only when no weighted member is healthy', () => {
  const pool = poolFrom('check: c\npolicy: weighted\nmax_answers: 3\nmembers: [{address: 192.0.2.1, weight: 1}, {address: 192.0.2.2, weight: 2}, {address: 192.0.2.9, weight: 0}]');
  const rand = makeRng(18);
  for (let i = 0; i < 500; i++) {
    assert.ok(!texts(selectMembers(pool, 4, new Health(), rand)).includes('192.0.2.9'));
  }
  const h = new Health().set('down', '192.0.2.1');
  for (let i = 0; i < 200; i++) assert.deepEqual(texts(selectMembers(pool, 4, h, rand)), ['192.0.2.2']);
  h.set('drain', '192.0.2.2');
  const sel = selectMembers(pool, 4, h, rand);
  assert.deepEqual(texts(sel), ['192.0.2.9']);
  assert.equal(sel.tier, 0);
});

test('on_all_down: all fails open with every configured member', () => {
  const pool = poolFrom('check: c\nmembers: [192.0.2.1, 192.0.2.2]');
  const sel = selectMembers(pool, 4, new Health().set('down', '192.0.2.1', '192.0.2.2'), makeRng(19));
  assert.deepEqual(sorted(sel), ['192.0.2.1', '192.0.2.2']);
  assert.equal(sel.tier, -1);
  assert.equal(sel.servfail, false);
  assert.equal(sel.ttl, 30);
});

test('on_all_down: all covers every tier of a failover pool', () => {
  const pool = poolFrom('check: c\npolicy: failover\ntiers: [[192.0.2.1], [192.0.2.11]]');
  const sel = selectMembers(pool, 4, new Health().set('down', '192.0.2.1', '192.0.2.11'), makeRng(20));
  assert.deepEqual(sorted(sel), ['192.0.2.1', '192.0.2.11']);
  assert.equal(sel.tier, -1);
});

test('on_all_down: backup answers with the backup list', () => {
  const pool = poolFrom('check: c\nmembers: [192.0.2.1]\nbackup: [198.51.100.1, 198.51.100.2]\non_all_down: backup');
  assert.deepEqual(sorted(selectMembers(pool, 4, new Health(), makeRng(21))), ['192.0.2.1'], 'backup unused while a member is up');
  const h = new Health().set('down', '192.0.2.1');
  const sel = selectMembers(pool, 4, h, makeRng(21));
  assert.deepEqual(sorted(sel), ['198.51.100.1', '198.51.100.2']);
  assert.equal(sel.tier, -1);
  assert.equal(sel.ttl, 30);
  h.set('down', '198.51.100.1');
  assert.deepEqual(sorted(selectMembers(pool, 4, h, makeRng(21))), ['198.51.100.2'], 'healthy backups preferred');
  h.set('down', '198.51.100.2');
  assert.deepEqual(sorted(selectMembers(pool, 4, h, makeRng(21))), ['198.51.100.1', '198.51.100.2'], 'every backup when all are down');
});

test('on_all_down: backup skips a drained backup member', () => {
  const pool = poolFrom('check: c\nmembers: [192.0.2.1]\nbackup: [198.51.100.1, 198.51.100.2]\non_all_down: backup');
  const h = new Health().set('down', '192.0.2.1').set('drain', '198.51.100.1');
  assert.deepEqual(sorted(selectMembers(pool, 4, h, makeRng(22))), ['198.51.100.2']);
});

test('on_all_down: empty answers nothing, servfail asks for SERVFAIL', () => {
  const empty = poolFrom('check: c\nmembers: [192.0.2.1]\non_all_down: empty');
  const h = new Health().set('down', '192.0.2.1');
  const e = selectMembers(empty, 4, h, makeRng(23));
  assert.deepEqual(e.rdata, []);
  assert.equal(e.servfail, false);
  assert.equal(e.tier, -1);
  const servfail = poolFrom('check: c\nmembers: [192.0.2.1]\non_all_down: servfail');
  const s = selectMembers(servfail, 4, h, makeRng(23));
  assert.deepEqual(s.rdata, []);
  assert.equal(s.servfail, true);
  assert.equal(s.tier, -1);
  // Draining the only member also leaves nothing to answer with.
  assert.equal(selectMembers(servfail, 4, new Health().set('drain', '192.0.2.1'), makeRng(23)).servfail, true);
});

test('on_all_down applies when min_healthy is not met anywhere', () => {
  const pool = poolFrom('check: c\nmembers: [192.0.2.1, 192.0.2.2, 192.0.2.3]\nmin_healthy: 2\non_all_down: empty');
  assert.equal(selectMembers(pool, 4, new Health().set('down', '192.0.2.1'), makeRng(24)).rdata.length, 2);
  const sel = selectMembers(pool, 4, new Health().set('down', '192.0.2.1', '192.0.2.2'), makeRng(24));
  assert.deepEqual(sel.rdata, []);
  assert.equal(sel.tier, -1);
});

test('TTL: ttl and degraded_ttl from the pool, degraded never above ttl, never below 5', () => {
  const pool = poolFrom('check: c\nttl: 120\ndegraded_ttl: 20\nmembers: [192.0.2.1, 192.0.2.2]');
  assert.equal(selectMembers(pool, 4, new Health(), makeRng(25)).ttl, 120);
  assert.equal(selectMembers(pool, 4, new Health().set('down', '192.0.2.2'), makeRng(25)).ttl, 20);
  const inverted = poolFrom('check: c\nttl: 10\ndegraded_ttl: 300\nmembers: [192.0.2.1, 192.0.2.2]');
  assert.equal(selectMembers(inverted, 4, new Health().set('down', '192.0.2.2'), makeRng(25)).ttl, 10);
  const zero = poolFrom('check: c\nttl: 0\ndegraded_ttl: 0\nmembers: [192.0.2.1, 192.0.2.2]');
  assert.equal(zero.ttl, 5);
  assert.equal(selectMembers(zero, 4, new Health(), makeRng(25)).ttl, 5);
  assert.equal(selectMembers(zero, 4, new Health().set('down', '192.0.2.2'), makeRng(25)).ttl, 5);
  // Pools built in code bypass the parser's clamp; the selector clamps too.
  const tiny: Pool = { ...pool, ttl: 1, degradedTtl: 0 };
  assert.equal(selectMembers(tiny, 4, new Health(), makeRng(25)).ttl, 5);
  assert.equal(selectMembers(tiny, 4, new Health().set('down', '192.0.2.2'), makeRng(25)).ttl, 5);
  const sf: Pool = { ...tiny, onAllDown: 'servfail' };
  assert.equal(selectMembers(sf, 4, new Health().set('down', '192.0.2.1', '192.0.2.2'), makeRng(25)).ttl, 5);
});

test('families are kept apart: answers, health and TTL', () => {
  const pool = poolFrom("check: c\nmembers: [192.0.2.1, 192.0.2.2, '2001:db8::1', '2001:db8:0:0::2']");
  assert.deepEqual(sorted(selectMembers(pool, 4, new Health(), makeRng(26))), ['192.0.2.1', '192.0.2.2']);
  const six = selectMembers(pool, 6, new Health(), makeRng(26));
  assert.equal(six.rdata.length, 2);
  assert.ok(six.rdata.every((r) => r.wire.length === 16));
  assert.ok(pool.tiers[0]!.every((m) => m.family === (m.rdata.wire.length === 4 ? 4 : 6)));

  // IPv6 all down: AAAA fails open on its own, A is untouched and keeps the long TTL.
  const h = new Health().set('down', '2001:db8::1', '2001:db8::2');
  const a = selectMembers(pool, 4, h, makeRng(26));
  assert.equal(a.tier, 0);
  assert.equal(a.ttl, 60);
  assert.equal(a.rdata.length, 2);
  const aaaa = selectMembers(pool, 6, h, makeRng(26));
  assert.equal(aaaa.tier, -1);
  assert.equal(aaaa.ttl, 30);
  assert.ok(aaaa.rdata.every((r) => r.wire.length === 16));
});

test('failover skips a tier with no members of the asked family', () => {
  const pool = poolFrom("check: c\npolicy: failover\ntiers: [[192.0.2.1], ['2001:db8::11', 192.0.2.11]]");
  const sel = selectMembers(pool, 6, new Health(), makeRng(27));
  assert.equal(sel.tier, 1);
  assert.equal(sel.rdata.length, 1);
  assert.equal(sel.rdata[0]!.wire.length, 16);
});

test('a seeded generator gives the same answers run after run', () => {
  const pool = poolFrom('check: c\nmembers: [192.0.2.1, 192.0.2.2, 192.0.2.3, 192.0.2.4]');
  const run = (): string[] => {
    const rand = makeRng(99);
    return Array.from({ length: 20 }, () => texts(selectMembers(pool, 4, new Health(), rand)).join(','));
  };
  assert.deepEqual(run(), run());
});
