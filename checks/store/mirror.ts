// What a Redis reader that follows the change channel keeps locally: a copy
// of the shared health data and the version it is current to. Messages on
// the channel carry the version each write got from one counter in Redis,
// so a reader knows it has missed something when the next version it sees
// is not the one after its own (see docs/redis.md, "Sync model").
import type { FailoverLatch, HealthSnapshot, Override, StoreChange, VantageReport } from './types.js';
import { isLatch, isOverride, isRecord, isVantageReport } from './parse.js';

/** One write, as published on the channel (richer than StoreChange: it carries the data). */
export type WireChange =
  | { kind: 'report'; member: string; report: VantageReport; changed: boolean }
  /** Routine re-reports, compact: these members' reports from `vantage` are as before, probed at `at` or later. */
  | { kind: 'seen'; vantage: string; at: number; members: string[] }
  | { kind: 'override'; field: string; override: Override | null }
  | { kind: 'latch'; pool: string; latch: FailoverLatch | null };

/** A channel message: the writes of one atomic step, and the version it produced. */
export interface WireMessage {
  v: number;
  changes: WireChange[];
}

function isWireChange(c: unknown): c is WireChange {
  if (!isRecord(c)) return false;
  if (c.kind === 'report') return typeof c.member === 'string' && isVantageReport(c.report) && typeof c.changed === 'boolean';
  if (c.kind === 'seen') return typeof c.vantage === 'string' && typeof c.at === 'number' && Array.isArray(c.members) && c.members.every((m) => typeof m === 'string');
  if (c.kind === 'override') return typeof c.field === 'string' && (c.override === null || isOverride(c.override));
  if (c.kind === 'latch') return typeof c.pool === 'string' && (c.latch === null || isLatch(c.latch));
  return false;
}

export function isWireMessage(v: unknown): v is WireMessage {
  return isRecord(v) && Number.isSafeInteger(v.v) && Array.isArray(v.changes) && v.changes.every(isWireChange);
}

/** What listeners are told about a message: changed verdicts, and that overrides or latches moved. */
export function listenerChanges(changes: readonly WireChange[]): StoreChange[] {
  const out: StoreChange[] = [];
  for (const c of changes) {
    if (c.kind === 'report') {
      if (c.changed) out.push({ kind: 'report', member: c.member, report: c.report });
    } else if (c.kind !== 'seen') out.push({ kind: c.kind });
  }
  return out;
}

export class Mirror {
  /** The version of the last write applied; meaningful only while `synced`. */
  version = 0;
  /** False until a full read, and again once a gap or an outage makes the copy doubtful. */
  synced = false;
  /** Why the copy stopped being trusted, for the log. */
  lost = '';
  private reports = new Map<string, Map<string, VantageReport>>();
  private overrides = new Map<string, Override>();
  private latches = new Map<string, FailoverLatch>();

  /** Replaces everything with a full read made at `version`. */
  load(snap: HealthSnapshot, version: number): void {
    this.reports = new Map([...snap.reports].map(([m, list]) => [m, new Map(list.map((r) => [r.vantage, r]))]));
    this.overrides = new Map(snap.overrides.map((o) => [`${o.pool}|${o.address}`, o]));
    this.latches = new Map(snap.latches.map((l) => [l.pool, l]));
    this.version = version;
    this.synced = true;
  }

  /**
   * Applies the next message. Returns false (and stops trusting the copy)
   * when versions show that something was missed in between.
   */
  apply(msg: WireMessage): boolean {
    if (!this.synced || msg.v <= this.version) return this.synced;
    if (msg.v !== this.version + 1) {
      this.lost = `version ${msg.v} after ${this.version}`;
      this.synced = false;
      return false;
    }
    for (const c of msg.changes) {
      if (c.kind === 'report') {
        let byVantage = this.reports.get(c.member);
        if (!byVantage) this.reports.set(c.member, (byVantage = new Map()));
        byVantage.set(c.report.vantage, c.report);
      } else if (c.kind === 'seen') {
        for (const m of c.members) {
          const r = this.reports.get(m)?.get(c.vantage);
          // A re-report of something we never had: the copy is missing data.
          if (!r) {
            this.lost = `no report of ${m} from ${c.vantage}`;
            this.synced = false;
            return false;
          }
          if (c.at > r.at) this.reports.get(m)!.set(c.vantage, { ...r, at: c.at });
        }
      } else if (c.kind === 'override') {
        if (c.override) this.overrides.set(c.field, c.override);
        else this.overrides.delete(c.field);
      } else if (c.latch) this.latches.set(c.pool, c.latch);
      else this.latches.delete(c.pool);
    }
    this.version = msg.v;
    return true;
  }

  /** A copy callers may keep and change. */
  snapshot(): HealthSnapshot {
    const reports = new Map<string, VantageReport[]>();
    for (const [m, byVantage] of this.reports) reports.set(m, [...byVantage.values()].map((r) => ({ ...r })));
    return {
      reports,
      overrides: [...this.overrides.values()].map((o) => ({ ...o })),
      latches: [...this.latches.values()].map((l) => ({ ...l })),
    };
  }
}
