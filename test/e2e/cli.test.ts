// The command line as a user meets it, with real processes and sockets: help
// and version, one-line errors and exit codes, a failed bind ending the
// process, `pulsedns reload` and `pulsedns drain --wait`.
import { test, after } from 'node:test';
import { skipOrFail } from '../support/tools.js';
import assert from 'node:assert/strict';
import { spawn, type SpawnOptions } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI, startPulse, type Spawned } from '../support/server.js';
import { freePort } from '../support/ports.js';
import { query } from '../support/client.js';
import { runCli } from '../../server/commands/program.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const COMMANDS = ['serve', 'probe', 'status', 'drain', 'undrain', 'force', 'failback', 'reload', 'check', 'plan', 'import', 'export'];

const dirs: string[] = [];
const servers: Spawned[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function run(args: string[], opts: SpawnOptions & { onStart?: () => void; timeoutMs?: number } = {}): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (d: Buffer) => void (stdout += d.toString()));
    p.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
    // Bounded: a command that does not end is a failure, never a hung suite.
    const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** The command in-process (same code as the binary), for checks repeated over every command. */
async function inProcess(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

/** The SOA serial a server answers with (SOA data reads "mname rname serial refresh ..."). */
async function servedSerial(s: Spawned): Promise<number> {
  return Number((await query(s, 'cli.test', 'SOA')).answer[0]?.data.split(' ')[2]);
}

const ONE_LINE = /^pulsedns: error: [^\n]+\n$/;

function zonesDir(pools = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-cli-'));
  dirs.push(dir);
  writeFileSync(
    join(dir, 'cli.test.yaml'),
    `records:\n  '@':\n    - { type: SOA, value: { mname: ns1, rname: hostmaster, serial: 42 } }\n    - { type: NS, value: ns1 }\n  ns1: { type: A, value: 192.0.2.53 }\n  static: { type: A, value: 192.0.2.80 }\n${pools ? '  www: { type: A, pool: web }\n' : ''}`,
  );
  if (pools) writeFileSync(join(dir, '_pools.yaml'), pools);
  return dir;
}

// ---------------------------------------------------------------- help, version, errors

test('--help and `help CMD` work for every command and exit 0', async () => {
  for (const cmd of COMMANDS) {
    for (const args of [[cmd, '--help'], ['help', cmd]]) {
      const r = await inProcess(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.err}`);
      assert.match(r.out, new RegExp(`^Usage: pulsedns ${cmd} `), `${args.join(' ')} prints the command's usage`);
      assert.equal(r.err, '');
    }
  }
  // And as a real process, where a stack trace used to appear.
  const r = await run(['drain', '--help']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Usage: pulsedns drain \[options\] <pool> <address>/);
  assert.match(r.stdout, /--wait/);
  assert.equal(r.stderr, '');
});

test('an unknown flag exits 2 with one line and no stack, on every command', async () => {
  for (const cmd of COMMANDS) {
    // plan's required flags are given, or commander reports their absence first.
    const r = await inProcess([cmd, ...(cmd === 'plan' ? ['--from', 'a', '--to', 'b'] : []), '--no-such-flag']);
    assert.equal(r.code, 2, `${cmd}: ${r.err}`);
    assert.match(r.err, ONE_LINE, `${cmd}: ${r.err}`);
    assert.match(r.err, /unknown option '--no-such-flag'/);
  }
  const r = await run(['serve', '--zonez', 'zones']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, ONE_LINE);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  const unknown = await run(['frobnicate']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, ONE_LINE);
});

test('--version prints the package version', async () => {
  for (const flag of ['--version', '-V']) {
    const r = await run([flag]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), VERSION);
  }
});

test('bad values are usage errors (exit 2, one line) before anything starts', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['serve', '--redis', 'notaurl'], /--redis/],
    [['serve', '--redis', 'http://127.0.0.1:6379'], /redis:\/\/ or rediss:\/\//],
    [['serve', '--redis', 'redis://127.0.0.1:99999'], /--redis/],
    [['probe', '--redis', 'notaurl'], /--redis/],
    [['serve', '--sentinel', 'nohostport'], /--sentinel/],
    [['serve', '--listen', '127.0.0.1'], /--listen/],
    [['serve', '--listen', '127.0.0.1:0'], /1 to 65535/],
    [['serve', '--listen', 'example.com:53'], /not an IP address/],
    [['serve', '--workers', 'two'], /--workers/],
    [['serve', '--admin', 'ftp://127.0.0.1:9153'], /--admin/],
    [['serve', '--webhook', 'not-a-url'], /--webhook/],
    [['serve', '--sync-interval', 'soon'], /duration/],
    [['drain', 'web', '192.0.2.1', '--for', 'a while'], /duration/],
    [['drain', 'web'], /missing required argument 'address'/],
    [['force', 'sideways', 'web', '192.0.2.1'], /up, down, clear/],
    [['status', '--admin', 'not an address'], /--admin/],
  ];
  // In-process for the table; one of them (the example) as a real process.
  for (const [args, re] of cases) {
    const r = await inProcess(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, ONE_LINE, args.join(' '));
    assert.match(r.err, re, args.join(' '));
  }
  const r = await run(['serve', '--redis', 'notaurl', '--listen', `127.0.0.1:${await freePort()}`, '--admin', 'off']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, ONE_LINE);
  assert.equal(r.stdout, '', 'nothing started, nothing logged');
});

