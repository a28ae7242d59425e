// A server with several workers: the primary owns the one store (the
// MemoryStore and the one prober in embedded mode; the one Redis reader per
// host in distributed mode), and workers reach it over the cluster IPC
// channel. Calls are forwarded; changes are broadcast. The channel is an
// interface so the contract test can run the relay over a MessagePort.
import cluster, { type Worker } from 'node:cluster';
import type { FailoverLatch, HealthSnapshot, HealthStore, Override, StoreChange, StoreProblem, VantageReport } from './types.js';

interface WireSnapshot {
  reports: Array<[string, VantageReport[]]>;
  overrides: Override[];
  latches: FailoverLatch[];
}

type Call = { pulsedns: 'store-call'; id: number; method: string; args: unknown[] };
type Reply = { pulsedns: 'store-reply'; id: number; ok: boolean; value?: unknown; error?: string };
type Change = { pulsedns: 'store-change'; change: StoreChange };

function isObj(m: unknown): m is Record<string, unknown> {
  return typeof m === 'object' && m !== null;
}

/** The primary's end: messages to every worker, and each worker's messages with a way to answer it. */
export interface RelayHub {
  broadcast(msg: unknown): void;
  onMessage(handler: (msg: unknown, reply: (m: unknown) => void) => void): void;
}

/** A worker's end. */
export interface RelayLink {
  send(msg: unknown): void;
  onMessage(handler: (msg: unknown) => void): void;
  connected(): boolean;
}

export function clusterHub(): RelayHub {
  return {
    broadcast(msg) {
      for (const w of Object.values(cluster.workers ?? {})) if (w?.isConnected()) w.send(msg as object);
    },
    onMessage(handler) {
      cluster.on('message', (worker: Worker, m: unknown) => handler(m, (r) => {
        if (worker.isConnected()) worker.send(r as object);
      }));
    },
  };
}

export function processLink(): RelayLink {
  return {
    send: (msg) => void process.send?.(msg as object),
    onMessage: (handler) => void process.on('message', handler),
    connected: () => process.connected === true,
  };
}

/** Primary side: serves workers' calls from `store` and broadcasts its changes. */
export async function serveStoreToWorkers(store: HealthStore, hub: RelayHub = clusterHub()): Promise<void> {
  await store.subscribe((change) => {
    const msg: Change = { pulsedns: 'store-change', change };
    hub.broadcast(msg);
  });
  hub.onMessage((m, reply) => {
    if (!isObj(m) || m.pulsedns !== 'store-call') return;
    const call = m as unknown as Call;
    void (async () => {
      let r: Reply;
      try {
        const value = await invoke(store, call.method, call.args);
        r = { pulsedns: 'store-reply', id: call.id, ok: true, value };
      } catch (e) {
        r = { pulsedns: 'store-reply', id: call.id, ok: false, error: (e as Error).message };
      }
      reply(r);
    })();
  });
}

async function invoke(store: HealthStore, method: string, args: unknown[]): Promise<unknown> {
  switch (method) {
    case 'snapshot': {
      const s = await store.snapshot();
      const wire: WireSnapshot = { reports: [...s.reports], overrides: s.overrides, latches: s.latches };
      return wire;
    }
    case 'report':
      return store.report(args[0] as string, args[1] as VantageReport, args[2] as boolean);
    case 'setOverride':
      return store.setOverride(args[0] as Override);
    case 'clearOverride':
      return store.clearOverride(args[0] as string, args[1] as string);
    case 'latch':
      return store.latch(args[0] as FailoverLatch);
    case 'unlatch':
      return store.unlatch(args[0] as string);
    case 'claimEvent':
      return store.claimEvent(args[0] as string, args[1] as number);
    default:
      throw new Error(`unknown store call ${method}`);
  }
}

/** Worker side: a HealthStore whose state lives in the primary. */
export class RelayStore implements HealthStore {
  private nextId = 1;
  private waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private listeners: Array<(c: StoreChange) => void> = [];

  constructor(private readonly link: RelayLink = processLink()) {
    link.onMessage((m: unknown) => {
      if (!isObj(m)) return;
      if (m.pulsedns === 'store-reply') {
        const r = m as unknown as Reply;
        const w = this.waiting.get(r.id);
        if (!w) return;
        this.waiting.delete(r.id);
        if (r.ok) w.resolve(r.value);
        else w.reject(new Error(r.error ?? 'store call failed'));
      } else if (m.pulsedns === 'store-change') {
        for (const l of this.listeners) {
          try {
            l((m as unknown as Change).change);
          } catch {
            // One broken listener must not stop delivery to the others.
          }
        }
      }
    });
  }

  private call<T>(method: string, ...args: unknown[]): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`store call ${method} timed out`));
      }, 2000);
      this.waiting.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      const msg: Call = { pulsedns: 'store-call', id, method, args };
      this.link.send(msg);
    });
  }

  report(member: string, report: VantageReport, changed: boolean): Promise<void> {
    return this.call('report', member, report, changed);
  }

  async snapshot(): Promise<HealthSnapshot> {
    const w = await this.call<WireSnapshot>('snapshot');
    return { reports: new Map(w.reports), overrides: w.overrides, latches: w.latches };
  }

  async subscribe(listener: (change: StoreChange) => void): Promise<void> {
    this.listeners.push(listener);
  }

  setOverride(o: Override): Promise<void> {
    return this.call('setOverride', o);
  }

  clearOverride(pool: string, address: string): Promise<boolean> {
    return this.call('clearOverride', pool, address);
  }

  latch(l: FailoverLatch): Promise<boolean> {
    return this.call('latch', l);
  }

  unlatch(pool: string): Promise<boolean> {
    return this.call('unlatch', pool);
  }

  claimEvent(id: string, ttlMs: number): Promise<boolean> {
    return this.call('claimEvent', id, ttlMs);
  }

  healthy(): boolean {
    return this.link.connected();
  }

  problem(): StoreProblem | undefined {
    return this.healthy() ? undefined : { kind: 'unreachable', message: 'the primary process is not reachable' };
  }

  async close(): Promise<void> {
    this.listeners = [];
  }
}
