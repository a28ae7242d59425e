// The log as an operator reads it, from real `serve` and `probe` processes:
// level names, one line per event for the whole server (not one per worker),
// a start-up line saying what runs, no key twice in a line, a readable
// pretty format, and loud warnings when serial: auto cannot ask git.
import { test, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI, spawnCli, startPulse, type CliProcess } from '../../support/server.js';
import { freePort } from '../../support/ports.js';
import { startRedis } from '../../support/redis.js';
import { needTool, skipOrFail } from '../../support/tools.js';
import { sleep, waitFor } from '../../support/backends.js';

const REPO = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..');
const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
const running: CliProcess[] = [];
const dirs: string[] = [];
after(async () => {
  await Promise.all(running.map((p) => p.stop()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function zonesCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-log-'));
  dirs.push(dir);
  cpSync(join(REPO, 'zones'), dir, { recursive: true });
  return dir;
}

/** The keys of a JSON object line's top level, in order, duplicates kept (JSON.parse would hide them). */
function topLevelKeys(line: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '"') {
      let j = i + 1;
      while (line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
      if (depth === 1 && line.slice(j + 1).trimStart().startsWith(':')) keys.push(JSON.parse(line.slice(i, j + 1)) as string);
      i = j;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return keys;
}

function assertCleanJsonLines(lines: string[]): Array<Record<string, unknown>> {
  return lines.filter((l) => l.trim()).map((l) => {
    assert.ok(l.startsWith('{'), `not a JSON line: ${l}`);
    const keys = topLevelKeys(l);
    assert.equal(new Set(keys).size, keys.length, `a key appears twice: ${l}`);
    const rec = JSON.parse(l) as Record<string, unknown>;
    assert.ok(LEVELS.includes(rec.level as string), `level is a name: ${l}`);
    return rec;
  });
}

const count = (p: CliProcess, msg: string): number => p.output.filter((l) => l.includes(`"msg":"${msg}"`)).length;

test('two workers: one start-up line, one "zones loaded" per reload, one refusal per broken edit, no key twice', async () => {
  const dir = zonesCopy();
  const s = await startPulse(dir, ['--workers', '2'], '127.0.0.1', { readyTimeoutMs: 30_000 });
  running.push(s);
  const ready = JSON.parse(s.output.find((l) => l.includes('"msg":"ready"'))!) as Record<string, unknown>;
  assert.equal(ready.version, VERSION);
  assert.equal(ready.mode, 'embedded');
  assert.equal(ready.workers, 2);
  assert.deepEqual(ready.listen, [`127.0.0.1:${s.port}`]);
  const zones = ready.zones as Array<{ origin: string; serial: number }>;
  assert.deepEqual(zones.map((z) => z.origin).sort(), ['2.0.192.in-addr.arpa.', 'example.com.']);
  assert.ok(zones.every((z) => z.serial > 1_000_000_000), 'serials in the start-up line');
  assert.equal(count(s, 'zones loaded'), 1, 'the primary logs the load; the workers do not repeat it');

  s.proc.kill('SIGHUP');
  await waitFor('reload after SIGHUP', () => count(s, 'zones loaded') >= 2);
  // Workers reload too; give their lines (if any) time to show up.
  await sleep(1500);
  assert.equal(count(s, 'zones loaded'), 2, s.output.join('\n'));

  const zone = join(dir, 'example.com.yaml');
  const good = readFileSync(zone, 'utf8');
  writeFileSync(zone, good.replace('\nrecords:\n', '\nrecords:\n  broken: { type: A, value: not-an-address }\n'));
  await waitFor('refusal', () => count(s, 'zone load refused; still serving the previous zones') >= 1);
  await sleep(1500);
  assert.equal(count(s, 'zone load refused; still serving the previous zones'), 1, s.output.join('\n'));
  assert.equal(s.output.filter((l) => l.includes('example.com.yaml:') && l.includes('"level":"error"')).length, 1, 'each error once');
  writeFileSync(zone, good.replace('\nrecords:\n', '\nrecords:\n  fixed: { type: A, value: 192.0.2.99 }\n'));
  await waitFor('reload after the fix', () => count(s, 'zones loaded') >= 3);
  await sleep(1500);
  assert.equal(count(s, 'zones loaded'), 3, s.output.join('\n'));
  assertCleanJsonLines(s.output);
});

test('--log-format pretty prints readable lines; a bad format is a usage error', async () => {
  const dir = zonesCopy();
  const s = await startPulse(dir, ['--log-format', 'pretty'], '127.0.0.1', { ready: /INFO.*: ready/ });
  running.push(s);
  const line = s.output.find((l) => /: ready/.test(l))!;
  assert.match(line, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(\d+\): ready /);
  assert.match(line, /"mode":"embedded"/, 'the fields follow on the same line');
  assert.ok(s.output.some((l) => /INFO \(\d+\): zones loaded/.test(l)));
  assert.ok(!s.output.some((l) => l.startsWith('{"level"')), 'no JSON lines');

  const bad = spawnSync(process.execPath, [CLI, 'serve', '--zones', dir, '--log-format', 'xml'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  assert.match(bad.stderr, /--log-format must be json or pretty/);
});

test('a prober names its vantage once per line', async (t) => {
  if (!needTool(t, 'redis-server')) return;
  const redis = await startRedis();
  t.after(() => redis.stop());
  const dir = zonesCopy();
  const closed = await freePort('127.0.0.1');
  writeFileSync(join(dir, '_pools.yaml'), `checks:\n  web-tcp: { type: tcp, port: ${closed}, interval: 200ms, timeout: 100ms, fall: 1, rise: 1 }\npools:\n  web: { check: web-tcp, policy: all, members: [127.0.0.1, '::1'], ttl: 60, degraded_ttl: 30 }\n`);
  const p = await spawnCli(['probe', '--redis', redis.url, '--zones', dir, '--vantage', 'ams']);
  running.push(p);
  await p.waitForLog(/member down \(this vantage\)/);
  await p.stop();
  const recs = assertCleanJsonLines(p.output);
  const down = recs.find((r) => r.msg === 'member down (this vantage)')!;
  assert.equal(down.vantage, 'ams');
});

/** A zones git repository with everything committed. */
function zonesRepo(): string {
  const dir = zonesCopy();
  const git = (...args: string[]): string => execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { encoding: 'utf8' });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'zones');
  return dir;
}

const FALLBACK = /"serialFallback":"([a-z-]+)"/;

async function fallbackLines(t: TestContext, dir: string, env?: NodeJS.ProcessEnv): Promise<{ s: CliProcess; lines: string[] }> {
  const s = await startPulse(dir, ['--workers', '2'], '127.0.0.1', { readyTimeoutMs: 30_000, ...(env ? { env } : {}) });
  running.push(s);
  t.after(() => s.stop());
  return { s, lines: s.output.filter((l) => FALLBACK.test(l)) };
}

test('serial: auto warns once per reload, with the fix, when git refuses the repository', async (t) => {
  if (process.getuid?.() !== 0) {
    // Only root can hand a directory to another user here.
    return skipOrFail(t, 'needs root to chown a repository to another user');
  }
  const dir = zonesRepo();
  // Owned by someone else: git refuses it ("dubious ownership") unless told it is safe.
  const chownAll = (p: string): void => {
    chownSync(p, 65534, 65534);
    for (const e of execFileSync('find', [p, '-mindepth', '1'], { encoding: 'utf8' }).trim().split('\n')) chownSync(e, 65534, 65534);
  };
  chownAll(dir);
  const env = { ...process.env, HOME: mkdtempSync(join(tmpdir(), 'pulse-home-')), GIT_CONFIG_NOSYSTEM: '1' };
  dirs.push(env.HOME);
  const { s, lines } = await fallbackLines(t, dir, env);
  assert.equal(lines.length, 1, `one warning for the server, not one per worker:\n${s.output.join('\n')}`);
  const w = JSON.parse(lines[0]!) as { level: string; serialFallback: string; msg: string; files: string[] };
  assert.equal(w.level, 'warn');
  assert.equal(w.serialFallback, 'dubious-ownership');
  assert.match(w.msg, /dubious ownership/);
  assert.ok(w.msg.includes(`git config --global --add safe.directory ${dir}`), w.msg);
  assert.equal(w.files.length, 3, 'both zones and _pools.yaml');
  // An edit is a reload: warned again, once.
  const zone = join(dir, 'example.com.yaml');
  writeFileSync(zone, readFileSync(zone, 'utf8').replace('\nrecords:\n', '\nrecords:\n  edited: { type: A, value: 192.0.2.98 }\n'));
  await waitFor('second warning', () => s.output.filter((l) => FALLBACK.test(l)).length >= 2);
  await sleep(1500);
  assert.equal(s.output.filter((l) => FALLBACK.test(l)).length, 2, s.output.join('\n'));

  // The documented fix silences it (once the edit is committed too).
  execFileSync('git', ['config', '--global', '--add', 'safe.directory', dir], { env });
  execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qam', 'edit'], { env });
  const fixed = await fallbackLines(t, dir, env);
  assert.deepEqual(fixed.lines, []);
});

test('serial: auto warns when git is missing for a zones directory kept in git, and not for a plain one', async (t) => {
  const noGit = { ...process.env, PATH: mkdtempSync(join(tmpdir(), 'pulse-nogit-')) };
  dirs.push(noGit.PATH);
  assert.notEqual(spawnSync('git', ['--version'], { env: noGit }).error, undefined, 'git must not be on this PATH');
  const repo = await fallbackLines(t, zonesRepo(), noGit);
  assert.equal(repo.lines.length, 1, repo.s.output.join('\n'));
  assert.match(repo.lines[0]!, /"serialFallback":"git-missing"/);
  assert.match(repo.lines[0]!, /git is not installed/);
  const plain = await fallbackLines(t, zonesCopy(), noGit);
  assert.deepEqual(plain.lines, [], 'a directory outside git uses file times as documented, silently');
});
