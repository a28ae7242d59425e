// Pools as the query path sees them: members grouped into tiers, each
// member's A or AAAA RDATA encoded once at load.
import type { CheckSpec } from '../../checks/model.js';
import type { Rdata } from '../zones/rdata.js';
import type { SourcePos } from '../zones/model.js';

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
