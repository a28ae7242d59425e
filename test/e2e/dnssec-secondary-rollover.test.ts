// A signed zone's secondary follows a whole CSK rollover by itself: a live
// `pulsedns serve --keys --notify` and an NSD secondary. The served SOA
// serial of the signed zone is ahead of the file's (dnssec/serial.ts) and
// steps at every key phase change, pulsedns sends NOTIFY, NSD transfers, so
// the secondary's DNSKEY and CDS sets follow the keys with no reload and no
// serial edit, and delv validates what the secondary serves at the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { periodOffset, resignPeriod, serialStep, servedSerial } from '../../server/dnssec/serial.js';
import { ValidityWindow } from '../../server/dnssec/window.js';
import { needTool } from '../support/tools.js';
import { startPulse } from '../support/server.js';
import { freePort } from '../support/ports.js';
import { startNsdSecondary } from '../support/nsd-secondary.js';
import { delvAll, writeAnchorFile } from '../support/delv.js';
import { diffApex as apex, rollDiff, signedDiffZone, sortedTags as sorted, type Apex } from '../support/rollover.js';
const FILE_SERIAL = 2024060101;
// Activate(new) = +3 s, Retire(old) = +6 s, Remove(old) = +8 s.
const ROLL = ['--propagation', '1', '--dnskey-ttl', '2', '--max-ttl', '1', '--ds-ttl', '1', '--registrar-delay', '2'];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('an NSD secondary follows a rollover through NOTIFY: the signed serial steps at each phase, delv validates the secondary', async (t) => {
  const delvPath = needTool(t, 'delv', 'bind9-dnsutils');
  const nsdPath = delvPath && needTool(t, 'nsd');
  if (!delvPath || !nsdPath) return;
  const { dir, zones, keysDir, key: oldKey } = signedDiffZone(t, 'pulsedns-sec-roll-');
  const nsdPort = await freePort('127.0.0.1');
  const s = await startPulse(zones, ['--keys', keysDir, '--allow-transfer', '127.0.0.1', '--notify', `127.0.0.1:${nsdPort}`]);
  t.after(() => s.stop());
  const primary = { host: '127.0.0.1', port: s.port };
  const nsd = await startNsdSecondary([{ origin: 'diff.test', request: 'IXFR' }], { primary, port: nsdPort, nsdPath });
  t.after(() => nsd.stop());
  const secondary = { host: nsd.host, port: nsd.port };

  const period = resignPeriod(new ValidityWindow());
  const expected = servedSerial(FILE_SERIAL, serialStep([oldKey], period, Math.floor(Date.now() / 1000), periodOffset(oldKey.zone, period)).step);
  const first = await apex(primary);
  assert.ok(first.serial > FILE_SERIAL, `the signed zone's served serial (${first.serial}) is ahead of the file's`);
  assert.equal(first.serial, expected, 'the serial the key files and the clock give');
  assert.deepEqual(await apex(secondary), first, 'the secondary holds what the primary serves');

  const { next: newKey, start } = rollDiff(keysDir, oldKey, ROLL);

  /** Waits (bounded) until the secondary serves what the primary serves and `want` holds. */
  const follows = async (what: string, want: Omit<Apex, 'serial'>, by: number): Promise<Apex> => {
    let p = await apex(primary);
    let q = await apex(secondary);
    while (!(JSON.stringify(p) === JSON.stringify(q) && JSON.stringify({ dnskey: p.dnskey, cds: p.cds }) === JSON.stringify(want)) && Date.now() / 1000 < by) {
      await sleep(200);
      [p, q] = [await apex(primary), await apex(secondary)];
    }
    assert.deepEqual({ dnskey: p.dnskey, cds: p.cds }, want, `${what}: the primary`);
    assert.deepEqual(q, p, `${what}: the secondary caught up (NSD log:\n${nsd.log().split('\n').slice(-15).join('\n')})`);
    return q;
  };
  const published = await follows('new key published', { dnskey: sorted([oldKey.tag, newKey.tag]), cds: [oldKey.tag] }, start + 3);
  assert.ok(published.serial > first.serial, 'publishing the new key stepped the serial');
  const removed = await follows('old key removed', { dnskey: [newKey.tag], cds: [newKey.tag] }, start + 13);
  assert.ok(removed.serial > published.serial);

  mkdirSync(join(dir, 'anchor'));
  const anchorFile = writeAnchorFile(join(dir, 'anchor'), 'diff.test', newKey.dnskey);
  const [pos, neg] = await delvAll({ delvPath, host: nsd.host, port: nsd.port, zone: 'diff.test', anchorFile }, [
    ['www.diff.test', 'A'],
    ['nothing.diff.test', 'A'],
  ]);
  assert.ok(pos!.fullyValidated, `the secondary's answer, new key as anchor:\n${pos!.output}`);
  assert.ok(neg!.negativeValidated, `the secondary's denial, new key as anchor:\n${neg!.output}`);
  assert.ok(s.output.some((l) => l.includes('sending NOTIFY') && l.includes(String(removed.serial))), 'the last step was announced');
});
