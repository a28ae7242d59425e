// alpn ids holding a comma, a backslash, a double quote or a space: every way
// a zone can spell them must give the ids themselves as bytes, and so must
// the master file `pulsedns export` writes, read by pulsedns, NSD and Knot
// (the servers that file seeds). Expected bytes are built here from the ids,
// never by the parser under test; the servers' answers are the oracle.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseZoneYaml } from '../../../server/zones/parse.js';
import { fastParseZoneYaml } from '../../../server/zones/fastparse.js';
import { exportZone } from '../../../server/zones/export.js';
import { importMasterFile } from '../../../server/zones/import.js';
import { rdataFromTokens, splitPresentation } from '../../../server/zones/rdata.js';
import type { ZoneSource } from '../../../server/zones/model.js';
import { Type } from '../../../server/wire/constants.js';
import { nameFromText, nameToText } from '../../../server/wire/names.js';
import { needTool } from '../../support/tools.js';
import { startNsd } from '../../support/nsd.js';
import { startKnot, writeKnotConf } from '../../support/knot.js';
import { freePort } from '../../support/ports.js';
import { query, type Target } from '../../support/client.js';
import { rawRdata } from '../../support/dnsmsg.js';

const ORIGIN = 'alpn.test';

/** HTTPS `1 . alpn=<ids>` on the wire: priority 1, root target, key 1 with length-prefixed ids. */
function alpnWire(ids: string[]): string {
  const value = Buffer.concat(ids.map((id) => Buffer.concat([Buffer.from([Buffer.byteLength(id)]), Buffer.from(id)])));
  const head = Buffer.alloc(7);
  head.writeUInt16BE(1, 0);
  head.writeUInt16BE(1, 3);
  head.writeUInt16BE(value.length, 5);
  return Buffer.concat([head, value]).toString('hex');
}

const HEAD = `records:
  '@':
    - { type: SOA, value: { mname: ns1, rname: hostmaster, serial: 1 } }
    - { type: NS, value: ns1 }
  ns1: { type: A, value: 192.0.2.53 }
`;

function parsed(yaml: string): ZoneSource {
  const r = parseZoneYaml(yaml, `${ORIGIN}.yaml`, ORIGIN);
  assert.deepEqual(r.errors, [], yaml);
  return r.zone!;
}

function httpsAt(zone: ZoneSource, owner: string): string {
  const r = zone.records.find((x) => x.type === Type.HTTPS && nameToText(x.owner) === `${owner}.${ORIGIN}.`);
  assert.ok(r, `no HTTPS at ${owner}`);
  return r.rdata.wire.toString('hex');
}

test('alpn ids with a comma, a backslash, a quote and a space: each YAML form gives the ids as bytes', () => {
  const ids = ['a,b', 'c\\d', 'e"f', 'g h'];
  // The presentation spellings are RFC 9460 appendix A.1: list escapes first, then character-string escapes.
  const yaml = `${HEAD}  list: { type: HTTPS, value: { priority: 1, target: '.', params: { alpn: ['a,b', 'c\\d', 'e"f', 'g h'] } } }
  scalar: { type: HTTPS, value: { priority: 1, target: '.', params: { alpn: 'a\\\\,b,c\\\\\\\\d,e\\"f,g h' } } }
  string: { type: HTTPS, value: { priority: 1, target: '.', params: 'alpn="a\\\\,b,c\\\\\\\\d,e\\"f,g h"' } }
  text: { type: HTTPS, value: '1 . alpn="a\\\\,b,c\\\\\\\\d,e\\"f,g h"' }
  decimal: { type: HTTPS, value: '1 . alpn=a\\092\\044b,c\\092\\092d,e\\034f,g\\032h' }
`;
  const zone = parsed(yaml);
  for (const owner of ['list', 'scalar', 'string', 'text', 'decimal']) assert.equal(httpsAt(zone, owner), alpnWire(ids), owner);
  const fast = fastParseZoneYaml(yaml, `${ORIGIN}.yaml`, ORIGIN);
  assert.ok(fast?.zone, 'single-quoted YAML stays on the fast path');
  assert.deepEqual(fast.zone.records.map((r) => r.rdata.wire), zone.records.map((r) => r.rdata.wire), 'fast and full parser agree');
});

test('a list in params is literal only for a key whose value is a list', () => {
  const err = (params: string): string => {
    const r = parseZoneYaml(`${HEAD}  x: { type: HTTPS, value: { priority: 1, target: '.', params: ${params} } }\n`, `${ORIGIN}.yaml`, ORIGIN);
    return r.errors.map((e) => e.message).join('\n');
  };
  // The list escapes of `c\d` would otherwise stay in key65000's bytes as a second backslash.
  assert.match(err("{ alpn: [h2], key65000: ['c\\d'] }"), /key65000 takes one value, not a list/);
  assert.match(err('{ alpn: [h2], port: [443] }'), /port takes one value, not a list/);
  const zone = parsed(`${HEAD}  x: { type: HTTPS, value: { priority: 1, target: '.', params: { mandatory: [alpn], alpn: [h2], key65000: 'c\\\\d' } } }\n`);
  assert.match(httpsAt(zone, 'x'), /fde80003635c64$/, 'key65000 as a presentation value: c\\\\d is the three bytes c \\ d');
});

