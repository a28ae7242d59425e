// Zone transfers, NOTIFY and CHAOS answers. The end-to-end part makes a real
// NSD a secondary of a real pulsedns process on loopback and checks that it
// serves what we serve and follows a change announced by NOTIFY. The rest
// pins the wire details (multi-message streams, IXFR, the allow-list,
// backpressure, NOTIFY retries) against our own test codec.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { EventEmitter } from 'node:events';
import { appendFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { startPulse, type Spawned } from '../../support/server.js';
import { query, udpExchange, type Target } from '../../support/client.js';
import { buildQuery, encodeName, parseMessage, type Message, type RR } from '../../support/dnsmsg.js';
import { freePort } from '../../support/ports.js';
import { needTool } from '../../support/tools.js';
import { startNsdSecondary } from '../../support/nsd-secondary.js';
import type { NsdServer } from '../../support/nsd.js';
import { catalogFrom } from '../../support/catalog.js';
import { AddressAcl } from '../../../server/xfr/acl.js';
import { ZoneTransfers, zoneMessages, serialNewer } from '../../../server/xfr/axfr.js';
import { decoded, isStreamed } from '../../support/engine.js';
import { Notifier, parseNotifyTarget } from '../../../server/xfr/notify.js';
import { decodeQuery } from '../../../server/wire/query.js';
import { Catalog } from '../../../server/engine/catalog.js';

const REPO = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..');
const SOA = 6;
const CLASS_CH = 3;
const RCODE = { NOERROR: 0, FORMERR: 1, NOTIMP: 4, REFUSED: 5, NOTAUTH: 9 } as const;
const silent = pino({ level: 'silent' });

const dirs: string[] = [];
const servers: Spawned[] = [];
const nsds: NsdServer[] = [];
after(async () => {
  await Promise.all([...servers.map((s) => s.stop()), ...nsds.map((n) => n.stop())]);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A private copy of the sample zones, so tests may edit files. */
function zonesCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-xfr-'));
  dirs.push(dir);
  cpSync(join(REPO, 'zones'), dir, { recursive: true });
  return dir;
}

const BIG_HOSTS = 3000;

/** A zone of 3000 A records plus apex and one name server address. */
function bigZoneYaml(serial = 7): string {
  const lines = [
    'records:',
    "  '@':",
    `    - { type: SOA, value: { mname: ns1.big.test., rname: h.big.test., serial: ${serial} } }`,
    '    - { type: NS, value: ns1.big.test. }',
    '  ns1: { type: A, value: 192.0.2.1 }',
  ];
  for (let i = 0; i < BIG_HOSTS; i++) lines.push(`  h${i}: { type: A, value: 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255} }`);
  return lines.join('\n') + '\n';
}

function rrText(r: RR): string {
  return `${r.name} ${r.ttl} ${r.class} ${r.type} ${r.data}`;
}

/** Answer and authority as sorted lines: pool answers are shuffled, order is not the point. */
function shape(m: Message): { rcode: number; aa: boolean; answer: string[]; authority: string[] } {
  return { rcode: m.rcode, aa: m.aa, answer: m.answer.map(rrText).sort(), authority: m.authority.map(rrText).sort() };
}

/**
 * Sends messages on one TCP connection and reads framed responses until
 * `done` says so. Bounded by `timeoutMs`; the raw frame lengths are kept so
 * tests can check the 65535-byte limit.
 */
function tcpFrames(t: Target, msgs: Buffer[], done: (frames: Buffer[]) => boolean, timeoutMs = 5000): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(t.port, t.host);
    const frames: Buffer[] = [];
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`TCP ${t.host}#${t.port}: stream not finished within ${timeoutMs} ms (${frames.length} messages so far)`));
    }, timeoutMs);
    sock.on('connect', () => {
      for (const m of msgs) {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(m.length);
        sock.write(Buffer.concat([len, m]));
      }
    });
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const l = buf.readUInt16BE(0);
        frames.push(Buffer.from(buf.subarray(2, 2 + l)));
        buf = buf.subarray(2 + l);
        if (done(frames)) {
          clearTimeout(timer);
          sock.destroy();
          resolve(frames);
          return;
        }
      }
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      reject(new Error(`TCP ${t.host}#${t.port}: closed after ${frames.length} messages`));
    });
  });
}

