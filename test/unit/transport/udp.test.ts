// The UDP listener on both of its paths: the batched one (recvmmsg/sendmmsg,
// native/udpbatch.c) that serves by default, and node:dgram, its fallback.
// Real sockets on 127.0.0.1 and ::1; answers come from the sample zones.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Catalog } from '../../../server/engine/catalog.js';
import { RequestHandler } from '../../../server/engine/handler.js';
import { Stats } from '../../../server/runtime/stats.js';
import { batchUnavailable, peerAddress } from '../../../server/transport/batchio.js';
import { RateLimiter } from '../../../server/transport/rrl.js';
import { startUdp, type UdpListener } from '../../../server/transport/udp.js';
import { loadZonesDir } from '../../../server/zones/load.js';
import { buildQuery, parseMessage } from '../../support/dnsmsg.js';
import { freePort } from '../../support/ports.js';
import { skipOrFail } from '../../support/tools.js';

const ZONES = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..', 'zones');
const loaded = loadZonesDir(ZONES);
const catalog = new Catalog(loaded.zones, loaded.pools);
const log = pino({ level: 'silent' });
const open: UdpListener[] = [];
after(() => {
  for (const l of open) l.close();
});

async function listen(host: string, opts: { io?: 'dgram'; rrl?: RateLimiter } = {}): Promise<{ l: UdpListener; port: number; stats: Stats }> {
  const stats = new Stats();
  const handler = new RequestHandler(() => catalog, stats, () => {});
  const port = await freePort(host);
  const saved = process.env['PULSEDNS_UDP_IO'];
  if (opts.io) process.env['PULSEDNS_UDP_IO'] = opts.io;
  try {
    const l = await startUdp({ host, port }, handler, stats, log, opts.rrl);
    open.push(l);
    return { l, port, stats };
  } finally {
    if (saved === undefined) delete process.env['PULSEDNS_UDP_IO'];
    else process.env['PULSEDNS_UDP_IO'] = saved;
  }
}

/** Sends every message from one client socket at once and collects the replies by ID (bounded in time). */
async function burst(host: string, port: number, msgs: Buffer[], waitMs = 2000): Promise<Map<number, Buffer>> {
  const client = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const got = new Map<number, Buffer>();
  await new Promise<void>((resolve) => client.bind(0, host, resolve));
  // The server shares this process's event loop: a whole burst of replies can land before we read one.
  client.setRecvBufferSize(4 * 1024 * 1024);
  try {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      client.on('message', (m) => {
        got.set(m.readUInt16BE(0), m);
        if (got.size === msgs.length) {
          clearTimeout(timer);
          resolve();
        }
      });
      for (const m of msgs) client.send(m, port, host);
    });
  } finally {
    client.close();
  }
  return got;
}

test('the batched path is built and serves by default', (t) => {
  const why = batchUnavailable();
  if (why) skipOrFail(t, `native UDP batching unavailable: ${why}`);
});

for (const host of ['127.0.0.1', '::1']) {
  test(`a burst of 300 queries over ${host} gets 300 matching answers`, async () => {
    const { l, port } = await listen(host);
    const names = ['www.example.com', 'mail.example.com', 'nope.example.com'];
    const msgs = Array.from({ length: 300 }, (_, i) => buildQuery(names[i % 3]!, 'A', { id: i }));
    const got = await burst(host, port, msgs);
    assert.equal(got.size, 300, `${l.io}: ${got.size} of 300 answered`);
    for (const [id, raw] of got) {
      const m = parseMessage(raw);
      assert.equal(m.question?.name.toLowerCase().replace(/\.$/, ''), names[id % 3]);
      assert.equal(m.rcode, id % 3 === 2 ? 3 : 0);
    }
  });
}

test('node:dgram still serves when asked to (PULSEDNS_UDP_IO=dgram)', async () => {
  const { l, port } = await listen('127.0.0.1', { io: 'dgram' });
  assert.equal(l.io, 'dgram');
  const got = await burst('127.0.0.1', port, Array.from({ length: 50 }, (_, i) => buildQuery('www.example.com', 'A', { id: i })));
  assert.equal(got.size, 50);
});

test('an oversized datagram gets silence, is counted, and the next query is answered', async () => {
  const { port, stats } = await listen('127.0.0.1');
  const big = Buffer.concat([buildQuery('www.example.com', 'A', { id: 1 }), Buffer.alloc(6000)]);
  const got = await burst('127.0.0.1', port, [big, buildQuery('www.example.com', 'A', { id: 2 })], 500);
  assert.deepEqual([...got.keys()], [2]);
  const before = stats.dropped;
  await burst('127.0.0.1', port, [buildQuery('www.example.com', 'A', { id: 3 })]);
  assert.ok(stats.dropped >= before && stats.dropped >= 1, `dropped ${stats.dropped}`);
});

test('garbage datagrams in a batch cost their neighbours nothing', async () => {
  const { port } = await listen('127.0.0.1');
  const msgs: Buffer[] = [];
  for (let i = 0; i < 100; i++) {
    msgs.push(buildQuery('www.example.com', 'A', { id: i }));
    msgs.push(Buffer.from([0xff, i, 1, 2, 3])); // a runt: silence
  }
  const got = await burst('127.0.0.1', port, msgs, 1000);
  assert.equal([...got.keys()].filter((id) => id < 100).length, 100);
});

test('response-rate limiting sees each client address on the batched path', async () => {
  const rrl = new RateLimiter({ rate: 5, slip: 2 });
  const { port, stats } = await listen('127.0.0.1', { rrl });
  const got = await burst('127.0.0.1', port, Array.from({ length: 100 }, (_, i) => buildQuery('www.example.com', 'A', { id: i })), 800);
  assert.ok(stats.rrlDropped + stats.rrlSlipped >= 90, `limited ${stats.rrlDropped + stats.rrlSlipped}`);
  assert.ok(got.size < 60, `${got.size} answered`);
  const truncated = [...got.values()].filter((m) => (m[2]! & 0x02) !== 0).length;
  assert.ok(truncated > 0, 'slipped answers arrive truncated');
});

test('close() frees the port at once', async () => {
  const { l, port } = await listen('127.0.0.1');
  l.close();
  const again = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    again.once('error', reject);
    again.bind(port, '127.0.0.1', resolve);
  });
  again.close();
});

test('peer addresses read from the kernel form print as Node prints them', () => {
  const v4 = Buffer.alloc(28);
  v4.writeUInt16LE(2, 0);
  v4.set([192, 0, 2, 7], 4);
  assert.equal(peerAddress(v4, 0), '192.0.2.7');
  const v6 = (groups: number[]): Buffer => {
    const b = Buffer.alloc(28);
    b.writeUInt16LE(10, 0);
    groups.forEach((g, i) => b.writeUInt16BE(g, 8 + 2 * i));
    return b;
  };
  assert.equal(peerAddress(v6([0, 0, 0, 0, 0, 0, 0, 1]), 0), '::1');
  assert.equal(peerAddress(v6([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1]), 0), '2001:db8::1:0:0:1');
  assert.equal(peerAddress(v6([0x2001, 0xdb8, 1, 2, 3, 4, 5, 6]), 0), '2001:db8:1:2:3:4:5:6');
  assert.equal(peerAddress(v6([0xfe80, 0, 0, 0, 0, 0, 0, 0]), 0), 'fe80::');
  assert.equal(peerAddress(v6([0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]), 0), '::ffff:7f00:1');
});
