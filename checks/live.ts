// The server's live view of member health: fed by a HealthStore (pushed
// changes plus a periodic reconcile, so a lost message or a Redis restart
// heals by itself), read synchronously by the query path. Verdict changes
// become events for logs and webhooks. The view can be saved to disk and
// restored at start (checks/viewfile.ts), so a restart during a store outage
// keeps what was known.
import type { Logger } from 'pino';
import { decide, HOLD_MS, isFresh, type Verdict } from './verdict.js';
import type { FailoverLatch, HealthStore, Override, StoreProblem, VantageReport } from './store/types.js';
import type { SavedView, ViewFile } from './viewfile.js';
import { firstTierOf, selectMembers, type HealthLookup, type MemberState } from '../server/pools/select.js';
import type { Pool, PoolMember, PoolSet } from '../server/pools/model.js';
import { tierNumber } from './tier.js';

export type HealthEventType = 'member.down' | 'member.up' | 'pool.failover' | 'pool.failback' | 'pool.all_down' | 'pool.recovered' | 'override.set' | 'override.cleared' | 'verdict.failed_open' | 'vantages-stale';

export interface HealthEvent {
  type: HealthEventType;
  /** Stable across processes that see the same store, for de-duplication. */
  id: string;
  at: number;
  pool?: string;
  member?: string;
  address?: string;
  /** Numbered as in status (checks/tier.ts): 1 primary, 2...; 0 none. */
  tier?: number;
  reason?: string;
  override?: Override;
}

export interface LiveOptions {
  reconcileMs?: number;
  tickMs?: number;
  /** false in cluster workers: the primary logs each health change once for the server. */
  announce?: boolean;
  /** With no fresh vantage, verdicts hold this long before failing open (--stale-hold; default 5 min). */
  holdMs?: number;
  /** Warn about pools judged by fewer vantages than this (distributed mode: 3). */
  minVantages?: number;
  /** Where the view is saved on change, to start from after a restart. */
  viewFile?: ViewFile;
}

/** Vantages behind the current verdicts. */
export interface VantageSummary {
  known: number;
  fresh: number;
  /** Every known vantage is stale: verdicts are held, and fail open at `failOpenAt`. */
  allStale: boolean;
  failOpenAt?: number;
}

// The view is saved this soon after a verdict, override or latch changes,
// and at least this often while reports keep arriving (their times move).
const SAVE_DEBOUNCE_MS = 1000;
const SAVE_REFRESH_MS = 10_000;

const iso = (ms: number): string => new Date(ms).toISOString();

export class LiveHealth implements HealthLookup {
  private reports = new Map<string, VantageReport[]>();
  private overrides = new Map<string, Override>();
  private latches = new Map<string, FailoverLatch>();
  private verdicts = new Map<string, Verdict>();
  private poolTier = new Map<string, number>();
  /** Per member: when the change behind its current verdict happened (same in every process). */
  private verdictCause = new Map<string, number>();
  private pools: PoolSet = { pools: new Map(), checks: new Map() };
  private listeners: Array<(e: HealthEvent) => void> = [];
  private timers: NodeJS.Timeout[] = [];
  private gen = 1;
  private signature = '';
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  lastSyncAt = 0;
  private readonly holdMs: number;
  private vantages: VantageSummary = { known: 0, fresh: 0, allStale: false };
  /** Pool name -> when to count its vantages (Infinity once counted). */
  private vantageCheckDue = new Map<string, number>();
  private changedSinceSave = false;
  private lastSaveAt = 0;
  private syncFailing = false;
  private holdTimer: NodeJS.Timeout | undefined;

  constructor(private readonly store: HealthStore, private readonly log: Logger, private readonly opts: LiveOptions = {}) {
    this.holdMs = opts.holdMs ?? HOLD_MS;
  }

