// A signed zone served with an advanced SOA serial (engine/served-serial.ts):
// SOA answers, negative answers, the transfer order and the signed transfer
// body all carry the one served serial, and the SOA's signature covers it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Catalog } from '../../../server/engine/catalog.js';
import { soaRdataWithSerial, withServedSerial } from '../../../server/engine/served-serial.js';
import { createKey } from '../../../server/dnssec/keys.js';
import { ZoneSigner } from '../../../server/dnssec/signer.js';
import { verifyRRset } from '../../../server/dnssec/sign.js';
import { Type } from '../../../server/wire/constants.js';
import { nameFromText } from '../../../server/wire/names.js';
import { transferOrder } from '../../../server/xfr/axfr.js';
import { signedTransferBody } from '../../../server/xfr/signed.js';
import type { Rdata } from '../../../server/zones/rdata.js';
import { zonesFrom } from '../../support/catalog.js';
import { ask } from '../../support/engine.js';
import { buildQuery, parseMessage, rawRdata } from '../../support/dnsmsg.js';

const FIXTURE = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..', 'test', 'fixtures', 'diff', 'diff.test.yaml');
const ORIGIN = nameFromText('diff.test.');
const BASE = 2024060101;
const SERVED = BASE + 757;

function setup(t: { after(fn: () => void): void }): { catalog: Catalog; signer: ZoneSigner } {
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-served-serial-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const [zone] = zonesFrom({ 'diff.test': `dnssec: true\n${readFileSync(FIXTURE, 'utf8')}` });
  assert.equal(zone!.serial, BASE);
  const signer = new ZoneSigner(ORIGIN, [createKey(dir, ORIGIN, 13)]);
  return { catalog: new Catalog([withServedSerial(zone!, SERVED)], undefined, new Map([[ORIGIN, signer]])), signer };
}

const serialOf = (data: string): number => Number(data.split(/\s+/)[2]);

test('SOA rdata: the serial rewritten in the wire form, the tail part and the text, nothing else', () => {
  const [zone] = zonesFrom({ 'diff.test': readFileSync(FIXTURE, 'utf8') });
  const rd = zone!.soa.rdata[0]!;
  const out = soaRdataWithSerial(rd, 7);
  assert.equal(out.wire.readUInt32BE(out.wire.length - 20), 7);
  assert.deepEqual(out.wire.subarray(0, -20), rd.wire.subarray(0, -20));
  assert.deepEqual(out.wire.subarray(-16), rd.wire.subarray(-16));
  assert.equal(out.parts.length, rd.parts.length, 'names stay compressible parts');
  assert.match(out.text!, /^\S+ \S+ 7 7200 3600 1209600 300$/);
  assert.equal(rd.wire.readUInt32BE(rd.wire.length - 20), BASE, 'the compiled zone is untouched');
});

test('online answers: SOA and negative answers carry the served serial, and the SOA signature covers it', (t) => {
  const { catalog, signer } = setup(t);
  const soa = parseMessage(ask(catalog, buildQuery('diff.test', 'SOA', { edns: { dnssecOk: true } }), 'udp')!);
  const soaRR = soa.answer.find((r) => r.type === Type.SOA)!;
  assert.equal(serialOf(soaRR.data), SERVED);
  const sig = soa.answer.find((r) => r.type === Type.RRSIG)!;
  const zone = catalog.zones.get(ORIGIN)!;
  const v = verifyRRset(signer.dnskeys[0]!, ORIGIN, Type.SOA, zone.soa.rdata.map((r) => r.wire), rawRdata(sig), Math.floor(Date.now() / 1000));
  assert.ok(v.valid, 'the RRSIG is over the SOA with the served serial');
  const neg = parseMessage(ask(catalog, buildQuery('nothing.diff.test', 'A', { edns: { dnssecOk: true } }), 'udp')!);
  assert.equal(serialOf(neg.authority.find((r) => r.type === Type.SOA)!.data), SERVED);
  // Other names answer as before.
  const www = parseMessage(ask(catalog, buildQuery('www.diff.test', 'A'), 'udp')!);
  assert.ok(www.answer.length > 0);
});

test('transfers: the SOA both ends send is the served one, and the signed body signs that SOA', (t) => {
  const { catalog } = setup(t);
  const zone = catalog.zones.get(ORIGIN)!;
  assert.equal(zone.serial, SERVED);
  assert.equal(zone.nodes.get(ORIGIN)!.rrsets.get(Type.SOA), zone.soa, 'the apex SOA is the zone SOA object (transfers send it at both ends)');
  assert.ok(![...transferOrder(zone)].some((s) => s.type === Type.SOA), 'the body holds no second SOA');
  const body = [...signedTransferBody(catalog.signed.get(ORIGIN)!, transferOrder(zone))];
  const soaSig = body.find((s) => s.type === Type.RRSIG && s.owner === ORIGIN && s.rdata[0]!.wire.readUInt16BE(0) === Type.SOA)!;
  const signed = catalog.signed.get(ORIGIN)!;
  const ok = verifyRRset(signed.signer.dnskeys[0]!, ORIGIN, Type.SOA, zone.soa.rdata.map((r) => r.wire), soaSig.rdata[0]!.wire, Math.floor(Date.now() / 1000));
  assert.ok(ok.valid);
  assert.match((zone.soa.rdata[0] as Rdata).text, new RegExp(` ${SERVED} `));
});

