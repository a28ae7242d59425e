// TSIG (RFC 8945) on zone transfers and NOTIFY. The signing and checking in
// this file is written from the RFC with node:crypto, independently of
// server/xfr/tsig.ts, so the two check each other; a fixed vector computed
// outside Node pins the byte layout. The end-to-end part runs a real NSD as a
// keyed secondary of a real pulsedns process.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createHmac } from 'node:crypto';
import { appendFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPulse, type Spawned } from '../../support/server.js';
import { query, udpExchange, type Target } from '../../support/client.js';
import { buildQuery, encodeName, parseMessage, type Message } from '../../support/dnsmsg.js';
import { freePort } from '../../support/ports.js';
import { needTool } from '../../support/tools.js';
import { startNsdTsigSecondary } from '../../support/nsd-tsig.js';
import type { NsdServer } from '../../support/nsd.js';
import { parseTsigKey, TsigSigner, verifyRequest, findTsig, TsigError } from '../../../server/xfr/tsig.js';

const REPO = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..');
const SECRET = 'c2VjcmV0LWtleS1mb3ItcHVsc2VkbnMtdGVzdHM='; // "secret-key-for-pulsedns-tests"
const WRONG_SECRET = 'd3Jvbmctc2VjcmV0LW9uLXRoZS1zZWNvbmRhcnk='; // "wrong-secret-on-the-secondary"
const TYPE_TSIG = 250;
const NOTAUTH = 9;

