// Reloads as a client sees them (issue 8): real `pulsedns serve` processes,
// a 20,000-record zone, queries running the whole time. The compile happens
// once, in the primary's worker thread; the workers only swap images.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startPulse, type Spawned } from '../support/server.js';
import { query } from '../support/client.js';
import { steadyQueries } from '../support/steady.js';
import { benchZoneYaml, shapeFor } from '../../bench/zonegen.js';

const root = mkdtempSync(join(tmpdir(), 'pulse-reload-'));
const servers: Spawned[] = [];
after(async () => {
  for (const s of servers) await s.stop();
  rmSync(root, { recursive: true, force: true });
});

const ZONE = benchZoneYaml(shapeFor(20_000));
const HOSTS = Array.from({ length: 200 }, (_, i) => `h${i * 37}.bench.test`);

function zonesDir(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'bench.test.yaml'), ZONE);
  return dir;
}

async function start(dir: string, extra: string[]): Promise<Spawned> {
  const s = await startPulse(dir, ['--no-probe', ...extra]);
  servers.push(s);
  return s;
}

const address = async (s: Spawned, name: string): Promise<string | undefined> => (await query(s, name, 'A')).answer[0]?.data;

/** Waits for the nth log line matching `re` (counting every one printed so far). */
async function nthLog(s: Spawned, re: RegExp, n: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (s.output.filter((l) => re.test(l)).length < n) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} x ${re}:\n${s.output.slice(-20).join('\n')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const readyz = async (s: Spawned): Promise<number> => (await fetch(`${s.admin}/readyz`)).status;

test('a broken edit and then a good one: no query lost, none late by more than 100 ms', { timeout: 120_000 }, async () => {
  const dir = zonesDir('steady');
  const s = await start(dir, ['--workers', '2']);
  assert.equal(await address(s, 'ns1.bench.test'), '192.0.2.1');
  const loop = steadyQueries(s, HOSTS, { everyMs: 5, timeoutMs: 1000, maxQueries: 6000 });
  await new Promise((r) => setTimeout(r, 300));
  appendFileSync(join(dir, 'bench.test.yaml'), '  broken: { type: A, value: 300.1.2.3 }\n');
  await nthLog(s, /zone load refused/, 1);
  writeFileSync(join(dir, 'bench.test.yaml'), ZONE.replace('192.0.2.1 }', '192.0.2.9 }'));
  await nthLog(s, /"generation":2.*zone image loaded/, 2);
  await new Promise((r) => setTimeout(r, 300));
  const r = await loop.stop();
  assert.equal(await address(s, 'ns1.bench.test'), '192.0.2.9', 'the good edit is served');
  assert.ok(r.sent > 100, `the loop ran (${r.sent} queries)`);
  assert.equal(r.lost, 0, `${r.lost} of ${r.sent} queries lost`);
  assert.ok(r.max < 100, `slowest answer ${r.max.toFixed(1)} ms`);
  const refused = s.output.filter((l) => l.includes('300.1.2.3') || /bench\.test\.yaml:\d+:\d+/.test(l));
  assert.ok(refused.length >= 1, 'the error is logged with file:line:col');
  // Compiled once (by the primary), not once per process.
  assert.equal(s.output.filter((l) => l.includes('"msg":"zones loaded"')).length, 2);
});

test('deep nesting and an error flood are refused by a running server, which keeps answering', { timeout: 120_000 }, async () => {
  const dir = zonesDir('hostile');
  const s = await start(dir, ['--workers', '1']);
  writeFileSync(join(dir, 'nest.test.yaml'), `records: ${'['.repeat(5000)}\n`);
  await nthLog(s, /zone load refused/, 1);
  assert.equal(await address(s, 'h0.bench.test'), '10.0.0.0');
  rmSync(join(dir, 'nest.test.yaml'));
  const flood = ['ttl: 300', 'records:', "  '@': [{ type: SOA, value: { mname: ns1, rname: h, serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 1 } }, { type: NS, value: ns1 }]"];
  for (let i = 0; i < 50_000; i++) flood.push(`  x${i}: { type: A, value: 999.${i}.0.0 }`);
  writeFileSync(join(dir, 'flood.test.yaml'), flood.join('\n') + '\n');
  await nthLog(s, /zone load refused/, 2);
  assert.equal(await address(s, 'h1.bench.test'), '10.0.0.1');
  const status = (await (await fetch(`${s.admin}/status`)).json()) as { zones: { lastLoadErrors: string[] } };
  assert.ok(status.zones.lastLoadErrors.length > 0 && status.zones.lastLoadErrors.length <= 1000, `${status.zones.lastLoadErrors.length} errors kept`);
  assert.equal(s.proc.exitCode, null, 'still running');
});

test('every worker killed while the files are broken: the respawned ones serve the last good image, /readyz stays honest', { timeout: 120_000 }, async () => {
  const dir = zonesDir('respawn');
  const s = await start(dir, ['--workers', '2']);
  appendFileSync(join(dir, 'bench.test.yaml'), 'this is: [not valid\n');
  await nthLog(s, /zone load refused/, 1);
  const pids = workerPids(s);
  assert.equal(pids.length, 2);
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  await nthLog(s, /worker exited/, 2);
  // The primary knows both are gone. Until a new worker has loaded the image
  // (it logs that, synchronously on a pipe, before it reports ready), /readyz
  // must not say ready: after any 200, the pipe must show such a line.
  const loadedLines = (): number => s.output.filter((l) => l.includes('zone image loaded')).length;
  const code = await readyz(s);
  await new Promise((r) => setTimeout(r, 100)); // let the test read what is in the pipe
  if (code === 200) assert.ok(loadedLines() > 2, 'readyz said 200 before any new worker had loaded the image');
  else assert.equal(code, 503);
  const until = Date.now() + 15_000;
  let answered = false;
  while (Date.now() < until && !answered) {
    if ((await readyz(s)) === 200) answered = (await address(s, 'h2.bench.test').catch(() => undefined)) === '10.0.0.2';
    else await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(answered, 'a respawned worker answers from the last good image');
  await nthLog(s, /zone image loaded/, 4);
  assert.ok(!s.output.some((l) => l.includes('initial zone load failed')));
});

test('a symlinked zones directory swapped by a deploy is followed; after SIGHUP, edits in the new target are seen', { timeout: 120_000 }, async () => {
  const a = zonesDir('rel-a');
  const b = zonesDir('rel-b');
  writeFileSync(join(b, 'bench.test.yaml'), ZONE.replace('192.0.2.1 }', '192.0.2.51 }'));
  const link = join(root, 'current');
  symlinkSync(a, link);
  const s = await start(link, ['--workers', '1']);
  assert.equal(await address(s, 'ns1.bench.test'), '192.0.2.1');
  // `ln -sfn`: a new link renamed over the old one.
  symlinkSync(b, `${link}.new`);
  renameSync(`${link}.new`, link);
  await nthLog(s, /zones loaded/, 2);
  assert.equal(await address(s, 'ns1.bench.test'), '192.0.2.51');
  s.proc.kill('SIGHUP');
  await nthLog(s, /zones loaded/, 3);
  writeFileSync(join(b, 'bench.test.yaml'), readFileSync(join(b, 'bench.test.yaml'), 'utf8').replace('192.0.2.51 }', '192.0.2.52 }'));
  await nthLog(s, /zones loaded/, 4);
  assert.equal(await address(s, 'ns1.bench.test'), '192.0.2.52');
});

test('SIGUSR2 replaces the workers one at a time without losing a query', { timeout: 120_000 }, async () => {
  const s = await start(zonesDir('rolling'), ['--workers', '2']);
  const before = new Set(workerPids(s));
  const loop = steadyQueries(s, HOSTS, { everyMs: 5, timeoutMs: 1000, maxQueries: 6000 });
  await new Promise((r) => setTimeout(r, 200));
  s.proc.kill('SIGUSR2');
  await s.waitForLog(/rolling restart done/, 60_000);
  await new Promise((r) => setTimeout(r, 200));
  const r = await loop.stop();
  const after = workerPids(s).filter((p) => !before.has(p));
  assert.equal(after.length, 2, 'two new workers');
  assert.ok(r.sent > 100);
  assert.equal(r.lost, 0, `${r.lost} of ${r.sent} queries lost`);
});

function workerPids(s: Spawned): number[] {
  return [...new Set(s.output.filter((l) => l.includes('zone image loaded')).map((l) => (JSON.parse(l) as { pid: number }).pid))];
}

for (const workers of [1, 2]) {
  test(`SIGTERM frees the port promptly (--workers ${workers})`, { timeout: 60_000 }, async () => {
    const s = await start(zonesDir(`stop-${workers}`), ['--workers', String(workers)]);
    const t0 = performance.now();
    s.proc.kill('SIGTERM');
    let freeAfter = Infinity;
    for (let i = 0; i < 500 && freeAfter === Infinity; i++) {
      if (await canBind(s.port)) freeAfter = performance.now() - t0;
      else await new Promise((r) => setTimeout(r, 2));
    }
    // One process closes its socket at once; a cluster's shared socket closes when the last worker lets go.
    const limit = workers === 1 ? 100 : 250;
    assert.ok(freeAfter < limit, `port free after ${freeAfter.toFixed(1)} ms (limit ${limit})`);
    await new Promise<void>((r) => (s.proc.exitCode !== null ? r() : s.proc.once('exit', () => r())));
    assert.ok(!s.output.some((l) => /EPIPE|Unhandled|ERR_IPC/.test(l)), s.output.slice(-5).join('\n'));
  });
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    sock.once('error', () => {
      sock.close();
      resolve(false);
    });
    sock.bind(port, '127.0.0.1', () => sock.close(() => resolve(true)));
  });
}

