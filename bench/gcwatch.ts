// Preloaded into pulsedns processes by the zone-scale bench (`node --import`):
// records every garbage-collection pause of the main thread (perf_hooks 'gc'
// entries) and writes a summary to $PULSEDNS_GC_DIR/gc-PID.json once a second.
// Cluster workers inherit the flag, so each serving process reports its own.
import { PerformanceObserver } from 'node:perf_hooks';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.PULSEDNS_GC_DIR;
if (dir) {
  const pauses: number[] = [];
  let total = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      total += e.duration;
      if (pauses.length < 1_000_000) pauses.push(e.duration);
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  const write = (): void => {
    const sorted = Float64Array.from(pauses).sort();
    const at = (p: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]! : 0);
    writeFileSync(join(dir, `gc-${process.pid}.json`), JSON.stringify({ pid: process.pid, count: sorted.length, totalMs: total, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1) }));
  };
  setInterval(write, 1000).unref();
  process.on('exit', write);
}
