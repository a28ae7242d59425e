// /metrics after a scripted workload, read with a real Prometheus text parser.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { startPulse, type Spawned } from '../../support/server.js';
import { query, udpExchange } from '../../support/client.js';
import { freePort } from '../../support/ports.js';

const REPO = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'pulse-metrics-'));
cpSync(join(REPO, 'zones'), dir, { recursive: true });
const servers: Spawned[] = [];
const PKG_VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
});

type Families = ReturnType<typeof parsePrometheusTextFormat>;

/** Parsed families, and the text for labelled histograms (the parser folds those into one sample without labels). */
async function scrape(s: Spawned): Promise<Families & { text: string }> {
  const res = await fetch(`${s.admin}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
  const text = await res.text();
  return Object.assign(parsePrometheusTextFormat(text), { text });
}

/** `<name>_count` of the histogram series with exactly these labels. */
function histogramCount(text: string, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).sort().join(',');
  for (const line of text.split('\n')) {
    const m = new RegExp(`^${name}_count\\{([^}]*)\\} (\\S+)$`).exec(line);
    if (m && m[1]!.split(',').sort().join(',') === want) return Number(m[2]);
  }
  return assert.fail(`${name}_count${JSON.stringify(labels)} missing`);
}

function value(f: Families, name: string, labels: Record<string, string> = {}): number {
  const fam = f.find((x) => x.name === name);
  assert.ok(fam, `metric ${name} missing`);
  const m = fam.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
  assert.ok(m, `${name}${JSON.stringify(labels)} missing`);
  return Number(m.value);
}

/** The worker processes of a cluster primary (Linux /proc). */
function workerPids(primary: number): number[] {
  return readFileSync(`/proc/${primary}/task/${primary}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

/** The scripted workload: 28 questions in served zones (3 over TCP), one outside, one FORMERR, one runt. */
async function workload(s: Spawned, part: 'all' | 'first' | 'second'): Promise<void> {
  const first = part !== 'second';
  const second = part !== 'first';
  if (first) for (let i = 0; i < 20; i++) await query(s, 'www.example.com', 'A');
  if (second) {
    for (let i = 0; i < 5; i++) await query(s, 'nope.example.com', 'A');
    for (let i = 0; i < 3; i++) await query(s, 'example.com', 'MX', { tcp: true });
    await query(s, 'example.org', 'A');
    // Two malformed messages: a runt (dropped) and QDCOUNT=0 (FORMERR).
    await udpExchange(s, Buffer.alloc(5), 300).catch(() => undefined);
    const noQuestion = Buffer.alloc(12);
    noQuestion.writeUInt16BE(0x4242, 0);
    await udpExchange(s, noQuestion);
  }
}

for (const workers of ['1', '2']) {
  test(`counters and the latency histogram move with traffic (${workers} worker${workers === '1' ? '' : 's'})`, async () => {
    const s = await startPulse(dir, ['--workers', workers]);
    servers.push(s);
    if (workers === '2') {
      // Make each worker answer part of the workload for certain: the other is
      // stopped meanwhile (they share the sockets, so the running one gets it all).
      const [w1, w2] = workerPids(s.proc.pid!);
      assert.ok(w1 && w2, 'two workers');
      process.kill(w2, 'SIGSTOP');
      try {
        await workload(s, 'first');
      } finally {
        process.kill(w2, 'SIGCONT');
      }
      process.kill(w1, 'SIGSTOP');
      try {
        await workload(s, 'second');
      } finally {
        process.kill(w1, 'SIGCONT');
      }
    } else await workload(s, 'all');

    const f = await scrape(s);
    assert.equal(value(f, 'pulsedns_queries_total', { transport: 'udp' }), 28);
    assert.equal(value(f, 'pulsedns_queries_total', { transport: 'tcp' }), 3);
    assert.equal(value(f, 'pulsedns_queries_by_type_total', { type: 'A' }), 26);
    assert.equal(value(f, 'pulsedns_queries_by_type_total', { type: 'MX' }), 3);
    assert.equal(value(f, 'pulsedns_queries_by_zone_total', { zone: 'example.com.' }), 28);
    assert.equal(value(f, 'pulsedns_queries_by_zone_total', { zone: '2.0.192.in-addr.arpa.' }), 0, 'every served zone has a series from the start');
    assert.equal(value(f, 'pulsedns_queries_by_zone_total', { zone: 'other' }), 2, 'outside every zone (REFUSED) and no question (FORMERR)');
    assert.equal(value(f, 'pulsedns_responses_total', { rcode: 'NXDOMAIN' }), 5);
    assert.equal(value(f, 'pulsedns_responses_total', { rcode: 'REFUSED' }), 1);
    assert.equal(value(f, 'pulsedns_responses_total', { rcode: 'FORMERR' }), 1);
    assert.equal(value(f, 'pulsedns_dropped_total'), 1);
    const hist = f.find((x) => x.name === 'pulsedns_query_duration_seconds');
    assert.equal(hist?.type, 'HISTOGRAM');
    assert.equal(hist!.metrics.length, 1, 'one histogram for the server, however many workers');
    const h = hist!.metrics[0]!;
    assert.equal(Number(h.count), 30, 'every answered query is timed');
    assert.equal(Number(h.buckets!['+Inf']), 30);
    assert.ok(Number(h.buckets!['0.25']) >= 29, 'answers take well under 250 ms');
    assert.ok(Number(h.sum) > 0);
    assert.ok(value(f, 'pulsedns_zone_serial', { zone: 'example.com.' }) > 1_000_000_000);
    assert.equal(value(f, 'pulsedns_zone_reloads_total', { result: 'ok' }), 1, 'the server loaded once (workers\' own loads are not counted again)');
    assert.equal(histogramCount(f.text, 'pulsedns_zone_reload_duration_seconds', { result: 'ok' }), 1);
    assert.equal(value(f, 'pulsedns_member_up', { pool: 'web', address: '192.0.2.11' }), 1);
    assert.equal(value(f, 'pulsedns_health_store_up'), 1);
    assert.equal(value(f, 'pulsedns_build_info', { version: PKG_VERSION, node: process.version }), 1);
    // Process and Node metrics, summed or averaged over the processes by prom-client.
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_gc_duration_seconds']) {
      assert.ok(f.some((x) => x.name === name), `${name} missing`);
    }
    assert.ok(value(f, 'process_cpu_seconds_total') > 0);
    for (const fam of f) assert.equal(f.filter((x) => x.name === fam.name).length, 1, `${fam.name} appears once`);
  });
}