const dirs: string[] = [];
const servers: Spawned[] = [];
const nsds: NsdServer[] = [];
after(async () => {
  await Promise.all([...servers.map((s) => s.stop()), ...nsds.map((n) => n.stop())]);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------
// Independent TSIG, straight from RFC 8945 sections 4.2 and 4.3

interface TestKey {
  name: string;
  alg: 'hmac-sha256' | 'hmac-sha512';
  secret: string;
}

const KEY: TestKey = { name: 'xfr-key', alg: 'hmac-sha256', secret: SECRET };

function be(n: number, bytes: 2 | 4 | 6): Buffer {
  const b = Buffer.alloc(bytes);
  if (bytes === 2) b.writeUInt16BE(n);
  else if (bytes === 4) b.writeUInt32BE(n);
  else b.writeUIntBE(n, 0, 6);
  return b;
}

function mac(key: TestKey, data: Buffer): Buffer {
  return createHmac(key.alg === 'hmac-sha256' ? 'sha256' : 'sha512', Buffer.from(key.secret, 'base64')).update(data).digest();
}

/** Section 4.3.3: name, class ANY, TTL 0, algorithm, time, fudge, error, other. */
function variables(key: TestKey, time: number, fudge: number, error = 0, other: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([encodeName(key.name.toLowerCase()), be(255, 2), be(0, 4), encodeName(key.alg), be(time, 6), be(fudge, 2), be(error, 2), be(other.length, 2), other]);
}

function tsigRR(key: TestKey, time: number, fudge: number, m: Buffer, id: number, error = 0, other: Buffer = Buffer.alloc(0)): Buffer {
  const rdata = Buffer.concat([encodeName(key.alg), be(time, 6), be(fudge, 2), be(m.length, 2), m, be(id, 2), be(error, 2), be(other.length, 2), other]);
  return Buffer.concat([encodeName(key.name), be(TYPE_TSIG, 2), be(255, 2), be(0, 4), be(rdata.length, 2), rdata]);
}

function addRR(msg: Buffer, rr: Buffer): Buffer {
  const out = Buffer.concat([msg, rr]);
  out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
  return out;
}

/** A request signed as a secondary would sign it. */
function signRequest(msg: Buffer, key: TestKey, time = Math.floor(Date.now() / 1000), fudge = 300): { msg: Buffer; mac: Buffer } {
  const m = mac(key, Buffer.concat([msg, variables(key, time, fudge)]));
  return { msg: addRR(msg, tsigRR(key, time, fudge, m, msg.readUInt16BE(0))), mac: m };
}

function skipName(b: Buffer, p: number): number {
  for (;;) {
    const l = b[p]!;
    if (l === 0) return p + 1;
    if ((l & 0xc0) === 0xc0) return p + 2;
    p += l + 1;
  }
}

function readPlainName(b: Buffer, p: number): { text: string; end: number } {
  const labels: string[] = [];
  while (b[p]! !== 0) {
    labels.push(b.toString('latin1', p + 1, p + 1 + b[p]!));
    p += b[p]! + 1;
  }
  return { text: labels.join('.').toLowerCase(), end: p + 1 };
}

interface Split {
  /** The message as it was before signing: TSIG removed, ARCOUNT back, original ID. */
  body: Buffer;
  keyName: string;
  alg: string;
  time: number;
  fudge: number;
  mac: Buffer;
  error: number;
  other: Buffer;
}

/** Cuts the TSIG (which must be the last record) off a message. */
function splitTsig(msg: Buffer): Split | null {
  const qd = msg.readUInt16BE(4);
  const total = msg.readUInt16BE(6) + msg.readUInt16BE(8) + msg.readUInt16BE(10);
  let p = 12;
  for (let i = 0; i < qd; i++) p = skipName(msg, p) + 4;
  for (let i = 0; i < total; i++) {
    const start = p;
    const nameEnd = skipName(msg, p);
    const type = msg.readUInt16BE(nameEnd);
    const rdlen = msg.readUInt16BE(nameEnd + 8);
    p = nameEnd + 10 + rdlen;
    if (type !== TYPE_TSIG) continue;
    assert.equal(i, total - 1, 'TSIG must be the last record');
    assert.equal(p, msg.length);
    const owner = readPlainName(msg, start);
    const alg = readPlainName(msg, nameEnd + 10);
    let q = alg.end;
    const time = msg.readUIntBE(q, 6);
    const fudge = msg.readUInt16BE(q + 6);
    const macLen = msg.readUInt16BE(q + 8);
    q += 10;
    const m = msg.subarray(q, q + macLen);
    q += macLen;
    const origId = msg.readUInt16BE(q);
    const error = msg.readUInt16BE(q + 2);
    const other = msg.subarray(q + 6, q + 6 + msg.readUInt16BE(q + 4));
    const body = Buffer.from(msg.subarray(0, start));
    body.writeUInt16BE(origId, 0);
    body.writeUInt16BE(body.readUInt16BE(10) - 1, 10);
    return { body, keyName: owner.text, alg: alg.text, time, fudge, mac: Buffer.from(m), error, other: Buffer.from(other) };
  }
  return null;
}

/**
 * Checks every message of a response stream: the first over the request MAC
 * and all variables, each later one over the previous MAC and the timers
 * (RFC 8945 section 5.3.1, every message signed).
 */
function verifyStream(frames: Buffer[], key: TestKey, requestMac: Buffer): void {
  let prior = requestMac;
  frames.forEach((f, i) => {
    const s = splitTsig(f);
    assert.ok(s, `message ${i} of ${frames.length} carries no TSIG`);
    assert.equal(s.keyName, key.name);
    assert.equal(s.alg, key.alg);
    assert.ok(Math.abs(s.time - Date.now() / 1000) < 60, 'time signed is our clock');
    const tail = i === 0 ? variables(key, s.time, s.fudge, s.error, s.other) : Buffer.concat([be(s.time, 6), be(s.fudge, 2)]);
    const expected = mac(key, Buffer.concat([be(prior.length, 2), prior, s.body, tail]));
    assert.equal(s.mac.toString('hex'), expected.toString('hex'), `message ${i}: MAC does not verify`);
    prior = s.mac;
  });
}

// ---------------------------------------------------------------------------
// Unit tests of server/xfr/tsig.ts against the above

/** id 0x1234, AXFR example.com IN: the message of the fixed vectors. */
function vectorQuery(): Buffer {
  return buildQuery('example.com', 'AXFR', { id: 0x1234 });
}
const T0 = 1_700_000_000;

test('MAC computation matches fixed vectors (computed with Python hmac) and the independent code', () => {
  // python3: hmac.new(secret, query + variables, sha256/sha512) with the layout of RFC 8945 section 4.3.3.
  const VECTOR_SHA256 = '01166703b38ed3631eef0ef897cfceabe55f7e8e8a80163b9ba8f36d5fc59f17';
  const VECTOR_SHA512 = 'befa2e4c3cbbfa8fd9d44df8d78a1f24ed65359db064c1382c836337d666d2fd27c1cd2219542482567a0f54dd5a9ba129420d19a9a891229af5b8493fa3e6e9';
  const q = vectorQuery();
  assert.equal(mac(KEY, Buffer.concat([q, variables(KEY, T0, 300)])).toString('hex'), VECTOR_SHA256);
  for (const [alg, vector] of [['hmac-sha256', VECTOR_SHA256], ['hmac-sha512', VECTOR_SHA512]] as const) {
    const key = parseTsigKey(`xfr-key:${alg}:${SECRET}`);
    const signed = new TsigSigner(key, null, () => T0).sign(q);
    const s = splitTsig(signed);
    assert.ok(s);
    assert.equal(s.mac.toString('hex'), vector, alg);
    // Byte for byte what the independent code lays down.
    assert.deepEqual(signed, addRR(q, tsigRR({ ...KEY, alg }, T0, 300, Buffer.from(vector, 'hex'), 0x1234)));
    assert.deepEqual(s.body, q);
  }
});

test('signed response streams chain as RFC 8945 section 5.3.1 says', () => {
  const key = parseTsigKey(`xfr-key:hmac-sha256:${SECRET}`);
  const request = signRequest(vectorQuery(), KEY);
  const signer = new TsigSigner(key, request.mac);
  const bodies = [1, 2, 3].map((n) => {
    const m = Buffer.from(vectorQuery());
    m.writeUInt16BE(0x8400 | n, 2); // distinct messages, so a chain that skips one cannot pass
    return m;
  });
  verifyStream(bodies.map((b) => signer.sign(b)), KEY, request.mac);
});

test('request verification: good, unsigned, BADSIG, BADKEY, BADTIME, TSIG not last', () => {
  const keys = [parseTsigKey(`xfr-key:hmac-sha256:${SECRET}`), parseTsigKey(`other:hmac-sha512:${SECRET}`)];
  const now = Math.floor(Date.now() / 1000);
  const good = signRequest(vectorQuery(), KEY, now);
  const ok = verifyRequest(good.msg, keys, now);
  assert.equal(ok.kind, 'ok');
  if (ok.kind === 'ok') assert.equal(ok.key, keys[0]);
  // Key names compare case-insensitively, as DNS names do.
  assert.equal(verifyRequest(signRequest(vectorQuery(), { ...KEY, name: 'XFR-Key' }, now).msg, keys, now).kind, 'ok');
  assert.equal(verifyRequest(vectorQuery(), keys, now).kind, 'unsigned');

  const tampered = Buffer.from(good.msg);
  tampered.writeUInt16BE(0x0100, 2); // RD set after signing
  assert.deepEqual(pick(verifyRequest(tampered, keys, now)), { kind: 'bad', error: TsigError.BADSIG, signed: false });
  assert.deepEqual(pick(verifyRequest(signRequest(vectorQuery(), { ...KEY, secret: WRONG_SECRET }, now).msg, keys, now)), { kind: 'bad', error: TsigError.BADSIG, signed: false });
  assert.deepEqual(pick(verifyRequest(signRequest(vectorQuery(), { ...KEY, name: 'nobody' }, now).msg, keys, now)), { kind: 'bad', error: TsigError.BADKEY, signed: false });
  // Right name, wrong algorithm: a different key as far as RFC 8945 is concerned.
  assert.deepEqual(pick(verifyRequest(signRequest(vectorQuery(), { ...KEY, alg: 'hmac-sha512' }, now).msg, keys, now)), { kind: 'bad', error: TsigError.BADKEY, signed: false });
  assert.deepEqual(pick(verifyRequest(signRequest(vectorQuery(), KEY, now - 301).msg, keys, now)), { kind: 'bad', error: TsigError.BADTIME, signed: true });
  assert.equal(verifyRequest(signRequest(vectorQuery(), KEY, now - 299).msg, keys, now).kind, 'ok');

  // An OPT after the TSIG: the TSIG is no longer last.
  const opt = Buffer.from([0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0]);
  assert.equal(verifyRequest(addRR(good.msg, opt), keys, now).kind, 'formerr');
  assert.equal(findTsig(addRR(vectorQuery(), opt)).kind, 'none');
});

function pick(v: ReturnType<typeof verifyRequest>): { kind: string; error?: number; signed?: boolean } {
  return v.kind === 'bad' ? { kind: v.kind, error: v.error, signed: v.key !== undefined } : { kind: v.kind };
}

test('--tsig parsing: good keys, and errors that name the problem without the secret', () => {
  const k = parseTsigKey(`Xfr-Key.:HMAC-SHA512:${SECRET}`);
  assert.equal(k.algorithm, 'hmac-sha512');
  assert.equal(k.name, '\x07xfr-key\0');
  assert.equal(k.secret.toString(), 'secret-key-for-pulsedns-tests');
  assert.throws(() => parseTsigKey('xfr-key:hmac-md5:c2VjcmV0'), /hmac-md5.*not supported/);
  assert.throws(() => parseTsigKey('xfr-key:hmac-sha256:not base64!'), /not valid base64/);
  assert.throws(() => parseTsigKey('xfr-key'), /NAME:ALGORITHM:BASE64SECRET/);
  assert.throws(() => parseTsigKey('xfr-key:dG9wLXNlY3JldA=='), (e: Error) => !e.message.includes('dG9wLXNlY3JldA'));
});

// ---------------------------------------------------------------------------
// A pulsedns process with --transfer-key, asked by our own client

function zonesWithBig(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-tsig-'));
  dirs.push(dir);
  cpSync(join(REPO, 'zones'), dir, { recursive: true });
  const lines = ['records:', "  '@':", '    - { type: SOA, value: { mname: ns1.big.test., rname: h.big.test., serial: 7 } }', '    - { type: NS, value: ns1.big.test. }', '  ns1: { type: A, value: 192.0.2.1 }'];
  // Enough records for several 16 KiB messages, so the MAC chain is exercised.
  for (let i = 0; i < 3000; i++) lines.push(`  h${i}: { type: A, value: 10.0.${(i >> 8) & 255}.${i & 255} }`);
  writeFileSync(join(dir, 'big.test.yaml'), lines.join('\n') + '\n');
  return dir;
}

/** Sends one message over TCP and collects responses until a second SOA, an error rcode, or a lone error. */
function transfer(t: Target, msg: Buffer, timeoutMs = 5000): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(t.port, t.host);
    const frames: Buffer[] = [];
    let buf = Buffer.alloc(0);
    let soas = 0;
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`transfer not finished within ${timeoutMs} ms (${frames.length} messages)`));
    }, timeoutMs);
    const finish = (): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(frames);
    };
    sock.on('connect', () => sock.write(Buffer.concat([be(msg.length, 2), msg])));
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const f = Buffer.from(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + f.length);
        frames.push(f);
        const m = parseMessage(f);
        soas += m.answer.filter((r) => r.type === 6).length;
        if (m.rcode !== 0 || soas >= 2) return finish();
      }
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      reject(new Error(`closed after ${frames.length} messages`));
    });
  });
}

