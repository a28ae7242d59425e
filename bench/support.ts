// What the DNS benchmark (run.ts) and the failover benchmark (failover.ts)
// both speak: a launched process and a dnsperf run with its result.
import type { ChildProcess } from 'node:child_process';

export interface Proc {
  name: string;
  child: ChildProcess;
  /** The last lines it printed. */
  tail: string[];
  exited: Promise<void>;
  /** An error describing how it ended, once its output has been read to the end. */
  deathNote(): Promise<Error>;
  stop(): Promise<void>;
}

export interface PerfResult {
  qps: number;
  sent: number;
  completed: number;
  lost: number;
  avgMs: number;
  minMs: number;
  maxMs: number;
  stddevMs: number;
  rcodes: string;
  /** From per-query (-v) latencies, when asked for. */
  p50Ms?: number;
  p99Ms?: number;
  p999Ms?: number;
}

export interface PerfRun {
  /** Scratch directory for dnsperf's output. */
  dir: string;
  port: number;
  seconds: number;
  file: string;
  /** -Q: a queries-per-second cap, or null for flat out. */
  rate: number | null;
  perQuery: boolean;
  /** More dnsperf flags, e.g. -D (DNSSEC OK). */
  extra?: string[];
}
