// The admin endpoint against what a browser can be made to send: the
// cross-origin "simple" POST from issue 9, a DNS-rebinding request (the
// attacker's name in Host), and requests without the token. Then the
// operator's own path: the CLI reading the token file, and `by` recording
// who really made the change.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, startPulse, type Spawned } from '../support/server.js';
import { query } from '../support/client.js';
import { POOLED_EXAMPLE_ZONE } from '../support/zones.js';

const root = mkdtempSync(join(tmpdir(), 'pulse-admin-'));
after(() => rmSync(root, { recursive: true, force: true }));
const runtime = join(root, 'run');
mkdirSync(runtime, { mode: 0o700 });
const env: NodeJS.ProcessEnv = { ...process.env, XDG_RUNTIME_DIR: runtime };
delete env.PULSEDNS_ADMIN_TOKEN;
const zones = join(root, 'zones');
mkdirSync(zones);
writeFileSync(join(zones, 'example.com.yaml'), POOLED_EXAMPLE_ZONE);
writeFileSync(join(zones, '_pools.yaml'), `pools:
  web:
    policy: all
    members: [127.0.0.11, 127.0.0.12]
    ttl: 60
`);

interface Reply {
  status: number;
  body: string;
}

/** A raw HTTP request, so Host and Origin are exactly what a browser (or curl) would send. */
function send(s: Spawned, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Reply> {
  const u = new URL(s.admin);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const FORCE_DOWN = JSON.stringify({ pool: '*', address: '127.0.0.12', mode: 'force-down', for: '1h', by: 'mallory' });

async function members(s: Spawned): Promise<string[]> {
  const seen = new Set<string>();
  for (let i = 0; i < 4; i++) for (const a of (await query(s, 'www.example.com', 'A')).answer) seen.add(String(a.data));
  return [...seen].sort();
}

function cli(args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env, timeout: 15_000 });
  return { status: r.status, out: r.stdout + r.stderr };
}

