// `pulsedns serve`: wires zones, transports, health and the admin endpoint.
// With several workers the primary is the control process: it watches the
// zones, compiles them once per change into an image file (reloader.ts), and
// runs the one prober, the embedded store and the admin endpoint; each worker
// reads the image the primary names and answers from the shared sockets.
import cluster, { type Worker } from 'node:cluster';
import { hostname } from 'node:os';
import type { Socket } from 'node:dgram';
import type { Server } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import type { Logger } from 'pino';
import { Stats } from './stats.js';
import { startUdp, type Endpoint } from '../transport/udp.js';
import { startTcp, TCP_DEFAULTS, type TcpOptions } from '../transport/tcp.js';
import { ServedZones } from './reloader.js';
import { watchZones } from './watch.js';
import { GENERATION_ENV, IMAGE_ENV, imageFromEnv, isImageMessage, makeImageDir, type ImageDir, type ImageMessage } from './images.js';
import { GitSync } from './gitsync.js';
import { RateLimiter, type RrlOptions } from '../transport/rrl.js';
import { startHealth, type HealthRuntime } from './health.js';
import { isShared, openStore, type StoreOptions } from '../../checks/store/open.js';
import { serveStoreToWorkers } from '../../checks/store/relay.js';
import { startAdmin } from './admin.js';
import { EventCounter } from './metrics.js';
import { mergeStats, serializeStats, type StatsJson } from './stats.js';
import { AddressAcl } from '../xfr/acl.js';
import { ZoneTransfers } from '../xfr/axfr.js';
import { Notifier, type NotifyTarget } from '../xfr/notify.js';
import type { TsigKey } from '../xfr/tsig.js';
import { chaosAnswers, type ChaosConfig } from '../engine/chaos.js';
import { RequestHandler } from '../engine/handler.js';

export interface ServeOptions {
  zonesDir: string;
  listen: Endpoint[];
  workers: number;
  tcp: TcpOptions;
  health: StoreOptions;
  /** Embedded default: probe in this process. Off when probers run elsewhere (--redis). */
  probe: boolean;
  vantage: string;
  webhooks: string[];
  /** Admin HTTP endpoint; null disables it. */
  admin: Endpoint | null;
  adminToken?: string;
  /** Clients allowed AXFR/IXFR over TCP (--allow-transfer); absent or empty refuses every transfer. */
  allowTransfer?: AddressAcl;
  /** Secondaries sent NOTIFY at startup and whenever a zone's serial changes (--notify). */
  notify?: NotifyTarget[];
  /** TSIG keys shared with secondaries (--tsig); signed transfer requests get signed answers. */
  tsigKeys?: TsigKey[];
  /** Transfers must be signed with this key and NOTIFY is signed with it (--transfer-key). */
  transferKey?: TsigKey;
  /** CHAOS TXT answers (--chaos-version, --chaos-id); absent fields stay REFUSED. */
  chaos?: ChaosConfig;
  /** Serve a git branch instead of a plain directory (--zones-git). */
  git?: GitSource;
  /** UDP response-rate limiting (--rrl-rate); off when absent. */
  rrl?: RrlOptions;
  /** Parent of the private directory that holds the compiled zone image (--state-dir). */
  stateDir?: string;
}

export interface GitSource {
  repo: string;
  branch: string;
  subdir: string;
  intervalMs: number;
  cacheDir?: string;
}

export function parseEndpoint(text: string): Endpoint {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  if (!m) throw new Error(`listen address "${text}" must look like 127.0.0.1:5353 or [::1]:5353`);
  const port = Number(m[2]);
  if (port > 65535) throw new Error(`port ${port} out of range`);
  return { host: m[1]!, port };
}

export const DEFAULT_SERVE: ServeOptions = {
  zonesDir: 'zones',
  listen: [{ host: '127.0.0.1', port: 5353 }],
  workers: 1,
  tcp: TCP_DEFAULTS,
  health: {},
  probe: true,
  vantage: hostname(),
  webhooks: [],
  admin: { host: '127.0.0.1', port: 9153 },
};

export interface RunningServer {
  zones: ServedZones;
  stats: Stats;
  health: HealthRuntime;
  close(): Promise<void>;
}

interface Control {
  zones: ServedZones;
  health: HealthRuntime;
  admin: HttpServer | undefined;
  stopWatch: () => void;
  /** Where the compiled image is published (never in a worker). */
  imageDir: ImageDir | undefined;
  /** Only where the zones are controlled (never in a worker), so each change is announced once. */
  notifier: Notifier | undefined;
  /** SIGHUP: fetch (git) and reload; resolves true when a new zone set went live. */
  refresh: () => Promise<boolean>;
  git: GitSync | undefined;
}