/** Two workers with a state directory of the test's own; the path of the image the primary publishes there (runtime/images.ts makeImageDir). */
async function withImage(name: string): Promise<{ s: Spawned; dir: string; image: string }> {
  const dir = zonesDir(name);
  const state = join(root, `${name}-state`);
  const s = await start(dir, ['--workers', '2', '--state-dir', state]);
  const made = readdirSync(state).filter((e) => e.startsWith('pulsedns-'));
  assert.equal(made.length, 1);
  return { s, dir, image: join(state, made[0]!, 'zones.img') };
}

test('the image directory removed under a running server (a temp cleaner): the next change is still compiled and served', { timeout: 120_000 }, async () => {
  const { s, dir, image } = await withImage('image-dir-gone');
  rmSync(dirname(image), { recursive: true, force: true });
  writeFileSync(join(dir, 'bench.test.yaml'), ZONE.replace('192.0.2.1 }', '192.0.2.61 }'));
  await nthLog(s, /zones loaded/, 2);
  // "zones loaded" comes before the workers take the image, one after the other.
  await nthLog(s, /zone image loaded/, 4);
  assert.equal(await address(s, 'ns1.bench.test'), '192.0.2.61');
  assert.ok(readFileSync(image).length > 0, 'the image is published where the workers look for it');
});

test('the image file removed, then a worker crashes: the primary compiles again and the new worker serves', { timeout: 120_000 }, async () => {
  const { s, image } = await withImage('image-file-gone');
  rmSync(image);
  const [victim] = workerPids(s);
  process.kill(victim!, 'SIGKILL');
  await nthLog(s, /the zone image file is gone; compiling the zones again/, 1);
  // The respawned worker logs its image (the two first ones did too), then takes its share of queries.
  await nthLog(s, /zone image loaded/, 3);
  assert.equal(s.proc.exitCode, null, 'the server is still running');
  for (let i = 0; i < 20; i++) assert.equal(await address(s, 'ns1.bench.test'), '192.0.2.1');
  assert.ok(!s.output.some((l) => l.includes('exited during start-up')), s.output.slice(-10).join('\n'));
});
