// The git cache directory decides what is served, so one that someone else
// created first (or left open to others) is refused, and the clone we make
// keeps its config (where remote credentials would live) to ourselves.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { GitSync } from '../../../server/runtime/gitsync.js';

const root = mkdtempSync(join(tmpdir(), 'pulse-gitcache-'));
after(() => rmSync(root, { recursive: true, force: true }));
const bare = join(root, 'zones.git');
const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' };
const silent = pino({ level: 'silent' });

execFileSync('git', ['init', '-q', '--bare', '-b', 'main', bare]);
{
  const work = join(root, 'work');
  execFileSync('git', ['clone', '-q', bare, work], { env, stdio: 'ignore' });
  writeFileSync(join(work, 'example.com.yaml'), `records:\n  '@':\n    - { type: SOA, value: { mname: ns1, rname: hostmaster } }\n    - { type: NS, value: ns1 }\n  ns1: { type: A, value: 192.0.2.1 }\n`);
  execFileSync('git', ['-C', work, 'add', '.'], { env });
  execFileSync('git', ['-C', work, 'commit', '-qm', 'zones'], { env });
  execFileSync('git', ['-C', work, 'push', '-q', 'origin', 'HEAD:main'], { env });
}

const sync = (cacheDir?: string): GitSync => new GitSync({ repo: bare, branch: 'main', subdir: '.', log: silent, ...(cacheDir ? { cacheDir } : {}) });

test('a cache directory created by us is private and its clone config is 0600, without the remote URL', async () => {
  const cache = join(root, 'mine');
  const s = sync(cache);
  assert.equal(await s.init(), true);
  assert.equal(statSync(cache).mode & 0o777, 0o700);
  for (const clone of ['live', 'staging']) {
    const config = join(cache, clone, '.git', 'config');
    assert.equal(statSync(config).mode & 0o777, 0o600, clone);
  }
  assert.ok(!readFileSync(join(cache, 'live', '.git', 'config'), 'utf8').includes(bare), 'the URL is not stored');
});

test('a pre-created cache directory open to others, a link, or another user\'s is refused', async () => {
  const open = join(root, 'open');
  mkdirSync(open);
  chmodSync(open, 0o777);
  await assert.rejects(sync(open).init(), /refusing to use .*open: its mode is 0777, not 0700/);

  const real = join(root, 'real');
  mkdirSync(real, { mode: 0o700 });
  const link = join(root, 'link');
  symlinkSync(real, link);
  await assert.rejects(sync(link).init(), /refusing to use .*link: it is a symbolic link/);

  if (process.getuid?.() === 0) {
    const theirs = join(root, 'theirs');
    mkdirSync(theirs, { mode: 0o700 });
    chownSync(theirs, 65534, 65534);
    await assert.rejects(sync(theirs).init(), /belongs to uid 65534/);
  }
});

test('the default cache (a fixed name under $TMPDIR) is refused when its parent was planted by someone else', async () => {
  const tmp = join(root, 'tmp');
  mkdirSync(tmp);
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  try {
    const planted = join(tmp, `pulsedns-${process.getuid?.() ?? 'user'}`);
    mkdirSync(planted, { mode: 0o777 });
    chmodSync(planted, 0o777);
    await assert.rejects(sync().init(), /refusing to use .*pulsedns-.*mode is 0777/);
    // Once it is really ours, the default works.
    chmodSync(planted, 0o700);
    assert.equal(await sync().init(), true);
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
});