/** A transfer is over at its second SOA, or at an error rcode, or after an up-to-date IXFR's lone SOA. */
function transferDone(expectLoneSoa = false): (frames: Buffer[]) => boolean {
  let soas = 0;
  let seen = 0;
  return (frames) => {
    for (; seen < frames.length; seen++) {
      const m = parseMessage(frames[seen]!);
      if (m.rcode !== 0) return true;
      soas += m.answer.filter((r) => r.type === SOA).length;
    }
    return soas >= 2 || (expectLoneSoa && soas === 1);
  };
}

async function axfr(t: Target, zone: string, type: string | number = 'AXFR', id = 4242): Promise<{ frames: Buffer[]; messages: Message[]; records: RR[] }> {
  const frames = await tcpFrames(t, [buildQuery(zone, type, { id })], transferDone());
  const messages = frames.map(parseMessage);
  return { frames, messages, records: messages.flatMap((m) => m.answer) };
}

/** An IXFR query carrying the client's SOA serial in the authority section (RFC 1995 section 3). */
function ixfrQuery(zone: string, serial: number, id: number): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(1, 8);
  const q = Buffer.alloc(4);
  q.writeUInt16BE(251, 0);
  q.writeUInt16BE(1, 2);
  const rr = Buffer.alloc(12 + 2 + 20);
  rr.writeUInt16BE(0xc00c, 0);
  rr.writeUInt16BE(SOA, 2);
  rr.writeUInt16BE(1, 4);
  rr.writeUInt16BE(22, 10);
  // mname and rname: the root, since only the serial matters here.
  rr.writeUInt32BE(serial, 14);
  return Buffer.concat([header, encodeName(zone), q, rr]);
}

