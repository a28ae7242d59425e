// The distributed store. The key layout below is a contract with operators
// (docs/redis.md) and with other pulsedns versions sharing one Redis: it is
// read and written only here.
//
// Failure model: a DNS server must keep answering from its last view when
// Redis is unreachable, so nothing here may hang or throw out of band.
// Commands fail fast while disconnected (no offline queue, bounded command
// time), both connections reconnect forever with capped backoff, and every
// connection error goes to the logger instead of becoming an 'error' event
// nobody handles.
import { EventEmitter } from 'node:events';
import type { ConnectionOptions } from 'node:tls';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type {
  FailoverLatch,
  HealthSnapshot,
  HealthStore,
  Override,
  OverrideMode,
  StoreChange,
  VantageReport,
} from './types.js';

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

// Delete-then-notify must be atomic so the notification is sent exactly when
// something was removed, even with two operators racing.
// KEYS[1] = hash; ARGV = field, channel, message.
const HDEL_AND_PUBLISH = `
local n = redis.call('HDEL', KEYS[1], ARGV[1])
if n == 1 then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
return n`;

// Set-if-absent plus notify, atomically: only the winning server publishes.
// KEYS[1] = hash; ARGV = field, value, channel, message.
const HSETNX_AND_PUBLISH = `
local n = redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
if n == 1 then redis.call('PUBLISH', ARGV[3], ARGV[4]) end
return n`;

const CHANGE = 'change';
const OVERRIDE_MODES: ReadonlySet<OverrideMode> = new Set<OverrideMode>(['drain', 'force-up', 'force-down']);

type Role = 'command' | 'subscriber';

