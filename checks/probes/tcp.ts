// TCP health probe: the port accepts a connection and, when configured, the
// service answers a sent line with an expected substring.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { sourceFor, type CheckSpec, type Probe, type ProbeResult } from '../model.js';

/** Most a probe reads while waiting for `expect`, so a chatty service cannot grow memory. */
const READ_LIMIT = 64 * 1024;

type Finish = (reason?: string) => void;

export const tcpProbe: Probe = (address, check, signal) =>
  guarded(check, signal, (finish) => {
    const source = sourceFor(address, check);
    const socket = net.connect({ host: address, port: check.port, ...(source ? { localAddress: source } : {}) });
    // Stays attached after the probe settles: destroy can still surface an
    // error, and an unhandled one would crash the process.
    socket.on('error', (err) => finish(describeError(err)));
    socket.on('connect', () => converse(socket, check, finish));
    return () => socket.destroy();
  });

function converse(socket: net.Socket, check: CheckSpec, finish: Finish): void {
  const expect = check.expect;
  if (expect === undefined || expect === '') {
    // Waits for the write so a service that acts on the bytes (a QUIT, say)
    // sees them before the connection is torn down.
    if (check.send) socket.write(check.send, (err) => finish(err ? describeError(err) : undefined));
    else finish();
    return;
  }

  const want = Buffer.from(expect, 'utf8');
  let seen = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    const part = chunk.subarray(0, READ_LIMIT - seen.length);
    const searchFrom = Math.max(0, seen.length - want.length + 1);
    seen = Buffer.concat([seen, part]);
    if (seen.indexOf(want, searchFrom) >= 0) finish();
    else if (seen.length >= READ_LIMIT) {
      finish(`${JSON.stringify(expect)} not found in the first ${READ_LIMIT} bytes`);
    }
  });
  socket.on('end', () => finish(`connection closed before ${JSON.stringify(expect)} was received`));
  if (check.send) socket.write(check.send);
}

/**
 * Runs one probe attempt under the check's deadline and the caller's signal.
 * `start` reports through `finish` (no reason means healthy) and returns what
 * releases its sockets; whichever of result, timeout or abort comes first wins.
 */
function guarded(
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

/** Socket errors as "connect ECONNREFUSED"; anything else by its message. */
function describeError(err: unknown): string {
  if (err instanceof Error) {
    const { code, syscall } = err as NodeJS.ErrnoException;
    if (typeof syscall === 'string' && typeof code === 'string') return `${syscall} ${code}`;
    return err.message || code || err.name;
  }
  return String(err);
}
