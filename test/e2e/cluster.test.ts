// Several workers sharing the sockets (the default on a multi-core machine):
// every worker answers, and health decided in the primary reaches all of them.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI, startPulse, type Spawned } from '../support/server.js';
import { query } from '../support/client.js';

const REPO = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'pulse-cluster-'));
cpSync(join(REPO, 'zones'), dir, { recursive: true });
const servers: Spawned[] = [];
const dirs = [dir];
after(async () => {
  for (const s of servers) await s.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('two workers answer, and a drain made through the primary reaches both', async () => {
  const s = await startPulse(dir, ['--workers', '2']);
  servers.push(s);
  // "ready" comes from the primary once every worker has bound its sockets.
  // Replies come from whichever worker read the datagram; many queries reach both.
  for (let i = 0; i < 40; i++) {
    const m = await query(s, 'www.example.com', 'A', { tcp: i % 2 === 0 });
    assert.equal(m.answer.length, 3);
  }
  const drain = spawnSync(process.execPath, [CLI, 'drain', 'web', '192.0.2.11', '--reason', 'maintenance', '--admin', s.admin], { encoding: 'utf8' });
  assert.equal(drain.status, 0, drain.stderr);
  const deadline = Date.now() + 3000;
  let clean = 0;
  while (Date.now() < deadline && clean < 40) {
    const m = await query(s, 'www.example.com', 'A', { tcp: clean % 2 === 0 });
    clean = m.answer.some((r) => r.data === '192.0.2.11') ? 0 : clean + 1;
  }
  assert.equal(clean, 40, 'after the drain, no worker hands out the drained member');
  const status = spawnSync(process.execPath, [CLI, 'status', '--json', '--admin', s.admin], { encoding: 'utf8' });
  assert.equal(status.status, 0, status.stderr);
  const report = JSON.parse(status.stdout) as { pools: Array<{ name: string; members: Array<{ address: string; state: string; override?: { reason: string } }> }> };
  const member = report.pools.find((p) => p.name === 'web')!.members.find((m) => m.address === '192.0.2.11')!;
  assert.equal(member.state, 'drain');
  assert.equal(member.override?.reason, 'maintenance');
  const undrain = spawnSync(process.execPath, [CLI, 'undrain', 'web', '192.0.2.11', '--admin', s.admin], { encoding: 'utf8' });
  assert.equal(undrain.status, 0, undrain.stderr);
  const until = Date.now() + 3000;
  let back = false;
  while (Date.now() < until && !back) back = (await query(s, 'www.example.com', 'A')).answer.some((r) => r.data === '192.0.2.11');
  assert.ok(back, 'undrain puts the member back');
  // Each worker's C allocator gives large blocks back (runtime/malloc-env.ts): without it every worker kept ~20 MB more after a few reloads.
  if (process.platform === 'linux') {
    for (const pid of imageReaders(s)) {
      const env = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
      // glibc rewrites the variable once read (2.36 shows the first tunable only); malloc-env.test.ts checks the whole value.
      assert.ok(env.some((e) => e.startsWith('GLIBC_TUNABLES=') && e.includes('glibc.malloc.mmap_threshold=131072')), `worker ${pid} runs with a fixed mmap threshold`);
    }
  }
});

/** Worker pids, from the line each prints once it has read an image (the primary prints none). */
function imageReaders(s: Spawned): number[] {
  return [...new Set(s.output.filter((l) => l.includes('"msg":"zone image loaded"')).map((l) => (JSON.parse(l) as { pid: number }).pid))];
}

test('a reload published while a respawned worker starts reaches that worker too, and the next reload is not held up', { timeout: 60_000 }, async () => {
  const zones = mkdtempSync(join(tmpdir(), 'pulse-cluster-respawn-'));
  dirs.push(zones);
  cpSync(join(REPO, 'zones'), zones, { recursive: true });
  const s = await startPulse(zones, ['--workers', '2', '--no-probe']);
  servers.push(s);
  const [survivor, victim] = imageReaders(s);
  assert.ok(survivor && victim, 'two workers');
  // The primary forks a replacement with the image of the moment (generation 1) in its environment.
  process.kill(victim, 'SIGKILL');
  const first = await s.waitForLog(new RegExp(`"pid":(?!(?:${survivor}|${victim}),)\\d+,.*"msg":"zone image loaded"`), 20_000);
  const replacement = (JSON.parse(first) as { pid: number }).pid;
  // Held between reading its image and listening for the next one while a reload is handed out:
  // left alone, whether the announcement comes before or after it listens is a race with the compile.
  process.kill(replacement, 'SIGSTOP');
  try {
    appendFileSync(join(zones, 'example.com.yaml'), '  late:\n    - { type: A, value: 192.0.2.77 }\n');
    s.proc.kill('SIGHUP');
    // The survivor has generation 2: the primary tells the replacement next (rollOut, one at a time).
    await s.waitForLog(new RegExp(`"pid":${survivor},.*"generation":2,.*"msg":"zone image loaded"`), 20_000);
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    process.kill(replacement, 'SIGCONT');
  }
  // Only the replacement reads the shared sockets meanwhile: what answers is what it serves.
  process.kill(survivor, 'SIGSTOP');
  let answered = 'nothing';
  try {
    // Well inside the 10 s the primary gives a worker to install an image before it tells the next.
    for (const until = Date.now() + 8000; answered !== '192.0.2.77' && Date.now() < until; ) {
      answered = await query(s, 'late.example.com', 'A').then(
        (m) => m.answer[0]?.data ?? `rcode ${m.rcode}`,
        () => 'no answer',
      );
      if (answered !== '192.0.2.77') await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    process.kill(survivor, 'SIGCONT');
  }
  assert.equal(answered, '192.0.2.77', 'the replacement serves the image published while it started');
  // A compile waits until the image before it reached every worker: a turn left waiting would hold this one.
  const t0 = Date.now();
  const reload = spawnSync(process.execPath, [CLI, 'reload', '--admin', s.admin], { encoding: 'utf8' });
  const ms = Date.now() - t0;
  assert.equal(reload.status, 0, `the next reload (${ms} ms; the command gives up after 5 s): ${reload.stdout}${reload.stderr}`);
  assert.ok(ms < 6000, `the next reload took ${ms} ms`);
});