  /**
   * Starts from a saved view (before start()). Reports come back with their
   * times, so the stale hold runs exactly as on a server that never stopped:
   * a view older than the hold fails open at once, a fresher one holds what
   * it said, and events that already happened are not raised again.
   */
  restore(view: SavedView): void {
    this.reports = new Map(view.reports);
    this.overrides = new Map(view.overrides.map((o) => [`${o.pool}|${o.address}`, o]));
    this.latches = new Map(view.latches.map((l) => [l.pool, l]));
    this.verdicts = new Map(view.verdicts);
    this.poolTier = new Map(view.tiers);
    this.log.info({ savedAt: iso(view.savedAt), members: view.reports.length, overrides: view.overrides.length, latches: view.latches.length }, 'starting from the saved health view');
  }

  /** Everything needed to start again from here. */
  saved(): SavedView {
    return {
      format: 1,
      savedAt: Date.now(),
      reports: [...this.reports],
      overrides: [...this.overrides.values()],
      latches: [...this.latches.values()],
      verdicts: [...this.verdicts],
      tiers: [...this.poolTier],
    };
  }

  /** Saves the view now if it has anything new (used on shutdown). */
  async flush(): Promise<void> {
    if (this.opts.viewFile && (this.changedSinceSave || this.lastSyncAt > this.lastSaveAt)) await this.save();
  }

  private save(): Promise<void> {
    this.changedSinceSave = false;
    this.lastSaveAt = Date.now();
    return this.opts.viewFile!.save(this.saved());
  }

  private maybeSave(now: number): void {
    if (!this.opts.viewFile) return;
    const since = now - this.lastSaveAt;
    if ((this.changedSinceSave && since >= SAVE_DEBOUNCE_MS) || (this.lastSyncAt > this.lastSaveAt && since >= SAVE_REFRESH_MS)) void this.save();
  }

  vantageSummary(): VantageSummary {
    return { ...this.vantages };
  }

  async start(): Promise<void> {
    await this.store.subscribe((c) => {
      if (c.kind === 'report') {
        this.applyReport(c.member, c.report);
        this.evaluate();
      } else void this.sync();
    });
    await this.sync();
    const reconcile = setInterval(() => void this.sync(), this.opts.reconcileMs ?? 5000);
    const tick = setInterval(() => {
      this.evaluate();
      this.maybeSave(Date.now());
    }, this.opts.tickMs ?? 1000);
    reconcile.unref();
    tick.unref();
    this.timers.push(reconcile, tick);
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    clearTimeout(this.holdTimer);
  }

  onEvent(listener: (e: HealthEvent) => void): void {
    this.listeners.push(listener);
  }

  /** New pools after a zone reload; members that left are forgotten. */
  setPools(pools: PoolSet): void {
    this.pools = pools;
    this.evaluate();
  }

  /**
   * Full resync from the store; on failure the last view stays in force.
   * Resolves once a snapshot read after this call has been applied: a caller
   * that just wrote an override sees it, even if a sync was already running.
   */
  sync(): Promise<void> {
    if (!this.running) {
      this.running = this.syncOnce().finally(() => {
        this.running = null;
      });
      return this.running;
    }
    this.queued ??= this.running.then(() => {
      this.queued = null;
      return this.sync();
    });
    return this.queued;
  }

  private async syncOnce(): Promise<void> {
    try {
      const snap = await this.store.snapshot();
      this.mergeReports(snap.reports);
      const overrides = new Map<string, Override>();
      for (const o of snap.overrides) overrides.set(`${o.pool}|${o.address}`, o);
      this.diffOverrides(overrides);
      this.overrides = overrides;
      const latches = new Map(snap.latches.map((l) => [l.pool, l]));
      if (JSON.stringify([...latches]) !== JSON.stringify([...this.latches])) this.changedSinceSave = true;
      this.latches = latches;
      this.lastSyncAt = Date.now();
      this.syncFailing = false;
      this.evaluate();
    } catch (e) {
      this.log.debug({ err: e }, 'health store unreachable; answering from the last view');
      // The store just went away: what we hold now is what a restart during
      // this outage should start from, so keep it at once.
      if (!this.syncFailing && this.opts.viewFile) void this.save();
      this.syncFailing = true;
    }
  }

