// /metrics after a scripted workload, read with a real Prometheus text parser.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { startPulse, type Spawned } from '../../support/server.js';
import { query, udpExchange } from '../../support/client.js';

const REPO = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'pulse-metrics-'));
cpSync(join(REPO, 'zones'), dir, { recursive: true });
const servers: Spawned[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
});

type Families = ReturnType<typeof parsePrometheusTextFormat>;

async function scrape(s: Spawned): Promise<Families> {
  const res = await fetch(`${s.admin}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
  return parsePrometheusTextFormat(await res.text());
}

function value(f: Families, name: string, labels: Record<string, string> = {}): number {
  const fam = f.find((x) => x.name === name);
  assert.ok(fam, `metric ${name} missing`);
  const m = fam.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
  assert.ok(m, `${name}${JSON.stringify(labels)} missing`);
  return Number(m.value);
}

for (const workers of ['1', '2']) {
  test(`counters and the latency histogram move with traffic (${workers} worker${workers === '1' ? '' : 's'})`, async () => {
    const s = await startPulse(dir, ['--workers', workers]);
    servers.push(s);
    if (workers === '2') await s.waitForLog(/"worker":2/);
    for (let i = 0; i < 20; i++) await query(s, 'www.example.com', 'A');
    for (let i = 0; i < 5; i++) await query(s, 'nope.example.com', 'A');
    for (let i = 0; i < 3; i++) await query(s, 'example.com', 'MX', { tcp: true });
    await query(s, 'example.org', 'A');
    // Two malformed messages: a runt (dropped) and QDCOUNT=0 (FORMERR).
    await udpExchange(s, Buffer.alloc(5), 300).catch(() => undefined);
    const noQuestion = Buffer.alloc(12);
    noQuestion.writeUInt16BE(0x4242, 0);
    await udpExchange(s, noQuestion);

    const f = await scrape(s);
    assert.equal(value(f, 'pulsedns_queries_total', { transport: 'udp' }), 28);
    assert.equal(value(f, 'pulsedns_queries_total', { transport: 'tcp' }), 3);
    assert.equal(value(f, 'pulsedns_queries_by_type_total', { type: 'A' }), 26);
    assert.equal(value(f, 'pulsedns_queries_by_type_total', { type: 'MX' }), 3);
    assert.equal(value(f, 'pulsedns_responses_total', { rcode: 'NXDOMAIN' }), 5);
    assert.equal(value(f, 'pulsedns_responses_total', { rcode: 'REFUSED' }), 1);
    assert.equal(value(f, 'pulsedns_responses_total', { rcode: 'FORMERR' }), 1);
    assert.equal(value(f, 'pulsedns_dropped_total'), 1);
    const hist = f.find((x) => x.name === 'pulsedns_query_duration_seconds');
    assert.equal(hist?.type, 'HISTOGRAM');
    const h = hist!.metrics[0]!;
    assert.equal(Number(h.count), 30, 'every answered query is timed');
    assert.equal(Number(h.buckets!['+Inf']), 30);
    assert.ok(Number(h.buckets!['0.25']) >= 29, 'answers take well under 250 ms');
    assert.ok(Number(h.sum) > 0);
    assert.ok(value(f, 'pulsedns_zone_serial', { zone: 'example.com.' }) > 1_000_000_000);
    assert.equal(value(f, 'pulsedns_zone_reloads_total', { result: 'ok' }), 1);
    assert.equal(value(f, 'pulsedns_member_up', { pool: 'web', address: '192.0.2.11' }), 1);
    assert.equal(value(f, 'pulsedns_health_store_up'), 1);
  });
}

test('/healthz and /readyz answer; the admin endpoint refuses a wrong token', async () => {
  const s = await startPulse(dir, ['--admin-token', 'sekret']);
  servers.push(s);
  assert.equal((await fetch(`${s.admin}/healthz`)).status, 200);
  assert.equal((await fetch(`${s.admin}/readyz`)).status, 200);
  assert.equal((await fetch(`${s.admin}/metrics`)).status, 401);
  assert.equal((await fetch(`${s.admin}/status`, { headers: { authorization: 'Bearer nope' } })).status, 401);
  assert.equal((await fetch(`${s.admin}/status`, { headers: { authorization: 'Bearer sekret' } })).status, 200);
});