test('a server that is not there: exit 1, one line naming the address', async () => {
  const port = await freePort();
  for (const admin of [`127.0.0.1:${port}`, `http://127.0.0.1:${port}`]) {
    const r = await inProcess(['status', '--admin', admin]);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, ONE_LINE);
    assert.match(r.err, new RegExp(`http://127\\.0\\.0\\.1:${port}`));
  }
});

// ---------------------------------------------------------------- failed binds

/** How long this machine takes to start node and load the server's code; a failed bind may take that plus one second. */
async function startupMs(): Promise<number> {
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const p = spawn(process.execPath, ['-e', `import(${JSON.stringify(join(ROOT, 'dist', 'server', 'runtime', 'roles.js'))})`], { stdio: 'ignore' });
    p.on('error', reject);
    p.on('close', () => resolve());
  });
  return Date.now() - started;
}

/** Runs a second server, polling its admin /readyz until it exits; /readyz must never say 200. */
async function secondServer(args: string[], adminPort: number): Promise<Run & { ready200: boolean }> {
  let ready200 = false;
  let done = false;
  const poll = (async () => {
    while (!done) {
      try {
        const res = await fetch(`http://127.0.0.1:${adminPort}/readyz`, { signal: AbortSignal.timeout(500) });
        if (res.status === 200) ready200 = true;
      } catch {
        // not listening (yet, or any more)
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const r = await run(args, { timeoutMs: 15_000 });
  done = true;
  await poll;
  return { ...r, ready200 };
}

for (const workers of [1, 2]) {
  test(`a taken DNS port ends the process with one line (--workers ${workers}), /readyz never 200`, async () => {
    const dir = zonesDir();
    const first = await startPulse(dir);
    servers.push(first);
    const adminPort = await freePort();
    const before = await startupMs();
    const r = await secondServer(['serve', '--zones', dir, '--listen', `127.0.0.1:${first.port}`, '--admin', `127.0.0.1:${adminPort}`, '--workers', String(workers)], adminPort);
    // The machine's load moves while we measure: take the slower of a start-up just before and just after.
    const budget = Math.max(before, await startupMs()) + 1000;
    assert.equal(r.code, 1, `exit status; stderr: ${r.stderr}`);
    assert.equal(r.stderr, `pulsedns: error: address 127.0.0.1:${first.port} already in use (DNS over UDP); is another server running?\n`);
    assert.ok(r.ms <= budget, `exited after ${r.ms} ms; loading the server at all takes ${budget - 1000} ms here`);
    assert.equal(r.ready200, false, '/readyz said 200 for a server that could not listen');
    // The first one is untouched.
    assert.equal((await query(first, 'cli.test', 'SOA')).rcode, 0);
    await first.stop();
  });
}

test('a taken admin port ends the process with one line', async () => {
  const dir = zonesDir();
  const first = await startPulse(dir);
  servers.push(first);
  const adminPort = Number(new URL(first.admin).port);
  const r = await run(['serve', '--zones', dir, '--listen', `127.0.0.1:${await freePort()}`, '--admin', `127.0.0.1:${adminPort}`, '--workers', '2'], { timeoutMs: 15_000 });
  assert.equal(r.code, 1);
  assert.match(r.stderr, ONE_LINE);
  assert.match(r.stderr, new RegExp(`address 127\\.0\\.0\\.1:${adminPort} already in use \\(admin endpoint`));
  await first.stop();
});

/** Processes whose command line mentions `text` (a test's own temporary directory). */
function processesNaming(text: string): number[] {
  const pids: number[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text)) pids.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

test('zones that do not load at start (--workers 2, forked during the compile): one line, exit 1, no worker left', async () => {
  const dir = zonesDir();
  writeFileSync(join(dir, 'cli.test.yaml'), readFileSync(join(dir, 'cli.test.yaml'), 'utf8') + '  broken: { type: A, value: 300.0.0.1 }\n');
  const r = await run(['serve', '--zones', dir, '--listen', `127.0.0.1:${await freePort()}`, '--admin', 'off', '--workers', '2'], { timeoutMs: 15_000 });
  assert.equal(r.code, 1, r.stderr);
  const errorLines = r.stderr.split('\n').filter((l) => l.startsWith('pulsedns: error:'));
  assert.deepEqual(errorLines, [`pulsedns: error: the zones in ${dir} do not load (errors above); nothing to serve`]);
  assert.doesNotMatch(r.stdout, /"msg":"ready"/);
  // The workers forked while the compile ran go with the primary.
  const deadline = Date.now() + 2000;
  while (processesNaming(dir).length && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
  assert.deepEqual(processesNaming(dir), []);
});

test('a port below 1024 without privileges: one line with the CAP_NET_BIND_SERVICE hint', async (t) => {
  // As root every port binds; run the server as nobody then (uid 65534), as a service user would.
  const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  const dir = zonesDir();
  const r = await run(['serve', '--zones', dir, '--listen', '127.0.0.1:853', '--admin', 'off', '--workers', '1'], { ...asNobody, cwd: tmpdir(), timeoutMs: 15_000 });
  if (r.code === null || /EACCES: permission denied, open|Cannot find module/.test(r.stderr)) {
    skipOrFail(t, `cannot run the CLI as an unprivileged user here: ${r.stderr.split('\n')[0]}`);
    return;
  }
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, ONE_LINE);
  assert.match(r.stderr, /127\.0\.0\.1:853.*needs root or CAP_NET_BIND_SERVICE \(see docs\/operations\.md\)/);
});

test('SIGTERM: one shutdown line saying how long draining took', async () => {
  const s = await startPulse(zonesDir());
  servers.push(s);
  assert.equal((await fetch(`${s.admin}/readyz`)).status, 200);
  await s.stop();
  const lines = s.output.filter((l) => /"msg":"shutdown: /.test(l));
  assert.equal(lines.length, 1, s.output.join('\n'));
  assert.match(lines[0]!, /"drainMs":\d+/);
});

// ---------------------------------------------------------------- reload

for (const workers of [1, 2]) {
  test(`reload (--workers ${workers}): prints the serials served, or the errors and that the previous zones stay`, async () => {
    const dir = zonesDir();
    const s = await startPulse(dir, ['--workers', String(workers)]);
    servers.push(s);
    const admin = s.admin.replace('http://', ''); // the short form works too
    const ok = await run(['reload', '--admin', admin]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^reloaded: serving 1 zone\n {2}cli\.test\. {2}serial 42\n$/);

    const file = join(dir, 'cli.test.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('serial: 42', 'serial: 43'));
    const newer = await run(['reload', '--admin', s.admin]);
    assert.equal(newer.code, 0, newer.stderr);
    assert.match(newer.stdout, /serial 43/);
    assert.equal(await servedSerial(s), 43);

    writeFileSync(file, readFileSync(file, 'utf8').replace('192.0.2.80', '300.1.2.3').replace('serial: 43', 'serial: 44'));
    const bad = await run(['reload', '--admin', admin]);
    assert.equal(bad.code, 1, bad.stdout);
    assert.match(bad.stdout, new RegExp(`${file.replace(/[.]/g, '\\.')}:6:\\d+: `), 'the error with file:line:col');
    assert.match(bad.stdout, /reload refused \(1 error\); still serving the previous zones:\n {2}cli\.test\. {2}serial 43\n$/);
    assert.equal(await servedSerial(s), 43, 'the previous zones still answer');
    await s.stop();
  });
}

// ---------------------------------------------------------------- drain --wait

test('drain --wait returns once answers naming the member have expired (the pool ttl), printing a countdown', async () => {
  const TTL = 6;
  const DEGRADED = 5;
  const pools = `pools:\n  web:\n    members: [192.0.2.1, 192.0.2.2]\n    ttl: ${TTL}\n    degraded_ttl: ${DEGRADED}\n`;
  const s = await startPulse(zonesDir(pools));
  servers.push(s);
  const before = await query(s, 'www.cli.test', 'A');
  assert.equal(before.answer[0]?.ttl, TTL);
  const r = await run(['drain', 'web', '192.0.2.1', '--wait', '--admin', s.admin]);
  assert.equal(r.code, 0, r.stderr);
  // Answers handed out just before the drain carried the full ttl: that is the wait.
  assert.ok(r.ms >= TTL * 1000, `returned after ${r.ms} ms, before the ${TTL} s TTL had passed`);
  assert.ok(r.ms < (TTL + 6) * 1000, `returned after ${r.ms} ms`);
  assert.match(r.stdout, /waiting [67]s for resolvers to drop answers naming 192\.0\.2\.1/);
  assert.match(r.stdout, /done: no resolver can still hold an answer naming 192\.0\.2\.1/);
  const during = await query(s, 'www.cli.test', 'A');
  assert.deepEqual(during.answer.map((a) => a.data), ['192.0.2.2']);
  assert.equal(during.answer[0]?.ttl, DEGRADED, 'answers while a member is drained carry degraded_ttl');
  await s.stop();
});
