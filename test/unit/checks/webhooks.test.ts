// Webhooks against a real HTTP receiver on loopback: payload and headers,
// retries with backoff, no retry on 4xx, de-duplication through the shared
// store, and the health events LiveHealth raises reaching the receiver.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Webhooks } from '../../../checks/webhooks.js';
import { MemoryStore } from '../../../checks/store/memory.js';
import { memberKey } from '../../../checks/model.js';
import { parsePoolsYaml } from '../../../server/pools/parse.js';
import { LiveHealth, type HealthEvent, type HealthEventType } from '../../../checks/live.js';
import { formatError } from '../../../server/zones/model.js';

const silent = pino({ level: 'silent' });

interface Received {
  headers: IncomingHttpHeaders;
  method: string;
  path: string;
  body: Record<string, unknown>;
  at: number;
}

interface Receiver {
  url: string;
  got: Received[];
  close(): Promise<void>;
}

/** `statuses` are answered in order, then 200 for everything after. */
async function receiver(statuses: number[] = []): Promise<Receiver> {
  const got: Received[] = [];
  const queue = statuses.slice();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, method: req.method ?? '', path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>, at: Date.now() });
      res.statusCode = queue.shift() ?? 200;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    got,
    close: () =>
      new Promise<void>((resolve) => {
        // fetch keeps connections alive; without this close() waits for them to idle out.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function event(type: HealthEventType, id: string, extra: Partial<HealthEvent> = {}): HealthEvent {
  return { type, id, at: Date.UTC(2024, 0, 2, 3, 4, 5), ...extra };
}

test('an event is POSTed as JSON with the pulsedns headers', async () => {
  const rx = await receiver();
  const hooks = new Webhooks({ urls: [rx.url], store: new MemoryStore(), log: silent, source: 'ns1', firstBackoffMs: 20 });
  try {
    hooks.send(event('member.down', 'down:web_http|192.0.2.10:1', { member: 'web_http|192.0.2.10', address: '192.0.2.10', reason: 'HTTP 503' }));
    await hooks.flush();
    assert.equal(rx.got.length, 1);
    const r = rx.got[0]!;
    assert.equal(r.method, 'POST');
    assert.equal(r.path, '/hook');
    assert.match(r.headers['content-type'] ?? '', /^application\/json/);
    assert.equal(r.headers['user-agent'], 'pulsedns');
    assert.equal(r.headers['x-pulsedns-event'], 'member.down');
    assert.equal(r.headers['x-pulsedns-id'], 'down:web_http|192.0.2.10:1');
    assert.deepEqual(r.body, {
      type: 'member.down',
      id: 'down:web_http|192.0.2.10:1',
      at: Date.UTC(2024, 0, 2, 3, 4, 5),
      member: 'web_http|192.0.2.10',
      address: '192.0.2.10',
      reason: 'HTTP 503',
      time: '2024-01-02T03:04:05.000Z',
      source: 'ns1',
    });
  } finally {
    await rx.close();
  }
});

test('every configured URL gets the event', async () => {
  const a = await receiver();
  const b = await receiver();
  const hooks = new Webhooks({ urls: [a.url, b.url], store: new MemoryStore(), log: silent, source: 'ns1' });
  try {
    hooks.send(event('pool.all_down', 'all_down:web:1', { pool: 'web' }));
    await hooks.flush();
    assert.equal(a.got.length, 1);
    assert.equal(b.got.length, 1);
  } finally {
    await a.close();
    await b.close();
  }
});

test('5xx is retried with growing backoff until it succeeds', async () => {
  const rx = await receiver([500, 500]);
  const hooks = new Webhooks({ urls: [rx.url], store: new MemoryStore(), log: silent, source: 'ns1', firstBackoffMs: 20 });
  try {
    hooks.send(event('pool.failover', 'failover:web:1:1', { pool: 'web', tier: 1 }));
    await hooks.flush();
    assert.equal(rx.got.length, 3);
    assert.ok(rx.got.every((r) => r.headers['x-pulsedns-id'] === 'failover:web:1:1'));
    assert.deepEqual(rx.got[2]!.body, rx.got[0]!.body, 'the same payload every time');
    // Backoff doubles: ~20 ms then ~40 ms (timers never fire early).
    assert.ok(rx.got[1]!.at - rx.got[0]!.at >= 18, `first gap ${rx.got[1]!.at - rx.got[0]!.at} ms`);
    assert.ok(rx.got[2]!.at - rx.got[1]!.at >= 38, `second gap ${rx.got[2]!.at - rx.got[1]!.at} ms`);
  } finally {
    await rx.close();
  }
});

test('429 is retried like a server error', async () => {
  const rx = await receiver([429]);
  const hooks = new Webhooks({ urls: [rx.url], store: new MemoryStore(), log: silent, source: 'ns1', firstBackoffMs: 20 });
  try {
    hooks.send(event('member.up', 'up:x:1'));
    await hooks.flush();
    assert.equal(rx.got.length, 2);
  } finally {
    await rx.close();
  }
});

test('a 4xx is not retried', async () => {
  for (const status of [400, 404, 410]) {
    const rx = await receiver([status, 200, 200]);
    const hooks = new Webhooks({ urls: [rx.url], store: new MemoryStore(), log: silent, source: 'ns1', firstBackoffMs: 20 });
    try {
      hooks.send(event('member.down', `down:x:${status}`));
      await hooks.flush();
      // Give a wrongly scheduled retry time to land.
      await new Promise((r) => setTimeout(r, 60));
      assert.equal(rx.got.length, 1, `status ${status}`);
    } finally {
      await rx.close();
    }
  }
});

test('attempts are bounded; a receiver that always fails is given up on', async () => {
  const rx = await receiver([500, 500, 500, 500, 500, 500]);
  const hooks = new Webhooks({ urls: [rx.url], store: new MemoryStore(), log: silent, source: 'ns1', firstBackoffMs: 5, attempts: 3 });
  try {
    hooks.send(event('member.down', 'down:x:bounded'));
    await hooks.flush();
    assert.equal(rx.got.length, 3);
  } finally {
    await rx.close();
  }
});

test('two senders sharing one store deliver an event once', async () => {
  const rx = await receiver();
  const store = new MemoryStore();
  const a = new Webhooks({ urls: [rx.url], store, log: silent, source: 'prober-a' });
  const b = new Webhooks({ urls: [rx.url], store, log: silent, source: 'prober-b' });
  try {
    const e = event('member.down', 'down:web_http|192.0.2.10:42');
    a.send(e);
    b.send({ ...e });
    await Promise.all([a.flush(), b.flush()]);
    assert.equal(rx.got.length, 1);
    // Re-sending later (a reconcile noticing the same change) is also suppressed.
    b.send(e);
    await b.flush();
    assert.equal(rx.got.length, 1);
    // A different event id goes through.
    a.send(event('member.up', 'up:web_http|192.0.2.10:43'));
    await a.flush();
    assert.equal(rx.got.length, 2);
  } finally {
    await rx.close();
  }
});

test('separate stores do not share claims (each process alone sends its own)', async () => {
  const rx = await receiver();
  const a = new Webhooks({ urls: [rx.url], store: new MemoryStore(), log: silent, source: 'a' });
  const b = new Webhooks({ urls: [rx.url], store: new MemoryStore(), log: silent, source: 'b' });
  try {
    const e = event('member.down', 'down:same');
    a.send(e);
    b.send(e);
    await Promise.all([a.flush(), b.flush()]);
    assert.equal(rx.got.length, 2);
  } finally {
    await rx.close();
  }
});

test('a store that cannot claim still lets the event out', async () => {
  class BrokenClaims extends MemoryStore {
    override async claimEvent(): Promise<boolean> {
      throw new Error('store unreachable');
    }
  }
  const rx = await receiver();
  const hooks = new Webhooks({ urls: [rx.url], store: new BrokenClaims(), log: silent, source: 'ns1' });
  try {
    hooks.send(event('pool.all_down', 'all_down:web:7'));
    await hooks.flush();
    assert.equal(rx.got.length, 1);
  } finally {
    await rx.close();
  }
});

test('LiveHealth events reach the receiver: down, failover, up, failback, all_down, recovered', async () => {
  const parsed = parsePoolsYaml(
    `checks:
  web_http: { type: http, path: /healthz }
pools:
  web:
    check: web_http
    policy: failover
    tiers: [[192.0.2.1], [192.0.2.2]]
`,
    '_pools.yaml',
  );
  assert.deepEqual(parsed.errors.map(formatError), []);
  const rx = await receiver();
  const store = new MemoryStore();
  const live = new LiveHealth(store, silent);
  const hooks = new Webhooks({ urls: [rx.url], store, log: silent, source: 'ns1', firstBackoffMs: 20 });
  const seen: HealthEvent[] = [];
  live.onEvent((e) => {
    seen.push(e);
    hooks.send(e);
  });
  live.setPools(parsed.pools);
  await live.sync();
  assert.equal(seen.length, 0, 'a healthy start is not news');

  let since = Date.now();
  const report = async (address: string, up: boolean): Promise<void> => {
    // Distinct `since` per flip, as a prober would give, so event ids differ.
    since += 1;
    await store.report(memberKey('web_http', address), { vantage: 'v1', up, at: Date.now(), intervalMs: 10_000, since, ...(up ? {} : { reason: 'HTTP 503' }) }, true);
  };
  const step = async (want: HealthEventType[], change: () => Promise<void>): Promise<void> => {
    const from = rx.got.length;
    const seenFrom = seen.length;
    await change();
    await live.sync();
    await hooks.flush();
    assert.deepEqual(seen.slice(seenFrom).map((e) => e.type).sort(), [...want].sort(), 'events raised');
    assert.deepEqual(rx.got.slice(from).map((r) => r.headers['x-pulsedns-event']).sort(), [...want].sort(), 'events delivered');
  };

  try {
    await step(['member.down', 'pool.failover'], () => report('192.0.2.1', false));
    const failover = rx.got.find((r) => r.body.type === 'pool.failover')!;
    assert.equal(failover.body.pool, 'web');
    assert.equal(failover.body.tier, 2, 'tiers are numbered from 1: the second tier is 2');
    const down = rx.got.find((r) => r.body.type === 'member.down')!;
    assert.equal(down.body.address, '192.0.2.1');
    assert.equal(down.body.member, 'web_http|192.0.2.1');
    assert.equal(down.body.reason, 'HTTP 503');
    assert.equal(down.body.source, 'ns1');

    await step(['member.up', 'pool.failback'], () => report('192.0.2.1', true));
    assert.equal(rx.got.find((r) => r.body.type === 'pool.failback')!.body.pool, 'web');

    await step(['member.down', 'member.down', 'pool.all_down'], async () => {
      await report('192.0.2.1', false);
      await report('192.0.2.2', false);
    });
    await step(['member.up', 'pool.recovered'], () => report('192.0.2.1', true));

    // A sync with nothing new raises nothing and sends nothing.
    await step([], async () => undefined);
  } finally {
    await rx.close();
  }
});

test('a second LiveHealth on the same store raises the same events, delivered once', async () => {
  const parsed = parsePoolsYaml(`checks:\n  c: { type: tcp, port: 80 }\npools:\n  api: { check: c, members: [192.0.2.7, 192.0.2.8] }\n`, '_pools.yaml');
  assert.deepEqual(parsed.errors.map(formatError), []);
  const rx = await receiver();
  const store = new MemoryStore();
  const servers = ['ns1', 'ns2'].map((name) => {
    const live = new LiveHealth(store, silent);
    const hooks = new Webhooks({ urls: [rx.url], store, log: silent, source: name });
    live.onEvent((e) => hooks.send(e));
    live.setPools(parsed.pools);
    return { live, hooks };
  });
  try {
    const now = Date.now();
    await store.report(memberKey('c', '192.0.2.7'), { vantage: 'v1', up: false, at: now, intervalMs: 10_000, since: now }, true);
    for (const s of servers) await s.live.sync();
    await Promise.all(servers.map((s) => s.hooks.flush()));
    assert.deepEqual(rx.got.map((r) => r.body.type), ['member.down']);
  } finally {
    await rx.close();
  }
});

test('a pool that fails over again soon after failing back is reported again', async () => {
  const parsed = parsePoolsYaml(`checks:\n  c: { type: tcp, port: 80 }\npools:\n  web: { check: c, policy: failover, tiers: [[192.0.2.1], [192.0.2.2]] }\n`, '_pools.yaml');
  assert.deepEqual(parsed.errors.map(formatError), []);
  const rx = await receiver();
  const store = new MemoryStore();
  const live = new LiveHealth(store, silent);
  const hooks = new Webhooks({ urls: [rx.url], store, log: silent, source: 'ns1' });
  live.onEvent((e) => hooks.send(e));
  live.setPools(parsed.pools);
  let since = Date.now();
  try {
    for (const up of [false, true, false]) {
      since += 1;
      await store.report(memberKey('c', '192.0.2.1'), { vantage: 'v1', up, at: Date.now(), intervalMs: 10_000, since }, true);
      await live.sync();
    }
    await hooks.flush();
    const pool = rx.got.map((r) => String(r.body.type)).filter((t) => t.startsWith('pool.'));
    assert.deepEqual(pool, ['pool.failover', 'pool.failback', 'pool.failover']);
  } finally {
    await rx.close();
  }
});
