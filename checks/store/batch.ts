// Probe results on their way to Redis. A changed verdict is written on the
// next turn of the event loop (failover time depends on it); routine
// re-reports, which only move a report's time forward, wait up to `lingerMs`
// and go together, so a prober with thousands of members makes a few writes
// a second instead of one per probe.
import type { VantageReport } from './types.js';

export interface QueuedReport {
  member: string;
  report: VantageReport;
  changed: boolean;
}

interface Pending extends QueuedReport {
  resolve: () => void;
  reject: (e: Error) => void;
}

export class ReportBatcher {
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Immediate | undefined;

  constructor(
    private readonly write: (batch: QueuedReport[]) => Promise<void>,
    private readonly lingerMs: number,
    private readonly maxBatch: number,
  ) {}

  add(member: string, report: VantageReport, changed: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ member, report, changed, resolve, reject });
      if (changed || this.queue.length >= this.maxBatch) this.soon ??= setImmediate(() => this.flush());
      else this.timer ??= setTimeout(() => this.flush(), this.lingerMs);
    });
  }

  /** Writes everything queued now; never rejects (each report's own promise carries the outcome). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    if (this.soon) clearImmediate(this.soon);
    this.timer = undefined;
    this.soon = undefined;
    const all = this.queue;
    this.queue = [];
    const writes: Array<Promise<void>> = [];
    for (let i = 0; i < all.length; i += this.maxBatch) {
      const part = all.slice(i, i + this.maxBatch);
      writes.push(this.write(part).then(
        () => part.forEach((p) => p.resolve()),
        (e: unknown) => part.forEach((p) => p.reject(e instanceof Error ? e : new Error(String(e)))),
      ));
    }
    await Promise.all(writes);
  }
}
