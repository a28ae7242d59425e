// The health view on disk: round trip, private permissions, atomic
// replacement, and a damaged file ignored rather than trusted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { ViewFile, type SavedView } from '../../../checks/viewfile.js';

const quiet = pino({ level: 'silent' });

function view(savedAt: number): SavedView {
  return {
    format: 1,
    savedAt,
    reports: [['web|192.0.2.1', [{ vantage: 'fra', up: false, at: savedAt - 500, intervalMs: 1000, since: savedAt - 5000, reason: 'HTTP 503' }]]],
    overrides: [{ pool: 'web', address: '192.0.2.2', mode: 'drain', reason: 'disk', by: 'alice', at: savedAt - 100 }],
    latches: [{ pool: 'app', tier: 1, since: savedAt - 200 }],
    verdicts: [['web|192.0.2.1', { up: false, fresh: 1, down: 1, held: false, failedOpen: false, decidedAt: savedAt }]],
    tiers: [['app', 1]],
  };
}

test('ViewFile: saved privately and atomically, read back whole', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'pulse-viewfile-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'state');
  const file = new ViewFile(join(dir, 'health.json'), quiet);
  assert.equal(file.load(), undefined, 'no file yet');
  // Saves piling up: the newest wins, and no temporary file is left behind.
  await Promise.all([file.save(view(1000)), file.save(view(2000)), file.save(view(3000))]);
  assert.deepEqual(file.load(), view(3000));
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(statSync(file.path).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dir), ['health.json']);
});

test('ViewFile: a damaged or foreign file is ignored, bad entries dropped', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-viewfile-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'health.json');
  const file = new ViewFile(path, quiet);
  writeFileSync(path, '{"format":1,"savedAt":');
  assert.equal(file.load(), undefined);
  writeFileSync(path, JSON.stringify({ ...view(1), format: 99 }));
  assert.equal(file.load(), undefined, 'a format this version does not read');
  const mixed = { ...view(1), overrides: [{ pool: 'web' }, ...view(1).overrides], verdicts: [['x', { up: 'yes' }], ...view(1).verdicts] };
  writeFileSync(path, JSON.stringify(mixed));
  assert.deepEqual(file.load(), view(1));
});
