// Several workers sharing the sockets (the default on a multi-core machine):
// every worker answers, and health decided in the primary reaches all of them.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI, startPulse, type Spawned } from '../support/server.js';
import { query } from '../support/client.js';

const REPO = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'pulse-cluster-'));
cpSync(join(REPO, 'zones'), dir, { recursive: true });
let server: Spawned | undefined;
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('two workers answer, and a drain made through the primary reaches both', async () => {
  server = await startPulse(dir, ['--workers', '2']);
  const s = server;
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
});