function tsigOf(m: Message): Message['additional'][number] | undefined {
  return m.additional.find((r) => r.type === TYPE_TSIG);
}

test('pulsedns with --transfer-key: signed transfers verify, everything else is refused', async (t) => {
  const dir = zonesWithBig();
  const pulse = await startPulse(dir, ['--allow-transfer', '127.0.0.1', '--tsig', `xfr-key:hmac-sha256:${SECRET}`, '--tsig', `spare:hmac-sha512:${WRONG_SECRET}`, '--transfer-key', 'xfr-key']);
  servers.push(pulse);

  await t.test('a signed AXFR of a multi-message zone: every message signed and chained', async () => {
    const req = signRequest(buildQuery('big.test', 'AXFR', { id: 777 }), KEY);
    const frames = await transfer(pulse, req.msg);
    const messages = frames.map(parseMessage);
    assert.ok(frames.length >= 3, `expected several messages, got ${frames.length}`);
    assert.ok(messages.every((m) => m.rcode === 0 && m.id === 777));
    verifyStream(frames, KEY, req.mac);
    const records = messages.flatMap((m) => m.answer);
    assert.equal(records.filter((r) => r.type === 1).length, 3001);
    assert.ok(frames.every((f) => f.length <= 65535));
    await pulse.waitForLog(/"key":"xfr-key\.".*"msg":"zone transferred"/);
  });

  await t.test('a signed AXFR with EDNS: TSIG after OPT, still verifies', async () => {
    const req = signRequest(buildQuery('example.com', 'AXFR', { id: 778, edns: {} }), KEY);
    const frames = await transfer(pulse, req.msg);
    verifyStream(frames, KEY, req.mac);
    assert.ok(parseMessage(frames[0]!).opt);
  });

  await t.test('unsigned AXFR: NOTAUTH, no zone data', async () => {
    const [f] = await transfer(pulse, buildQuery('example.com', 'AXFR', { id: 779 }));
    const m = parseMessage(f!);
    assert.equal(m.rcode, NOTAUTH);
    assert.equal(m.answer.length, 0);
    assert.equal(tsigOf(m), undefined);
  });

  await t.test('wrong secret: NOTAUTH with an unsigned BADSIG', async () => {
    const [f] = await transfer(pulse, signRequest(buildQuery('example.com', 'AXFR', { id: 780 }), { ...KEY, secret: WRONG_SECRET }).msg);
    const m = parseMessage(f!);
    assert.equal(m.rcode, NOTAUTH);
    assert.equal(m.answer.length, 0);
    const s = splitTsig(f!);
    assert.ok(s);
    assert.equal(s.error, TsigError.BADSIG);
    assert.equal(s.mac.length, 0);
  });

  await t.test('unknown key: BADKEY; a known key that is not --transfer-key: BADKEY too', async () => {
    for (const key of [{ ...KEY, name: 'nobody' }, { name: 'spare', alg: 'hmac-sha512', secret: WRONG_SECRET } as const]) {
      const [f] = await transfer(pulse, signRequest(buildQuery('example.com', 'AXFR'), key).msg);
      assert.equal(parseMessage(f!).rcode, NOTAUTH);
      assert.equal(splitTsig(f!)?.error, TsigError.BADKEY, key.name);
    }
  });

  await t.test('clock skew beyond the fudge: BADTIME, signed, our time in Other Data', async () => {
    const req = signRequest(buildQuery('example.com', 'AXFR', { id: 781 }), KEY, Math.floor(Date.now() / 1000) - 3600);
    const [f] = await transfer(pulse, req.msg);
    assert.equal(parseMessage(f!).rcode, NOTAUTH);
    const s = splitTsig(f!);
    assert.ok(s);
    assert.equal(s.error, TsigError.BADTIME);
    assert.ok(Math.abs(s.other.readUIntBE(0, 6) - Date.now() / 1000) < 60);
    const expected = mac(KEY, Buffer.concat([be(req.mac.length, 2), req.mac, s.body, variables(KEY, s.time, s.fudge, s.error, s.other)]));
    assert.equal(s.mac.toString('hex'), expected.toString('hex'));
  });

  await t.test('a signed IXFR from a current client: the lone SOA, signed', async () => {
    const q = buildQuery('big.test', 251, { id: 782 }); // IXFR
    // Authority SOA with serial 7 (RFC 1995 section 3): the zone's own serial.
    const soa = Buffer.concat([Buffer.from([0xc0, 0x0c]), be(6, 2), be(1, 2), be(0, 4), be(22, 2), Buffer.from([0, 0]), be(7, 4), be(0, 4), be(0, 4), be(0, 4), be(0, 4)]);
    const withSoa = Buffer.concat([q, soa]);
    withSoa.writeUInt16BE(1, 8);
    const req = signRequest(withSoa, KEY);
    const frames = await new Promise<Buffer[]>((resolve, reject) => {
      const sock = net.connect(pulse.port, pulse.host, () => sock.write(Buffer.concat([be(req.msg.length, 2), req.msg])));
      let buf = Buffer.alloc(0);
      sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          sock.destroy();
          resolve([Buffer.from(buf.subarray(2, 2 + buf.readUInt16BE(0)))]);
        }
      });
      sock.on('error', reject);
    });
    assert.equal(parseMessage(frames[0]!).answer.length, 1);
    verifyStream(frames, KEY, req.mac);
  });
});

