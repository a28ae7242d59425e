// Response-rate limiting: the bucket arithmetic (clock passed in) and the
// truncated reply a slipped response becomes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiter, prefixOf, truncatedReply } from '../../../server/transport/rrl.js';
import { buildQuery, parseMessage } from '../../support/dnsmsg.js';
import { ask } from '../../support/engine.js';
import { catalogFrom } from '../../support/catalog.js';

test('a prefix gets `rate` responses per second, then 1 in `slip` truncated, the rest dropped', () => {
  const rrl = new RateLimiter({ rate: 10, slip: 2 });
  const t = 1_000_000;
  const verdicts = Array.from({ length: 20 }, () => rrl.check('198.51.100.7', t));
  assert.equal(verdicts.filter((v) => v === 'send').length, 10);
  assert.equal(verdicts.filter((v) => v === 'slip').length, 5);
  assert.equal(verdicts.filter((v) => v === 'drop').length, 5);
  // Same /24: same bucket. Another /24: its own.
  assert.notEqual(rrl.check('198.51.100.200', t), 'send');
  assert.equal(rrl.check('198.51.101.7', t), 'send');
  // Refills with time: half a second later, 5 more.
  const later = Array.from({ length: 6 }, () => rrl.check('198.51.100.7', t + 500));
  assert.deepEqual(later.slice(0, 5), ['send', 'send', 'send', 'send', 'send']);
  assert.notEqual(later[5], 'send');
});

test('slip 0 drops everything over the limit', () => {
  const rrl = new RateLimiter({ rate: 1, slip: 0 });
  assert.equal(rrl.check('192.0.2.1', 0), 'send');
  assert.equal(rrl.check('192.0.2.1', 0), 'drop');
  assert.equal(rrl.check('192.0.2.1', 0), 'drop');
});

test('prefixes: /24 for IPv4 and /56 for IPv6 by default', () => {
  assert.equal(prefixOf('203.0.113.77', 24, 56), '203.0.113.0/24');
  assert.equal(prefixOf('2001:db8:aa:bb01::1', 24, 56), prefixOf('2001:db8:aa:bbff:1:2:3:4', 24, 56));
  assert.notEqual(prefixOf('2001:db8:aa:bb01::1', 24, 56), prefixOf('2001:db8:aa:cc01::1', 24, 56));
});

test('a slipped reply is the header and question with TC set and nothing else', () => {
  const catalog = catalogFrom({
    'example.com': `records:
  '@':
    - { type: SOA, value: { mname: ns1, rname: h } }
    - { type: NS, value: ns1 }
  ns1: { type: A, value: 192.0.2.1 }
`,
  });
  const full = ask(catalog, buildQuery('ns1.example.com', 'A', { id: 77 }), 'udp')!;
  const m = parseMessage(truncatedReply(full));
  assert.equal(m.id, 77);
  assert.ok(m.tc && m.qr);
  assert.equal(m.question?.name, 'ns1.example.com.');
  assert.equal(m.answer.length + m.authority.length + m.additional.length, 0);
});

test('serve --rrl-rate: a flood from one client is limited over UDP, slipped replies carry TC, TCP is not limited', async () => {
  const { mkdtempSync, cpSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const dgram = await import('node:dgram');
  const { startPulse } = await import('../../support/server.js');
  const { query } = await import('../../support/client.js');
  const repo = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..');
  const dir = mkdtempSync(join(tmpdir(), 'pulse-rrl-'));
  cpSync(join(repo, 'zones'), dir, { recursive: true });
  const s = await startPulse(dir, ['--rrl-rate', '5', '--rrl-slip', '2']);
  try {
    const sock = dgram.createSocket('udp4');
    const replies: Buffer[] = [];
    sock.on('message', (m) => replies.push(m));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    for (let i = 0; i < 40; i++) sock.send(buildQuery('mail.example.com', 'A', { id: i }), s.port, s.host);
    await new Promise((r) => setTimeout(r, 500));
    sock.close();
    const parsed = replies.map(parseMessage);
    const full = parsed.filter((m) => !m.tc).length;
    const slipped = parsed.filter((m) => m.tc && m.answer.length === 0).length;
    assert.ok(full >= 5 && full <= 8, `${full} full answers (rate 5/s, plus refill)`);
    assert.ok(slipped >= 12 && slipped <= 20, `${slipped} truncated replies (1 in 2 of the rest)`);
    assert.ok(parsed.length < 40, 'the rest were dropped');
    const tcp = await Promise.all(Array.from({ length: 10 }, () => query(s, 'mail.example.com', 'A', { tcp: true })));
    assert.ok(tcp.every((m) => m.answer.length === 1 && !m.tc));
    const metrics = await (await fetch(`${s.admin}/metrics`)).text();
    assert.match(metrics, /^pulsedns_rrl_slipped_total \d+$/m);
    assert.ok(Number(/^pulsedns_rrl_dropped_total (\d+)$/m.exec(metrics)?.[1]) >= 10);
  } finally {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