async function soaSerial(t: Target, zone: string): Promise<number> {
  const m = await query(t, zone, 'SOA');
  const soa = m.answer.find((r) => r.type === SOA);
  assert.ok(soa, `no SOA for ${zone} from ${t.host}#${t.port}`);
  return Number(soa.data.split(' ')[2]);
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---------------------------------------------------------------------------
// NSD as a secondary of pulsedns

test('NSD as a secondary: transfers our zones, answers as we do, follows a change by NOTIFY', async (t) => {
  const nsdPath = needTool(t, 'nsd');
  if (!nsdPath) return;
  const dir = zonesCopy();
  const nsdPort = await freePort();
  const pulse = await startPulse(dir, ['--allow-transfer', '127.0.0.1', '--notify', `127.0.0.1:${nsdPort}`, '--log-level', 'debug']);
  servers.push(pulse);
  // example.com by AXFR; the reverse zone by IXFR, which we answer with the whole zone.
  const nsd = await startNsdSecondary(
    [
      { origin: 'example.com', request: 'AXFR' },
      { origin: '2.0.192.in-addr.arpa', request: 'IXFR' },
    ],
    // Minimal responses: NSD's default adds the apex NS to every answer, which we do not (docs/differences-from-nsd.md).
    { primary: { host: pulse.host, port: pulse.port }, port: nsdPort, nsdPath, serverOptions: ['minimal-responses: yes'] },
  );
  nsds.push(nsd);

  await t.test('the secondary answers the static data as pulsedns does', async () => {
    const questions: Array<[string, string]> = [
      ['example.com', 'SOA'],
      ['example.com', 'NS'],
      ['example.com', 'MX'],
      ['example.com', 'TXT'],
      ['example.com', 'CAA'],
      ['mail.example.com', 'A'],
      ['ns1.example.com', 'AAAA'],
      ['blog.example.com', 'A'],
      ['_sip._tcp.example.com', 'SRV'],
      ['x.apps.example.com', 'A'],
      ['host.lab.example.com', 'A'],
      ['nope.example.com', 'A'],
      // Pool-backed: every configured member on both (no check, so all are healthy here).
      ['www.example.com', 'A'],
      ['www.example.com', 'AAAA'],
      ['10.2.0.192.in-addr.arpa', 'PTR'],
    ];
    for (const [name, type] of questions) {
      const [ours, theirs] = await Promise.all([query(pulse, name, type), query(nsd, name, type)]);
      assert.deepEqual(shape(theirs), shape(ours), `${name} ${type}: NSD secondary differs from pulsedns`);
    }
  });

  await t.test('a zone change reaches the secondary by NOTIFY within a few seconds', async () => {
    const before = await soaSerial(pulse, 'example.com');
    const beforeRev = await soaSerial(pulse, '2.0.192.in-addr.arpa');
    const started = Date.now();
    appendFileSync(join(dir, 'example.com.yaml'), "  notified:\n    type: TXT\n    value: 'change arrived by NOTIFY'\n");
    appendFileSync(join(dir, '2.0.192.in-addr.arpa.yaml'), "  '99':\n    type: PTR\n    value: ns1.lab.example.com.\n");
    const after = await until('pulsedns to serve the new serial', 5000, async () => {
      const s = await soaSerial(pulse, 'example.com');
      return serialNewer(s, before) ? s : undefined;
    });
    const txt = await until('the secondary to serve the change', 8000, async () => {
      const m = await query(nsd, 'notified.example.com', 'TXT');
      return m.rcode === 0 && m.answer.length ? m : undefined;
    }).catch((e: Error) => {
      throw new Error(`${e.message}\npulsedns:\n${pulse.output.slice(-20).join('\n')}\nNSD:\n${nsd.log()}`);
    });
    assert.equal(txt.answer[0]!.data, '"change arrived by NOTIFY"');
    assert.equal(await soaSerial(nsd, 'example.com'), after);
    const ptr = await until('the secondary to serve the reverse-zone change (IXFR answered in full)', 8000, async () => {
      const m = await query(nsd, '99.2.0.192.in-addr.arpa', 'PTR');
      return m.rcode === 0 && m.answer.length ? m : undefined;
    });
    assert.equal(ptr.answer[0]!.data, 'ns1.lab.example.com.');
    assert.ok(serialNewer(await soaSerial(nsd, '2.0.192.in-addr.arpa'), beforeRev));
    assert.ok(Date.now() - started < 10_000);
    await pulse.waitForLog(new RegExp(`"serial":${after}.*"msg":"sending NOTIFY"`), 1000);
  });
});

// ---------------------------------------------------------------------------
// Transfers against a pulsedns process

const bigDir = zonesCopy();
writeFileSync(join(bigDir, 'big.test.yaml'), bigZoneYaml());
let allowed: Spawned | undefined;
let allowedV6: Target | undefined;
let denied: Spawned | undefined;

async function allowedServer(): Promise<Spawned> {
  if (allowed) return allowed;
  const v6port = await freePort('::1');
  allowed = await startPulse(bigDir, [
    '--listen', `[::1]:${v6port}`,
    '--allow-transfer', '127.0.0.0/8',
    '--allow-transfer', '::1',
    '--chaos-version', 'pulsedns test',
    '--chaos-id', 'ns-test',
  ]);
  allowedV6 = { host: '::1', port: v6port };
  servers.push(allowed);
  return allowed;
}

async function deniedServer(): Promise<Spawned> {
  if (denied) return denied;
  // IPv6 loopback, so the IPv4 entry must not match it; the other entries name other networks.
  denied = await startPulse(bigDir, ['--allow-transfer', '10.0.0.0/8', '--allow-transfer', '2001:db8::/32', '--allow-transfer', '127.0.0.1'], '::1');
  servers.push(denied);
  return denied;
}

test('AXFR: SOA first and last, every RRset with glue, pool names as every member, ID and question in each message', async () => {
  const s = await allowedServer();
  const { messages, records } = await axfr(s, 'example.com', 'AXFR', 31337);
  for (const m of messages) {
    assert.equal(m.id, 31337);
    assert.ok(m.qr && m.aa);
    assert.equal(m.rcode, 0);
    assert.deepEqual(m.question, { name: 'example.com.', rawName: 'example.com.', type: 252, class: 1 });
  }
  assert.equal(records[0]!.type, SOA);
  assert.equal(records.at(-1)!.type, SOA);
  assert.equal(records.filter((r) => r.type === SOA).length, 2);
  const lines = new Set(records.map((r) => `${r.name} ${r.type} ${r.data}`));
  for (const want of [
    'www.example.com. 1 192.0.2.10',
    'www.example.com. 1 192.0.2.11',
    'www.example.com. 1 192.0.2.12',
    'www.example.com. 28 2001:db8:0:0:0:0:0:10',
    'lab.example.com. 2 ns1.lab.example.com.',
    'ns1.lab.example.com. 1 192.0.2.99',
    '*.apps.example.com. 1 192.0.2.80',
    'blog.example.com. 5 www.example.com.',
  ]) {
    assert.ok(lines.has(want), `transfer lacks ${want}`);
  }
  // Pool-backed names carry the pool's TTL, as in answers and in `pulsedns export`.
  assert.ok(records.filter((r) => r.name === 'www.example.com.').every((r) => r.ttl === 60));
});

test(`AXFR of ${BIG_HOSTS} records: several messages, each within 65535 bytes, parsed back in full`, async () => {
  const s = await allowedServer();
  const { frames, messages, records } = await axfr(s, 'big.test', 'AXFR', 777);
  assert.ok(frames.length > 1, `one message only (${frames[0]!.length} bytes)`);
  for (const f of frames) assert.ok(f.length <= 65535);
  assert.ok(messages.every((m) => m.id === 777 && m.rcode === 0 && m.aa));
  assert.equal(records[0]!.type, SOA);
  assert.equal(records.at(-1)!.type, SOA);
  assert.equal(records.length, BIG_HOSTS + 4); // SOA, NS, ns1 A, the hosts, SOA
  const hosts = new Set(records.filter((r) => r.type === 1 && r.name.startsWith('h')).map((r) => r.name));
  assert.equal(hosts.size, BIG_HOSTS);
  assert.ok(hosts.has('h0.big.test.') && hosts.has(`h${BIG_HOSTS - 1}.big.test.`));
});

test('IXFR: a current client gets the lone SOA, an older one the whole zone (RFC 1995 fallback)', async () => {
  const s = await allowedServer();
  const serial = await soaSerial(s, 'big.test');
  const current = (await tcpFrames(s, [ixfrQuery('big.test', serial, 11)], transferDone(true))).map(parseMessage);
  assert.equal(current.length, 1);
  assert.equal(current[0]!.id, 11);
  assert.deepEqual(current[0]!.answer.map((r) => r.type), [SOA]);
  const older = (await tcpFrames(s, [ixfrQuery('big.test', serial - 1, 12)], transferDone())).map(parseMessage);
  const records = older.flatMap((m) => m.answer);
  assert.ok(older.every((m) => m.id === 12));
  assert.equal(records.length, BIG_HOSTS + 4);
  // Without an SOA in the authority section it is a plain full transfer too.
  const bare = await axfr(s, 'example.com', 251, 13);
  assert.equal(bare.records.at(-1)!.type, SOA);
});

test('transfers: NOTAUTH for a name we serve no zone at, REFUSED over UDP, other queries wait their turn', async () => {
  const s = await allowedServer();
  for (const name of ['www.example.com', 'example.org']) {
    const [m] = (await tcpFrames(s, [buildQuery(name, 'AXFR')], () => true)).map(parseMessage);
    assert.equal(m!.rcode, RCODE.NOTAUTH, name);
    assert.equal(m!.answer.length, 0);
  }
  // RFC 5936 defines AXFR over TCP only. NSD says NOTIMP; we keep our REFUSED.
  for (const type of ['AXFR', 251] as const) {
    const m = parseMessage(await udpExchange(s, buildQuery('example.com', type)));
    assert.equal(m.rcode, RCODE.REFUSED, `UDP ${type}`);
  }
  // A query pipelined behind a transfer is answered after the transfer's last message.
  let soas = 0;
  const frames = await tcpFrames(s, [buildQuery('big.test', 'AXFR', { id: 1 }), buildQuery('mail.example.com', 'A', { id: 2 })], (f) => {
    const m = parseMessage(f.at(-1)!);
    if (m.id === 1) soas += m.answer.filter((r) => r.type === SOA).length;
    return m.id === 2;
  });
  const ids = frames.map((f) => f.readUInt16BE(0));
  assert.equal(soas, 2, 'the A answer came before the transfer ended');
  assert.deepEqual(ids.slice(0, -1), ids.slice(0, -1).map(() => 1));
  assert.equal(parseMessage(frames.at(-1)!).answer[0]!.data, '192.0.2.25');
});

test('the allow-list: IPv4 prefix and IPv6 address admit, anything else is REFUSED', async () => {
  await allowedServer();
  const v6 = (await axfr(allowedV6!, 'example.com')).records;
  assert.equal(v6.at(-1)!.type, SOA, 'allowed over IPv6 (::1 on the list)');
  assert.ok(v6.length > 2);
  const d = await deniedServer();
  for (const type of ['AXFR', 251] as const) {
    const [m] = (await tcpFrames(d, [buildQuery('example.com', type, { id: 99 })], () => true)).map(parseMessage);
    assert.equal(m!.rcode, RCODE.REFUSED, `${type} from ::1 with only 127.0.0.1, 10/8 and 2001:db8::/32 allowed`);
    assert.equal(m!.id, 99);
    assert.equal(m!.answer.length, 0);
  }
  // Ordinary TCP queries on the same server are untouched.
  assert.equal((await query(d, 'mail.example.com', 'A', { tcp: true })).answer[0]!.data, '192.0.2.25');
});

// ---------------------------------------------------------------------------
// CHAOS and incoming NOTIFY

test('CHAOS: configured names answer TXT in class CH with AA; anything else stays REFUSED', async () => {
  const s = await allowedServer();
  for (const tcp of [false, true]) {
    for (const [name, text] of [['version.bind', 'pulsedns test'], ['version.server', 'pulsedns test'], ['id.server', 'ns-test'], ['hostname.bind', 'ns-test'], ['VERSION.Bind', 'pulsedns test']] as const) {
      const m = await query(s, name, 'TXT', { qclass: CLASS_CH, tcp, edns: {} });
      assert.equal(m.rcode, RCODE.NOERROR, `${name} tcp=${tcp}`);
      assert.ok(m.aa);
      assert.equal(m.question!.rawName, `${name}.`);
      assert.deepEqual(m.answer.map((r) => [r.name, r.type, r.class, r.ttl, r.data]), [[`${name.toLowerCase()}.`, 16, CLASS_CH, 0, JSON.stringify(text)]]);
      assert.ok(m.opt);
    }
  }
  assert.equal((await query(s, 'version.bind', 'ANY', { qclass: CLASS_CH })).answer.length, 1);
  assert.equal((await query(s, 'version.bind', 'A', { qclass: CLASS_CH })).rcode, RCODE.REFUSED);
  assert.equal((await query(s, 'authors.bind', 'TXT', { qclass: CLASS_CH })).rcode, RCODE.REFUSED);
  assert.equal((await query(s, 'example.com', 'SOA', { qclass: CLASS_CH })).rcode, RCODE.REFUSED);
  const d = await deniedServer();
  for (const name of ['version.bind', 'version.server', 'id.server', 'hostname.bind']) {
    assert.equal((await query(d, name, 'TXT', { qclass: CLASS_CH })).rcode, RCODE.REFUSED, `${name} unconfigured`);
  }
});

test('an incoming NOTIFY gets NOTIMP: we are never a secondary', async () => {
  const s = await allowedServer();
  const m = await query(s, 'example.com', 'SOA', { opcode: 4 });
  assert.equal(m.rcode, RCODE.NOTIMP);
  assert.equal(m.opcode, 4);
});

// ---------------------------------------------------------------------------
// In-process pieces

test('AddressAcl: addresses, prefixes, IPv4-mapped clients, bad entries', () => {
  const acl = AddressAcl.parse(['192.0.2.1', '10.0.0.0/8', '2001:db8::/32', '::1']);
  for (const ok of ['192.0.2.1', '10.255.0.1', '::ffff:10.1.2.3', '2001:db8:1::5', '::1']) assert.ok(acl.allows(ok), ok);
  for (const no of ['192.0.2.2', '11.0.0.1', '2001:db9::1', '::2', '::ffff:192.0.2.2', undefined, 'nonsense']) assert.ok(!acl.allows(no), String(no));
  assert.ok(!AddressAcl.parse([]).allows('127.0.0.1'), 'an empty list allows nobody');
  for (const bad of ['10.0.0.0/33', '2001:db8::/129', 'example.com', '10.0.0/8', '1.2.3.4/x', '']) {
    assert.throws(() => AddressAcl.parse([bad]), /--allow-transfer/, bad);
  }
});

test('parseNotifyTarget: ADDR, ADDR:PORT, [V6]:PORT, bare IPv6; names and bad ports refused', () => {
  assert.deepEqual(parseNotifyTarget('192.0.2.7'), { host: '192.0.2.7', port: 53 });
  assert.deepEqual(parseNotifyTarget('127.0.0.1:5300'), { host: '127.0.0.1', port: 5300 });
  assert.deepEqual(parseNotifyTarget('[2001:db8::7]:5300'), { host: '2001:db8::7', port: 5300 });
  assert.deepEqual(parseNotifyTarget('2001:db8::7'), { host: '2001:db8::7', port: 53 });
  assert.deepEqual(parseNotifyTarget('[::1]'), { host: '::1', port: 53 });
  for (const bad of ['ns2.example.com', 'ns2.example.com:53', '127.0.0.1:0', '127.0.0.1:70000', '127.0.0.1:x']) assert.throws(() => parseNotifyTarget(bad), /--notify/, bad);
});

test('the request handler streams AXFR/IXFR queries only', () => {
  const catalog = new Catalog([]);
  assert.ok(isStreamed(catalog, buildQuery('example.com', 'AXFR')));
  assert.ok(isStreamed(catalog, buildQuery('example.com', 251)));
  assert.ok(!isStreamed(catalog, buildQuery('example.com', 'SOA')));
  assert.ok(!isStreamed(catalog, buildQuery('example.com', 'AXFR', { opcode: 4 })));
  assert.ok(!isStreamed(catalog, Buffer.from([0, 1, 0, 0, 0, 1])));
});

/** Stands in for a net.Socket whose peer reads only when the test says so. */
class SlowSocket extends EventEmitter {
  destroyed = false;
  remoteAddress = '127.0.0.1';
  frames: Buffer[] = [];
  write(b: Buffer): boolean {
    this.frames.push(b);
    return false; // the kernel buffer is "full" after every message
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function bigCatalog(): Catalog {
  return catalogFrom({ 'big.test': bigZoneYaml() });
}

test('backpressure: the next message is built only after the client drained the last one', async () => {
  const catalog = bigCatalog();
  const zt = new ZoneTransfers({ acl: AddressAcl.parse(['127.0.0.1']), log: silent, messageBytes: 4096 });
  const sock = new SlowSocket();
  let finished = false;
  const done = zt.stream(buildQuery('big.test', 'AXFR', { id: 5 }), decoded(buildQuery('big.test', 'AXFR', { id: 5 })), sock as unknown as net.Socket, catalog).then((o) => {
    finished = true;
    return o;
  });
  await tick();
  assert.equal(sock.frames.length, 1);
  await tick();
  assert.equal(sock.frames.length, 1, 'wrote on without a drain');
  let drains = 0;
  while (!finished && drains < 10_000) {
    sock.emit('drain');
    drains++;
    await tick();
    assert.ok(sock.frames.length <= drains + 1);
  }
  const outcome = await done;
  assert.equal(outcome.rcode, 0);
  assert.ok(sock.frames.length > 10, `${sock.frames.length} messages`);
  const records = sock.frames.flatMap((f) => {
    assert.equal(f.readUInt16BE(0), f.length - 2, 'frame length prefix');
    return parseMessage(f.subarray(2)).answer;
  });
  assert.equal(records.length, BIG_HOSTS + 4);
});

test('a client that goes away mid-transfer ends it without more writes', async () => {
  const zt = new ZoneTransfers({ acl: AddressAcl.parse(['127.0.0.1']), log: silent, messageBytes: 4096 });
  const sock = new SlowSocket();
  const done = zt.stream(buildQuery('big.test', 'AXFR'), decoded(buildQuery('big.test', 'AXFR')), sock as unknown as net.Socket, bigCatalog());
  await tick();
  sock.emit('drain');
  await tick();
  sock.destroy();
  await done;
  const n = sock.frames.length;
  sock.emit('drain');
  await tick();
  assert.equal(sock.frames.length, n);
  assert.ok(n >= 2 && n < 10);
});

test('an RRset larger than a message is split across messages (RFC 5936 section 2.2)', () => {
  const values = Array.from({ length: 300 }, (_, i) => `"${String(i).padStart(3, '0')} ${'z'.repeat(240)}"`).join(', ');
  const catalog = catalogFrom({
    'split.test': `records:
  '@':
    - { type: SOA, value: { mname: ns1.split.test., rname: h.split.test., serial: 1 } }
    - { type: NS, value: ns1.split.test. }
  huge: { type: TXT, values: [${values}] }
  ns1: { type: A, value: 192.0.2.1 }
`,
  });
  const zone = [...catalog.zones.values()][0]!;
  const msg = buildQuery('split.test', 'AXFR', { edns: {} });
  const d = decodeQuery(msg);
  assert.equal(d.kind, 'query');
  if (d.kind !== 'query') return;
  const out = [...zoneMessages(zone, msg, d.query, 16_384)];
  for (const m of out) assert.ok(m.length <= 65535);
  const parsed = out.map(parseMessage);
  assert.ok(parsed.every((m) => m.opt !== null), 'OPT in every message of an EDNS transfer');
  const txt = parsed.flatMap((m) => m.answer).filter((r) => r.type === 16);
  assert.equal(txt.length, 300);
  assert.ok(out.length >= 3);
});

test('Notifier: retries until answered with the NOTIFY opcode and ID, once per serial', async () => {
  const secondary = dgram.createSocket('udp4');
  await new Promise<void>((r) => secondary.bind(0, '127.0.0.1', () => r()));
  const port = secondary.address().port;
  const got: Message[] = [];
  secondary.on('message', (m, rinfo) => {
    got.push(parseMessage(m));
    const reply = Buffer.from(m.subarray(0, 12));
    reply.writeUInt16BE(0x8000 | (4 << 11) | 0x0400, 2);
    reply.writeUInt16BE(0, 4);
    reply.writeUInt16BE(0, 6);
    if (got.length === 2) reply.writeUInt16BE(m.readUInt16BE(0) ^ 1, 0); // wrong ID: must not count
    if (got.length >= 2) secondary.send(reply, rinfo.port, rinfo.address);
  });
  const notifier = new Notifier({ targets: [{ host: '127.0.0.1', port }], log: silent, retryMs: 100, attempts: 5 });
  try {
    const first = catalogFrom({ 'big.test': bigZoneYaml(7) });
    notifier.loaded(first);
    await until('three NOTIFY sends', 3000, async () => (got.length >= 3 ? true : undefined));
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(got.length, 3, 'kept sending after a matching answer, or stopped at a wrong ID');
    for (const m of got) {
      assert.equal(m.opcode, 4);
      assert.ok(m.aa && !m.qr);
      assert.deepEqual(m.question, { name: 'big.test.', rawName: 'big.test.', type: SOA, class: 1 });
      assert.equal(m.answer[0]!.type, SOA);
      assert.equal(m.answer[0]!.data.split(' ')[2], '7');
      assert.equal(m.id, got[0]!.id, 'a retransmission keeps its ID');
    }
    // The same serial again (a reload that changed nothing here): silence.
    notifier.loaded(catalogFrom({ 'big.test': bigZoneYaml(7) }));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(got.length, 3);
    notifier.loaded(catalogFrom({ 'big.test': bigZoneYaml(8) }));
    await until('a NOTIFY for serial 8', 2000, async () => (got.length >= 4 ? true : undefined));
    assert.equal(got[3]!.answer[0]!.data.split(' ')[2], '8');
  } finally {
    notifier.close();
    secondary.close();
  }
});

test('Notifier gives up after its attempts when nobody answers', async () => {
  const secondary = dgram.createSocket('udp4');
  await new Promise<void>((r) => secondary.bind(0, '127.0.0.1', () => r()));
  let count = 0;
  secondary.on('message', () => count++);
  const notifier = new Notifier({ targets: [{ host: '127.0.0.1', port: secondary.address().port }], log: silent, retryMs: 50, attempts: 3 });
  try {
    notifier.loaded(catalogFrom({ 'big.test': bigZoneYaml(7) }));
    await new Promise((r) => setTimeout(r, 700)); // sends at 0, 50, 150 ms; gives up at 350
    assert.equal(count, 3);
  } finally {
    notifier.close();
    secondary.close();
  }
});