  /**
   * Per member and vantage, the newer report wins: a snapshot read just before
   * a pushed change must not undo it. Reports missing from the snapshot (a
   * store that lost them) are kept and simply age into staleness.
   */
  private mergeReports(snap: Map<string, VantageReport[]>): void {
    for (const [member, list] of snap) {
      const mine = this.reports.get(member);
      if (!mine) {
        this.reports.set(member, list);
        continue;
      }
      const byVantage = new Map(mine.map((r) => [r.vantage, r]));
      for (const r of list) {
        const have = byVantage.get(r.vantage);
        if (!have || r.at >= have.at) byVantage.set(r.vantage, r);
      }
      this.reports.set(member, [...byVantage.values()]);
    }
  }

  // --- HealthLookup, called per query: map lookups only. ---

  state(pool: Pool, member: PoolMember): MemberState {
    if (this.overrides.size) {
      const o = this.overrides.get(`${pool.name}|${member.address}`) ?? this.overrides.get(`*|${member.address}`);
      if (o && (o.until === undefined || o.until > Date.now())) {
        return o.mode === 'drain' ? 'drain' : o.mode === 'force-up' ? 'up' : 'down';
      }
    }
    if (!pool.check) return 'up';
    const v = this.verdicts.get(member.key);
    return !v || v.up ? 'up' : 'down';
  }

  latchedTier(pool: Pool): number | undefined {
    return this.latches.get(pool.name)?.tier;
  }

  generation(): number {
    return this.gen;
  }

  // --- views for status ---

  verdictOf(key: string): Verdict | undefined {
    return this.verdicts.get(key);
  }

  reportsOf(key: string): VantageReport[] {
    return this.reports.get(key) ?? [];
  }

  overrideFor(pool: string, address: string): Override | undefined {
    const o = this.overrides.get(`${pool}|${address}`) ?? this.overrides.get(`*|${address}`);
    return o && (o.until === undefined || o.until > Date.now()) ? o : undefined;
  }

  tierOf(pool: string): number | undefined {
    return this.poolTier.get(pool);
  }

  latchOf(pool: string): FailoverLatch | undefined {
    return this.latches.get(pool);
  }

  storeHealthy(): boolean {
    return this.store.healthy();
  }

  storeProblem(): StoreProblem | undefined {
    return this.store.problem();
  }

  private applyReport(member: string, report: VantageReport): void {
    const list = (this.reports.get(member) ?? []).filter((r) => r.vantage !== report.vantage);
    list.push(report);
    this.reports.set(member, list);
  }

  private diffOverrides(next: Map<string, Override>): void {
    const now = Date.now();
    for (const [k, o] of next) {
      const prev = this.overrides.get(k);
      if (!prev || prev.at !== o.at) this.changedSinceSave = true;
      if (!prev || prev.at !== o.at) this.emit({ type: 'override.set', id: `override.set:${k}:${o.at}`, at: now, pool: o.pool, address: o.address, override: o, reason: o.reason });
    }
    for (const [k, o] of this.overrides) {
      if (!next.has(k)) this.changedSinceSave = true;
      if (!next.has(k)) this.emit({ type: 'override.cleared', id: `override.cleared:${k}:${o.at}`, at: now, pool: o.pool, address: o.address, override: o });
    }
  }

