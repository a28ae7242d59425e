// The distributed store. The key layout below is a contract with operators
// (docs/redis.md) and with other pulsedns versions sharing one Redis: it is
// read and written only here.
//
// Failure model: a DNS server must keep answering from its last view when
// Redis is unreachable, so nothing here may hang or throw out of band.
// Commands fail fast while disconnected (no offline queue, bounded command
// time), both connections reconnect forever with capped backoff, and every
// connection error goes to the logger instead of becoming an 'error' event
// nobody handles. Refused credentials are told apart from an unreachable
// Redis: they are logged as errors and shown by problem(), and retried slowly.
//
// Sync model (docs/redis.md): every write bumps one version counter and
// publishes its data with the new version, in one script. A process that
// subscribes keeps a Mirror current from those messages, and snapshot()
// compares versions (one GET) instead of re-reading every member; it reads
// everything only when the versions show a gap.
import { EventEmitter } from 'node:events';
import type { ConnectionOptions } from 'node:tls';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type {
  FailoverLatch,
  HealthSnapshot,
  HealthStore,
  Override,
  StoreChange,
  StoreProblem,
  VantageReport,
} from './types.js';
import { isLatch, isOverride, isRecord, isVantageReport, overrideField, parseJson } from './parse.js';
import { isWireMessage, listenerChanges, Mirror, type WireChange, type WireMessage } from './mirror.js';
import { ReportBatcher, type QueuedReport } from './batch.js';

export interface RedisStoreOptions {
  /** redis://[[user]:password@]host[:port][/db]; rediss:// for TLS. With `sentinels`, only credentials, db and TLS are taken from it. */
  url?: string;
  /**
   * Extra TLS settings (a private CA, a client certificate for mutual TLS,
   * servername). Given, it turns TLS on even with a redis:// url.
   */
  tls?: ConnectionOptions;
  /** Sentinel mode: where to ask for the current primary. */
  sentinels?: Array<{ host: string; port: number }>;
  /** The primary's name as configured in Sentinel (default 'mymaster'). */
  sentinelName?: string;
  /** When the sentinels themselves require a password (it is often not the data password). */
  sentinelPassword?: string;
  /** TLS to the sentinels too (rediss:// only covers the data connections). */
  sentinelTls?: boolean;
  /** Namespace for every key and the channel; lets several deployments share one Redis. */
  prefix?: string;
  logger?: Logger;
  /** Upper bound on one command's round trip before it is failed (default 1000 ms). */
  commandTimeoutMs?: number;
  /**
   * How often both connections are PINGed (default 5000 ms). A Redis that
   * hangs, or a network that drops packets without resetting connections,
   * leaves sockets looking open; an unanswered PING forces a reconnect so
   * healthy() turns false and a resync follows recovery.
   */
  heartbeatMs?: number;
  /** How long routine (unchanged) reports wait to be written together (default 250 ms). */
  batchLingerMs?: number;
}

const DEFAULT_PREFIX = 'pulsedns:';
const DEFAULT_COMMAND_TIMEOUT_MS = 1000;
// Long enough for a TLS handshake to a managed Redis across a region, short
// enough that a blackholed address does not hold a reconnect cycle for long.
const CONNECT_TIMEOUT_MS = 3000;
const RECONNECT_CAP_MS = 1000;
// A member nobody has reported on for a day has left the zones; its hash
// expires and the next snapshot drops it from the members set.
const REPORT_TTL_SECONDS = 24 * 60 * 60;
// How long subscribe() and the first commands wait for the initial
// connection before giving up on it (after that, everything fails fast).
const FIRST_CONNECT_WAIT_MS = 2000;
const RESUBSCRIBE_RETRY_MS = 1000;
const DEFAULT_HEARTBEAT_MS = 5000;
const SWEEP_BATCH = 500;
// Refused credentials do not heal by hammering: try again now and then, in
// case the password is fixed on the Redis side.
const AUTH_RETRY_MS = 5000;
const DEFAULT_LINGER_MS = 250;
// Reports per script call: bounds how long one write holds Redis.
const MAX_BATCH = 500;
// A report hash's expiry is pushed back at most this often per member (and
// whenever the hash or the vantage's field is new).
const REFRESH_EXPIRY_MS = 60 * 60 * 1000;
// After a GET shows a newer version than the mirror's, messages in flight
// get this long to arrive before the mirror is declared behind.
const CATCH_UP_MS = 500;
// A copy still short of a version Redis had this long ago has lost a message.
const GAP_GRACE_MS = 2000;

