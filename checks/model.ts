// Shapes shared by probes, the scheduler, verdicts and stores. A check as
// declared (CheckSpec) and a member's identity (memberKey) belong to the pools
// file, so the query side (server/pools/model.ts) defines them and this wing
// imports them: arrows run checks -> pools, never back.
import type { CheckSpec } from '../server/pools/model.js';

export type { CheckSpec, CheckType } from '../server/pools/model.js';
export { memberKey } from '../server/pools/model.js';

/** The local address to bind for `address`, when one is set and of the same family. */
export function sourceFor(address: string, check: CheckSpec): string | undefined {
  const src = check.localAddress;
  if (!src) return undefined;
  return src.includes(':') === address.includes(':') ? src : undefined;
}

export interface ProbeResult {
  ok: boolean;
  /** Wall time the probe took. */
  ms: number;
  /** Why it failed, in words an operator can act on ("HTTP 503", "connect ECONNREFUSED", "timeout after 5000 ms"). */
  reason?: string;
}

/** Runs one check against one address. Never throws; aborts when `signal` fires. */
export type Probe = (address: string, check: CheckSpec, signal: AbortSignal) => Promise<ProbeResult>;
