// A running server handed hostile zone files, in directory mode and in git
// mode: a symbolic link to a secret outside the tree, a link to /dev/zero, a
// FIFO. Each reload is refused promptly, the server keeps answering from the
// previous zones, and the secret appears nowhere: not in /status, not in the log.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPulse, type Spawned } from '../support/server.js';
import { query } from '../support/client.js';

const MARKER = 'SECRET-MARKER-e2e-41d2';
const root = mkdtempSync(join(tmpdir(), 'pulse-hostile-'));
after(() => rmSync(root, { recursive: true, force: true }));
const secret = join(root, 'shadow');
writeFileSync(secret, `root:${MARKER}:19000:0:99999:7:::\n${MARKER}: x\n`);

const zone = (addr: string): string => `records:
  '@':
    - { type: SOA, value: { mname: ns1, rname: hostmaster } }
    - { type: NS, value: ns1 }
  ns1: { type: A, value: 192.0.2.1 }
  mail: { type: A, value: ${addr} }
`;

interface Status {
  zones: { lastLoadErrors: string[]; git?: { served: string; refused: { commit: string; errors: string[] } | null } };
}

async function statusText(s: Spawned): Promise<string> {
  return (await fetch(`${s.admin}/status`)).text();
}

async function until(what: string, f: () => Promise<boolean>, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function assertNoSecret(s: Spawned, status: string): void {
  assert.ok(!status.includes(MARKER), `secret in /status: ${status}`);
  const log = s.output.join('\n');
  assert.ok(!log.includes(MARKER), `secret in the log: ${log}`);
}

test('directory mode: a link out, /dev/zero and a FIFO are each refused promptly; answers and secrets stay put', async () => {
  const dir = join(root, 'zones');
  mkdirSync(dir);
  writeFileSync(join(dir, 'example.com.yaml'), zone('192.0.2.25'));
  const s = await startPulse(dir);
  try {
    const hostile: Array<[string, (p: string) => void, RegExp]> = [
      ['link to a secret outside', (p) => symlinkSync(secret, p), /leak\.test\.yaml:1:1: refused: it is outside/],
      ['link to /dev/zero', (p) => symlinkSync('/dev/zero', p), /leak\.test\.yaml:1:1: refused: /],
      ['FIFO', (p) => execFileSync('mkfifo', [p]), /leak\.test\.yaml:1:1: refused: a FIFO/],
    ];
    for (const [name, make, why] of hostile) {
      const path = join(dir, 'leak.test.yaml');
      const refusals = s.output.filter((l) => l.includes('zone load refused')).length;
      make(path);
      s.proc.kill('SIGHUP');
      const t0 = Date.now();
      await until(`${name}: refusal`, async () => s.output.filter((l) => l.includes('zone load refused')).length > refusals, 3000);
      assert.ok(Date.now() - t0 < 3000, `${name}: the reload returned promptly`);
      const st = await statusText(s);
      assert.match((JSON.parse(st) as Status).zones.lastLoadErrors.join('\n'), why, name);
      assertNoSecret(s, st);
      assert.equal((await query(s, 'mail.example.com', 'A')).answer[0]?.data, '192.0.2.25', `${name}: still answering`);
      unlinkSync(path);
    }
  } finally {
    await s.stop();
  }
});

test('git mode: a commit linking out of the checkout, to /dev/zero, or into .git is refused; the previous commit keeps serving', async () => {
  const bare = join(root, 'zones.git');
  const work = join(root, 'work');
  const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' };
  const git = (...args: string[]): string => execFileSync('git', ['-C', work, ...args], { env, encoding: 'utf8' }).trim();
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', bare]);
  execFileSync('git', ['clone', '-q', bare, work], { env, stdio: 'ignore' });
  mkdirSync(join(work, 'zones'));
  writeFileSync(join(work, 'zones', 'example.com.yaml'), zone('192.0.2.41'));
  git('add', '.');
  git('commit', '-qm', 'good');
  git('push', '-q', 'origin', 'HEAD:main');
  const good = git('rev-parse', 'HEAD');
  const s = await startPulse(join(root, 'unused'), ['--zones-git', bare, '--branch', 'main', '--zones-subdir', 'zones', '--sync-interval', '1h', '--git-cache', join(root, 'cache')]);
  try {
    const links: Array<[string, string]> = [
      ['leak.test.yaml', secret],
      ['zero.test.yaml', '/dev/zero'],
      ['cfg.test.yaml', '../.git/config'],
    ];
    for (const [name, target] of links) {
      symlinkSync(target, join(work, 'zones', name));
      git('add', '.');
      git('commit', '-qm', `hostile ${name}`);
      git('push', '-q', 'origin', 'HEAD:main');
      const bad = git('rev-parse', 'HEAD');
      s.proc.kill('SIGHUP');
      await until(`${name} refused`, async () => (JSON.parse(await statusText(s)) as Status).zones.git?.refused?.commit === bad);
      const st = await statusText(s);
      const g = (JSON.parse(st) as Status).zones.git!;
      assert.equal(g.served, good);
      assert.match(g.refused!.errors.join('\n'), new RegExp(`zones/${name.replace('.', '\\.')}:1:1: refused: `));
      assertNoSecret(s, st);
      assert.equal((await query(s, 'mail.example.com', 'A')).answer[0]?.data, '192.0.2.41');
      git('rm', '-q', join('zones', name));
      git('commit', '-qm', `remove ${name}`);
    }
  } finally {
    await s.stop();
  }
});
