// Signed webhooks from a real `serve` to a receiver on 127.0.0.1: the
// receiver checks the documented scheme with its own HMAC, and a tampered,
// replayed or wrongly keyed request fails verification.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI, startPulse, type Spawned } from '../../support/server.js';
import { freePort } from '../../support/ports.js';
import { waitFor } from '../../support/backends.js';
import { signatureHeaders, verifySignature } from '../../../checks/signing.js';

const REPO = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..');
const SECRET = 'a-webhook-secret-of-some-length';
const servers: Spawned[] = [];
const dir = mkdtempSync(join(tmpdir(), 'pulse-signing-'));
after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
});

interface Delivery {
  headers: IncomingHttpHeaders;
  raw: Buffer;
}

async function receiver(): Promise<{ url: string; got: Delivery[]; close: () => void }> {
  const got: Delivery[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, raw: Buffer.concat(chunks) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    got,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** What a receiver written from docs/failover.md alone would do. */
function receiverAccepts(d: Delivery, secret: string, nowSeconds: number): boolean {
  const ts = String(d.headers['x-pulsedns-timestamp'] ?? '');
  const sig = String(d.headers['x-pulsedns-signature'] ?? '');
  if (Math.abs(nowSeconds - Number(ts)) > 300) return false;
  const want = 'sha256=' + createHmac('sha256', secret).update(`${ts}.`).update(d.raw).digest('hex');
  return sig === want;
}

test('with a secret, every webhook carries a timestamp and an HMAC-SHA256 of it and the raw body', async (t) => {
  const rx = await receiver();
  t.after(rx.close);
  cpSync(join(REPO, 'zones'), dir, { recursive: true });
  const closed = await freePort('127.0.0.1');
  writeFileSync(join(dir, '_pools.yaml'), `checks:\n  web-tcp: { type: tcp, port: ${closed}, interval: 200ms, timeout: 100ms, fall: 1, rise: 1 }\npools:\n  web: { check: web-tcp, policy: all, members: [127.0.0.1, '::1'], ttl: 60, degraded_ttl: 30 }\n`);
  const secretFile = join(dir, 'webhook.secret');
  writeFileSync(secretFile, `${SECRET}\n`, { mode: 0o600 });
  const s = await startPulse(dir, ['--webhook', rx.url, '--webhook-secret-file', secretFile]);
  servers.push(s);
  await waitFor('member.down webhook', () => rx.got.some((d) => d.headers['x-pulsedns-event'] === 'member.down'));
  const now = Math.floor(Date.now() / 1000);
  for (const d of rx.got) {
    assert.match(String(d.headers['x-pulsedns-signature']), /^sha256=[0-9a-f]{64}$/);
    assert.ok(Math.abs(Number(d.headers['x-pulsedns-timestamp']) - now) <= 5, 'the timestamp is the sending time');
    assert.ok(receiverAccepts(d, SECRET, now), 'the documented check passes');
    const ts = String(d.headers['x-pulsedns-timestamp']);
    const sig = String(d.headers['x-pulsedns-signature']);
    assert.equal(verifySignature(SECRET, d.raw, ts, sig, now), true);
    assert.equal(verifySignature('another-secret-entirely', d.raw, ts, sig, now), false, 'wrong key');
    const tampered = Buffer.from(d.raw.toString('utf8').replace(/"type":"[a-z._]+"/, '"type":"member.up"').replace(/}$/, ',"x":1}'));
    assert.equal(verifySignature(SECRET, tampered, ts, sig, now), false, 'altered body');
    assert.equal(verifySignature(SECRET, d.raw, String(Number(ts) + 60), sig, now), false, 'the timestamp is signed');
    assert.equal(verifySignature(SECRET, d.raw, ts, sig, now + 3600), false, 'a replay an hour later is refused');
  }
});

test('the signing scheme in numbers, and secrets too short to be one are refused at start', () => {
  // Fixed vector, so a change of scheme cannot pass unnoticed.
  const h = signatureHeaders('0123456789abcdef', '{"a":1}', 1_700_000_000);
  assert.equal(h['x-pulsedns-timestamp'], '1700000000');
  assert.equal(h['x-pulsedns-signature'], 'sha256=' + createHmac('sha256', '0123456789abcdef').update('1700000000.{"a":1}').digest('hex'));
  const r = spawnSync(process.execPath, [CLI, 'serve', '--zones', dir, '--webhook-secret', 'short'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /at least 16 characters/);
  const env = { ...process.env, PULSEDNS_WEBHOOK_SECRET: 'short' };
  const r2 = spawnSync(process.execPath, [CLI, 'serve', '--zones', dir], { encoding: 'utf8', timeout: 10_000, env });
  assert.equal(r2.status, 2, 'the environment variable is read too');
});
