// The embedded store: one process, prober and servers side by side. It keeps
// the same observable behaviour as the Redis store (asynchronous delivery,
// copies rather than shared objects) so code tested against one works on the
// other.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { FailoverLatch, HealthSnapshot, HealthStore, Override, StoreChange, StoreProblem, VantageReport } from './types.js';
import { overrideField } from './parse.js';

const CHANGE = 'change';

// Claimed event ids are only swept once there are this many, so a quiet
// process never pays for the sweep and a busy one stays bounded.
const EVENT_SWEEP_THRESHOLD = 1024;

export interface MemoryStoreOptions {
  /** Where a listener that throws gets reported; without it the error is dropped. */
  logger?: Logger;
}

export class MemoryStore implements HealthStore {
  private readonly reports = new Map<string, Map<string, VantageReport>>();
  private readonly overrides = new Map<string, Override>();
  private readonly latches = new Map<string, FailoverLatch>();
  /** event id -> when the claim lapses (ms since epoch). */
  private readonly events = new Map<string, number>();
  private readonly emitter = new EventEmitter();
  private readonly logger?: Logger;
  private closed = false;

  constructor(opts: MemoryStoreOptions = {}) {
    this.logger = opts.logger;
    // Every DNS worker and the CLI may subscribe; that is not a leak.
    this.emitter.setMaxListeners(0);
  }

  async report(member: string, report: VantageReport, changed: boolean): Promise<void> {
    let byVantage = this.reports.get(member);
    if (!byVantage) {
      byVantage = new Map();
      this.reports.set(member, byVantage);
    }
    // Copy so a prober mutating its own object later cannot rewrite history.
    byVantage.set(report.vantage, { ...report });
    if (changed) this.notify({ kind: 'report', member, report: { ...report } });
  }

  async snapshot(): Promise<HealthSnapshot> {
    const reports = new Map<string, VantageReport[]>();
    for (const [member, byVantage] of this.reports) {
      reports.set(member, [...byVantage.values()].map((r) => ({ ...r })));
    }
    return {
      reports,
      overrides: [...this.overrides.values()].map((o) => ({ ...o })),
      latches: [...this.latches.values()].map((l) => ({ ...l })),
    };
  }

  async subscribe(listener: (change: StoreChange) => void): Promise<void> {
    this.emitter.on(CHANGE, (change: StoreChange) => {
      try {
        listener(change);
      } catch (err) {
        // One broken listener must not stop delivery to the others, nor
        // surface as an uncaught exception from a microtask.
        this.logger?.error({ err }, 'health store listener threw');
      }
    });
  }

  async setOverride(o: Override): Promise<void> {
    this.overrides.set(overrideField(o.pool, o.address), { ...o });
    this.notify({ kind: 'override' });
  }

  async clearOverride(pool: string, address: string): Promise<boolean> {
    const had = this.overrides.delete(overrideField(pool, address));
    if (had) this.notify({ kind: 'override' });
    return had;
  }

  async latch(l: FailoverLatch): Promise<boolean> {
    if (this.latches.has(l.pool)) return false;
    this.latches.set(l.pool, { ...l });
    this.notify({ kind: 'latch' });
    return true;
  }

  async unlatch(pool: string): Promise<boolean> {
    const had = this.latches.delete(pool);
    if (had) this.notify({ kind: 'latch' });
    return had;
  }

  async claimEvent(id: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    if (this.events.size >= EVENT_SWEEP_THRESHOLD) {
      for (const [key, until] of this.events) if (until <= now) this.events.delete(key);
    }
    const until = this.events.get(id);
    if (until !== undefined && until > now) return false;
    this.events.set(id, now + ttlMs);
    return true;
  }

  healthy(): boolean {
    return true;
  }

  problem(): StoreProblem | undefined {
    return undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.emitter.removeAllListeners();
  }

  private notify(change: StoreChange): void {
    if (this.closed) return;
    // Deliver after the writer's call returns, as a Redis round trip would,
    // so nobody comes to depend on synchronous re-entrant delivery.
    queueMicrotask(() => {
      if (!this.closed) this.emitter.emit(CHANGE, change);
    });
  }
}
