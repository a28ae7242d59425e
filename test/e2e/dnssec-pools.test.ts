// Pools under DNSSEC: a pool-backed name in a signed zone, real HTTP
// backends and real health checks, and delv (the zone's key as trust anchor)
// judging every answer as health changes it: all up, a member killed, a
// member drained, one forced down, and every member down (answered with all
// members by `on_all_down: all`, and as NODATA by `on_all_down: empty`).
// Each new member subset gets its own signature; the shuffle never matters.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '../../server/wire/constants.js';
import { nameFromText } from '../../server/wire/names.js';
import { createKey } from '../../server/dnssec/keys.js';
import { needTool } from '../support/tools.js';
import { startPulse, type Spawned } from '../support/server.js';
import { query } from '../support/client.js';
import { delvAll, writeAnchorFile, type DelvTarget } from '../support/delv.js';
import { Backend, DOWN_BOUND_MS, FAST, portFreeOn, waitFor } from '../support/backends.js';

const { INTERVAL_MS, TIMEOUT_MS, FALL, RISE, TTL, DEGRADED_TTL } = FAST;
const A = '127.0.0.31';
const B = '127.0.0.32';
const C = '127.0.0.33';
const ALL = [A, B, C];
const PORT = await portFreeOn(ALL);
const backends = new Map(ALL.map((a) => [a, new Backend(a, PORT)]));
const dirs: string[] = [];
after(async () => {
  await Promise.all([...backends.values()].map((b) => b.kill()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const POOLS = `checks:
  web-http: { type: http, port: ${PORT}, path: /healthz, interval: ${INTERVAL_MS}ms, timeout: ${TIMEOUT_MS}ms, fall: ${FALL}, rise: ${RISE} }
pools:
  web: { check: web-http, policy: all, members: [${ALL.join(', ')}], ttl: ${TTL}, degraded_ttl: ${DEGRADED_TTL} }
  strict: { check: web-http, policy: all, members: [${ALL.join(', ')}], ttl: ${TTL}, degraded_ttl: ${DEGRADED_TTL}, on_all_down: empty }
`;

const ZONE = `dnssec: true
records:
  '@':
    - { type: SOA, value: { mname: ns1, rname: hostmaster, serial: 1 } }
    - { type: NS, value: ns1 }
  ns1: { type: A, value: 192.0.2.53 }
  www: { type: A, pool: web }
  strict: { type: A, pool: strict }
  mx: { type: MX, value: { preference: 10, exchange: www } }
`;

async function addrs(s: Spawned, name: string): Promise<string> {
  const m = await query(s, name, 'A', { edns: { dnssecOk: true } });
  assert.equal(m.answer.filter((r) => r.type === Type.RRSIG).length, m.answer.length ? 1 : 0, 'one RRSIG with the pool answer');
  return m.answer.filter((r) => r.type === Type.A).map((r) => r.data).sort().join(',');
}

async function settle(s: Spawned, name: string, want: string, what: string): Promise<void> {
  let last = '';
  await waitFor(() => `${what}: want ${want}, last ${last}`, async () => (last = await addrs(s, name)) === want, DOWN_BOUND_MS + 4000, 25);
}

async function validates(target: DelvTarget, what: string, negativeStrict = false): Promise<void> {
  // Several times each: every answer is a fresh shuffle of the same signed subset.
  const qs: [string, string][] = [['www.pulse.test', 'A'], ['www.pulse.test', 'A'], ['mx.pulse.test', 'MX'], ['strict.pulse.test', 'A'], ['strict.pulse.test', 'A']];
  const r = await delvAll(target, qs);
  r.forEach((v, i) => {
    const [n] = qs[i]!;
    if (negativeStrict && n.startsWith('strict')) {
      assert.ok(v.negativeValidated, `${what}: ${n}\n${v.output}`);
    } else if (n.startsWith('strict')) {
      // With one member left, a check that times out on a loaded machine can
      // empty `strict` (on_all_down: empty) between settle() and delv: that
      // answer must validate too, as a proven NODATA.
      assert.ok(v.fullyValidated || v.negativeValidated, `${what}: ${n}\n${v.output}`);
    } else {
      assert.ok(v.fullyValidated, `${what}: ${n}\n${v.output}`);
    }
  });
}

// Overrides are changes: the admin endpoint wants its token.
const ADMIN_TOKEN = 'dnssec-pools-test-token';
const admin = async (s: Spawned, method: 'POST' | 'DELETE', body: Record<string, string>): Promise<void> => {
  const url = method === 'POST' ? `${s.admin}/v1/override` : `${s.admin}/v1/override?pool=${body.pool}&address=${body.address}`;
  const r = await fetch(url, { method, ...(method === 'POST' ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` } } : { headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` } }) });
  assert.ok(r.ok, `${method} override: ${r.status} ${await r.text()}`);
};

test('every pool answer validates while members fail, drain, are forced down, and all go down', async (t) => {
  const delvPath = needTool(t, 'delv', 'bind9-dnsutils');
  if (!delvPath) return;
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-dnssec-pools-'));
  dirs.push(dir);
  const zones = join(dir, 'zones');
  mkdirSync(zones);
  writeFileSync(join(zones, '_pools.yaml'), POOLS);
  writeFileSync(join(zones, 'pulse.test.yaml'), ZONE);
  const key = createKey(join(dir, 'keys'), nameFromText('pulse.test.'), 13);
  for (const b of backends.values()) await b.start();
  const s = await startPulse(zones, ['--keys', join(dir, 'keys'), '--admin-token', ADMIN_TOKEN]);
  try {
    const target: DelvTarget = { delvPath, host: '127.0.0.1', port: s.port, zone: 'pulse.test', anchorFile: writeAnchorFile(dir, 'pulse.test', key.dnskey) };
    await settle(s, 'www.pulse.test', [A, B, C].join(','), 'all up');
    await validates(target, 'all up');

    await backends.get(B)!.kill();
    await settle(s, 'www.pulse.test', [A, C].join(','), 'B killed');
    await validates(target, 'B killed');

    await admin(s, 'POST', { pool: '*', address: C, mode: 'drain', reason: 'test' });
    await settle(s, 'www.pulse.test', A, 'C drained');
    await validates(target, 'C drained');
    await admin(s, 'DELETE', { pool: '*', address: C });

    await admin(s, 'POST', { pool: '*', address: A, mode: 'force-down', reason: 'test' });
    await settle(s, 'www.pulse.test', C, 'A forced down');
    await validates(target, 'A forced down');
    await admin(s, 'DELETE', { pool: '*', address: A });

    for (const b of backends.values()) await b.kill();
    await settle(s, 'www.pulse.test', [A, B, C].join(','), 'all down: on_all_down all');
    await settle(s, 'strict.pulse.test', '', 'all down: on_all_down empty');
    await validates(target, 'all down', true);

    const metrics = await (await fetch(`${s.admin}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
    const made = Number(/^pulsedns_dnssec_signatures_total (\d+)/m.exec(metrics)?.[1]);
    const hits = Number(/^pulsedns_dnssec_signature_cache_hits_total (\d+)/m.exec(metrics)?.[1]);
    t.diagnostic(`signatures made ${made}, signature cache hits ${hits}`);
    assert.ok(hits > 0, 'pool subsets signed once and reused');
  } finally {
    await s.stop();
  }
});