test('probes, vantages and reloads: histograms per check type, no churning labels', async () => {
  const d = mkdtempSync(join(tmpdir(), 'pulse-metrics-probe-'));
  try {
    cpSync(join(REPO, 'zones'), d, { recursive: true });
    const closed = await freePort('127.0.0.1');
    writeFileSync(join(d, '_pools.yaml'), `checks:
  web-tcp: { type: tcp, port: ${closed}, interval: 200ms, timeout: 100ms, fall: 1, rise: 1 }
pools:
  web:
    check: web-tcp
    policy: all
    members: [127.0.0.1, '::1']
    ttl: 60
    degraded_ttl: 30
`);
    const s = await startPulse(d);
    servers.push(s);
    await s.waitForLog(/"msg":"member.down"/);
    const zone = join(d, 'example.com.yaml');
    writeFileSync(zone, readFileSync(zone, 'utf8').replace('\nrecords:\n', '\nrecords:\n  extra: { type: TXT, value: reloaded }\n'));
    await s.waitForLog(/"names":14\}.*"msg":"zones loaded"/);
    const f = await scrape(s);
    assert.equal(f.find((x) => x.name === 'pulsedns_probe_duration_seconds')?.type, 'HISTOGRAM');
    assert.ok(histogramCount(f.text, 'pulsedns_probe_duration_seconds', { type: 'tcp', result: 'fail' }) >= 1, 'failed tcp probes are timed');
    assert.equal(value(f, 'pulsedns_member_up', { pool: 'web', address: '127.0.0.1' }), 0);
    assert.equal(value(f, 'pulsedns_member_vantage_up', { check: 'web-tcp', address: '127.0.0.1' }), 0);
    assert.equal(value(f, 'pulsedns_member_vantage_stale', { check: 'web-tcp', address: '127.0.0.1' }), 0);
    assert.equal(value(f, 'pulsedns_zone_reloads_total', { result: 'ok' }), 2);
    assert.equal(histogramCount(f.text, 'pulsedns_zone_reload_duration_seconds', { result: 'ok' }), 2);
    // Label values that change with every deploy or every few seconds make a new series each time.
    for (const fam of f) {
      for (const m of fam.metrics) for (const label of Object.keys(m.labels ?? {})) assert.ok(!['stale', 'commit'].includes(label), `${fam.name} has a churning label "${label}"`);
    }
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('/healthz and /readyz answer; the admin endpoint refuses a wrong token', async () => {
  const s = await startPulse(dir, ['--admin-token', 'sekret']);
  servers.push(s);
  assert.equal((await fetch(`${s.admin}/healthz`)).status, 200);
  assert.equal((await fetch(`${s.admin}/readyz`)).status, 200);
  assert.equal((await fetch(`${s.admin}/metrics`)).status, 401);
  assert.equal((await fetch(`${s.admin}/status`, { headers: { authorization: 'Bearer nope' } })).status, 401);
  assert.equal((await fetch(`${s.admin}/status`, { headers: { authorization: 'Bearer sekret' } })).status, 200);
});