// Every write script starts with this: bump the version, publish the data
// with it. KEYS[1] is always the version counter.
const ANNOUNCE = `
local function announce(channel, changes)
  local v = redis.call('INCR', KEYS[1])
  redis.call('PUBLISH', channel, '{"v":' .. string.format('%d', v) .. ',"changes":' .. changes .. '}')
  return v
end
`;

// KEYS[1] = version, KEYS[2] = members set, KEYS[3..] = one report hash per report;
// ARGV[1] = channel, ARGV[2] = expiry (s), ARGV[3] = changes JSON,
// then per report: member, vantage, report JSON, refresh ('1' = push expiry back).
const WRITE_REPORTS = `${ANNOUNCE}
for i = 3, #KEYS do
  local a = 4 + (i - 3) * 4
  local created = redis.call('HSET', KEYS[i], ARGV[a + 1], ARGV[a + 2])
  if created == 1 or ARGV[a + 3] == '1' then
    redis.call('EXPIRE', KEYS[i], ARGV[2])
    redis.call('SADD', KEYS[2], ARGV[a])
  end
end
return announce(ARGV[1], ARGV[3])`;

// KEYS[1] = version, KEYS[2] = hash; ARGV = field, value, channel, changes.
const HSET_AND_ANNOUNCE = `${ANNOUNCE}
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return announce(ARGV[3], ARGV[4])`;

// Removes members whose report hash has expired. Done in Lua so a prober's
// report landing between our read and the SREM cannot be undone by it.
// KEYS[1] = members set, KEYS[2..] = report hashes; ARGV[i] = member of KEYS[i+1].
const SWEEP_MEMBERS = `
local removed = 0
for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 0 then
    removed = removed + redis.call('SREM', KEYS[1], ARGV[i - 1])
  end
end
return removed`;

// Delete-then-announce must be atomic so the notice goes out exactly when
// something was removed, even with two operators racing.
// KEYS[1] = version, KEYS[2] = hash; ARGV = field, channel, changes.
const HDEL_AND_ANNOUNCE = `${ANNOUNCE}
local n = redis.call('HDEL', KEYS[2], ARGV[1])
if n == 1 then announce(ARGV[2], ARGV[3]) end
return n`;

// Set-if-absent plus announce, atomically: only the winning server publishes.
// KEYS[1] = version, KEYS[2] = hash; ARGV = field, value, channel, changes.
const HSETNX_AND_ANNOUNCE = `${ANNOUNCE}
local n = redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2])
if n == 1 then announce(ARGV[3], ARGV[4]) end
return n`;

const CHANGE = 'change';

type Role = 'command' | 'subscriber';

/** Replies that mean our credentials or permissions were refused: retrying as-is will not help. */
export function isAuthError(err: unknown): boolean {
  const msg = err instanceof Error ? err.message : String(err);
  return /^(WRONGPASS|NOAUTH|NOPERM)\b/.test(msg) || /^ERR (invalid password|invalid username-password|AUTH )/i.test(msg);
}

/** The scripts, as commands defined on each connection (EVALSHA, falling back to EVAL). */
interface Scripted {
  pulsednsWriteReports(...args: Array<string | number>): Promise<number>;
  pulsednsHsetAnnounce(...args: Array<string | number>): Promise<number>;
  pulsednsHdelAnnounce(...args: Array<string | number>): Promise<number>;
  pulsednsHsetnxAnnounce(...args: Array<string | number>): Promise<number>;
}

function reconnectDelay(attempt: number): number {
  // Jitter spreads out a fleet of servers reconnecting after a Redis restart.
  const base = Math.min(50 * 2 ** Math.min(attempt, 6), RECONNECT_CAP_MS);
  return Math.round(base * (0.75 + Math.random() * 0.25));
}

function isStoreChange(v: unknown): v is StoreChange {
  if (!isRecord(v)) return false;
  if (v.kind === 'override' || v.kind === 'latch') return true;
  return v.kind === 'report' && typeof v.member === 'string' && isVantageReport(v.report);
}

