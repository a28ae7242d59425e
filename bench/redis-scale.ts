// `npm run bench:redis`: what one Redis pays for a deployment. A real
// redis-server on a free loopback port; V probers (RedisStore, as
// `pulsedns probe` uses it) each reporting M members with a 1 s check; N
// server primaries following the channel and reconciling once a second: one
// is a real RedisStore (as `serve --redis` runs it), the others ioredis
// clients that do what it does on the wire (SUBSCRIBE, a GET of the version
// each second, a PING per connection every 5 s), so that one benchmark
// process can stand for a whole fleet; then, for comparison, readers that
// re-read everything every second (the model before incremental sync).
// Commands come from INFO commandstats deltas, Redis CPU from INFO cpu,
// bytes sent from INFO stats. Bounded: about 3 x --seconds plus start-up.
//
//   npm run bench:redis -- --servers 20 --members 2000 --vantages 3 --seconds 5
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { RedisStore } from '../checks/store/redis.js';
import type { VantageReport } from '../checks/store/types.js';
import { startRedis } from '../test/support/redis.js';

const { values } = parseArgs({
  options: {
    servers: { type: 'string', default: '20' },
    members: { type: 'string', default: '2000' },
    vantages: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    'legacy-servers': { type: 'string', default: '4' },
  },
});
const SERVERS = Number(values.servers);
const MEMBERS = Number(values.members);
const VANTAGES = Number(values.vantages);
const SECONDS = Number(values.seconds);
const LEGACY = Math.min(Number(values['legacy-servers']), SERVERS);
const CHECK_MS = 1000;
const TICK_MS = 50;
// A few verdicts change, so the immediate path is exercised too.
const FLIP_RATE = 0.001;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (s: string): void => void process.stderr.write(s);

interface Sample {
  calls: Map<string, number>;
  cpu: number;
  outBytes: number;
  at: number;
}