  /** Recomputes verdicts and pool tiers; emits what changed. */
  evaluate(): void {
    const now = Date.now();
    const members = new Map<string, PoolMember>();
    for (const p of this.pools.pools.values()) {
      if (!p.check) continue;
      for (const m of [...p.tiers.flat(), ...p.backup]) members.set(m.key, m);
    }
    for (const [key, m] of members) {
      const prev = this.verdicts.get(key);
      const reports = this.reports.get(key);
      const v = decide(reports, now, prev, this.holdMs);
      this.verdicts.set(key, v);
      if (!prev || prev.up !== v.up || prev.held !== v.held || prev.failedOpen !== v.failedOpen) this.changedSinceSave = true;
      const wasUp = prev ? prev.up : true;
      if (v.up !== wasUp) {
        const downVoters = (reports ?? []).filter((r) => r.up === v.up);
        const cause = downVoters.length ? Math.max(...downVoters.map((r) => r.since)) : now;
        this.verdictCause.set(key, cause);
        const reason = (reports ?? []).find((r) => !r.up && r.reason)?.reason;
        this.emit({ type: v.up ? 'member.up' : 'member.down', id: `${v.up ? 'up' : 'down'}:${key}:${cause}`, at: now, member: key, address: m.address, ...(reason && !v.up ? { reason } : {}) });
      }
      if (v.failedOpen && !prev?.failedOpen) {
        this.emit({ type: 'verdict.failed_open', id: `failed_open:${key}:${v.decidedAt}`, at: now, member: key, address: m.address, reason: `no fresh vantage for ${Math.round(this.holdMs / 1000)} s; counting the member as healthy` });
      }
    }
    this.watchVantages(members, now);
    for (const key of this.verdicts.keys()) {
      if (!members.has(key)) {
        this.verdicts.delete(key);
        this.verdictCause.delete(key);
      }
    }
    for (const key of this.reports.keys()) if (!members.has(key)) this.reports.delete(key);
    for (const pool of this.pools.pools.values()) this.evaluatePool(pool, now);
    // Everything answers depend on, in one string: when it moves, cached pool answers are stale.
    let sig = '';
    for (const pool of this.pools.pools.values()) {
      sig += `${pool.name}:${this.latches.get(pool.name)?.tier ?? ''}:`;
      // Whole words: 'down' and 'drain' share a first letter but not a TTL.
      for (const m of [...pool.tiers.flat(), ...pool.backup]) sig += this.state(pool, m) + ',';
      sig += ';';
    }
    if (sig !== this.signature) {
      this.signature = sig;
      this.gen++;
      this.changedSinceSave = true;
    }
  }

  /**
   * Counts the vantages behind the verdicts. When every one has gone stale
   * (probers dead, or the store unreachable) verdicts are only held, and
   * fail open once the hold runs out: say so while there is time to act.
   * In distributed mode, also warn once per pool judged by too few vantages.
   */
  private watchVantages(members: Map<string, PoolMember>, now: number): void {
    const known = new Set<string>();
    const fresh = new Set<string>();
    let newest = 0;
    let failOpenAt = Infinity;
    for (const key of members.keys()) {
      for (const r of this.reports.get(key) ?? []) {
        known.add(r.vantage);
        if (isFresh(r, now)) fresh.add(r.vantage);
        newest = Math.max(newest, r.at);
      }
      const v = this.verdicts.get(key);
      if (v?.held) failOpenAt = Math.min(failOpenAt, v.decidedAt + this.holdMs);
    }
    const allStale = known.size > 0 && fresh.size === 0;
    if (allStale && !this.vantages.allStale) {
      const when = Number.isFinite(failOpenAt) ? iso(failOpenAt) : 'now';
      // Keyed by the newest report, so every server holding the same data sends one event.
      this.emit({ type: 'vantages-stale', id: `vantages-stale:${newest}`, at: now, reason: `every vantage (${[...known].sort().join(', ')}) has gone stale; verdicts are held until ${when}, then every member counts as healthy (fail open)` });
    } else if (!allStale && this.vantages.allStale) {
      this.log.info({ fresh: fresh.size, known: known.size }, 'fresh vantage reports again');
    }
    this.vantages = { known: known.size, fresh: fresh.size, allStale, ...(allStale && Number.isFinite(failOpenAt) ? { failOpenAt } : {}) };
    // Fail open at the moment the hold ends rather than at the next tick, so
    // servers whose ticks run at different phases still switch together.
    clearTimeout(this.holdTimer);
    const wait = failOpenAt - now;
    if (this.timers.length > 0 && wait >= 0 && wait < (this.opts.tickMs ?? 1000)) {
      this.holdTimer = setTimeout(() => this.evaluate(), wait + 1);
      this.holdTimer.unref();
    }
    if (this.opts.minVantages) this.checkVantageCounts(now);
  }

