// What the live rollover tests share: the differential zone served signed
// with a fresh key, `pulsedns keys roll` run as a user runs it, and the apex
// sets (SOA serial, DNSKEY and CDS key tags) a server answers with.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { createKey, loadZoneKeys, type ZoneKey } from '../../server/dnssec/keys.js';
import { keyTag } from '../../server/dnssec/dnskey.js';
import { Type } from '../../server/wire/constants.js';
import { nameFromText } from '../../server/wire/names.js';
import { CLI } from './server.js';
import { query, type Target } from './client.js';
import { rawRdata } from './dnsmsg.js';

const FIXTURES = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'diff');
export const DIFF_ORIGIN = nameFromText('diff.test.');

export interface SignedDiffZone {
  dir: string;
  zones: string;
  keysDir: string;
  /** The zone's one key, signing from now. */
  key: ZoneKey;
}

/** diff.test with `dnssec: true` in a temp zones directory (removed after the test) and its key. */
export function signedDiffZone(t: { after(fn: () => void): void }, prefix: string): SignedDiffZone {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const zones = join(dir, 'zones');
  const keysDir = join(dir, 'keys');
  mkdirSync(zones);
  writeFileSync(join(zones, 'diff.test.yaml'), `dnssec: true\n${readFileSync(join(FIXTURES, 'diff.test.yaml'), 'utf8')}`);
  return { dir, zones, keysDir, key: createKey(keysDir, DIFF_ORIGIN, 13) };
}

/** `pulsedns keys roll diff.test` with `timings` flags; the new key and its publish time. */
export function rollDiff(keysDir: string, old: ZoneKey, timings: string[]): { next: ZoneKey; start: number; old: ZoneKey } {
  const roll = spawnSync(process.execPath, [CLI, 'keys', 'roll', 'diff.test', '--keys', keysDir, ...timings], { encoding: 'utf8' });
  assert.equal(roll.status, 0, roll.stderr);
  const keys = loadZoneKeys(keysDir, DIFF_ORIGIN).keys;
  const next = keys.find((k) => k.tag !== old.tag)!;
  return { next, start: next.timing.publish!, old: keys.find((k) => k.tag === old.tag)! };
}

export interface Apex {
  serial: number;
  /** Key tags of the DNSKEY set and of the keys CDS names, sorted. */
  dnskey: number[];
  cds: number[];
}

export const sortedTags = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);

/** diff.test's SOA serial, DNSKEY and CDS as `server` answers them now. */
export async function diffApex(server: Target): Promise<Apex> {
  const [soa, dk, cds] = await Promise.all([Type.SOA, Type.DNSKEY, Type.CDS].map((ty) => query(server, 'diff.test', ty, { edns: {} })));
  return {
    serial: Number(soa!.answer.find((r) => r.type === Type.SOA)?.data.split(/\s+/)[2]),
    dnskey: sortedTags(dk!.answer.filter((r) => r.type === Type.DNSKEY).map((r) => keyTag(rawRdata(r)))),
    cds: sortedTags(cds!.answer.filter((r) => r.type === Type.CDS).map((r) => rawRdata(r).readUInt16BE(0))),
  };
}
