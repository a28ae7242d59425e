// Giving a replaced zone image back at once. An image lives outside the JS
// heap (tens of MB in one buffer) and is freed only when V8 collects the
// small object that owns it; a serving process allocates little, so after a
// swap its old-generation collector may not run until the next reload reads
// the next image, and every process then holds two images plus the new one
// (issue 8: a reload's peak must stay under 2x the steady state). One full
// collection right after the swap, of a heap that holds no records, costs a
// few milliseconds once per reload.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

export function collectNow(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}