  private checkVantageCounts(now: number): void {
    for (const pool of this.pools.pools.values()) {
      if (!pool.check) continue;
      const due = this.vantageCheckDue.get(pool.name);
      // Give every prober three intervals to report before counting.
      if (due === undefined) this.vantageCheckDue.set(pool.name, now + 3 * pool.check.intervalMs);
      if (due === undefined || now < due) continue;
      this.vantageCheckDue.set(pool.name, Infinity);
      const seen = new Set<string>();
      for (const m of [...pool.tiers.flat(), ...pool.backup]) for (const r of this.reports.get(m.key) ?? []) if (isFresh(r, now)) seen.add(r.vantage);
      if (seen.size < this.opts.minVantages!) {
        this.log.warn({ pool: pool.name, vantages: [...seen].sort(), want: this.opts.minVantages },
          `pool ${pool.name} is judged by ${seen.size} vantage${seen.size === 1 ? '' : 's'}: with fewer than ${this.opts.minVantages}, one failing vantage can never take a member down (a tie counts as up) and one lost vantage leaves a single voice; run at least ${this.opts.minVantages} probers`);
      }
    }
  }

  /**
   * The tier a pool answers from, per address family, turned into events and
   * (for manual failback) a hold. Failover means answering from a tier after
   * the first one that has members of that family.
   */
  private evaluatePool(pool: Pool, now: number): void {
    let tier = 0;
    let failedOver = false;
    for (const family of [4, 6] as const) {
      if (!pool.tiers.some((t) => t.some((m) => m.family === family))) continue;
      const t = selectMembers(pool, family, this, () => 0).tier;
      if (t === -1) tier = -1;
      else if (tier !== -1 && t > firstTierOf(pool, family)) {
        failedOver = true;
        tier = Math.max(tier, t);
      }
    }
    const state = tier === -1 ? -1 : failedOver ? tier : 0;
    const prev = this.poolTier.get(pool.name) ?? 0;
    this.poolTier.set(pool.name, state);
    if (state !== prev) {
      // Ids come from the member change that caused this, so every process that
      // sees it derives the same id, and a later, separate change gets a new one.
      const causes = [...pool.tiers.flat(), ...pool.backup].map((m) => this.verdictCause.get(m.key) ?? 0);
      const cause = Math.max(0, ...causes);
      const base = { at: now, pool: pool.name };
      if (state === -1) this.emit({ type: 'pool.all_down', id: `all_down:${pool.name}:${cause}`, ...base });
      else if (prev === -1 && state === 0) this.emit({ type: 'pool.recovered', id: `recovered:${pool.name}:${cause}`, ...base, tier: tierNumber(state) });
      else if (state > 0 && pool.policy === 'failover') this.emit({ type: 'pool.failover', id: `failover:${pool.name}:${state}:${cause}`, ...base, tier: tierNumber(state) });
      else if (state === 0 && prev > 0) this.emit({ type: 'pool.failback', id: `failback:${pool.name}:${cause}`, ...base, tier: tierNumber(state) });
    }
    if (state !== prev) this.changedSinceSave = true;
    if (state > 0 && pool.failback === 'manual' && !this.latches.has(pool.name)) {
      const latch: FailoverLatch = { pool: pool.name, tier: state, since: now };
      this.latches.set(pool.name, latch);
      this.store.latch(latch).catch((e: unknown) => this.log.warn({ err: e, pool: pool.name }, 'could not record the manual failover latch in the store'));
    }
  }

  private emit(e: HealthEvent): void {
    const level = this.opts.announce === false ? 'debug' : e.type === 'member.down' || e.type === 'pool.all_down' || e.type === 'pool.failover' || e.type === 'verdict.failed_open' || e.type === 'vantages-stale' ? 'warn' : 'info';
    this.log[level]({ event: e.type, pool: e.pool, member: e.member, address: e.address, tier: e.tier, reason: e.reason, override: e.override }, e.type);
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.log.error({ err }, 'health event listener failed');
      }
    }
  }
}