/** Zones + health (+ admin): what both a single process and a cluster primary run. */
async function startControl(opts: ServeOptions, log: Logger, stats: Stats, role: 'all' | 'primary' | 'worker', ready?: () => string | undefined): Promise<Control> {
  let zonesDir = opts.zonesDir;
  let git: GitSync | undefined;
  // Workers read the image the primary compiled; only one process fetches, watches and compiles.
  if (opts.git && role !== 'worker') {
    git = new GitSync({ repo: opts.git.repo, branch: opts.git.branch, subdir: opts.git.subdir, log, ...(opts.git.cacheDir ? { cacheDir: opts.git.cacheDir } : {}) });
    await git.init();
    if (!git.state.served) throw new Error(`no valid commit to serve from ${opts.git.repo} (${opts.git.branch}); see the errors above`);
    zonesDir = git.zonesDir;
  }
  const imageDir = role === 'worker' ? undefined : makeImageDir(opts.stateDir);
  const zones = new ServedZones(zonesDir, log, stats, imageDir?.path);
  if (role === 'worker') {
    const image = imageFromEnv();
    if (!image || !(await zones.install(image.path, image.generation))) throw new Error('no zone image to serve (a worker reads the one its primary compiled)');
  } else if (!(await zones.reload())) {
    imageDir?.remove();
    throw new Error('initial zone load failed; fix the errors above');
  }
  const store = openStore(opts.health, log, role === 'worker');
  if (role === 'primary' && !isShared(opts.health)) await serveStoreToWorkers(store);
  const health = await startHealth(store, log, {
    probe: opts.probe && role !== 'worker',
    vantage: opts.vantage,
    webhooks: role === 'worker' ? [] : opts.webhooks,
    pools: zones.current.pools,
  });
  zones.setHealth(health.live);
  zones.onLoaded = (catalog) => health.setPools(catalog.pools);
  let notifier: Notifier | undefined;
  if (role !== 'worker' && opts.notify?.length) {
    // Workers reload on their own clock; give them a moment before secondaries come to transfer.
    notifier = new Notifier({ targets: opts.notify, log, delayMs: role === 'primary' ? 1000 : 0, ...(opts.transferKey ? { key: opts.transferKey } : {}) });
    for (const t of opts.notify) {
      // Most likely a forgotten --allow-transfer; a multi-homed secondary may transfer from another address.
      if (!opts.allowTransfer?.allows(t.host)) log.warn({ secondary: t.host }, 'NOTIFY target is not in --allow-transfer: its transfers will be REFUSED unless it connects from a listed address');
    }
    const previous = zones.onLoaded;
    const n = notifier;
    zones.onLoaded = (catalog) => {
      previous(catalog);
      n.loaded(catalog);
    };
  }
  const events = new EventCounter();
  health.live.onEvent((e) => events.count(e.type));
  const collect = role === 'primary' ? () => collectWorkerStats(stats) : async () => stats;
  const gitState = git ? () => ({ repo: opts.git!.repo, branch: opts.git!.branch, ...git!.state }) : undefined;
  const admin = opts.admin && role !== 'worker' ? await startAdmin({ listen: opts.admin, ...(opts.adminToken ? { token: opts.adminToken } : {}), zones, live: health.live, store, log, stats: collect, events, ...(gitState ? { git: gitState } : {}), ...(ready ? { ready } : {}) }) : undefined;
  const refresh = async (): Promise<boolean> => {
    if (git && role !== 'worker') {
      const fresh = await git.sync().catch((e: unknown) => {
        log.error({ err: e }, 'git sync failed');
        return false;
      });
      return fresh && zones.reload();
    }
    return zones.reload();
  };
  // A git checkout changes under our feet only when we check out; watching it would reload half-written trees.
  // Workers never watch: the primary sees a change once and tells them.
  let stopWatch = (): void => undefined;
  let rewatch = (): void => undefined;
  if (git) {
    const timer = setInterval(() => void refresh(), opts.git!.intervalMs);
    timer.unref();
    stopWatch = () => clearInterval(timer);
  } else if (role !== 'worker') {
    const watcher = watchZones(zonesDir, () => void zones.reload());
    stopWatch = () => watcher.close();
    rewatch = () => watcher.rewatch();
  }
  const reload = refresh;
  // SIGHUP also looks again at where a symlinked zones directory points (a deploy's `ln -sfn`).
  const hup = (): Promise<boolean> => {
    rewatch();
    return reload();
  };
  return { zones, health, admin, stopWatch, imageDir, notifier, refresh: hup, git };
}

