// `pulsedns plan` against a real git repository: two commits that add, remove
// and change records, move pool members and remove a zone, then the text and
// markdown a reviewer would read, with and without the servers' health, and
// an invalid --to revision (exit 1 with file:line:col); signing turned on and
// off, with the served serial a signed zone leaves behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, mkdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cmdPlan } from '../../../server/commands/plan.js';
import { serialGrows } from '../../../server/plan/plan.js';
import { signedSerialBounds, type SignedSerialBounds } from '../../../server/plan/signing.js';
import { CHANGES_PER_PERIOD, periodOffset, serialStep, servedSerial } from '../../../server/dnssec/serial.js';
import { nameFromText } from '../../../server/wire/names.js';
import type { StatusReport } from '../../../checks/status.js';

const CLI = fileURLToPath(new URL('../../../server/cli.js', import.meta.url));

let repo = '';
let zones = '';
const commits: Record<'c1' | 'c2' | 'broken', string> = { c1: '', c2: '', broken: '' };
let commitSeconds = 1_700_000_000;

function git(...args: string[]): string {
  const when = `@${commitSeconds} +0000`;
  return execFileSync('git', args, {
    cwd: repo,
    encoding: 'utf8',
    env: {
      ...process.env,
      // Fixed identity and dates, and no user or system config (signing hooks, default branch names).
      GIT_AUTHOR_NAME: 'Plan Test',
      GIT_AUTHOR_EMAIL: 'plan@example.com',
      GIT_AUTHOR_DATE: when,
      GIT_COMMITTER_NAME: 'Plan Test',
      GIT_COMMITTER_EMAIL: 'plan@example.com',
      GIT_COMMITTER_DATE: when,
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_CONFIG_NOSYSTEM: '1',
    },
  });
}

function commit(message: string): string {
  commitSeconds += 3600;
  git('add', '-A', '.');
  git('commit', '-q', '-m', message);
  return git('rev-parse', 'HEAD').trim();
}

function write(name: string, text: string): void {
  writeFileSync(join(zones, name), text);
}

const SOA_NS = (ns: string, serial = 'auto', minimum = 300): string => `  '@':
    - { type: SOA, value: { mname: ns1, rname: hostmaster, serial: ${serial}, minimum: ${minimum} } }
    - { type: NS, values: [${ns}] }
`;

/** Names nobody touches, so example.com's churn stays under the 30 % mark. */
const STEADY = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7'].map((n, i) => `  ${n}: { type: A, value: 192.0.2.${200 + i} }\n`).join('');

const EXAMPLE_V1 = `ttl: 3600
records:
${SOA_NS('ns1, ns2')}    - { type: MX, value: '10 mail' }
  ns1: { type: A, value: 192.0.2.1 }
  ns2: { type: A, value: 192.0.2.2 }
  mail: { type: A, value: 192.0.2.25 }
  www: { type: A, pool: web }
  api: { type: A, pool: api }
  status: { type: A, pool: dead }
  steady: { type: A, pool: steady }
  old: { type: A, value: 192.0.2.40 }
  txt: { type: TXT, value: hello }
  short: { type: A, ttl: 300, value: 192.0.2.50 }
  shop: { type: A, values: [192.0.2.60, 192.0.2.61] }
${STEADY}`;

const EXAMPLE_V2 = `ttl: 3600
records:
${SOA_NS('ns1, ns3', 'auto', 60)}    - { type: MX, value: '10 mail' }
  ns1: { type: A, value: 192.0.2.1 }
  ns2: { type: A, value: 192.0.2.2 }
  ns3: { type: A, value: 192.0.2.3 }
  mail: { type: A, value: 192.0.2.25 }
  www: { type: A, pool: web }
  api: { type: A, pool: api }
  status: { type: A, pool: dead }
  steady: { type: A, pool: steady }
  txt: { type: TXT, value: hello world }
  short: { type: A, ttl: 60, value: 192.0.2.50 }
  shop: { type: A, pool: web }
  new: { type: A, value: 192.0.2.70 }
${STEADY}`;

const SHRINK = (names: string[], serial: number): string => `records:
${SOA_NS('ns', String(serial))}  ns: { type: A, value: 198.51.100.1 }
${names.map((n) => `  ${n}: { type: A, value: 198.51.100.${n.charCodeAt(0)} }\n`).join('')}`;

