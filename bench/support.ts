// What the benchmarks (run.ts, failover.ts, dnssec.ts, zone-scale.ts) share:
// a launched process, a dnsperf run with its result, and running one of
// their own measuring scripts on the servers' core.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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

/** How the benches pin a command to a core (run.ts pinned). */
export type Pinner = (taskset: string | null, core: number | null, cmd: string, args: string[]) => [string, string[]];

/**
 * Runs one of the bench's own measuring scripts (`bench/NAME.js ARGS`) on
 * core 0, where the servers run, and returns what it printed; undefined when
 * it failed or timed out.
 */
export function runOnServerCore(pinned: Pinner, taskset: string | null, name: string, args: string[], timeoutMs: number): string | undefined {
  const script = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  const [cmd, argv] = pinned(taskset, taskset ? 0 : null, process.execPath, [script, ...args]);
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: timeoutMs });
  return r.status === 0 ? r.stdout : undefined;
}