function reconnectDelay(attempt: number): number {
  // Jitter spreads out a fleet of servers reconnecting after a Redis restart.
  const base = Math.min(50 * 2 ** Math.min(attempt, 6), RECONNECT_CAP_MS);
  return Math.round(base * (0.75 + Math.random() * 0.25));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optional(v: unknown, type: 'string' | 'number'): boolean {
  return v === undefined || typeof v === type;
}

function isVantageReport(v: unknown): v is VantageReport {
  return isRecord(v)
    && typeof v.vantage === 'string'
    && typeof v.up === 'boolean'
    && typeof v.at === 'number'
    && typeof v.intervalMs === 'number'
    && typeof v.since === 'number'
    && optional(v.reason, 'string');
}

function isOverride(v: unknown): v is Override {
  return isRecord(v)
    && typeof v.pool === 'string'
    && typeof v.address === 'string'
    && typeof v.mode === 'string' && OVERRIDE_MODES.has(v.mode as OverrideMode)
    && typeof v.reason === 'string'
    && typeof v.by === 'string'
    && typeof v.at === 'number'
    && optional(v.until, 'number');
}

function isLatch(v: unknown): v is FailoverLatch {
  return isRecord(v) && typeof v.pool === 'string' && typeof v.tier === 'number' && typeof v.since === 'number';
}

function isStoreChange(v: unknown): v is StoreChange {
  if (!isRecord(v)) return false;
  if (v.kind === 'override' || v.kind === 'latch') return true;
  return v.kind === 'report' && typeof v.member === 'string' && isVantageReport(v.report);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
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

  constructor(opts: RedisStoreOptions = {}) {
    this.opts = opts;
    this.prefix = opts.prefix ?? DEFAULT_PREFIX;
    this.channel = `${this.prefix}changes`;
    this.logger = opts.logger;
    this.emitter.setMaxListeners(0);
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

  private eventKey(id: string): string {
    return `${this.prefix}event:${id}`;
  }

  // ---- HealthStore ----

  async report(member: string, report: VantageReport, changed: boolean): Promise<void> {
    await this.run('report', async () => {
      const key = this.reportKey(member);
      const tx = this.cmd.multi()
        .hset(key, report.vantage, JSON.stringify(report))
        .expire(key, REPORT_TTL_SECONDS)
        .sadd(this.membersKey, member);
      if (changed) tx.publish(this.channel, JSON.stringify({ kind: 'report', member, report } satisfies StoreChange));
      unwrap(await tx.exec());
    });
  }

  async snapshot(): Promise<HealthSnapshot> {
    return this.run('snapshot', async () => {
      const [members, overridesRaw, latchesRaw] = unwrap(
        await this.cmd.pipeline().smembers(this.membersKey).hgetall(this.overridesKey).hgetall(this.latchesKey).exec(),
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
        reports,
        overrides: this.parseValues(overridesRaw, isOverride, 'overrides'),
        latches: this.parseValues(latchesRaw, isLatch, 'latches'),
      };
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
    if (!this.sub) {
      this.sub = this.open('subscriber');
      this.sub.on('ready', () => void this.ensureSubscribed());
      this.sub.on('close', () => {
        this.subscribed = false;
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
    if (!this.subscribed) this.logger?.warn({ channel: this.channel }, 'redis unreachable; will subscribe for health changes when it is back');
  }

  async setOverride(o: Override): Promise<void> {
    await this.run('setOverride', async () => {
      unwrap(await this.cmd.multi()
        .hset(this.overridesKey, `${o.pool}|${o.address}`, JSON.stringify(o))
        .publish(this.channel, JSON.stringify({ kind: 'override' } satisfies StoreChange))
        .exec());
    });
  }

  async clearOverride(pool: string, address: string): Promise<boolean> {
    return this.run('clearOverride', async () => {
      const n = await this.cmd.eval(HDEL_AND_PUBLISH, 1, this.overridesKey, `${pool}|${address}`, this.channel,
        JSON.stringify({ kind: 'override' } satisfies StoreChange));
      return n === 1;
    });
  }

  async latch(l: FailoverLatch): Promise<boolean> {
    return this.run('latch', async () => {
      const n = await this.cmd.eval(HSETNX_AND_PUBLISH, 1, this.latchesKey, l.pool, JSON.stringify(l), this.channel,
        JSON.stringify({ kind: 'latch' } satisfies StoreChange));
      return n === 1;
    });
  }

  async unlatch(pool: string): Promise<boolean> {
    return this.run('unlatch', async () => {
      const n = await this.cmd.eval(HDEL_AND_PUBLISH, 1, this.latchesKey, pool, this.channel,
        JSON.stringify({ kind: 'latch' } satisfies StoreChange));
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
    if (this.closing || this.cmd.status !== 'ready' || this.suspect.has(this.cmd)) return false;
    // A server that has asked for changes but is not receiving them is
    // serving a view that may silently go stale.
    return this.sub === undefined || (this.subscribed && !this.suspect.has(this.sub));
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearTimeout(this.resubscribeTimer);
    clearInterval(this.heartbeat);
    for (const wake of this.subscribedWaiters.splice(0)) wake();
    await Promise.all([this.cmd, this.sub].map((c) => (c ? this.shutdown(c) : undefined)));
    this.emitter.removeAllListeners();
  }

  // ---- internals ----

  private open(role: Role): Redis {
    const { url, sentinels } = this.opts;
    const tls = (url?.toLowerCase().startsWith('rediss://') ?? false) || this.opts.tls !== undefined;
    const options: RedisOptions = {
      connectionName: `pulsedns-${role}`,
      connectTimeout: CONNECT_TIMEOUT_MS,
      commandTimeout: this.opts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
      enableOfflineQueue: false,
      // Ending a connection to a Redis that stopped answering waits this long
      // for its FIN before destroying the socket and reconnecting.
      disconnectTimeout: 500,
      maxRetriesPerRequest: 1,
      retryStrategy: reconnectDelay,
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
    const conn = url ? new Redis(url, options) : new Redis(options);
    this.watch(conn, role);
    return conn;
  }

  /** Logs a connection's ups and downs once per transition, not once per retry. */
  private watch(conn: Redis, role: Role): void {
    let down = false;
    const markDown = (err?: unknown): void => {
      if (this.closing) return;
      if (!down) {
        down = true;
        this.logger?.warn({ role, err: err ?? undefined }, 'redis unreachable; retrying');
      } else if (err) {
        this.logger?.debug({ role, error: errorMessage(err) }, 'redis still unreachable');
      }
    };
    conn.on('error', (err: Error) => markDown(err));
    conn.on('close', () => markDown());
    conn.on('ready', () => {
      this.suspect.delete(conn);
      if (down) this.logger?.info({ role }, 'redis connection restored');
      down = false;
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
    } catch (err) {
      if (this.closing) return;
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

  private onMessage(channel: string, message: string): void {
    if (channel !== this.channel) return;
    const change = parseJson(message);
    if (!isStoreChange(change)) {
      this.logger?.warn({ channel, message: message.slice(0, 200) }, 'ignoring malformed health change message');
      return;
    }
    this.emitter.emit(CHANGE, change);
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
      return await fn();
    } catch (err) {
      if (err instanceof Error && err.message === 'Command timed out') this.distrust(this.cmd, err);
      throw new Error(`redis ${op} failed: ${errorMessage(err)}`, { cause: err });
    }
  }

  private async shutdown(conn: Redis): Promise<void> {
    // QUIT lets Redis drop the client cleanly; bounded because a half-open
    // connection would never answer. Disconnecting is what actually matters.
    if (conn.status === 'ready') await waitAtMost(conn.quit(), 500);
    conn.disconnect();
  }
}
