// Pools as the query path sees them: members grouped into tiers, each
// member's A or AAAA RDATA encoded once at load.
import type { Rdata } from '../zones/rdata.js';
import type { SourcePos } from '../zones/model.js';

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

/** Identity of something probed: one per unique (check, address), however many pools use it. */
export function memberKey(check: string, address: string): string {
  return `${check}|${address}`;
}

export type Policy = 'all' | 'failover' | 'weighted';
export type AllDown = 'all' | 'backup' | 'empty' | 'servfail';

export interface PoolMember {
  address: string;
  family: 4 | 6;
  weight: number;
  rdata: Rdata;
  /** Identity for health state: memberKey(check, address). */
  key: string;
}

export interface MinHealthy {
  count?: number;
  fraction?: number;
}

export interface Pool {
  name: string;
  policy: Policy;
  /** Ordered tiers; policies other than failover have exactly one. */
  tiers: PoolMember[][];
  backup: PoolMember[];
  /** Absent: members count as healthy unless an operator overrides them. */
  check: CheckSpec | undefined;
  maxAnswers: number;
  minHealthy: MinHealthy;
  onAllDown: AllDown;
  failback: 'auto' | 'manual';
  ttl: number;
  degradedTtl: number;
  pos: SourcePos;
}

export const POOL_DEFAULTS = {
  maxAnswers: 8,
  weightedMaxAnswers: 1,
  ttl: 60,
  degradedTtl: 30,
  minTtl: 5,
} as const;

export const CHECK_DEFAULTS = {
  intervalMs: 10_000,
  timeoutMs: 5_000,
  fall: 3,
  rise: 5,
} as const;

/** The pools and checks of one zones directory. */
export interface PoolSet {
  pools: Map<string, Pool>;
  checks: Map<string, CheckSpec>;
}

export const POOLS_FILE = '_pools.yaml';
