// Compact Denial of Existence (RFC 9824) as the library builds it, checked by
// BIND's validator before the engine serves it: a tiny responder on loopback
// answers delv from a few signed RRsets, with compactNxdomain/compactNodata
// for everything else, all signed by ZoneSigner. delv must call the positive
// answer "fully validated" and the compact NXDOMAIN and NODATA answers
// "negative response, fully validated".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EdnsFlag, Rcode, Type } from '../../server/wire/constants.js';
import { type Name, nameFromText } from '../../server/wire/names.js';
import { createKey, loadZoneKeys } from '../../server/dnssec/keys.js';
import { ZoneSigner } from '../../server/dnssec/signer.js';
import { compactNodata, compactNxdomain } from '../../server/dnssec/denial.js';
import { rdataFromTokens } from '../../server/zones/rdata.js';
import { needTool } from '../support/tools.js';
import { delvAll, writeAnchorFile } from '../support/delv.js';

interface RRsetData {
  owner: Name;
  type: number;
  ttl: number;
  rdata: Buffer[];
}

function rr(owner: Name, type: number, ttl: number, rdata: Buffer): Buffer {
  const head = Buffer.alloc(10);
  head.writeUInt16BE(type, 0);
  head.writeUInt16BE(1, 2);
  head.writeUInt32BE(ttl, 4);
  head.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([Buffer.from(owner, 'latin1'), head, rdata]);
}

/** Answers one query the way the signing engine will (no compression, whole signed RRsets). */
function respond(q: Buffer, origin: Name, data: Map<Name, Map<number, RRsetData>>, signer: ZoneSigner): Buffer | undefined {
  let pos = 12;
  while (pos < q.length && q[pos] !== 0) pos += q[pos]! + 1;
  if (pos + 5 > q.length) return undefined;
  const qname = q.toString('latin1', 12, pos + 1).toLowerCase();
  const qtype = q.readUInt16BE(pos + 1);
  const questionEnd = pos + 5;
  const optFlags = q.readUInt16BE(4) && q.length >= questionEnd + 11 ? q.readUInt16BE(questionEnd + 7) : 0;
  const signed = (s: RRsetData): Buffer[] => [
    ...s.rdata.map((r) => rr(s.owner, s.type, s.ttl, r)),
    ...signer.sign(s.owner, s.type, s.ttl, s.rdata).map((r) => rr(s.owner, Type.RRSIG, s.ttl, r)),
  ];
  const answer: Buffer[] = [];
  const authority: Buffer[] = [];
  let rcode: number = Rcode.NOERROR;
  const node = data.get(qname);
  const soa = data.get(origin)!.get(Type.SOA)!;
  const hit = node?.get(qtype);
  if (hit) answer.push(...signed(hit));
  else {
    // `lies.` is the negative control: its NSEC claims the very type asked for, which no validator may accept as a denial.
    const lies = qname.startsWith('\x04lies');
    const nsec = lies ? compactNodata(qname, [qtype]) : node ? compactNodata(qname, node.keys()) : compactNxdomain(qname);
    authority.push(...signed(soa), ...signed({ owner: nsec.owner, type: Type.NSEC, ttl: 300, rdata: [nsec.rdata] }));
    // RFC 9824 section 5: only a client that sets CO gets the NXDOMAIN rcode back.
    if (!node && optFlags & EdnsFlag.CO) rcode = Rcode.NXDOMAIN;
  }
  const header = Buffer.alloc(12);
  q.copy(header, 0, 0, 2);
  header.writeUInt16BE(0x8000 | 0x0400 | (q.readUInt16BE(2) & 0x0110) | rcode, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answer.length, 6);
  header.writeUInt16BE(authority.length, 8);
  header.writeUInt16BE(1, 10);
  const opt = Buffer.from([0, 0, 41, 0x10, 0, 0, 0, (optFlags & EdnsFlag.DO) >> 8, 0, 0, 0]);
  return Buffer.concat([header, q.subarray(12, questionEnd), ...answer, ...authority, opt]);
}

test('compact denial answers built by the library validate in delv as negative responses', async (t) => {
  const delvPath = needTool(t, 'delv', 'bind9-dnsutils');
  if (!delvPath) return;
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-dnssec-compact-'));
  const origin = nameFromText('example.com');
  const key = createKey(join(dir, 'keys'), origin, 13);
  const signer = new ZoneSigner(origin, loadZoneKeys(join(dir, 'keys'), origin).keys);
  const data = new Map<Name, Map<number, RRsetData>>();
  const put = (owner: string, type: number, ttl: number, values: string[][]): void => {
    const n = nameFromText(owner, origin);
    if (!data.has(n)) data.set(n, new Map());
    data.get(n)!.set(type, { owner: n, type, ttl, rdata: values.map((v) => rdataFromTokens(type, v, origin).wire) });
  };
  put('@', Type.SOA, 3600, [['ns1', 'hostmaster', '1', '7200', '3600', '1209600', '300']]);
  put('@', Type.NS, 3600, [['ns1']]);
  put('ns1', Type.A, 3600, [['192.0.2.1']]);
  put('www', Type.A, 300, [['192.0.2.10'], ['192.0.2.11']]);
  put('deep.ent', Type.TXT, 300, [['x']]);
  data.set(nameFromText('ent', origin), new Map()); // an empty non-terminal
  for (const s of signer.apexRRsets()) data.get(origin)!.set(s.type, { owner: origin, type: s.type, ttl: 3600, rdata: s.rdata });

  const sock = createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    const out = respond(msg, origin, data, signer);
    if (out) sock.send(out, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  try {
    const target = { delvPath, host: '127.0.0.1', port: sock.address().port, zone: 'example.com', anchorFile: writeAnchorFile(dir, 'example.com', key.dnskey) };
    const qs = [
      ['www.example.com', 'A'],
      ['nope.example.com', 'A'],
      ['a.b.nope.example.com', 'AAAA'],
      ['www.example.com', 'MX'],
      ['ent.example.com', 'TXT'],
    ] as const;
    const [pos, ...neg] = await delvAll(target, qs);
    assert.ok(pos!.fullyValidated, `www A:\n${pos!.output}`);
    neg.forEach((r, i) => assert.ok(r.negativeValidated, `${qs[i + 1]!.join(' ')}:\n${r.output}`));
    const [bogus] = await delvAll(target, [['lies.example.com', 'A']]);
    assert.ok(!bogus!.negativeValidated && !bogus!.fullyValidated, `an NSEC that lists the asked type must not validate:\n${bogus!.output}`);
    assert.match(neg[0]!.output, /NSEC\s+\\000\.nope\.example\.com\.\s+RRSIG NSEC (NXNAME|TYPE128)/, 'the compact NSEC is what delv saw');
  } finally {
    sock.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