/** Everything but the probe time is as before: a routine re-report. */
function sameButTime(a: VantageReport | undefined, b: VantageReport): boolean {
  return a !== undefined && a.up === b.up && a.since === b.since && a.intervalMs === b.intervalMs && a.reason === b.reason && a.vantage === b.vantage;
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return isRecord(v) && Object.values(v).every((s) => typeof s === 'string');
}

/** Results of a pipeline or MULTI, or the first error in it. */
function unwrap(res: Array<[Error | null, unknown]> | null): unknown[] {
  if (res === null) throw new Error('transaction aborted');
  return res.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

function errorMessage(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  // ioredis's wording for "refused because we are not connected".
  return msg.includes('enableOfflineQueue') ? 'not connected to Redis' : msg;
}

/** Waits for `p` but no longer than `ms`; never rejects, leaves no timer behind. */
async function waitAtMost(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([p.catch(() => undefined), new Promise<void>((resolve) => { timer = setTimeout(resolve, ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

export class RedisStore implements HealthStore {
  private readonly prefix: string;
  private readonly channel: string;
  private readonly logger?: Logger;
  private readonly opts: RedisStoreOptions;
  private readonly cmd: Redis;
  private sub?: Redis;
  private readonly emitter = new EventEmitter();
  private closing = false;
  /** The command connection has been ready or has failed at least once; from then on commands never wait for it. */
  private cmdSettled = false;
  private readonly cmdFirstSettle: Promise<void>;
  /** The subscriber connection is ready and SUBSCRIBEd to the channel. */
  private subscribed = false;
  private subscribedWaiters: Array<() => void> = [];
  private resubscribeTimer?: NodeJS.Timeout;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly pinging = new Set<Redis>();
  /** Connections that stopped answering; unhealthy until their next 'ready'. */
  private readonly suspect = new Set<Redis>();
  /**
   * Changes may have been missed (a connection dropped, or never came up),
   * so listeners get told to resync once both connections are back.
   */
  private resyncPending = false;
  /** Connections whose last attempt was refused for credentials, with Redis's words. */
  private readonly refused = new Map<Redis, string>();
  /** Operations refused for permissions (NOPERM) on a working connection, until one succeeds. */
  private readonly forbidden = new Map<string, string>();
  private readonly batcher: ReportBatcher;
  /** member -> when this process last pushed its report hash's expiry back. */
  private readonly refreshedAt = new Map<string, number>();
  /** member + vantage -> the report last written, to publish re-reports compactly. */
  private readonly lastSent = new Map<string, VantageReport>();
  /** The local copy, kept by processes that follow the channel (created by subscribe). */
  private mirror?: Mirror;
  /** A full read in flight, shared by concurrent callers. */
  private reading?: Promise<HealthSnapshot>;
  /** Messages that arrived while a full read was in flight, applied on top of it. */
  private buffered: WireMessage[] = [];
  private catchUpWaiters: Array<() => void> = [];
  /** Redis's version at a check the copy had not caught up with yet, and when. */
  private behind: { version: number; at: number } | undefined;

  constructor(opts: RedisStoreOptions = {}) {
    this.opts = opts;
    this.prefix = opts.prefix ?? DEFAULT_PREFIX;
    this.channel = `${this.prefix}changes`;
    this.logger = opts.logger;
    this.emitter.setMaxListeners(0);
    this.batcher = new ReportBatcher((batch) => this.writeReports(batch), opts.batchLingerMs ?? DEFAULT_LINGER_MS, MAX_BATCH);
    this.cmd = this.open('command');
    this.cmdFirstSettle = new Promise<void>((resolve) => {
      const settle = (): void => {
        this.cmdSettled = true;
        resolve();
      };
      this.cmd.once('ready', settle);
      this.cmd.once('close', settle);
      this.cmd.once('end', settle);
    });
    this.cmd.on('ready', () => this.maybeResync());
    this.cmd.on('close', () => {
      if (this.sub && !this.closing) this.resyncPending = true;
    });
    this.heartbeat = setInterval(() => this.beat(), opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
    // The connections keep the process alive while they are wanted; the
    // heartbeat alone must not.
    this.heartbeat.unref();
  }

  // ---- keys: the whole layout, in one place ----

  private reportKey(member: string): string {
    return `${this.prefix}report:${member}`;
  }

  private get membersKey(): string {
    return `${this.prefix}members`;
  }

  private get overridesKey(): string {
    return `${this.prefix}overrides`;
  }

  private get latchesKey(): string {
    return `${this.prefix}latches`;
  }

  private get versionKey(): string {
    return `${this.prefix}version`;
  }

  private eventKey(id: string): string {
    return `${this.prefix}event:${id}`;
  }

  private get scripts(): Scripted {
    return this.cmd as unknown as Scripted;
  }

  // ---- HealthStore ----

  report(member: string, report: VantageReport, changed: boolean): Promise<void> {
    return this.batcher.add(member, report, changed);
  }

  private async writeReports(batch: QueuedReport[]): Promise<void> {
    await this.run('report', async () => {
      const now = Date.now();
      const keys = [this.versionKey, this.membersKey];
      const perReport: string[] = [];
      const changes: WireChange[] = [];
      const seen = new Map<string, { at: number; members: string[] }>();
      for (const { member, report, changed } of batch) {
        const refresh = now - (this.refreshedAt.get(member) ?? 0) > REFRESH_EXPIRY_MS;
        if (refresh) this.refreshedAt.set(member, now);
        keys.push(this.reportKey(member));
        perReport.push(member, report.vantage, JSON.stringify(report), refresh ? '1' : '0');
        // Most reports only move their time on: publish those as a member
        // list per vantage rather than whole reports (readers' bandwidth).
        const sentKey = `${member}\n${report.vantage}`;
        if (!changed && sameButTime(this.lastSent.get(sentKey), report)) {
          const group = seen.get(report.vantage) ?? { at: report.at, members: [] };
          group.at = Math.min(group.at, report.at);
          group.members.push(member);
          seen.set(report.vantage, group);
        } else changes.push({ kind: 'report', member, report, changed });
        this.lastSent.set(sentKey, report);
      }
      for (const [vantage, g] of seen) changes.push({ kind: 'seen', vantage, at: g.at, members: g.members });
      await this.scripts.pulsednsWriteReports(keys.length, ...keys, this.channel, REPORT_TTL_SECONDS, JSON.stringify(changes), ...perReport);
    });
  }

  async snapshot(): Promise<HealthSnapshot> {
    const mirror = this.mirror;
    // A one-shot reader (the CLI): read everything.
    if (!mirror) return this.run('snapshot', async () => (await this.readAll()).snap);
    return this.run('snapshot', async () => {
      // The copy is only as good as the subscription feeding it.
      if (!this.subscribed) mirror.synced = false;
      if (mirror.synced) {
        // Messages keep arriving while the GET is on its way: compare with
        // the version the copy had when it was sent.
        const before = mirror.version;
        const remote = Number((await this.cmd.get(this.versionKey)) ?? 0);
        // Gone backwards: Redis lost its data (restarted empty, flushed).
        // Still short of what Redis had a while ago: a message was lost (a
        // later one would have shown the gap; this catches the last one).
        const overdue = this.behind !== undefined && mirror.version < this.behind.version && Date.now() - this.behind.at > GAP_GRACE_MS;
        if (remote < before || overdue) mirror.synced = false;
        else if (remote > mirror.version && !(await this.catchUp(remote))) {
          // Messages may still be on their way (a busy process reads them
          // late): answer from the copy now, and read everything only if it
          // is still short of this version a while later.
          if (this.behind === undefined || mirror.version >= this.behind.version) this.behind = { version: remote, at: Date.now() };
        } else this.behind = undefined;
        if (mirror.synced) return mirror.snapshot();
        this.logger?.debug({ local: mirror.version, remote, overdue }, remote < before ? 'redis version went back (data lost); reading everything' : 'health copy missed a change; reading everything');
      } else if (mirror.version > 0) this.logger?.debug({ subscribed: this.subscribed }, 'health copy out of sync; reading everything');
      this.behind = undefined;
      return this.readIntoMirror(mirror);
    });
  }

  async subscribe(listener: (change: StoreChange) => void): Promise<void> {
    this.emitter.on(CHANGE, (change: StoreChange) => {
      try {
        listener(change);
      } catch (err) {
        // A broken listener must not starve the others or escape into the
        // ioredis event loop, where it would be an uncaught exception.
        this.logger?.error({ err }, 'health store listener threw');
      }
    });
    if (this.closing) return;
    this.mirror ??= new Mirror();
    if (!this.sub) {
      this.sub = this.open('subscriber');
      this.sub.on('ready', () => void this.ensureSubscribed());
      this.sub.on('close', () => {
        this.subscribed = false;
        if (this.mirror) this.mirror.synced = false;
        if (!this.closing) this.resyncPending = true;
      });
      this.sub.on('message', (channel: string, message: string) => this.onMessage(channel, message));
    }
    if (this.subscribed) return;
    // Wait for the subscription so a caller that writes right after
    // subscribing sees its own change; but not forever: when Redis is down
    // the subscription is made on reconnect and a resync is delivered then.
    const sub = this.sub;
    let finish = (): void => undefined;
    const settled = new Promise<void>((resolve) => {
      finish = resolve;
    });
    this.subscribedWaiters.push(finish);
    sub.once('close', finish);
    await waitAtMost(settled, FIRST_CONNECT_WAIT_MS);
    sub.off('close', finish);
    this.subscribedWaiters = this.subscribedWaiters.filter((w) => w !== finish);
    if (!this.subscribed && this.problem()?.kind !== 'auth') this.logger?.warn({ channel: this.channel }, 'redis unreachable; will subscribe for health changes when it is back');
  }

  async setOverride(o: Override): Promise<void> {
    await this.run('setOverride', async () => {
      const field = overrideField(o.pool, o.address);
      await this.scripts.pulsednsHsetAnnounce(2, this.versionKey, this.overridesKey, field, JSON.stringify(o), this.channel,
        JSON.stringify([{ kind: 'override', field, override: o }] satisfies WireChange[]));
    });
  }

  async clearOverride(pool: string, address: string): Promise<boolean> {
    return this.run('clearOverride', async () => {
      const field = overrideField(pool, address);
      const n = await this.scripts.pulsednsHdelAnnounce(2, this.versionKey, this.overridesKey, field, this.channel,
        JSON.stringify([{ kind: 'override', field, override: null }] satisfies WireChange[]));
      return n === 1;
    });
  }

  async latch(l: FailoverLatch): Promise<boolean> {
    return this.run('latch', async () => {
      const n = await this.scripts.pulsednsHsetnxAnnounce(2, this.versionKey, this.latchesKey, l.pool, JSON.stringify(l), this.channel,
        JSON.stringify([{ kind: 'latch', pool: l.pool, latch: l }] satisfies WireChange[]));
      return n === 1;
    });
  }

  async unlatch(pool: string): Promise<boolean> {
    return this.run('unlatch', async () => {
      const n = await this.scripts.pulsednsHdelAnnounce(2, this.versionKey, this.latchesKey, pool, this.channel,
        JSON.stringify([{ kind: 'latch', pool, latch: null }] satisfies WireChange[]));
      return n === 1;
    });
  }

  async claimEvent(id: string, ttlMs: number): Promise<boolean> {
    return this.run('claimEvent', async () => {
      const ok = await this.cmd.set(this.eventKey(id), String(Date.now()), 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX');
      return ok === 'OK';
    });
  }

  healthy(): boolean {
    if (this.closing || this.refused.size > 0 || this.forbidden.size > 0) return false;
    if (this.cmd.status !== 'ready' || this.suspect.has(this.cmd)) return false;
    // A server that has asked for changes but is not receiving them is
    // serving a view that may silently go stale.
    return this.sub === undefined || (this.subscribed && !this.suspect.has(this.sub));
  }

  problem(): StoreProblem | undefined {
    const refused = [...this.refused.values(), ...this.forbidden.values()][0];
    if (refused !== undefined) return { kind: 'auth', message: `redis refused our credentials: ${refused}` };
    if (!this.closing && !this.healthy()) return { kind: 'unreachable', message: 'redis unreachable' };
    return undefined;
  }

  async close(): Promise<void> {
    if (this.closing) return;
    // Reports still waiting for their batch are written (or fail) first.
    await this.batcher.flush();
    this.closing = true;
    clearTimeout(this.resubscribeTimer);
    clearInterval(this.heartbeat);
    for (const wake of this.subscribedWaiters.splice(0)) wake();
    for (const wake of this.catchUpWaiters.splice(0)) wake();
    await Promise.all([this.cmd, this.sub].map((c) => (c ? this.shutdown(c) : undefined)));
    this.emitter.removeAllListeners();
  }

  // ---- reading ----

  /** Everything in Redis, and the version it is current to. */
  private async readAll(): Promise<{ snap: HealthSnapshot; version: number }> {
    // One transaction, so the version matches the members, overrides and
    // latches read with it. Reports are read after; any written meanwhile
    // carry later versions and are applied again from their messages.
    const [version, members, overridesRaw, latchesRaw] = unwrap(
      await this.cmd.multi().get(this.versionKey).smembers(this.membersKey).hgetall(this.overridesKey).hgetall(this.latchesKey).exec(),
    );
    if (!isStringArray(members) || !isStringRecord(overridesRaw) || !isStringRecord(latchesRaw)) {
      throw new Error('unexpected reply shape');
    }

    const reports = new Map<string, VantageReport[]>();
    const expired: string[] = [];
    if (members.length > 0) {
      const p = this.cmd.pipeline();
      for (const m of members) p.hgetall(this.reportKey(m));
      const hashes = unwrap(await p.exec());
      members.forEach((member, i) => {
        const hash = hashes[i];
        if (!isStringRecord(hash)) throw new Error('unexpected reply shape');
        const list = this.parseValues(hash, isVantageReport, `report:${member}`);
        if (list.length > 0) reports.set(member, list);
        else if (Object.keys(hash).length === 0) expired.push(member);
      });
    }
    if (expired.length > 0) this.sweep(expired);

    return {
      snap: {
        reports,
        overrides: this.parseValues(overridesRaw, isOverride, 'overrides'),
        latches: this.parseValues(latchesRaw, isLatch, 'latches'),
      },
      version: Number(version ?? 0),
    };
  }

  private readIntoMirror(mirror: Mirror): Promise<HealthSnapshot> {
    this.reading ??= (async () => {
      try {
        const { snap, version } = await this.readAll();
        mirror.load(snap, version);
        for (const msg of this.buffered) mirror.apply(msg);
        this.wakeCaughtUp();
        return mirror.snapshot();
      } finally {
        this.reading = undefined;
        this.buffered = [];
      }
    })();
    return this.reading;
  }

  /** Waits (briefly) for the mirror to reach `version` from messages in flight. */
  private async catchUp(version: number): Promise<boolean> {
    const mirror = this.mirror!;
    const done = (): boolean => !mirror.synced || mirror.version >= version || this.closing;
    if (done()) return mirror.synced;
    let wake = (): void => undefined;
    const woken = new Promise<void>((resolve) => {
      wake = resolve;
    });
    const waiter = (): void => {
      if (done()) wake();
    };
    this.catchUpWaiters.push(waiter);
    await waitAtMost(woken, CATCH_UP_MS);
    this.catchUpWaiters = this.catchUpWaiters.filter((w) => w !== waiter);
    return mirror.synced && mirror.version >= version;
  }

  private wakeCaughtUp(): void {
    for (const w of [...this.catchUpWaiters]) w();
  }

  private onMessage(channel: string, message: string): void {
    if (channel !== this.channel) return;
    const parsed = parseJson(message);
    if (isWireMessage(parsed)) {
      for (const change of listenerChanges(parsed.changes)) this.emitter.emit(CHANGE, change);
      const mirror = this.mirror;
      if (!mirror) return;
      if (this.reading) {
        this.buffered.push(parsed);
        return;
      }
      if (mirror.synced && !mirror.apply(parsed)) {
        // Something was published that we never saw: have listeners re-read
        // now rather than at their next reconcile.
        this.logger?.debug({ got: parsed.v, why: mirror.lost }, 'missed a health change; resyncing');
        this.emitter.emit(CHANGE, { kind: 'override' } satisfies StoreChange);
      }
      this.wakeCaughtUp();
      return;
    }
    if (isStoreChange(parsed)) {
      // An older pulsedns writing without versions: pass it on, and stop
      // trusting the copy so the next snapshot reads everything.
      if (this.mirror) this.mirror.synced = false;
      this.emitter.emit(CHANGE, parsed);
      return;
    }
    this.logger?.warn({ channel, message: message.slice(0, 200) }, 'ignoring malformed health change message');
  }

  // ---- connections ----

  private open(role: Role): Redis {
    const { url, sentinels } = this.opts;
    const tls = (url?.toLowerCase().startsWith('rediss://') ?? false) || this.opts.tls !== undefined;
    let conn: Redis | undefined;
    const options: RedisOptions = {
      connectionName: `pulsedns-${role}`,
      connectTimeout: CONNECT_TIMEOUT_MS,
      commandTimeout: this.opts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
      enableOfflineQueue: false,
      // Ending a connection to a Redis that stopped answering waits this long
      // for its FIN before destroying the socket and reconnecting.
      disconnectTimeout: 500,
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => (conn && this.refused.has(conn) ? AUTH_RETRY_MS : reconnectDelay(attempt)),
      // Resubscribing ourselves on 'ready' tells us when the subscription is
      // back, which is when the resync notice may go out; see ensureSubscribed.
      autoResubscribe: false,
      // After a Sentinel failover the old primary turns replica and refuses
      // writes; reconnecting asks the sentinels for the new one.
      reconnectOnError: (err) => err.message.startsWith('READONLY'),
    };
    if (this.opts.tls) options.tls = { ...this.opts.tls };
    if (sentinels && sentinels.length > 0) {
      options.sentinels = sentinels.map(({ host, port }) => ({ host, port }));
      options.name = this.opts.sentinelName ?? 'mymaster';
      options.sentinelPassword = this.opts.sentinelPassword;
      options.enableTLSForSentinelMode = tls;
      if (this.opts.sentinelTls) options.sentinelTLS = {};
      options.sentinelRetryStrategy = reconnectDelay;
    }
    conn = url ? new Redis(url, options) : new Redis(options);
    if (role === 'command') {
      conn.defineCommand('pulsednsWriteReports', { lua: WRITE_REPORTS });
      conn.defineCommand('pulsednsHsetAnnounce', { lua: HSET_AND_ANNOUNCE });
      conn.defineCommand('pulsednsHdelAnnounce', { lua: HDEL_AND_ANNOUNCE });
      conn.defineCommand('pulsednsHsetnxAnnounce', { lua: HSETNX_AND_ANNOUNCE });
    }
    this.watch(conn, role);
    return conn;
  }

  /**
   * Logs a connection's ups and downs once per transition, not once per
   * retry; refused credentials are an error of their own, not an outage.
   */
  private watch(conn: Redis, role: Role): void {
    let state: 'up' | 'down' | 'refused' = 'up';
    const markDown = (err?: unknown): void => {
      if (this.closing) return;
      if (err !== undefined && isAuthError(err)) {
        const message = errorMessage(err);
        this.refused.set(conn, message);
        if (state !== 'refused') {
          state = 'refused';
          this.logger?.error({ role, error: message }, 'redis refused our credentials; check the password or ACL user in the redis URL (answering from the last view meanwhile)');
        }
        return;
      }
      if (state === 'refused') return;
      if (state === 'up') {
        state = 'down';
        this.logger?.warn({ role, err: err ?? undefined }, 'redis unreachable; retrying');
      } else if (err) {
        this.logger?.debug({ role, error: errorMessage(err) }, 'redis still unreachable');
      }
    };
    conn.on('error', (err: Error) => markDown(err));
    conn.on('close', () => markDown());
    conn.on('ready', () => {
      this.suspect.delete(conn);
      this.refused.delete(conn);
      if (state !== 'up') this.logger?.info({ role }, state === 'refused' ? 'redis accepted our credentials again' : 'redis connection restored');
      state = 'up';
    });
  }

  private beat(): void {
    for (const conn of [this.cmd, this.sub]) {
      if (!conn || conn.status !== 'ready' || this.pinging.has(conn) || this.suspect.has(conn)) continue;
      this.pinging.add(conn);
      conn.ping().then(
        () => this.pinging.delete(conn),
        (err: unknown) => {
          this.pinging.delete(conn);
          this.distrust(conn, err);
        },
      );
    }
  }

  /**
   * The connection looks open but Redis is not answering on it: report
   * unhealthy at once and reconnect, rather than wait for TCP to notice.
   */
  private distrust(conn: Redis, err: unknown): void {
    if (this.closing || conn.status !== 'ready' || this.suspect.has(conn)) return;
    this.suspect.add(conn);
    const role: Role = conn === this.cmd ? 'command' : 'subscriber';
    this.logger?.warn({ role, error: errorMessage(err) }, 'redis is not answering; reconnecting');
    conn.disconnect(true);
  }

  private async ensureSubscribed(): Promise<void> {
    const sub = this.sub;
    if (!sub || this.closing) return;
    clearTimeout(this.resubscribeTimer);
    try {
      await sub.subscribe(this.channel);
      this.permitted('subscribe');
    } catch (err) {
      if (this.closing) return;
      this.refusedOp('subscribe', err);
      this.logger?.warn({ err, channel: this.channel }, 'redis subscribe failed; retrying');
      // Still connected but refused (an ACL, a timeout): try again later
      // rather than never. A dropped connection resubscribes on 'ready'.
      if (sub.status === 'ready') {
        this.resubscribeTimer = setTimeout(() => void this.ensureSubscribed(), RESUBSCRIBE_RETRY_MS);
        this.resubscribeTimer.unref();
      }
      return;
    }
    if (sub.status !== 'ready' || this.closing) return;
    this.subscribed = true;
    for (const wake of this.subscribedWaiters.splice(0)) wake();
    this.maybeResync();
  }

  /**
   * After an outage, changes published while we were away are lost (pub/sub
   * does not queue). A `{kind:'override'}` notice carries no payload, and a
   * server reacts to it by re-reading the snapshot, which is exactly the
   * resync needed; so that is what listeners get, once commands can run and
   * the subscription is live again (no window in which a change is missed).
   */
  private maybeResync(): void {
    if (!this.resyncPending || this.closing || !this.subscribed || this.cmd.status !== 'ready') return;
    this.resyncPending = false;
    this.logger?.info('redis back; asking listeners to resync');
    this.emitter.emit(CHANGE, { kind: 'override' } satisfies StoreChange);
  }

  private parseValues<T>(hash: Record<string, string>, valid: (v: unknown) => v is T, where: string): T[] {
    const out: T[] = [];
    for (const [field, text] of Object.entries(hash)) {
      const value = parseJson(text);
      if (valid(value)) out.push(value);
      // Another version or a hand edit wrote something we cannot read;
      // skipping it keeps the rest of the snapshot usable.
      else this.logger?.warn({ key: `${this.prefix}${where}`, field }, 'ignoring malformed entry in redis');
    }
    return out;
  }

  private sweep(members: string[]): void {
    // In slices, so that a mass expiry (a zone deleted a day ago) does not
    // become one long script that blocks Redis for everyone else.
    for (let i = 0; i < members.length; i += SWEEP_BATCH) {
      const batch = members.slice(i, i + SWEEP_BATCH);
      const keys = [this.membersKey, ...batch.map((m) => this.reportKey(m))];
      this.cmd.eval(SWEEP_MEMBERS, keys.length, ...keys, ...batch).then(
        (n) => this.logger?.debug({ removed: n }, 'dropped members whose reports expired'),
        (err: unknown) => this.logger?.debug({ error: errorMessage(err) }, 'member sweep failed; a later snapshot retries'),
      );
    }
  }

  /**
   * Runs a command, first giving a store created a moment ago the chance to
   * finish connecting; once the connection has been up or failed, commands
   * fail at once while it is down. Errors name the operation.
   */
  private async run<T>(op: string, fn: () => Promise<T>): Promise<T> {
    if (!this.cmdSettled && !this.closing) await waitAtMost(this.cmdFirstSettle, FIRST_CONNECT_WAIT_MS);
    try {
      const value = await fn();
      this.permitted(op);
      return value;
    } catch (err) {
      if (err instanceof Error && err.message === 'Command timed out') this.distrust(this.cmd, err);
      this.refusedOp(op, err);
      throw new Error(`redis ${op} failed: ${errorMessage(err)}`, { cause: err });
    }
  }

  /** A command refused on a working connection (NOPERM: an ACL without a permission we need). */
  private refusedOp(op: string, err: unknown): void {
    if (!isAuthError(err) || this.forbidden.has(op)) return;
    this.forbidden.set(op, errorMessage(err));
    this.logger?.error({ op, error: errorMessage(err) }, 'redis refused a command for lack of permission; see the ACL in docs/redis.md');
  }

  private permitted(op: string): void {
    if (this.forbidden.delete(op)) this.logger?.info({ op }, 'redis allows this command again');
  }

  private async shutdown(conn: Redis): Promise<void> {
    // QUIT lets Redis drop the client cleanly; bounded because a half-open
    // connection would never answer. Disconnecting is what actually matters.
    if (conn.status === 'ready') await waitAtMost(conn.quit(), 500);
    conn.disconnect();
  }
}
