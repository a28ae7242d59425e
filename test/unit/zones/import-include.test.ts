// `pulsedns import` and $INCLUDE: an included file must be in the imported
// file's directory (or below) unless --include-dir allows another, must be a
// regular file, and nothing of what it holds may be echoed in an error.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../../support/server.js';

const MARKER = 'SECRET-MARKER-include-93be';
const root = mkdtempSync(join(tmpdir(), 'pulse-include-'));
after(() => rmSync(root, { recursive: true, force: true }));
const zoneDir = join(root, 'zone');
mkdirSync(join(zoneDir, 'sub'), { recursive: true });
writeFileSync(join(root, 'secret.txt'), `${MARKER} IN TXT "${MARKER}"\n`);
writeFileSync(join(zoneDir, 'sub', 'hosts.zone'), 'www IN A 192.0.2.80\n');
execFileSync('mkfifo', [join(zoneDir, 'pipe.zone')]);
symlinkSync('../secret.txt', join(zoneDir, 'innocent.zone'));

const HEAD = `$ORIGIN example.com.
$TTL 3600
@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300
@ IN NS ns1
ns1 IN A 192.0.2.1
`;

function importWith(include: string, ...extra: string[]): { status: number | null; out: string; ms: number } {
  const file = join(zoneDir, 'db.example');
  writeFileSync(file, `${HEAD}$INCLUDE ${include}\n`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [CLI, 'import', file, ...extra], { encoding: 'utf8', timeout: 15_000 });
  return { status: r.status, out: r.stdout + r.stderr, ms: Date.now() - t0 };
}

test('an include inside the directory (or below) is read', () => {
  const r = importWith('sub/hosts.zone');
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /192\.0\.2\.80/);
});

test('../, an absolute path, a link leading out, /proc and /dev/zero are refused without echoing any content', () => {
  for (const inc of ['../secret.txt', join(root, 'secret.txt'), 'innocent.zone', '/proc/self/environ', '/dev/zero']) {
    const r = importWith(inc);
    assert.equal(r.status, 1, `${inc}: ${r.out}`);
    assert.match(r.out, /db\.example:6:\d+: cannot read \$INCLUDE file .*: refused: /, inc);
    assert.ok(!r.out.includes(MARKER), `${inc}: ${r.out}`);
    assert.ok(r.ms < 15_000);
  }
  assert.match(importWith('../secret.txt').out, /allow a directory with --include-dir/);
});

test('a FIFO include returns at once with an error', () => {
  const r = importWith('pipe.zone');
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /refused: a FIFO/);
});

test('--include-dir allows another directory, still only for regular files', () => {
  const r = importWith('../secret.txt', '--include-dir', root);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /TXT/, 'the operator allowed that directory');
  const ok = importWith(join(zoneDir, 'sub', 'hosts.zone'), '--include-dir', join(zoneDir, 'sub'));
  assert.equal(ok.status, 0, ok.out);
});

test('a master file that is a FIFO or a device is refused, not read forever', () => {
  const r = spawnSync(process.execPath, [CLI, 'import', '/dev/zero'], { encoding: 'utf8', timeout: 15_000 });
  // A file that cannot be read fails the command (exit 1), in the command line's one-line error format.
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^pulsedns: error: \/dev\/zero: refused: a device, not a regular file\n$/);
});
