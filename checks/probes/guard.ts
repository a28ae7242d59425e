// The deadline, abort and cleanup logic every probe shares.
import { performance } from 'node:perf_hooks';
import type { CheckSpec, ProbeResult } from '../model.js';

/** Reports a probe's outcome: no reason means healthy. */
export type Finish = (reason?: string) => void;

/**
 * Runs one probe attempt under the check's deadline and the caller's signal.
 * `start` reports through `finish` (no reason means healthy) and returns what
 * releases its sockets; whichever of result, timeout or abort comes first wins.
 */
export function guarded(
  check: CheckSpec,
  signal: AbortSignal,
  start: (finish: Finish) => (() => void) | undefined,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const started = performance.now();
    let settled = false;
    let release: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    const cleanup = (): void => {
      try {
        release?.();
      } catch {
        // The verdict is already decided; a failing close must not become a throw.
      }
    };
    const finish: Finish = (reason) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      const ms = Math.round((performance.now() - started) * 100) / 100;
      cleanup();
      resolve(reason === undefined ? { ok: true, ms } : { ok: false, ms, reason });
    };
    const onAbort = (): void => finish('aborted');

    if (signal.aborted) {
      finish('aborted');
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    timer = setTimeout(() => finish(`timeout after ${check.timeoutMs} ms`), check.timeoutMs);
    try {
      release = start(finish);
    } catch (err) {
      finish(describeError(err));
    }
    // `start` may have finished synchronously, before `release` was known.
    if (settled) cleanup();
  });
}

/** Socket errors as "connect ECONNREFUSED"; anything else (TLS, parser) by its message. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const { code, syscall } = err as NodeJS.ErrnoException;
    if (typeof syscall === 'string' && typeof code === 'string') return `${syscall} ${code}`;
    return err.message || code || err.name;
  }
  return String(err);
}
