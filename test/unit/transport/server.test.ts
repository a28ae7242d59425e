// pulsedns as a user runs it: a real process, real UDP and TCP sockets on
// IPv4 and IPv6 loopback, zones reloaded from files and SIGHUP.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import DNS from 'dns2';
import { startPulse, type Spawned } from '../../support/server.js';
import { query, tcpExchange } from '../../support/client.js';
import { buildQuery, parseMessage } from '../../support/dnsmsg.js';

const REPO = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'pulse-server-'));
cpSync(join(REPO, 'zones'), dir, { recursive: true });
const zoneFile = join(dir, 'example.com.yaml');
const original = readFileSync(zoneFile, 'utf8');
// A name whose answer is far past any UDP size, to exercise large TCP answers.
writeFileSync(join(dir, 'big.test.yaml'), `records:
  '@':
    - { type: SOA, value: { mname: ns1.example.com., rname: h.example.com., serial: 1 } }
    - { type: NS, value: ns1.example.com. }
  huge: { type: TXT, values: [${Array.from({ length: 200 }, (_, i) => `"${String(i).padStart(3, '0')} ${'y'.repeat(240)}"`).join(', ')}] }
`);

const servers: Spawned[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
});

async function start(host = '127.0.0.1', extra: string[] = []): Promise<Spawned> {
  const s = await startPulse(dir, extra, host);
  servers.push(s);
  return s;
}

test('answers over UDP and TCP on IPv4 and IPv6', async () => {
  const v4 = await start();
  const v6 = await start('::1');
  for (const s of [v4, v6]) {
    for (const tcp of [false, true]) {
      const m = await query(s, 'www.example.com', 'A', { tcp });
      assert.equal(m.rcode, 0);
      assert.ok(m.aa);
      assert.equal(m.answer.length, 3, `${s.host} tcp=${tcp}`);
    }
  }
});

test('a stock DNS client (dns2) reads our answers', async () => {
  const s = servers[0] ?? (await start());
  const resolve = DNS.UDPClient({ dns: s.host, port: s.port, timeout: 2000 });
  const res = await resolve('mail.example.com', 'A', 1, { recursive: false });
  assert.equal(res.answers.length, 1);
  assert.equal((res.answers[0] as { address?: string }).address, '192.0.2.25');
});

test('TCP: frames split across reads, pipelining answered in order, large answers', async () => {
  const s = servers[0] ?? (await start());
  const queries = Array.from({ length: 50 }, (_, i) => buildQuery(i % 2 ? 'www.example.com' : 'nope.example.com', 'A', { id: 1000 + i }));
  const answers = await tcpExchange(s, queries);
  assert.deepEqual(answers.map((a) => a.readUInt16BE(0)), queries.map((q) => q.readUInt16BE(0)));
  // One query dribbled a byte at a time.
  const one = buildQuery('mail.example.com', 'A', { id: 4242 });
  const framed = Buffer.concat([Buffer.from([0, one.length]), one]);
  const reply = await new Promise<Buffer>((resolve, reject) => {
    const sock = net.connect(s.port, s.host);
    let got = Buffer.alloc(0);
    sock.on('data', (d) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) {
        sock.end();
        resolve(got.subarray(2));
      }
    });
    sock.on('error', reject);
    let i = 0;
    const drip = setInterval(() => {
      if (i < framed.length) sock.write(framed.subarray(i, ++i));
      else clearInterval(drip);
    }, 2);
  });
  assert.equal(parseMessage(reply).id, 4242);
  assert.equal(parseMessage(reply).answer.length, 1);
  // 200 TXT records of ~245 bytes: about 50 KB in one TCP answer, TC over UDP.
  const big = await query(s, 'huge.big.test', 'TXT', { tcp: true });
  assert.equal(big.answer.length, 200);
  assert.ok(big.size > 45_000 && big.size <= 65535);
  const udp = await query(s, 'huge.big.test', 'TXT', { edns: { payload: 4096 } });
  assert.ok(udp.tc && udp.size <= 1232);
});

test('idle TCP connections are closed', async () => {
  const s = await start('127.0.0.1', ['--tcp-idle-timeout', '1']);
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const sock = net.connect(s.port, s.host);
    sock.on('close', () => resolve());
    sock.on('error', reject);
    setTimeout(() => reject(new Error('not closed')), 5000);
  });
  assert.ok(Date.now() - started >= 900);
});

test('zone edits are picked up; a broken edit keeps the last good zones serving', async () => {
  const s = servers[0] ?? (await start());
  writeFileSync(zoneFile, original.replace('value: 192.0.2.25', 'value: 192.0.2.26'));
  await s.waitForLog(/zones loaded/);
  const deadline = Date.now() + 5000;
  let addr = '';
  while (Date.now() < deadline) {
    addr = (await query(s, 'mail.example.com', 'A')).answer[0]?.data ?? '';
    if (addr === '192.0.2.26') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(addr, '192.0.2.26');

  writeFileSync(zoneFile, original.replace('value: 192.0.2.25', 'value: 192.0.2.999'));
  const refusal = await s.waitForLog(/192\.0\.2\.999/);
  assert.match(refusal, /example\.com\.yaml:\d+:\d+: A: \\?"192\.0\.2\.999\\?" is not an IPv4 address/);
  await s.waitForLog(/still serving the previous zones/);
  assert.equal((await query(s, 'mail.example.com', 'A')).answer[0]!.data, '192.0.2.26');

  // SIGHUP after a fix reloads at once. Poll the answer itself: log lines from
  // the earlier edit's watcher may still be arriving.
  writeFileSync(zoneFile, original);
  s.proc.kill('SIGHUP');
  const until = Date.now() + 5000;
  let fixed = '';
  while (Date.now() < until && fixed !== '192.0.2.25') {
    fixed = (await query(s, 'mail.example.com', 'A')).answer[0]?.data ?? '';
    if (fixed !== '192.0.2.25') await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(fixed, '192.0.2.25');
});

test('queries sent during reloads are all answered', async () => {
  const s = servers[0] ?? (await start());
  const stop = Date.now() + 1500;
  let n = 0;
  const reloads = setInterval(() => s.proc.kill('SIGHUP'), 100);
  try {
    while (Date.now() < stop && n < 2000) {
      const batch = await Promise.all(Array.from({ length: 20 }, () => query(s, 'www.example.com', 'A')));
      for (const m of batch) assert.equal(m.answer.length, 3);
      n += batch.length;
    }
  } finally {
    clearInterval(reloads);
  }
  assert.ok(n >= 100, `only ${n} queries`);
});

test('a server refuses to start on a broken zone set and says where', async () => {
  const bad = mkdtempSync(join(tmpdir(), 'pulse-bad-'));
  try {
    writeFileSync(join(bad, 'example.com.yaml'), "records:\n  '@': { type: A, value: nope }\n");
    await assert.rejects(startPulse(bad), /example\.com\.yaml:2:\d+/);
  } finally {
    rmSync(bad, { recursive: true, force: true });
  }
});
