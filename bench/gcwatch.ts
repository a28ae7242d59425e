// Preloaded into pulsedns processes by the zone-scale bench (`node --import`):
// records every garbage-collection pause of the main thread (perf_hooks 'gc'
// entries) and writes a summary to $PULSEDNS_GC_DIR/gc-PID.json once a second.
// Cluster workers inherit the flag, so each serving process reports its own.
// The bench measures a window, not the process's life: a file named `reset`
// in the directory holding a time (ms since the epoch) drops every pause
// before it, so the start-up's collections (the image read, the collection
// after a swap) are not counted against the traffic that follows.
import { PerformanceObserver } from 'node:perf_hooks';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const GC_RESET_FILE = 'reset';

const dir = process.env.PULSEDNS_GC_DIR;
if (dir) {
  const LIMIT = 1_000_000;
  let pauses: number[] = [];
  let at: number[] = [];
  let since = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (pauses.length >= LIMIT) break;
      pauses.push(e.duration);
      at.push(performance.timeOrigin + e.startTime);
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  const resetTime = (): number => {
    try {
      return Number(readFileSync(join(dir, GC_RESET_FILE), 'utf8')) || 0;
    } catch {
      return 0;
    }
  };
  const write = (): void => {
    const reset = resetTime();
    if (reset > since) {
      since = reset;
      const keep = at.map((t, i) => (t >= reset ? i : -1)).filter((i) => i >= 0);
      pauses = keep.map((i) => pauses[i]!);
      at = keep.map((i) => at[i]!);
    }
    const sorted = Float64Array.from(pauses).sort();
    const q = (p: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]! : 0);
    const total = pauses.reduce((a, b) => a + b, 0);
    writeFileSync(join(dir, `gc-${process.pid}.json`), JSON.stringify({ pid: process.pid, count: sorted.length, totalMs: total, p50Ms: q(0.5), p99Ms: q(0.99), maxMs: q(1) }));
  };
  setInterval(write, 1000).unref();
  process.on('exit', write);
}