test('a cross-origin or rebinding request cannot change anything; the token file lets the local CLI', async () => {
  const s = await startPulse(zones, [], '127.0.0.1', { env });
  const port = new URL(s.admin).port;
  const host = `127.0.0.1:${port}`;
  try {
    // The request from the issue (curl -X POST -H 'Content-Type: text/plain' -H 'Origin: http://evil.example' -H 'Host: evil.example:9153').
    const csrf = await send(s, 'POST', '/v1/override', { 'content-type': 'text/plain', origin: 'http://evil.example', host: 'evil.example:9153' }, FORCE_DOWN);
    assert.equal(csrf.status, 403, csrf.body);
    const crossOrigin = await send(s, 'POST', '/v1/override', { 'content-type': 'application/json', origin: 'http://evil.example', host }, FORCE_DOWN);
    assert.equal(crossOrigin.status, 403, crossOrigin.body);
    const simple = await send(s, 'POST', '/v1/override', { 'content-type': 'text/plain', host }, FORCE_DOWN);
    assert.equal(simple.status, 415, simple.body);
    const noToken = await send(s, 'POST', '/v1/override', { 'content-type': 'application/json', host }, FORCE_DOWN);
    assert.equal(noToken.status, 401, noToken.body);
    const del = await send(s, 'DELETE', '/v1/override?pool=web&address=127.0.0.12', { host });
    assert.equal(del.status, 415);
    assert.deepEqual(await members(s), ['127.0.0.11', '127.0.0.12'], 'the member is still answered');

    // The token the server wrote for local operators: private file, private directory.
    const tokenFile = join(runtime, 'pulsedns', `admin-${port}.token`);
    assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
    assert.equal(statSync(join(runtime, 'pulsedns')).mode & 0o777, 0o700);
    const token = readFileSync(tokenFile, 'utf8').trim();
    // Rebinding: right token, attacker's name in Host (a page cannot read the token, but belt and braces).
    const rebound = await send(s, 'POST', '/v1/override', { 'content-type': 'application/json', host: 'evil.example:9153', authorization: `Bearer ${token}` }, FORCE_DOWN);
    assert.equal(rebound.status, 403);
    assert.equal((await send(s, 'GET', '/status', { host: 'evil.example:9153' })).status, 403, 'no reading through a rebound name either');
    assert.equal((await send(s, 'GET', '/status', { host: `localhost:${port}` })).status, 200, 'reads stay open on loopback');
    assert.equal((await send(s, 'GET', '/healthz', { host: 'anything' })).status, 200);

    // The scheme is case-insensitive (RFC 7235); `by` is who the token says, not what the body claims.
    const ok = await send(s, 'POST', '/v1/override', { 'content-type': 'application/json; charset=utf-8', host, authorization: `bearer ${token}` }, FORCE_DOWN);
    assert.equal(ok.status, 200, ok.body);
    const ov = (JSON.parse(ok.body) as { override: { by: string; claimed_by: string } }).override;
    assert.equal(ov.by, 'local-cli@127.0.0.1');
    assert.equal(ov.claimed_by, 'mallory');
    assert.deepEqual(await members(s), ['127.0.0.11']);

    // The CLI finds the token file by itself.
    const clear = cli(['force', 'clear', '*', '127.0.0.12', '--admin', s.admin]);
    assert.equal(clear.status, 0, clear.out);
    const drain = cli(['drain', 'web', '127.0.0.11', '--admin', s.admin]);
    assert.equal(drain.status, 0, drain.out);
    assert.deepEqual(await members(s), ['127.0.0.12']);
    const status = JSON.parse(cli(['status', '--json', '--admin', s.admin]).out) as { pools: Array<{ members: Array<{ address: string; override?: { by: string } }> }> };
    assert.equal(status.pools[0]!.members.find((m) => m.address === '127.0.0.11')?.override?.by, 'local-cli@127.0.0.1');
    assert.ok(!JSON.stringify(status).includes(token), '/status shows no token');
    assert.ok(!s.output.join('\n').includes(token), 'the log shows no token');
    const wrong = spawnSync(process.execPath, [CLI, 'undrain', 'web', '127.0.0.11', '--admin', s.admin], { encoding: 'utf8', env: { ...env, XDG_RUNTIME_DIR: join(root, 'elsewhere') } });
    assert.equal(wrong.status, 1, 'without the token file the CLI is refused');
    assert.match(wrong.stderr, /admin token/);
  } finally {
    await s.stop();
  }
  assert.ok(!existsSync(join(runtime, 'pulsedns', `admin-${port}.token`)), 'the token file goes with the server');
});

test('a configured token (from a file) is the only key; --admin-allow-host admits a name', async () => {
  const file = join(root, 'token');
  writeFileSync(file, 'configured-token-5b1e\n', { mode: 0o600 });
  const s = await startPulse(zones, ['--admin-token-file', file, '--admin-allow-host', 'ns1.example.net'], '127.0.0.1', { env });
  const port = new URL(s.admin).port;
  try {
    assert.ok(!existsSync(join(runtime, 'pulsedns', `admin-${port}.token`)), 'no token generated');
    assert.equal((await send(s, 'GET', '/status', { host: `127.0.0.1:${port}` })).status, 401);
    assert.equal((await send(s, 'GET', '/status', { host: `ns1.example.net:${port}`, authorization: 'BEARER configured-token-5b1e' })).status, 200);
    const ok = await send(s, 'POST', '/v1/override', { 'content-type': 'application/json', host: `ns1.example.net:${port}`, authorization: 'Bearer configured-token-5b1e' }, FORCE_DOWN);
    assert.equal(ok.status, 200, ok.body);
    assert.equal((JSON.parse(ok.body) as { override: { by: string } }).override.by, 'admin-token@127.0.0.1');
    const undrain = cli(['force', 'clear', '*', '127.0.0.12', '--admin', s.admin, '--admin-token-file', file]);
    assert.equal(undrain.status, 0, undrain.out);
  } finally {
    await s.stop();
  }
});
