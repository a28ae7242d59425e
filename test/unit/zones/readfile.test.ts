// Reading zone files that someone else may have placed: real symbolic links,
// a real FIFO, /dev/zero, a file over the size cap, and error messages that
// could quote a secret, all on the real file system.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTextFile, FileRefused, parseBytes } from '../../../server/zones/readfile.js';
import { loadZonesDir } from '../../../server/zones/load.js';
import { formatError } from '../../../server/zones/model.js';
import { boundMessage } from '../../../server/zones/excerpt.js';
import { CLI } from '../../support/server.js';

const MARKER = 'SECRET-MARKER-7f3c9a';
const root = mkdtempSync(join(tmpdir(), 'pulse-readfile-'));
after(() => rmSync(root, { recursive: true, force: true }));
const secret = join(root, 'shadow');
writeFileSync(secret, `root:${MARKER}:19000:0:99999:7:::\nrecords: ${MARKER}\n`);

const ZONE = `records:
  '@':
    - { type: SOA, value: { mname: ns1, rname: hostmaster } }
    - { type: NS, value: ns1 }
  ns1: { type: A, value: 192.0.2.1 }
`;

/** A zones directory holding one good zone and `hostile` under the name leak.test.yaml. */
function zonesWith(name: string, hostile: (path: string) => void): string {
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'example.com.yaml'), ZONE);
  hostile(join(dir, 'leak.test.yaml'));
  return dir;
}

function timed<T>(f: () => T): { value: T; ms: number } {
  const t0 = Date.now();
  const value = f();
  return { value, ms: Date.now() - t0 };
}

test('a regular file and a link inside the tree are read', () => {
  const dir = zonesWith('fine', (p) => symlinkSync('example.com.yaml', p));
  assert.equal(readTextFile(join(dir, 'example.com.yaml'), { maxBytes: 1 << 20, root: dir }), ZONE);
  assert.equal(readTextFile(join(dir, 'leak.test.yaml'), { maxBytes: 1 << 20, root: dir }), ZONE);
});

test('a link out of the tree, /dev/zero and a FIFO are refused at once, naming no content', () => {
  const cases: Array<[string, (p: string) => void, RegExp]> = [
    ['outside', (p) => symlinkSync(secret, p), /outside/],
    ['relative-outside', (p) => symlinkSync('../shadow', p), /outside/],
    ['zero', (p) => symlinkSync('/dev/zero', p), /outside|device/],
    ['fifo', (p) => execFileSync('mkfifo', [p]), /FIFO/],
  ];
  for (const [name, make, why] of cases) {
    const dir = zonesWith(name, make);
    const { value: r, ms } = timed(() => loadZonesDir(dir));
    assert.ok(ms < 2000, `${name}: took ${ms} ms`);
    assert.equal(r.zones.length, 0, `${name}: the set is refused`);
    const text = r.errors.map(formatError).join('\n');
    assert.match(text, /leak\.test\.yaml:1:1: refused: /, name);
    assert.match(text, why, name);
    assert.ok(!text.includes(MARKER), `${name}: ${text}`);
  }
});

test('without a root a device is still refused: only regular files are read', () => {
  assert.throws(() => readTextFile('/dev/zero'), (e: unknown) => e instanceof FileRefused && /a device, not a regular file/.test((e as Error).message));
  const fifo = join(root, 'lone.fifo');
  execFileSync('mkfifo', [fifo]);
  assert.throws(() => readTextFile(fifo), /a FIFO/);
});

test('a checkout\'s .git directory never counts as inside it', () => {
  const dir = join(root, 'checkout');
  mkdirSync(join(dir, '.git'), { recursive: true });
  writeFileSync(join(dir, '.git', 'config'), `[remote "origin"]\n\turl = https://u:${MARKER}@example.com/x\n`);
  symlinkSync('../.git/config', join(dir, 'sub-link.yaml'));
  mkdirSync(join(dir, 'zones'));
  symlinkSync('../.git/config', join(dir, 'zones', 'cfg.test.yaml'));
  assert.throws(() => readTextFile(join(dir, 'zones', 'cfg.test.yaml'), { maxBytes: 1 << 20, root: dir }), /outside/);
});

test('a file over the cap is refused with the cap in the message', () => {
  const dir = zonesWith('big', (p) => writeFileSync(p, `# ${'x'.repeat(3000)}\n${ZONE}`));
  const r = loadZonesDir(dir, new Map(), { read: { maxBytes: parseBytes('2k')! } });
  assert.match(r.errors.map(formatError).join('\n'), /leak\.test\.yaml:1:1: refused: .*larger than the limit of 2 KiB/);
  assert.equal(parseBytes('256M'), 256 * 1024 * 1024);
  assert.equal(parseBytes('12q'), undefined);
});

test('error messages quote at most a short excerpt of the offending line', () => {
  const long = `${MARKER}${'A'.repeat(500)}`;
  const dir = zonesWith('quoted', (p) => writeFileSync(p, `${long}: 1\n"${long}\\x1b[2J": 2\nrecords: {}\n`));
  const r = loadZonesDir(dir);
  assert.ok(r.errors.length >= 2);
  for (const e of r.errors) {
    assert.ok(e.message.length <= 400, e.message);
    assert.ok(!/A{70}/.test(e.message), `no long run of file text: ${e.message}`);
    assert.ok(!e.message.includes('\u001b'), 'no terminal escapes');
  }
  assert.equal(boundMessage(`bad name "${'b'.repeat(100)}"`), `bad name "${'b'.repeat(59)}…"`);
  // The yaml package quotes the source without quotation marks (a tag name, a directive).
  const yamlMessage = boundMessage(`YAML syntax: Unresolved tag: !${'B'.repeat(300)}`);
  assert.ok(yamlMessage.length <= 93 && !/B{80}/.test(yamlMessage), yamlMessage);
});

test('pulsedns check returns promptly with an error on a FIFO, a device link and a link out, and prints no content', () => {
  const dir = join(root, 'check');
  mkdirSync(dir);
  writeFileSync(join(dir, 'example.com.yaml'), ZONE);
  execFileSync('mkfifo', [join(dir, 'fifo.test.yaml')]);
  symlinkSync('/dev/zero', join(dir, 'zero.test.yaml'));
  symlinkSync(secret, join(dir, 'leak.test.yaml'));
  for (const args of [[dir], [join(dir, 'fifo.test.yaml')], [join(dir, 'leak.test.yaml')], [join(dir, 'zero.test.yaml')]]) {
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [CLI, 'check', ...args], { encoding: 'utf8', timeout: 15_000 });
    assert.equal(r.status, 1, `${args}: ${r.stdout}${r.stderr}`);
    assert.ok(Date.now() - t0 < 15_000);
    assert.match(r.stdout, /refused: /);
    assert.ok(!(r.stdout + r.stderr).includes(MARKER), r.stdout);
  }
  const big = spawnSync(process.execPath, [CLI, 'check', '--max-zone-file-size', '100', join(dir, 'example.com.yaml')], { encoding: 'utf8' });
  assert.equal(big.status, 1);
  assert.match(big.stdout, /larger than the limit of 100 bytes/);
});