/** Primary: its own counters (reloads) plus every worker's traffic counters. */
async function collectWorkerStats(own: Stats): Promise<Stats> {
  const total = new Stats();
  total.reloads = { ...own.reloads };
  const workers = Object.values(cluster.workers ?? {}).filter((w) => w?.isConnected());
  const replies = await Promise.all(
    workers.map(
      (w) =>
        new Promise<StatsJson | undefined>((resolve) => {
          const id = Math.random();
          const timer = setTimeout(() => {
            w!.off('message', onMsg);
            resolve(undefined);
          }, 1000);
          const onMsg = (m: unknown): void => {
            const msg = m as { pulsedns?: string; id?: number; stats?: StatsJson };
            if (msg?.pulsedns !== 'stats-reply' || msg.id !== id) return;
            clearTimeout(timer);
            w!.off('message', onMsg);
            resolve(msg.stats);
          };
          w!.on('message', onMsg);
          w!.send({ pulsedns: 'stats-request', id });
        }),
    ),
  );
  for (const r of replies) if (r) mergeStats(total, r);
  return total;
}

/** Runs one DNS server in this process. Resolves once every socket is bound. */
export async function startServer(opts: ServeOptions, log: Logger, role: 'all' | 'worker' = 'all'): Promise<RunningServer> {
  const stats = new Stats();
  const control = await startControl(opts, log, stats, role);
  const { zones } = control;
  const handler = new RequestHandler(() => zones.current, stats, (e) => log.error({ err: e }, 'query handling failed'), { chaos: chaosAnswers(opts.chaos ?? {}) });
  const udp: Socket[] = [];
  const tcp: Server[] = [];
  // Always installed: with no --allow-transfer it refuses every transfer, as before.
  const rrl = opts.rrl ? new RateLimiter(opts.rrl) : undefined;
  const transfers = new ZoneTransfers({ acl: opts.allowTransfer ?? AddressAcl.parse([]), log, keys: opts.tsigKeys ?? [], ...(opts.transferKey ? { requireKey: opts.transferKey } : {}) });
  for (const ep of opts.listen) {
    udp.push(await startUdp(ep, handler, stats, log, rrl));
    tcp.push(await startTcp(ep, handler, stats, log, opts.tcp, transfers));
  }
  // Announce only now that TCP listens: a secondary answers NOTIFY by coming to transfer.
  control.notifier?.loaded(zones.current);
  const onHup = (): void => {
    // A worker only serves what its primary compiled; reloading is the primary's (default SIGHUP would kill it).
    if (role === 'worker') return;
    log.info(control.git ? 'SIGHUP: fetching and reloading zones' : 'SIGHUP: reloading zones');
    void control.refresh();
  };
  process.on('SIGHUP', onHup);
  const onMessage = (m: unknown): void => {
    if (isImageMessage(m)) {
      void zones.install(m.path, m.generation);
      return;
    }
    const msg = m as { pulsedns?: string; id?: number };
    if (msg?.pulsedns === 'stats-request') process.send?.({ pulsedns: 'stats-reply', id: msg.id, stats: serializeStats(stats) });
  };
  if (role === 'worker') process.on('message', onMessage);
  let closed = false;
  return {
    zones,
    stats,
    health: control.health,
    async close() {
      if (closed) return;
      closed = true;
      // Sockets first: the port is free at once and nothing more is read.
      for (const s of udp) s.close();
      for (const s of tcp) s.close();
      control.stopWatch();
      control.notifier?.close();
      process.off('SIGHUP', onHup);
      process.off('message', onMessage);
      closeAdmin(control.admin);
      control.imageDir?.remove();
      // Open TCP connections and a slow store get a short grace, not a say in when we exit.
      await Promise.race([control.health.close(), delay(SHUTDOWN_GRACE_MS)]);
    },
  };
}

/** How long a stopping process waits for its health store and open connections. */
const SHUTDOWN_GRACE_MS = 300;

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

function closeAdmin(admin: HttpServer | undefined): void {
  if (!admin) return;
  admin.close();
  admin.closeAllConnections();
}

