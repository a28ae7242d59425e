// Shapes shared by probes, the scheduler, verdicts, stores and the query path.

export type CheckType = 'http' | 'https' | 'tcp' | 'dns';

/** A named health check as declared in the pools file; defaults already applied. */
export interface CheckSpec {
  name: string;
  type: CheckType;
  /** Port to connect to; defaults per type (80, 443, none for tcp: required, 53). */
  port: number;
  intervalMs: number;
  timeoutMs: number;
  /** Consecutive failures before a member is declared down. */
  fall: number;
  /** Consecutive successes before a down member is declared up again. */
  rise: number;
  /** http/https */
  path?: string;
  /** Host header (and SNI for https). */
  host?: string;
  headers?: Record<string, string>;
  /** Accepted status ranges, inclusive; default [[200, 399]]. */
  expectStatus?: Array<[number, number]>;
  bodyContains?: string;
  /** https: fail when the certificate is invalid or expired. */
  verifyCert?: boolean;
  /** tcp: bytes to send after connecting, and a substring expected back. */
  send?: string;
  expect?: string;
  /** dns: name and type to ask the member; the check passes on NOERROR with an answer. */
  query?: string;
  queryType?: string;
  /**
   * Source address for the probe's connection. Set by the prober (its
   * --source), not in zone files: lets vantages on one host look like
   * different clients, and pins probes to an interface.
   */
  localAddress?: string;
}

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

/** Identity of something probed: one per unique (check, address), however many pools use it. */
export function memberKey(check: string, address: string): string {
  return `${check}|${address}`;
}
