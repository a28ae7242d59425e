// Runs every check against every member it covers, once per unique
// (check, address) however many pools or names use it, and publishes this
// vantage's opinion to the store. Targets follow zone reloads: a member that
// leaves the zones stops being probed at once (its in-flight probe is aborted).
import type { Logger } from 'pino';
import { memberKey, type CheckSpec, type ProbeResult } from './model.js';
import { runProbe } from './probes/index.js';
import { FallRise } from './state.js';
import type { HealthStore } from './store/types.js';

export interface Target {
  address: string;
  check: CheckSpec;
}

interface Running {
  target: Target;
  spec: string;
  state: FallRise;
  timer: NodeJS.Timeout | undefined;
  abort: AbortController | undefined;
  stopped: boolean;
}

export interface SchedulerOptions {
  vantage: string;
  store: HealthStore;
  log: Logger;
  /** Probes in flight at once; the rest wait their turn. */
  maxInFlight?: number;
  /** Swappable for tests of scheduling; real probes by default. */
  probe?: (address: string, check: CheckSpec, signal: AbortSignal) => Promise<ProbeResult>;
  /** ± fraction of the interval, so thousands of checks do not fire in lockstep. */
  jitter?: number;
  /** Source address for probe connections (see CheckSpec.localAddress). */
  source?: string;
  /** Every finished probe (metrics). */
  onResult?: (check: CheckSpec, result: ProbeResult) => void;
}

export class Scheduler {
  private readonly running = new Map<string, Running>();
  private inFlight = 0;
  private readonly queue: Array<() => void> = [];
  private readonly maxInFlight: number;
  private readonly probe: NonNullable<SchedulerOptions['probe']>;
  private readonly jitter: number;
  /** Probes completed, for status and the prober benchmark. */
  completed = 0;

  constructor(private readonly opts: SchedulerOptions) {
    this.maxInFlight = opts.maxInFlight ?? 2000;
    this.probe = opts.probe ?? runProbe;
    this.jitter = opts.jitter ?? 0.1;
  }

  /** Replaces the target set: starts new members, stops the ones gone, keeps the rest running. */
  update(targets: Iterable<Target>): void {
    const next = new Map<string, Target>();
    for (const t of targets) next.set(memberKey(t.check.name, t.address), t);
    // A retuned check (new interval, path, ...) restarts its probes but keeps what
    // they had learnt: a down member must not come back just because a file changed.
    const carried = new Map<string, FallRise>();
    for (const [key, r] of this.running) {
      const t = next.get(key);
      if (!t || JSON.stringify(t.check) !== r.spec) {
        if (t) carried.set(key, r.state);
        this.stopOne(key, r);
      }
    }
    for (const [key, t] of next) {
      if (this.running.has(key)) continue;
      const state = new FallRise(Date.now(), t.check.fall, t.check.rise);
      const old = carried.get(key);
      if (old) Object.assign(state, { up: old.up, okRun: old.okRun, failRun: old.failRun, since: old.since, lastReason: old.lastReason, lastAt: old.lastAt });
      const r: Running = { target: t, spec: JSON.stringify(t.check), state, timer: undefined, abort: undefined, stopped: false };
      this.running.set(key, r);
      // First probe soon, spread over at most a second, so a fresh start learns health quickly.
      this.schedule(key, r, Math.random() * Math.min(1000, t.check.intervalMs));
    }
  }

  /** Member keys being probed now. */
  keys(): string[] {
    return [...this.running.keys()];
  }

  stateOf(key: string): FallRise | undefined {
    return this.running.get(key)?.state;
  }

  stop(): void {
    for (const [key, r] of this.running) this.stopOne(key, r);
  }

  private stopOne(key: string, r: Running): void {
    r.stopped = true;
    if (r.timer) clearTimeout(r.timer);
    r.abort?.abort();
    this.running.delete(key);
  }

  private schedule(key: string, r: Running, delay: number): void {
    r.timer = setTimeout(() => this.acquire(() => void this.runOnce(key, r)), delay);
    r.timer.unref?.();
  }

  private acquire(fn: () => void): void {
    if (this.inFlight < this.maxInFlight) {
      this.inFlight++;
      fn();
    } else this.queue.push(fn);
  }

  private release(): void {
    const next = this.queue.shift();
    // Hand the slot on asynchronously: a reload that stops thousands of queued
    // members would otherwise release them recursively on one stack.
    if (next) queueMicrotask(next);
    else this.inFlight--;
  }

  private async runOnce(key: string, r: Running): Promise<void> {
    if (r.stopped) return this.release();
    const { address, check } = r.target;
    const abort = new AbortController();
    r.abort = abort;
    let result: ProbeResult;
    try {
      result = await this.probe(address, this.opts.source ? { ...check, localAddress: this.opts.source } : check, abort.signal);
    } catch (e) {
      result = { ok: false, ms: 0, reason: (e as Error).message };
    } finally {
      r.abort = undefined;
      this.release();
    }
    if (r.stopped) return;
    this.completed++;
    this.opts.onResult?.(check, result);
    const now = Date.now();
    const changed = r.state.observe(result.ok, now, result.reason);
    if (changed) {
      this.opts.log.warn({ member: key, up: r.state.up, reason: result.reason }, r.state.up ? 'member up (this vantage)' : 'member down (this vantage)');
    }
    const report = { vantage: this.opts.vantage, up: r.state.up, at: now, intervalMs: check.intervalMs, since: r.state.since, ...(r.state.lastReason && !result.ok ? { reason: r.state.lastReason } : {}) };
    this.opts.store.report(key, report, changed).catch((e: unknown) => {
      this.opts.log.debug({ err: e }, 'could not publish a probe result; will publish the next one');
    });
    const j = check.intervalMs * this.jitter;
    this.schedule(key, r, check.intervalMs - j + Math.random() * 2 * j);
  }
}

/** Every unique (check, address) the pools need probed. */
export function targetsOf(pools: Iterable<{ check: CheckSpec | undefined; tiers: Array<Array<{ address: string }>>; backup: Array<{ address: string }> }>): Target[] {
  const out = new Map<string, Target>();
  for (const p of pools) {
    if (!p.check) continue;
    for (const m of [...p.tiers.flat(), ...p.backup]) out.set(memberKey(p.check.name, m.address), { address: m.address, check: p.check });
  }
  return [...out.values()];
}