async function sample(raw: Redis): Promise<Sample> {
  const [cmd, cpu, stats] = await Promise.all([raw.info('commandstats'), raw.info('cpu'), raw.info('stats')]);
  const calls = new Map([...cmd.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
  const user = Number(/used_cpu_user:([\d.]+)/.exec(cpu)?.[1] ?? 0);
  const sys = Number(/used_cpu_sys:([\d.]+)/.exec(cpu)?.[1] ?? 0);
  const outBytes = Number(/total_net_output_bytes:(\d+)/.exec(stats)?.[1] ?? 0);
  return { calls, cpu: user + sys, outBytes, at: Date.now() };
}

interface Rate {
  /** Commands per second, by name and in total. */
  byCommand: Record<string, number>;
  total: number;
  /** Fraction of one CPU core Redis used. */
  cpu: number;
  /** Bytes Redis sent per second (replies and pub/sub deliveries). */
  outBytes: number;
}

async function measure(raw: Redis, seconds: number): Promise<Rate> {
  const a = await sample(raw);
  await sleep(seconds * 1000);
  const b = await sample(raw);
  const secs = (b.at - a.at) / 1000;
  const byCommand: Record<string, number> = {};
  let total = 0;
  for (const [name, n] of b.calls) {
    // Our own measuring is not part of the deployment.
    if (name === 'info') continue;
    const d = (n - (a.calls.get(name) ?? 0)) / secs;
    if (d > 0) {
      byCommand[name] = Math.round(d * 10) / 10;
      total += d;
    }
  }
  return { byCommand, total, cpu: (b.cpu - a.cpu) / secs, outBytes: (b.outBytes - a.outBytes) / secs };
}

/** A prober: every member re-reported once per check interval, spread over the interval. */
function runProber(store: RedisStore, vantage: string, members: string[]): () => void {
  const since = Date.now();
  const up = new Map(members.map((m) => [m, true]));
  let slot = 0;
  const slots = CHECK_MS / TICK_MS;
  const timer = setInterval(() => {
    const now = Date.now();
    for (let i = slot; i < members.length; i += slots) {
      const m = members[i]!;
      let changed = false;
      if (Math.random() < FLIP_RATE) {
        up.set(m, !up.get(m));
        changed = true;
      }
      const r: VantageReport = { vantage, up: up.get(m)!, at: now, intervalMs: CHECK_MS, since };
      store.report(m, r, changed).catch(() => undefined);
    }
    slot = (slot + 1) % slots;
  }, TICK_MS);
  return () => clearInterval(timer);
}

/** A server primary's traffic with Redis in steady state, without the rest of a server. */
async function runWireServer(url: string, key: string, channel: string): Promise<() => void> {
  const cmd = new Redis(url, { connectionName: 'pulsedns-command' });
  const sub = new Redis(url, { connectionName: 'pulsedns-subscriber' });
  await sub.subscribe(channel);
  await cmd.get(key);
  let n = 0;
  const timer = setInterval(() => {
    void cmd.get(key).catch(() => undefined);
    if (++n % 5 === 0) for (const c of [cmd, sub]) void c.ping().catch(() => undefined);
  }, CHECK_MS);
  return () => {
    clearInterval(timer);
    cmd.disconnect();
    sub.disconnect();
  };
}

/** A server primary's Redis side: follow the channel, reconcile every second. */
async function runServer(store: RedisStore, follow: boolean): Promise<() => void> {
  if (follow) await store.subscribe(() => undefined);
  // A busy bench process may take a while to connect everything.
  for (let tries = 0; ; tries++) {
    try {
      await store.snapshot();
      break;
    } catch (e) {
      if (tries >= 20) throw e;
      await sleep(500);
    }
  }
  const timer = setInterval(() => void store.snapshot().catch(() => undefined), CHECK_MS);
  return () => clearInterval(timer);
}

function fmt(n: number, digits = 1): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(digits);
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const raw = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  const stops: Array<() => void> = [];
  const stores: RedisStore[] = [];
  const open = (): RedisStore => {
    const s = new RedisStore({ url: redis.url });
    stores.push(s);
    return s;
  };
  try {
    log(`redis-scale: ${VANTAGES} probers x ${MEMBERS} members (1 s check), ${SERVERS} servers; ${SECONDS} s per phase\n`);
    const members = Array.from({ length: MEMBERS }, (_, i) => `web|10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    for (let v = 0; v < VANTAGES; v++) stops.push(runProber(open(), `v${v + 1}`, members));
    await sleep(2000);

    log('phase 1: probers only\n');
    const writers = await measure(raw, SECONDS);

    log(`phase 2: + ${SERVERS} servers following the channel\n`);
    const followers: Array<() => void> = [];
    followers.push(await runServer(open(), true));
    for (let i = 1; i < SERVERS; i++) followers.push(await runWireServer(redis.url, 'pulsedns:version', 'pulsedns:changes'));
    await sleep(1500);
    const incremental = await measure(raw, SECONDS);
    for (const f of followers) f();

    log(`phase 3: probers + ${LEGACY} servers re-reading everything every second (the old model)\n`);
    const legacy: Array<() => void> = [];
    for (let i = 0; i < LEGACY; i++) legacy.push(await runServer(open(), false));
    await sleep(1500);
    const full = await measure(raw, SECONDS);
    for (const f of legacy) f();

    // Commands only readers send (probers here never read), so the count is
    // not lost in the noise of the writes.
    const readOnly = ['get', 'smembers', 'hgetall', 'multi', 'exec', 'subscribe'];
    const reads = readOnly.reduce((n, c) => n + (incremental.byCommand[c] ?? 0), 0)
      + Math.max(0, (incremental.byCommand.ping ?? 0) - (writers.byCommand.ping ?? 0));
    const readsPerServer = reads / SERVERS;
    // The old model by construction: per process and reconcile, MULTI, GET,
    // SMEMBERS, HGETALL x2, EXEC, then one HGETALL per member.
    const legacyNeeded = MEMBERS + 6;
    const legacyPerServer = Math.max(0, full.total - writers.total) / LEGACY;
    const publishes = incremental.byCommand.publish ?? 0;
    const result = {
      servers: SERVERS,
      members: MEMBERS,
      vantages: VANTAGES,
      checkMs: CHECK_MS,
      probers: { commandsPerSecond: Math.round(writers.total), perMember: writers.total / MEMBERS, redisCpu: writers.cpu, outBytes: Math.round(writers.outBytes), byCommand: writers.byCommand },
      incremental: {
        commandsPerSecond: Math.round(incremental.total),
        perServer: readsPerServer,
        perMember: incremental.total / MEMBERS,
        redisCpu: incremental.cpu,
        outBytesPerServer: Math.round(Math.max(0, incremental.outBytes - writers.outBytes) / SERVERS),
        pubsubDeliveriesPerSecond: Math.round(publishes * (SERVERS + VANTAGES)),
        byCommand: incremental.byCommand,
      },
      fullReads: { servers: LEGACY, perServer: legacyPerServer, neededPerServer: legacyNeeded, redisCpuPerServer: Math.max(0, full.cpu - writers.cpu) / LEGACY, outBytesPerServer: Math.round(Math.max(0, full.outBytes - writers.outBytes) / LEGACY) },
    };
    const line = (k: string, v: string): void => log(`  ${k.padEnd(44)} ${v}\n`);
    log('\nresults\n');
    line('probers (writes), commands/s', `${fmt(writers.total)} (${fmt(writers.total / MEMBERS, 2)} per member; Redis CPU ${fmt(writers.cpu * 100)} %)`);
    line(`+ ${SERVERS} servers, incremental sync, commands/s`, `${fmt(incremental.total)} (Redis CPU ${fmt(incremental.cpu * 100)} %)`);
    line('  per server (reads)', `${fmt(readsPerServer, 2)} commands/s`);
    line('  per member (everything)', `${fmt(incremental.total / MEMBERS, 2)} commands/s`);
    line('  pub/sub deliveries/s', fmt(result.incremental.pubsubDeliveriesPerSecond));
    line('  bytes sent per server', `${fmt(result.incremental.outBytesPerServer / 1024)} KiB/s`);
    line('full re-read every second (before), per server', `${fmt(legacyNeeded)} commands/s needed (${fmt(legacyPerServer)} completed here), Redis CPU ${fmt(result.fullReads.redisCpuPerServer * 100)} %, ${fmt(result.fullReads.outBytesPerServer / 1024)} KiB/s`);
    process.stdout.write(JSON.stringify(result) + '\n');
  } finally {
    for (const s of stops) s();
    await Promise.all(stores.map((s) => s.close()));
    raw.disconnect();
    await redis.stop();
  }
}

await main();