test('signed requests from a client outside --allow-transfer get a signed REFUSED', async () => {
  const pulse = await startPulse(zonesWithBig(), ['--allow-transfer', '192.0.2.1', '--tsig', `xfr-key:hmac-sha256:${SECRET}`, '--transfer-key', 'xfr-key']);
  servers.push(pulse);
  const req = signRequest(buildQuery('example.com', 'AXFR', { id: 790 }), KEY);
  const frames = await transfer(pulse, req.msg);
  assert.equal(parseMessage(frames[0]!).rcode, 5);
  verifyStream(frames, KEY, req.mac);
});

test('--transfer-key must name a --tsig key', async () => {
  await assert.rejects(startPulse(zonesWithBig(), ['--tsig', `xfr-key:hmac-sha256:${SECRET}`, '--transfer-key', 'other']), /no --tsig key of that name/);
});

// ---------------------------------------------------------------------------
// NSD as a keyed secondary

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('NSD with the same key transfers the zone, and takes our signed NOTIFY', async (t) => {
  const nsdPath = needTool(t, 'nsd');
  if (!nsdPath) return;
  const dir = zonesWithBig();
  const nsdPort = await freePort();
  const pulse = await startPulse(dir, ['--allow-transfer', '127.0.0.1', '--notify', `127.0.0.1:${nsdPort}`, '--tsig', `xfr-key:hmac-sha256:${SECRET}`, '--transfer-key', 'xfr-key', '--log-level', 'debug']);
  servers.push(pulse);
  const nsd = await startNsdTsigSecondary(['example.com', 'big.test'], {
    primary: { host: pulse.host, port: pulse.port },
    port: nsdPort,
    nsdPath,
    key: { name: 'xfr-key', algorithm: 'hmac-sha256', secret: SECRET },
    serverOptions: ['minimal-responses: yes'],
    waitForZones: true,
  });
  nsds.push(nsd);
  for (const [name, type] of [['example.com', 'MX'], ['mail.example.com', 'A'], ['h2999.big.test', 'A'], ['www.example.com', 'AAAA']] as const) {
    const [ours, theirs] = await Promise.all([query(pulse, name, type), query(nsd, name, type)]);
    assert.equal(theirs.rcode, 0);
    assert.ok(theirs.aa);
    assert.deepEqual(theirs.answer.map((r) => r.data).sort(), ours.answer.map((r) => r.data).sort(), `${name} ${type}`);
  }
  await pulse.waitForLog(/"key":"xfr-key\.".*"msg":"zone transferred"/);

  // NSD drops a NOTIFY that is not signed with the key of allow-notify, so a change arriving fast proves ours are signed.
  appendFileSync(join(dir, 'example.com.yaml'), "  signed-notify:\n    type: TXT\n    value: 'arrived by signed NOTIFY'\n");
  const txt = await until('the secondary to follow a signed NOTIFY', 10_000, async () => {
    const m = await query(nsd, 'signed-notify.example.com', 'TXT');
    return m.rcode === 0 && m.answer.length ? m : undefined;
  }).catch((e: Error) => {
    throw new Error(`${e.message}\npulsedns:\n${pulse.output.slice(-20).join('\n')}\nNSD:\n${nsd.log()}`);
  });
  assert.equal(txt.answer[0]!.data, '"arrived by signed NOTIFY"');
  await pulse.waitForLog(/"msg":"NOTIFY acknowledged"/);
  // The control: NSD does refuse an unsigned NOTIFY here, so the one it took was signed.
  const unsigned = parseMessage(await udpExchange(nsd, buildQuery('example.com', 'SOA', { opcode: 4 })));
  assert.notEqual(unsigned.rcode, 0, 'NSD accepted an unsigned NOTIFY; the test proves nothing about signing');
  assert.doesNotMatch(nsd.log(), /bad tsig|TSIG.*(BADSIG|BADKEY|BADTIME)/i);
});

test('NSD with a wrong secret gets nothing and serves nothing', async (t) => {
  const nsdPath = needTool(t, 'nsd');
  if (!nsdPath) return;
  const pulse = await startPulse(zonesWithBig(), ['--allow-transfer', '127.0.0.1', '--tsig', `xfr-key:hmac-sha256:${SECRET}`, '--transfer-key', 'xfr-key']);
  servers.push(pulse);
  const nsd = await startNsdTsigSecondary(['example.com'], {
    primary: { host: pulse.host, port: pulse.port },
    nsdPath,
    key: { name: 'xfr-key', algorithm: 'hmac-sha256', secret: WRONG_SECRET },
    waitForZones: false,
  });
  nsds.push(nsd);
  await pulse.waitForLog(/TSIG check failed/, 10_000);
  const m = await query(nsd, 'example.com', 'SOA');
  assert.equal(m.rcode, 2, `NSD should SERVFAIL a zone it could not transfer; got rcode ${m.rcode}\n${nsd.log()}`);
  assert.equal(m.answer.length, 0);
});