const SIMPLE = `records:
${SOA_NS('ns', '1')}  ns: { type: A, value: 203.0.113.1 }
  www: { type: A, value: 203.0.113.10 }
`;

const POOLS_V1 = `checks:
  web-http: { type: http, path: /healthz, interval: 10s, timeout: 2s }
pools:
  web:
    check: web-http
    members: [192.0.2.10, 192.0.2.11, 192.0.2.12]
  api:
    check: web-http
    members: [192.0.2.20, 192.0.2.21]
  dead:
    policy: failover
    tiers: [[192.0.2.30], [192.0.2.31]]
  steady:
    members: [192.0.2.90, 192.0.2.91]
`;

const POOLS_V2 = `checks:
  web-http: { type: http, path: /health, interval: 10s, timeout: 2s }
pools:
  web:
    check: web-http
    members: [192.0.2.10, 192.0.2.12, 192.0.2.13]
  api:
    check: web-http
    members: [192.0.2.20]
  dead:
    policy: failover
    tiers: [[192.0.2.30], [192.0.2.31, 192.0.2.32]]
  steady:
    members: [192.0.2.90, 192.0.2.91]
`;

/** Line and column where the broken address sits in the broken commit's example.com.yaml. */
let brokenLine = 0;

before(() => {
  repo = mkdtempSync(join(tmpdir(), 'pulsedns-plan-'));
  zones = join(repo, 'zones');
  mkdirSync(zones);
  git('init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'README'), 'zones for the plan test\n');
  write('_pools.yaml', POOLS_V1);
  write('example.com.yaml', EXAMPLE_V1);
  write('shrink.test.yaml', SHRINK(['a', 'b', 'c', 'd', 'e', 'f'], 1));
  write('gone.test.yaml', SIMPLE);
  commits.c1 = commit('first');

  write('_pools.yaml', POOLS_V2);
  write('example.com.yaml', EXAMPLE_V2);
  write('shrink.test.yaml', SHRINK(['e', 'f'], 2));
  unlinkSync(join(zones, 'gone.test.yaml'));
  write('added.test.yaml', SIMPLE);
  commits.c2 = commit('second');

  const broken = EXAMPLE_V2 + '  bad: { type: A, value: 300.1.2.3 }\n';
  brokenLine = broken.split('\n').findIndex((l) => l.includes('300.1.2.3')) + 1;
  write('example.com.yaml', broken);
  commits.broken = commit('broken');
  // Back to the good second version on disk, for the WORKTREE tests.
  write('example.com.yaml', EXAMPLE_V2);
});

after(() => {
  if (repo) rmSync(repo, { recursive: true, force: true });
});

async function plan(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await cmdPlan(['--zones', zones, ...args], { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

function assertHas(text: string, ...needles: Array<string | RegExp>): void {
  for (const n of needles) {
    const ok = typeof n === 'string' ? text.includes(n) : n.test(text);
    assert.ok(ok, `expected ${n} in:\n${text}`);
  }
}

test('text: records added, removed, changed, TTLs, pools and every warning', async () => {
  const r = await plan('--from', commits.c1, '--to', commits.c2);
  assert.equal(r.code, 0, r.err);
  const t = r.out;
  assertHas(
    t,
    'zones: 1 added, 1 removed, 2 changed',
    'health: unknown (no --admin)',
    // Static records.
    /\+ new\.example\.com\. A TTL 3600\n\s+\+ 192\.0\.2\.70/,
    /- old\.example\.com\. A TTL 3600\n\s+- 192\.0\.2\.40/,
    /~ txt\.example\.com\. TXT TTL 3600\n\s+- "hello"\n\s+\+ "hello world"/,
    /~ short\.example\.com\. A TTL 300 -> 60\n\s+192\.0\.2\.50/,
    /~ example\.com\. NS TTL 3600\n\s+- ns2\.example\.com\.\n\s+ns1\.example\.com\.\n\s+\+ ns3\.example\.com\./,
    '+ ns3.example.com. A TTL 3600',
    // Auto serial: a commit later, not a record change.
    'serial 1700003600 -> 1700007200 (auto)',
    // A numeric serial bump is shown but is no churn.
    '~ shrink.test. SOA TTL 3600 (serial only)',
    // Pool-backed names: which pool, and what members they gain and lose.
    /~ www\.example\.com\. A: pool web \(pool definition changed, see pools\), TTL 60\n\s+- 192\.0\.2\.11\n\s+192\.0\.2\.10\n\s+192\.0\.2\.12\n\s+\+ 192\.0\.2\.13/,
    /~ api\.example\.com\. A: pool api .*\n\s+- 192\.0\.2\.21\n\s+192\.0\.2\.20/,
    /~ shop\.example\.com\. A: static -> pool web, TTL 3600 -> 60\n\s+- 192\.0\.2\.60\n\s+- 192\.0\.2\.61\n\s+\+ 192\.0\.2\.10/,
    'under current health: unknown (no --admin)',
    // Pool definitions.
    /~ pool web \(changed\), used by api|~ pool web \(changed\), used by shop\.example\.com\. A, www\.example\.com\. A/,
    'members: +192.0.2.13, -192.0.2.11',
    'check web-http: path: /healthz -> /health',
    'members: +192.0.2.32 (tier 2)',
    // The zones themselves.
    'zone added.test. (added, 4 RRsets)',
    'zone gone.test. (REMOVED, 4 RRsets)',
  );
  // Warnings.
  assertHas(
    t,
    /! example\.com\.: apex NS changes \(-ns2\.example\.com\. \+ns3\.example\.com\.\)/,
    '! example.com.: apex SOA changes (minimum 300 -> 60)',
    /! shrink\.test\.: 4 of 9 RRsets \(44%\) are removed or changed, more than 30%/,
    /! pool api is left with one IPv4 member \(192\.0\.2\.20, was 2\)/,
    /! gone\.test\.: the zone is removed entirely/,
  );
  // Below the threshold, unchanged pools and untouched names stay out of it.
  assert.doesNotMatch(t, /example\.com\.: \d+ of \d+ RRsets/, 'example.com churn is under 30%');
  assert.doesNotMatch(t, /steady|u1\.example/, 'unchanged names and pools are not listed');
  assert.doesNotMatch(t, /apex SOA changes \(.*serial/, 'an auto serial is not an SOA change');
});

test('markdown: summary table, details and warnings for a PR comment', async () => {
  const r = await plan('--from', commits.c1, '--to', commits.c2, '--format', 'markdown');
  assert.equal(r.code, 0, r.err);
  const md = r.out;
  assertHas(
    md,
    /^## pulsedns plan: `[0-9a-f]{12}` → `[0-9a-f]{12}`/,
    '> [!WARNING]',
    /> - example\.com\.: apex NS changes/,
    /> - shrink\.test\.: 4 of 9 RRsets \(44%\)/,
    /> - pool api is left with one IPv4 member/,
    /> - gone\.test\.: the zone is removed entirely/,
    '| zone | change | RRsets | added | removed | changed | pool-backed names | warnings |',
    /\| `gone\.test\.` \| \*\*removed\*\* \|/,
    /\| `added\.test\.` \| added \|/,
    /\| `example\.com\.` \| changed \| 21 → 22 \|/,
    '<details open><summary><b>example.com.</b>',
    /\| \+ \| `new\.example\.com\.` \| A \| 3600 \|  \| `192\.0\.2\.70` \|/,
    /\| ~ \| `short\.example\.com\.` \| A \| 300 → 60 \|/,
    /\| ~ \| `txt\.example\.com\.` \| TXT \| 3600 \| \*\*−\*\* `"hello"` \| \*\*\+\*\* `"hello world"` \|/,
    /\| ~ \| `www\.example\.com\.` \| A \| pool `web` \(TTL 60\) \| pool `web` \(TTL 60\) \| \+192\.0\.2\.13<br>−192\.0\.2\.11 \| unknown \(no --admin\) \|/,
    '### Pools',
    /\| ~ \| `web` changed \| \+192\.0\.2\.13<br>−192\.0\.2\.11<br>now: 192\.0\.2\.10, 192\.0\.2\.12, 192\.0\.2\.13 \| check web-http: path: /,
  );
});

test('--admin: pool-backed names say what would be answered under current health', async (t) => {
  const state = (address: string, s: 'up' | 'down' | 'drain', tier = 1): StatusReport['pools'][number]['members'][number] => ({ address, tier, role: 'primary', state: s, verdict: null, vantages: [] });
  const status: StatusReport = {
    generatedAt: '2025-01-01T00:00:00.000Z',
    store: { healthy: true, lastSync: null },
    pools: [
      { name: 'web', policy: 'all', check: 'web-http', answeringTier: 1, latched: null, members: [state('192.0.2.10', 'down'), state('192.0.2.11', 'up'), state('192.0.2.12', 'drain')] },
      { name: 'api', policy: 'all', check: 'web-http', answeringTier: 1, latched: null, members: [state('192.0.2.20', 'up'), state('192.0.2.21', 'up')] },
      { name: 'dead', policy: 'failover', check: null, answeringTier: 0, latched: null, members: [state('192.0.2.30', 'down'), state('192.0.2.31', 'down', 2), state('192.0.2.32', 'down', 2)] },
    ],
  };
  let seenAuth: string | undefined;
  const server: Server = createServer((req, res) => {
    seenAuth = req.headers.authorization;
    if (req.url !== '/prefix/status') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(status));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prefix/`;

  const r = await plan('--from', commits.c1, '--to', commits.c2, '--admin', base, '--admin-token', 'sekrit');
  assert.equal(r.code, 0, r.err);
  assert.equal(seenAuth, 'Bearer sekrit');
  assertHas(
    r.out,
    `health: from ${base}status at 2025-01-01T00:00:00.000Z`,
    // 10 down, 12 drained, 13 new (counted healthy until probed): only 13 answers.
    'under current health: 192.0.2.13 [down: 192.0.2.10; drained: 192.0.2.12; not probed yet, counted healthy: 192.0.2.13]',
    'under current health: 192.0.2.20',
    /under current health: NOTHING HEALTHY, answers 192\.0\.2\.30, 192\.0\.2\.31, 192\.0\.2\.32 \(on_all_down: all\)/,
    /! pool dead has no healthy IPv4 member under current health: status\.example\.com\. A would answer/,
  );
  assert.doesNotMatch(r.out, /unknown \(no --admin\)/);

  const md = await plan('--from', commits.c1, '--to', commits.c2, '--admin', base, '--admin-token', 'sekrit', '--format', 'markdown');
  assertHas(md.out, /> - pool dead has no healthy IPv4 member/, /\| `api\.example\.com\.` \| A \|.*\| 192\.0\.2\.20 \|/);
});

test('--admin unreachable: the plan still prints, with health unknown and a warning', async () => {
  const r = await plan('--from', commits.c1, '--to', commits.c2, '--admin', 'http://127.0.0.1:1');
  assert.equal(r.code, 0, r.err);
  assertHas(r.out, /! could not read current health from http:\/\/127\.0\.0\.1:1\/status/, /under current health: unknown \(http:\/\/127\.0\.0\.1:1\/status: /);
});

test('an invalid --to exits 1 and lists its errors as file:line:col', async () => {
  const r = await plan('--from', commits.c2, '--to', commits.broken);
  assert.equal(r.code, 1);
  const file = join(zones, 'example.com.yaml');
  assert.match(r.out, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${brokenLine}:\\d+: .*not an IPv4 address`, 'm'));
  assertHas(r.out, 'does not validate: 1 error');
  const md = await plan('--from', commits.c2, '--to', commits.broken, '--format', 'markdown');
  assert.equal(md.code, 1);
  assertHas(md.out, 'does not validate', `${file}:${brokenLine}:`, '```');

  // Fixing a broken revision is fine: --from may be invalid; the plan says so and compares with what was valid.
  const fix = await plan('--from', commits.broken, '--to', commits.c2);
  assert.equal(fix.code, 0, fix.out);
  assertHas(fix.out, /! [0-9a-f]{12} itself does not validate \(1 error, first: .*example\.com\.yaml:/);
});

test('--to WORKTREE reads the files on disk; no change is a clean exit 0', async () => {
  const same = await plan('--from', commits.c2, '--to', 'WORKTREE');
  assert.equal(same.code, 0, same.err);
  // example.com.yaml on disk matches c2 but was rewritten after the broken commit, so only its auto serial moves.
  assert.doesNotMatch(same.out, /^ {2}[+~-] /m, same.out);
  assert.doesNotMatch(same.out, /^ {2}! /m, 'a moved auto serial is no risk');
  assertHas(same.out, /serial 1700007200 -> \d+ \(auto\)/);

  const none = await plan('--from', commits.c2, '--to', commits.c2);
  assert.equal(none.code, 0);
  assertHas(none.out, 'no changes: every answer stays the same', 'zones: 0 added, 0 removed, 0 changed, 3 unchanged');

  write('added.test.yaml', SIMPLE.replace('203.0.113.10', '203.0.113.11'));
  try {
    const r = await plan('--from', 'HEAD', '--to', 'WORKTREE');
    assert.equal(r.code, 0, r.err);
    assertHas(r.out, /pulsedns plan: HEAD \([0-9a-f]{12}\) -> WORKTREE/, /~ www\.added\.test\. A TTL 3600\n\s+- 203\.0\.113\.10\n\s+\+ 203\.0\.113\.11/);
  } finally {
    write('added.test.yaml', SIMPLE);
  }
});

test('usage errors exit 2', async () => {
  for (const args of [
    ['--from', commits.c1],
    ['--from', commits.c1, '--to', commits.c2, '--format', 'html'],
    ['--from', 'no-such-rev', '--to', commits.c2],
    ['--from', commits.c1, '--to', commits.c2, '--bogus'],
    ['--from', commits.c1, '--to', commits.c2, '--admin', 'not a url'],
  ]) {
    const r = await plan(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.out}`);
    assert.match(r.err, /^pulsedns: error: [^\n]+\n$/, 'one line, no stack');
  }
  const notGit = mkdtempSync(join(tmpdir(), 'pulsedns-plan-nogit-'));
  try {
    let err = '';
    const code = await cmdPlan(['--zones', notGit, '--from', 'HEAD', '--to', 'WORKTREE'], { out: () => {}, err: (s) => void (err += s) });
    assert.equal(code, 2);
    assertHas(err, 'not inside a git work tree');
  } finally {
    rmSync(notGit, { recursive: true, force: true });
  }
});

test('run as a program: exit codes reach the shell', () => {
  const ok = spawnSync(process.execPath, [CLI, 'plan', '--zones', zones, '--from', commits.c1, '--to', commits.c2], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assertHas(ok.stdout, 'apex NS changes');
  const bad = spawnSync(process.execPath, [CLI, 'plan', '--zones', zones, '--from', commits.c2, '--to', commits.broken], { encoding: 'utf8' });
  assert.equal(bad.status, 1, bad.stderr);
  const usage = spawnSync(process.execPath, [CLI, 'plan', '--zones', zones], { encoding: 'utf8' });
  assert.equal(usage.status, 2);
});

test('serial arithmetic follows RFC 1982', () => {
  assert.ok(serialGrows(1, 2));
  assert.ok(!serialGrows(2, 1));
  assert.ok(!serialGrows(5, 5));
  assert.ok(serialGrows(0xffffffff, 3), 'wraps around');
  assert.ok(!serialGrows(2024010101, 1700000000), 'a date-style serial replaced by a Unix time goes backwards');
});

test('signing turned off: the DS and the served serial are warned about; turned on: the keys', async () => {
  // A zones directory of its own in the same repository; the tests above are done with HEAD.
  const signedDir = join(repo, 'signed');
  mkdirSync(signedDir);
  // The expire is written out: left out, it differs between signed (6 days) and unsigned zones, an SOA change of its own.
  const zone = (dnssec: string, serial: string): string =>
    `${dnssec}records:\n${SOA_NS('ns', serial).replace(`minimum: 300`, 'expire: 6d, minimum: 300')}  ns: { type: A, value: 192.0.2.1 }\n`;
  const put = (name: string, text: string): void => writeFileSync(join(signedDir, name), text);
  put('signed.test.yaml', zone('dnssec: true\n', '2024010101'));
  put('auto.test.yaml', zone('dnssec: true\n', 'auto'));
  const on = commit('signed zones');
  put('signed.test.yaml', zone('dnssec: false\n', '2024010101'));
  put('auto.test.yaml', zone('', 'auto'));
  put('new.test.yaml', zone('dnssec: { algorithm: ed25519 }\n', '1'));
  // auto.test's serial is its commit time: a month on, far past any re-sign step.
  commitSeconds += 30 * 86400;
  const off = commit('signing off');
  const signedPlan = (...args: string[]): Promise<{ code: number; out: string; err: string }> => {
    let out = '';
    let err = '';
    return cmdPlan(['--zones', signedDir, ...args], { out: (s) => void (out += s), err: (s) => void (err += s) }).then((code) => ({ code, out, err }));
  };

  const origin = nameFromText('signed.test.');
  const bounds = (): SignedSerialBounds => signedSerialBounds(origin, 2024010101, Math.floor(Date.now() / 1000));
  const early = bounds();
  const r = await signedPlan('--from', on, '--to', off);
  const late = bounds();
  assert.equal(r.code, 0, r.err);
  assertHas(
    r.out,
    /zone signed\.test\. \(changed: 0 added, 0 removed, 0 changed of 3 RRsets\)\n {2}signing on -> off\n/,
    /zone auto\.test\. .*\n {2}serial \d+ -> \d+ \(auto\)\n {2}signing on -> off\n/,
    "  ! signed.test.: signing is turned off: remove the zone's DS at the parent first and wait out the DS TTL, or validating resolvers will reject every answer from the unsigned zone",
    "  ! auto.test.: signing is turned off: remove the zone's DS",
    '  ! new.test.: the new zone is signed (dnssec:): every server needs an active key for it in its key directory before this goes live (pulsedns keys generate new.test --keys DIR --algorithm ed25519, then copy the key files to each server), or it refuses the whole load and keeps serving the previous zones',
  );
  const m = /^ {2}! signed\.test\.: signing is turned off, so the served SOA serial falls from up to (\d+) \(file serial 2024010101 plus the re-sign step, 16 more each week\) to the file's 2024010101: secondaries hold the higher one and stop following the zone; set serial to (\d+) or more in this change \(above every serial served until (\d{4}-\d\d-\d\d) UTC; dig SOA signed\.test\. shows the one served now\)$/m.exec(r.out);
  assert.ok(m, r.out);
  const [, servedNow, above, until] = m;
  const said = (b: SignedSerialBounds): boolean => Number(servedNow) === b.servedNow && Number(above) === b.above && until === new Date(b.until * 1000).toISOString().slice(0, 10);
  assert.ok(said(early) || said(late), `${m[0]} against ${JSON.stringify([early, late])}`);
  // What the server serves (dnssec/serial.ts, up to 15 key changes counted), now and a week on, stays below the advice.
  const period = 7 * 86400;
  for (const at of [Date.now() / 1000, Date.now() / 1000 + period]) {
    const highest = servedSerial(2024010101, serialStep([], period, Math.floor(at), periodOffset(origin, period)).step + CHANGES_PER_PERIOD - 1);
    assert.ok(serialGrows(highest, Number(above)), `${above} is above ${highest}, served at ${at}`);
  }
  assert.doesNotMatch(r.out, /auto\.test\.: signing is turned off, so the served SOA serial/, 'a month of commit time is past the step');

  const md = await signedPlan('--from', on, '--to', off, '--format', 'markdown');
  assertHas(md.out, /> - signed\.test\.: signing is turned off, so the served SOA serial falls from up to \d+/, "> - signed.test.: signing is turned off: remove the zone's DS", 'Signing (`dnssec:`) on → off.');

  // Raised as advised: only the DS is left to mind.
  put('signed.test.yaml', zone('', above!));
  const raised = commit('serial raised');
  const ok = await signedPlan('--from', on, '--to', raised);
  assertHas(ok.out, "! signed.test.: signing is turned off: remove the zone's DS", `serial 2024010101 -> ${above}`);
  assert.doesNotMatch(ok.out, /signed\.test\.: signing is turned off, so the served SOA serial/);

  // Back on: every server needs the key first.
  const back = await signedPlan('--from', off, '--to', on);
  assertHas(
    back.out,
    /zone signed\.test\. .*\n {2}signing off -> on\n/,
    '  ! signed.test.: signing is turned on (dnssec:): every server needs an active key for it in its key directory before this goes live (pulsedns keys generate signed.test --keys DIR, then copy the key files to each server), or it refuses the whole load and keeps serving the previous zones; give the parent the DS (pulsedns keys ds) only once every server signs',
    '  ! auto.test.: signing is turned on (dnssec:)',
  );
  assert.doesNotMatch(back.out, /signing is turned off/);
});