/** Entry for the CLI: forks workers when asked, otherwise serves in-process. */
export async function serve(opts: ServeOptions, log: Logger): Promise<void> {
  if (opts.workers > 1 && cluster.isPrimary) return servePrimary(opts, log);
  const role = cluster.isWorker ? 'worker' : 'all';
  const server = await startServer(opts, cluster.isWorker ? log.child({ worker: cluster.worker?.id }) : log, role);
  if (cluster.isWorker) process.send?.('ready');
  else log.info({ listen: opts.listen, admin: opts.admin }, 'ready');
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The primary going away (its IPC channel closes) means this worker's job is over.
  if (cluster.isWorker) process.on('disconnect', stop);
}

async function servePrimary(opts: ServeOptions, log: Logger): Promise<void> {
  // Workers accept TCP themselves instead of the primary handing out connections.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  const serving = new Set<number>();
  const control = await startControl(opts, log, new Stats(), 'primary', () => (serving.size > 0 ? undefined : 'no worker is answering'));
  const imagePath = control.imageDir!.path;
  let announced = false;
  let stopping = false;
  /** Workers a rolling restart is replacing: their exit is expected. */
  const retired = new WeakSet<Worker>();
  const fork = (): void => {
    const w = cluster.fork({ [IMAGE_ENV]: imagePath, [GENERATION_ENV]: String(control.zones.generation) });
    const started = Date.now();
    // A worker that died mid-send must not turn into an unhandled EPIPE here.
    w.process.on('error', (e) => log.debug({ err: e, worker: w.id }, 'worker channel error'));
    w.once('exit', (code, signal) => {
      serving.delete(w.id);
      if (stopping || retired.has(w)) return;
      log.error({ worker: w.id, code, signal }, 'worker exited; starting a new one');
      // One that dies at once (say, an unreadable image) is not restarted in a tight loop.
      setTimeout(fork, Date.now() - started < 2000 ? 1000 : 0).unref();
    });
  };
  cluster.on('message', (w, msg: unknown) => {
    if (msg !== 'ready') return;
    serving.add(w.id);
    if (!announced && serving.size === opts.workers) {
      announced = true;
      log.info({ listen: opts.listen, workers: opts.workers, admin: opts.admin }, 'ready');
      control.notifier?.loaded(control.zones.current);
    }
  });
  control.zones.onPublished = (generation) => {
    const msg: ImageMessage = { pulsedns: 'image', path: imagePath, generation };
    for (const w of Object.values(cluster.workers ?? {})) sendQuietly(w, msg);
  };
  for (let i = 0; i < opts.workers; i++) fork();
  process.on('SIGHUP', () => {
    log.info(control.git ? 'SIGHUP: fetching and reloading zones' : 'SIGHUP: reloading zones');
    void control.refresh();
  });
  process.on('SIGUSR2', () => void rollingRestart(log, fork, retired, () => stopping));
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    control.stopWatch();
    control.notifier?.close();
    closeAdmin(control.admin);
    const workers = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
    const exited = Promise.all(workers.map((w) => (w.isDead() ? undefined : new Promise<void>((r) => w.once('exit', () => r())))));
    for (const w of workers) if (!w.isDead()) w.process.kill('SIGTERM');
    void Promise.race([Promise.all([exited, control.health.close()]), delay(2000)]).then(() => {
      control.imageDir?.remove();
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function sendQuietly(w: Worker | undefined, msg: ImageMessage): void {
  if (!w?.isConnected()) return;
  w.send(msg, (e: Error | null) => {
    if (e) w.process.emit('error', e);
  });
}

/**
 * SIGUSR2: replace the workers one at a time, each only after its successor
 * is answering, so the shared sockets always have a reader (an upgrade of the
 * code on disk takes effect without a lost query; the primary stays).
 */
async function rollingRestart(log: Logger, fork: () => void, retired: WeakSet<Worker>, stopping: () => boolean): Promise<void> {
  const old = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
  log.info({ workers: old.length }, 'SIGUSR2: restarting workers one at a time');
  for (const w of old) {
    if (stopping()) return;
    const next = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 30_000);
      const onMsg = (_nw: Worker, m: unknown): void => {
        if (m !== 'ready') return;
        clearTimeout(timer);
        cluster.off('message', onMsg);
        resolve(true);
      };
      cluster.on('message', onMsg);
    });
    retired.add(w);
    fork();
    if (!(await next)) {
      log.error('rolling restart: a new worker did not become ready in 30 s; stopping here');
      return;
    }
    await new Promise<void>((r) => {
      w.once('exit', () => r());
      w.process.kill('SIGTERM');
    });
  }
  log.info('rolling restart done');
}
