// Secrets given through the environment and files instead of the command
// line: a --zones-git URL with credentials (a real git fetch over HTTP from a
// loopback server), a Redis URL with a password (a real redis-server with
// requirepass), a webhook URL whose path is the secret. None of them may
// appear in `ps`, in /status, or in any log line, even when fetching fails.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { CLI, startPulse } from '../support/server.js';
import { query } from '../support/client.js';
import { POOLED_EXAMPLE_ZONE } from '../support/zones.js';
import { startRedis } from '../support/redis.js';
import { needTool } from '../support/tools.js';

const GIT_PASSWORD = 'gitpass-SECRET-4c1d';
const REDIS_PASSWORD = 'redispass-SECRET-88af';
const HOOK_SECRET = 'hookpath-SECRET-0b7e';
const SECRETS = [GIT_PASSWORD, REDIS_PASSWORD, HOOK_SECRET];

const root = mkdtempSync(join(tmpdir(), 'pulse-secrets-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Git's "dumb" HTTP protocol is plain files: enough for a real fetch over HTTP with a user:password URL. */
async function serveDir(dir: string): Promise<{ port: number; server: Server }> {
  const server = createServer((req, res) => {
    const path = normalize(join(dir, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    try {
      if (!path.startsWith(dir) || !statSync(path).isFile()) throw new Error('not found');
      createReadStream(path).pipe(res);
    } catch {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, server };
}

function assertClean(where: string, text: string): void {
  for (const s of SECRETS) assert.ok(!text.includes(s), `${where} shows a secret (${s}):\n${text}`);
}

test('secrets from the environment and files stay out of ps, /status and the log', async (t) => {
  if (!needTool(t, 'redis-server', 'redis-server')) return;
  const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' };
  const bare = join(root, 'zones.git');
  const work = join(root, 'work');
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', bare]);
  execFileSync('git', ['clone', '-q', bare, work], { env, stdio: 'ignore' });
  writeFileSync(join(work, 'example.com.yaml'), POOLED_EXAMPLE_ZONE);
  writeFileSync(join(work, '_pools.yaml'), `checks:
  dead:
    type: tcp
    port: 1
    interval: 300ms
    timeout: 200ms
    fall: 1
    rise: 1
pools:
  web:
    check: dead
    policy: all
    members: [127.0.0.21]
    ttl: 60
`);
  execFileSync('git', ['-C', work, 'add', '.'], { env });
  execFileSync('git', ['-C', work, 'commit', '-qm', 'zones'], { env });
  execFileSync('git', ['-C', work, 'push', '-q', 'origin', 'HEAD:main'], { env });
  execFileSync('git', ['--git-dir', bare, 'update-server-info']);
  const http = await serveDir(root);
  const redis = await startRedis({ password: REDIS_PASSWORD });
  // A receiver that always fails, so the webhook URL gets logged on every attempt.
  const hooks = createServer((_req, res) => {
    res.statusCode = 503;
    res.end();
  });
  await new Promise<void>((r) => hooks.listen(0, '127.0.0.1', r));
  const secretsDir = join(root, 'secrets');
  mkdirSync(secretsDir, { mode: 0o700 });
  writeFileSync(join(secretsDir, 'redis'), `${redis.url}\n`);
  writeFileSync(join(secretsDir, 'webhooks'), `# receivers\nhttp://127.0.0.1:${(hooks.address() as AddressInfo).port}/hooks/${HOOK_SECRET}\n`);
  const gitUrl = `http://deploy:${GIT_PASSWORD}@127.0.0.1:${http.port}/zones.git`;
  const s = await startPulse(join(root, 'unused'), [
    '--redis-file', join(secretsDir, 'redis'), '--probe', '--webhook-file', join(secretsDir, 'webhooks'),
    '--branch', 'main', '--sync-interval', '1h', '--git-cache', join(root, 'cache'),
  ], '127.0.0.1', { env: { ...process.env, PULSEDNS_ZONES_GIT: gitUrl } });
  try {
    assert.equal((await query(s, 'ns1.example.com', 'A')).answer[0]?.data, '192.0.2.1', 'zones came over HTTP with the credentials');
    const ps = execFileSync('ps', ['-o', 'args=', '-p', String(s.proc.pid), '--ppid', String(s.proc.pid)], { encoding: 'utf8' });
    assert.match(ps, /serve/);
    assertClean('ps', ps);
    // The member is down: a webhook is attempted (and fails) at least once.
    await s.waitForLog(/webhook failed/, 10_000);
    // Fetching fails from now on: git's complaint is logged, still without the password.
    await new Promise<void>((r) => http.server.close(() => r()));
    http.server.closeAllConnections();
    s.proc.kill('SIGHUP');
    await s.waitForLog(/git fetch failed/, 10_000);
    const status = await (await fetch(`${s.admin}/status`)).text();
    assertClean('/status', status);
    const git = (JSON.parse(status) as { zones: { git: { repo: string; lastFetch: { ok: boolean } } } }).zones.git;
    assert.equal(git.repo, `http://***@127.0.0.1:${http.port}/zones.git`);
    assert.equal(git.lastFetch.ok, false);
    const log = s.output.join('\n');
    assert.match(log, new RegExp(`"url":"http://127\\.0\\.0\\.1:\\d+/…"`), 'webhooks are logged as scheme://host/…');
    assertClean('the log', log);
  } finally {
    await s.stop();
    hooks.close();
    await redis.stop();
    if (http.server.listening) http.server.close();
  }
});

test('a malformed Redis URL from the environment fails without printing its password', () => {
  const zones = join(root, 'plain');
  mkdirSync(zones);
  writeFileSync(join(zones, 'example.com.yaml'), `records:\n  '@':\n    - { type: SOA, value: { mname: ns1, rname: hostmaster } }\n    - { type: NS, value: ns1 }\n  ns1: { type: A, value: 192.0.2.1 }\n`);
  const r = spawnSync(process.execPath, [CLI, 'serve', '--zones', zones, '--listen', '127.0.0.1:1', '--admin', 'off', '--workers', '1'], {
    encoding: 'utf8',
    timeout: 15_000,
    env: { ...process.env, PULSEDNS_REDIS_URL: `redis://:${REDIS_PASSWORD}@127.0.0.1:notaport/` },
  });
  assert.notEqual(r.status, 0);
  assert.match(r.stdout + r.stderr, /Invalid URL/, 'it failed on the URL');
  assertClean('the output', r.stdout + r.stderr);
});