test('a value-list may not end in a backslash that escapes nothing', () => {
  const origin = nameFromText(`${ORIGIN}.`);
  const wire = (text: string): string => rdataFromTokens(Type.HTTPS, splitPresentation(text), origin).wire.toString('hex');
  // NSD drops such a backslash and Knot keeps it; there is no one meaning to give it.
  assert.throws(() => wire('1 . alpn="ab\\\\"'), /alpn ends in a "\\" that escapes nothing/);
  assert.throws(() => wire('1 . alpn="h2,ab\\\\"'), /escapes nothing/);
  assert.equal(wire('1 . alpn="ab\\\\\\\\"'), alpnWire(['ab\\']));
  assert.equal(wire('1 . alpn="e\\\\\\"f"'), alpnWire(['e"f']), 'a list escape before another byte is that byte (NSD writes \\\\\\" for a quote)');
});

/** One record per case, each id beside another so its list position matters. */
const CASES: Array<[owner: string, ids: string[]]> = [
  ['comma', ['a,b', 'h2']],
  ['backslash', ['c\\d', 'h2']],
  ['lead-backslash', ['\\x', 'h2']],
  ['tail-backslash', ['y\\', 'h2']],
  ['backslash-comma', ['p\\,q', 'h2']],
  ['lead-comma', [',z', 'h2']],
  ['quote-space', ['e"f', 'g h']],
  ['plain', ['h2', 'h3']],
];

function casesZone(): ZoneSource {
  const quoted = (id: string): string => `'${id.replace(/'/g, "''")}'`;
  const lines = CASES.map(([owner, ids]) => `  ${owner}: { type: HTTPS, value: { priority: 1, target: '.', params: { alpn: [${ids.map(quoted).join(', ')}] } } }\n`);
  const zone = parsed(HEAD + lines.join(''));
  for (const [owner, ids] of CASES) assert.equal(httpsAt(zone, owner), alpnWire(ids), owner);
  return zone;
}

test('export writes alpn ids holding a comma or a backslash in RFC 3597 form, and import reads them back', () => {
  const zone = casesZone();
  const master = exportZone(zone);
  const line = (owner: string): string => master.split('\n').find((l) => l.startsWith(`${owner}.${ORIGIN}.`))!;
  for (const [owner, ids] of CASES) {
    if (ids.some((id) => /[,\\]/.test(id))) {
      const hex = alpnWire(ids);
      assert.ok(line(owner).includes(` IN TYPE65 \\# ${hex.length / 2} ${hex} ; HTTPS 1 . alpn=`), line(owner));
    }
  }
  assert.match(line('quote-space'), / IN HTTPS +1 \. alpn="e\\"f,g h"$/, 'no list escapes needed: presentation form');
  assert.match(line('plain'), / IN HTTPS +1 \. alpn="h2,h3"$/);
  const back = importMasterFile(master, { file: 'exported' });
  assert.deepEqual(back.errors, []);
  const again = parsed(back.yaml);
  for (const [owner, ids] of CASES) assert.equal(httpsAt(again, owner), alpnWire(ids), `${owner} after export and import`);
});

async function assertServed(t: TestContext, server: Target, who: string): Promise<void> {
  const wrong: string[] = [];
  for (const [owner, ids] of CASES) {
    const m = await query(server, `${owner}.${ORIGIN}`, 'HTTPS');
    const got = m.answer.filter((rr) => rr.type === Type.HTTPS).map((rr) => rawRdata(rr).toString('hex'));
    if (got.length !== 1 || got[0] !== alpnWire(ids)) wrong.push(`${owner}: want ${alpnWire(ids)}, ${who} serves ${got.join(' ') || 'nothing'}`);
  }
  assert.deepEqual(wrong, [], `${who} read the exported file as other bytes (${t.name})`);
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-alpn-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('NSD serves the alpn ids of the exported file as the same bytes', async (t) => {
  if (!needTool(t, 'nsd')) return;
  const nsd = await startNsd({ [ORIGIN]: exportZone(casesZone()) });
  t.after(() => nsd.stop());
  await assertServed(t, { host: nsd.host, port: nsd.port }, 'NSD');
});

test('Knot serves the alpn ids of the exported file as the same bytes', async (t) => {
  const knotd = needTool(t, 'knotd', 'knot');
  if (!knotd) return;
  const dir = tempDir(t);
  const zoneFile = join(dir, `${ORIGIN}.zone`);
  writeFileSync(zoneFile, exportZone(casesZone()));
  const port = await freePort();
  writeKnotConf({ dir: join(dir, 'knot'), port, origin: ORIGIN, zoneFile });
  const knot = await startKnot(knotd, join(dir, 'knot'), port, ORIGIN);
  t.after(() => knot.stop());
  await assertServed(t, { host: '127.0.0.1', port }, 'Knot');
});
