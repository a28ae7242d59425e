// Git sync against a real bare repository acting as the remote.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { GitSync } from '../../../server/runtime/gitsync.js';

const root = mkdtempSync(join(tmpdir(), 'pulse-gitsync-'));
after(() => rmSync(root, { recursive: true, force: true }));
const bare = join(root, 'zones.git');
const work = join(root, 'work');
const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' };
const git = (cwd: string, ...args: string[]): string => execFileSync('git', ['-C', cwd, ...args], { env, encoding: 'utf8' }).trim();

const zone = (mailAddr: string): string => `records:
  '@':
    - { type: SOA, value: { mname: ns1, rname: hostmaster } }
    - { type: NS, value: ns1 }
  ns1: { type: A, value: 192.0.2.1 }
  mail: { type: A, value: ${mailAddr} }
`;

function commit(message: string, text: string): string {
  writeFileSync(join(work, 'zones', 'example.com.yaml'), text);
  git(work, 'add', '.');
  git(work, 'commit', '-qm', message);
  git(work, 'push', '-q', 'origin', 'HEAD:main');
  return git(work, 'rev-parse', 'HEAD');
}

test('a good commit is served, a bad one refused (previous kept), a fix served', async () => {
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', bare]);
  execFileSync('git', ['clone', '-q', bare, work], { env, stdio: 'ignore' });
  mkdirSync(join(work, 'zones'));
  const good = commit('first', zone('192.0.2.25'));
  const sync = new GitSync({ repo: bare, branch: 'main', subdir: 'zones', cacheDir: join(root, 'cache'), log: pino({ level: 'silent' }) });
  assert.equal(await sync.init(), true);
  assert.equal(sync.state.served, good);
  assert.match(readFileSync(join(sync.zonesDir, 'example.com.yaml'), 'utf8'), /192\.0\.2\.25/);

  const bad = commit('broken', zone('192.0.2.999'));
  assert.equal(await sync.sync(), false);
  assert.equal(sync.state.served, good, 'still serving the good commit');
  assert.equal(sync.state.refused?.commit, bad);
  assert.match(sync.state.refused!.errors[0]!, /^zones\/example\.com\.yaml:\d+:\d+: A: "192\.0\.2\.999" is not an IPv4 address/);
  assert.match(readFileSync(join(sync.zonesDir, 'example.com.yaml'), 'utf8'), /192\.0\.2\.25/, 'the served files are untouched');
  assert.equal(await sync.sync(), false, 'the refused commit is not retried');

  const fixed = commit('fixed', zone('192.0.2.26'));
  assert.equal(await sync.sync(), true);
  assert.equal(sync.state.served, fixed);
  assert.equal(sync.state.refused, null);
  assert.match(readFileSync(join(sync.zonesDir, 'example.com.yaml'), 'utf8'), /192\.0\.2\.26/);
  assert.equal(await sync.sync(), false, 'nothing new');

  // A restarted server reuses its clone and serves the same commit at once.
  const again = new GitSync({ repo: bare, branch: 'main', subdir: 'zones', cacheDir: join(root, 'cache'), log: pino({ level: 'silent' }) });
  assert.equal(await again.init(), false);
  assert.equal(again.state.served, fixed);
});

test('an unreachable remote keeps the current commit and says so', async () => {
  const sync = new GitSync({ repo: join(root, 'does-not-exist.git'), branch: 'main', subdir: '.', cacheDir: join(root, 'cache2'), log: pino({ level: 'silent' }) });
  await assert.rejects(sync.init(), /does-not-exist|not a git repository|does not appear/i);
});

test('serve --zones-git: served within one interval; a bad commit is refused and shown in /status; a fix lands', async () => {
  const { startPulse } = await import('../../support/server.js');
  const { query } = await import('../../support/client.js');
  const good = commit('served by the server', zone('192.0.2.41'));
  const s = await startPulse(join(root, 'unused'), ['--zones-git', bare, '--branch', 'main', '--zones-subdir', 'zones', '--sync-interval', '1s', '--git-cache', join(root, 'serve-cache')]);
  try {
    assert.equal((await query(s, 'mail.example.com', 'A')).answer[0]?.data, '192.0.2.41');
    const status = async (): Promise<{ zones: { git: { served: string; refused: { commit: string; errors: string[] } | null } } }> =>
      (await (await fetch(`${s.admin}/status`)).json()) as { zones: { git: { served: string; refused: { commit: string; errors: string[] } | null } } };
    assert.equal((await status()).zones.git.served, good);

    const bad = commit('typo', zone('192.0.2.x'));
    s.proc.kill('SIGHUP'); // fetch now rather than wait for the interval
    const until = Date.now() + 5000;
    while (Date.now() < until && (await status()).zones.git.refused?.commit !== bad) await new Promise((r) => setTimeout(r, 100));
    const st = await status();
    assert.equal(st.zones.git.refused?.commit, bad);
    assert.match(st.zones.git.refused!.errors[0]!, /zones\/example\.com\.yaml:\d+:\d+/);
    assert.equal(st.zones.git.served, good);
    assert.equal((await query(s, 'mail.example.com', 'A')).answer[0]?.data, '192.0.2.41', 'the previous commit keeps answering');
    const metrics = await (await fetch(`${s.admin}/metrics`)).text();
    assert.match(metrics, /^pulsedns_git_commit_refused 1$/m, 'refused, without the commit as a label');
    assert.match(metrics, new RegExp(`^pulsedns_git_served_info\\{commit="${good}"\\} 1$`, 'm'), 'the commit served, in an info metric');

    commit('fix', zone('192.0.2.42'));
    const deadline = Date.now() + 6000; // interval 1s: well within
    let addr = '';
    while (Date.now() < deadline && addr !== '192.0.2.42') {
      addr = (await query(s, 'mail.example.com', 'A')).answer[0]?.data ?? '';
      if (addr !== '192.0.2.42') await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(addr, '192.0.2.42');
    assert.equal((await status()).zones.git.refused, null);
  } finally {
    await s.stop();
  }
});
