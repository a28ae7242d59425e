// One client holding many silent TCP connections must not crowd out
// everyone else: a per-address limit turns the flood away, and at the total
// cap the longest-idle connections are closed to make room (RFC 7766 6.2.2).
// Real server process, real sockets from distinct 127.0.0.x addresses, and
// real `dig +tcp` as the legitimate client.
import { test, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPulse, type Spawned } from '../support/server.js';
import { needTool } from '../support/tools.js';
import { sleep } from '../support/backends.js';

const ZONE = `records:
  '@':
    - { type: SOA, value: { mname: ns1, rname: hostmaster, serial: 1 } }
    - { type: NS, value: ns1 }
  ns1: { type: A, value: 192.0.2.53 }
  www: { type: A, value: 192.0.2.80 }
`;

const dir = mkdtempSync(join(tmpdir(), 'pulse-tcpflood-'));
writeFileSync(join(dir, 'flood.test.yaml'), ZONE);
const held: net.Socket[] = [];
const servers: Spawned[] = [];
after(async () => {
  for (const s of held) s.destroy();
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
});

/** Opens `n` connections from `from` that never send a byte; resolves with how many are still open a moment later. */
async function holdSilent(s: Spawned, from: string, n: number): Promise<net.Socket[]> {
  const socks = await Promise.all(Array.from({ length: n }, () => new Promise<net.Socket>((resolve) => {
    const sock = net.connect({ host: s.host, port: s.port, localAddress: from });
    sock.on('error', () => undefined);
    sock.once('connect', () => resolve(sock));
    sock.once('close', () => resolve(sock));
  })));
  held.push(...socks);
  await sleep(300);
  return socks.filter((x) => !x.destroyed && !x.closed);
}

/** `dig +tcp` from `from`, concurrently, `n` times; the answers each printed (+short). */
function digs(t: TestContext, s: Spawned, from: string, n: number): Promise<string[]> {
  const dig = needTool(t, 'dig', 'bind9-dnsutils');
  if (!dig) return Promise.resolve([]);
  return Promise.all(Array.from({ length: n }, () => new Promise<string>((resolve) => {
    execFile(dig, ['+tcp', '+tries=1', '+time=3', '+short', '-b', from, '-p', String(s.port), `@${s.host}`, 'www.flood.test', 'A'],
      { timeout: 10_000 }, (_err, stdout) => resolve(stdout.trim()));
  })));
}

async function counter(s: Spawned, name: string): Promise<number> {
  const text = await (await fetch(`${s.admin}/metrics`, { signal: AbortSignal.timeout(3000) })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1] ?? NaN);
}

test('one address holding hundreds of silent connections: 20 dig +tcp from another address are all answered', async (t) => {
  const s = await startPulse(dir, ['--tcp-max-connections', '100', '--tcp-idle-timeout', '30']);
  servers.push(s);
  const open = await holdSilent(s, '127.0.0.50', 300);
  t.diagnostic(`${open.length} of 300 silent connections from 127.0.0.50 still open`);
  assert.equal(open.length, 20, 'one address keeps exactly its share (--tcp-per-client default 20)');
  const answers = await digs(t, s, '127.0.0.51', 20);
  if (answers.length === 0) return;
  assert.deepEqual(answers, Array(20).fill('192.0.2.80'));
  assert.equal(await counter(s, 'pulsedns_tcp_client_limited_total'), 280);
  assert.equal(await counter(s, 'pulsedns_tcp_rejected_total'), 0);
});

test('at the total cap the longest-idle connections make room, oldest first', async (t) => {
  const s = await startPulse(dir, ['--tcp-max-connections', '60', '--tcp-per-client', '20', '--tcp-idle-timeout', '30']);
  servers.push(s);
  // Three addresses fill the cap with silent connections, oldest first.
  const first = await holdSilent(s, '127.0.0.60', 20);
  const second = await holdSilent(s, '127.0.0.61', 20);
  const third = await holdSilent(s, '127.0.0.62', 20);
  assert.equal(first.length + second.length + third.length, 60);
  const answers = await digs(t, s, '127.0.0.51', 20);
  if (answers.length === 0) return;
  assert.deepEqual(answers, Array(20).fill('192.0.2.80'), 'a newcomer is served, not refused, at the cap');
  await sleep(200);
  const stillOpen = (g: net.Socket[]): number => g.filter((x) => !x.destroyed && !x.closed).length;
  t.diagnostic(`still open: oldest group ${stillOpen(first)}, middle ${stillOpen(second)}, newest ${stillOpen(third)}`);
  // Twenty digs needed twenty places (each frees its own when done, so fewer may have been taken).
  assert.equal(stillOpen(second) + stillOpen(third), 40, 'only the oldest idle connections were closed');
  assert.ok(stillOpen(first) < 20, 'the oldest idle connections made room');
  assert.equal(await counter(s, 'pulsedns_tcp_idle_evicted_total'), 20 - stillOpen(first));
  assert.equal(await counter(s, 'pulsedns_tcp_rejected_total'), 0);
});
