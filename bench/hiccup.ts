// How often a process that never sleeps loses its core: a busy loop reading
// the clock, counting the gaps between two readings. On this virtual machine
// a loop alone on a core lost 1-7 ms several times in ten seconds, with no
// context switch in the guest: time the host took. A server answering at the
// same moment loses the same time, and the queries that arrive meanwhile
// wait, so this sets a floor under any p99 measured here, NSD's included
// (bench/zone-scale.ts prints it beside the tail run). Prints JSON.
export interface Hiccups {
  seconds: number;
  /** Gaps longer than 0.5, 1, 2 and 5 ms. */
  over05: number;
  over1: number;
  over2: number;
  over5: number;
  /** The gaps' total, in ms: the time the loop did not run. */
  lostMs: number;
  maxMs: number;
}

export function measureHiccups(seconds: number): Hiccups {
  const end = performance.now() + seconds * 1000;
  const h: Hiccups = { seconds, over05: 0, over1: 0, over2: 0, over5: 0, lostMs: 0, maxMs: 0 };
  let last = performance.now();
  for (;;) {
    const now = performance.now();
    const gap = now - last;
    last = now;
    if (gap > 0.5) {
      h.over05++;
      if (gap > 1) h.over1++;
      if (gap > 2) h.over2++;
      if (gap > 5) h.over5++;
      h.lostMs += gap;
      h.maxMs = Math.max(h.maxMs, gap);
    }
    if (now > end) break;
  }
  h.lostMs = Math.round(h.lostMs * 10) / 10;
  h.maxMs = Math.round(h.maxMs * 100) / 100;
  return h;
}

if (process.argv[1]?.endsWith('hiccup.js')) process.stdout.write(`${JSON.stringify(measureHiccups(Number(process.argv[2] ?? 5)))}\n`);
