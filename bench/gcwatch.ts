// Garbage-collection pauses of the pulsedns processes the zone-scale bench
// runs, read from the lines V8 prints under `--trace-gc` (cluster workers
// inherit the flag, so every serving process reports), so that nothing is
// loaded into the server being measured. (A PerformanceObserver of 'gc'
// entries preloaded into the server did this before and counted the same
// pauses; suspected of moving the tail, it was let go.)
import type { Readable } from 'node:stream';

export interface GcSummary {
  count: number;
  totalMs: number;
  p99Ms: number;
  maxMs: number;
}

/** "[pid:0x...]  1234 ms: Scavenge 33.9 (51.3) -> 19.8 (51.8) MB, 4.52 / 0.00 ms ...": the pause is the first figure after "MB,". */
const PAUSE = /\d ms: (?:Scavenge|Minor Mark-Compact|Mark-Compact|Mark-sweep)\b[^,]*MB, ([\d.]+) \/ [\d.]+ ms/;

/** A pause out of one --trace-gc line, or undefined for any other line. */
export function gcPause(line: string): number | undefined {
  const m = PAUSE.exec(line);
  return m ? Number(m[1]) : undefined;
}

export class GcRecorder {
  private pauses: number[] = [];

  /** Reads the lines of `streams` (a process's stdout and stderr) from now on. */
  constructor(streams: readonly Readable[]) {
    for (const s of streams) {
      let carry = '';
      s.on('data', (d: Buffer | string) => {
        const lines = (carry + String(d)).split('\n');
        carry = lines.pop() ?? '';
        for (const line of lines) {
          const p = gcPause(line);
          if (p !== undefined && this.pauses.length < 1_000_000) this.pauses.push(p);
        }
      });
    }
  }

  /** Forgets every pause so far: the measured window starts now. */
  reset(): void {
    this.pauses = [];
  }

  summary(): GcSummary {
    const sorted = Float64Array.from(this.pauses).sort();
    const q = (p: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]! : 0);
    return { count: sorted.length, totalMs: this.pauses.reduce((a, b) => a + b, 0), p99Ms: q(0.99), maxMs: q(1) };
  }
}
