// `pulsedns serve`: wires zones, transports, health and the admin endpoint.
// With several workers the primary is the control process: it watches the
// zones, compiles them once per change into an image file (reloader.ts), and
// runs the one prober, the embedded store and the admin endpoint; each worker
// reads the image the primary names and answers from the shared sockets.
import { existsSync } from 'node:fs';
import cluster, { type Worker } from 'node:cluster';
import { hostname } from 'node:os';
import type { Server } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import type { Logger } from 'pino';
import { Stats } from './stats.js';
import { startUdp, type Endpoint, type UdpListener } from '../transport/udp.js';
import { startTcp, TCP_DEFAULTS, type TcpOptions } from '../transport/tcp.js';
import { ServedZones } from './reloader.js';
import { watchZones } from './watch.js';
import { workerMallocEnv } from './malloc-env.js';
import { askForCurrentImage, GENERATION_ENV, IMAGE_ENV, imageFromEnv, imageFromPrimary, installAnnounced, isImageMessage, isImageRequest, makeImageDir, rollOut, type ImageDir, type ImageMessage } from './images.js';
import { GitSync } from './gitsync.js';
import { RateLimiter, type RrlOptions } from '../transport/rrl.js';
import { MIN_USEFUL_VANTAGES, startHealth, type HealthRuntime } from './health.js';
import { isShared, openStore, type StoreOptions } from '../../checks/store/open.js';
import { serveStoreToWorkers } from '../../checks/store/relay.js';
import { viewFilePath } from './statedir.js';
import { ViewFile } from '../../checks/viewfile.js';
import { resolve } from 'node:path';
import { startAdmin } from './admin.js';
import { clusterMetrics, controlRegistry, EventCounter, processRegistry, singleProcessMetrics, trafficRegistry, type MetricsJson } from './metrics.js';
import { AddressAcl } from '../xfr/acl.js';
import { ZoneTransfers } from '../xfr/axfr.js';
import { Notifier, type NotifyTarget } from '../xfr/notify.js';
import type { TsigKey } from '../xfr/tsig.js';
import { chaosAnswers, type ChaosConfig } from '../engine/chaos.js';
import { RequestHandler } from '../engine/handler.js';
// Kept here too: where it was first defined, and what other code imports.
export { parseEndpoint } from '../transport/endpoint.js';
import { answerReloadRequests, reloadWorkers, servedReport, type ReloadReport } from './reload.js';
import { bindError, preflightBind, readyFields, StartupError } from './startup.js';
import { AnswerLifetimes } from './lifetimes.js';
import { followKeys } from './keytimer.js';
import { DEFAULT_MAX_FILE_BYTES } from '../zones/readfile.js';
import { redactUrl } from './redact.js';

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
  /** Signs webhook POSTs (--webhook-secret, PULSEDNS_WEBHOOK_SECRET, --webhook-secret-file). */
  webhookSecret?: string;
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
  /**
   * --state-dir: where the last known health view is kept across restarts, and the
   * parent of the private directory that holds the compiled zone image; absent keeps no view.
   */
  stateDir?: string;
  /** Zone files bigger than this are refused (--max-zone-file-size). */
  maxFileBytes?: number;
  /** Admin token file: read when it exists, else written with a fresh token (--admin-token-file). */
  adminTokenFile?: string;
  /** Names accepted in the admin endpoint's Host header (--admin-allow-host). */
  adminAllowHosts?: string[];
  /** Key directory for zones served signed (--keys, PULSEDNS_KEYS). */
  keysDir?: string;
  /** NSID option bytes for queries that ask (--nsid; engine/nsid.ts). */
  nsidOption?: Buffer;
}

export interface GitSource {
  repo: string;
  branch: string;
  subdir: string;
  intervalMs: number;
  cacheDir?: string;
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

/** What /readyz reports: undefined when ready, else why not. */
type Readiness = () => string | undefined;

/** Zones + health (+ admin): what both a single process and a cluster primary run. */
async function startControl(opts: ServeOptions, log: Logger, stats: Stats, role: 'all' | 'primary' | 'worker', notReady: Readiness = () => undefined): Promise<Control> {
  let zonesDir = opts.zonesDir;
  const maxFileBytes = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  let git: GitSync | undefined;
  if (opts.git) {
    git = new GitSync({ repo: opts.git.repo, branch: opts.git.branch, subdir: opts.git.subdir, log, maxFileBytes, ...(opts.git.cacheDir ? { cacheDir: opts.git.cacheDir } : {}) });
    // Workers read the image the primary compiled; only one process fetches, watches and compiles.
    if (role !== 'worker') {
      await git.init();
      if (!git.state.served) throw new StartupError(`no valid commit to serve from ${redactUrl(opts.git.repo)} (${opts.git.branch}); see the errors above`);
    }
    zonesDir = git.zonesDir;
  }
  const imageDir = role === 'worker' ? undefined : makeImageDir(opts.stateDir);
  // In git mode a zone file may link elsewhere in the checkout, never out of it.
  const zones = new ServedZones(zonesDir, log, stats, {
    announce: role !== 'worker',
    // A cluster primary answers no query: it keeps serials and pools, not the image its workers read.
    answers: role !== 'primary',
    read: { maxBytes: maxFileBytes, ...(git ? { root: git.checkoutDir } : {}) },
    ...(opts.keysDir ? { keysDir: opts.keysDir } : {}),
    ...(imageDir ? { imagePath: imageDir.path } : {}),
  });
  if (role === 'worker') {
    // Forked during the primary's first compile, a worker has no image yet: it waits for one.
    let image = imageFromEnv() ?? (await imageFromPrimary());
    let installed = await zones.install(image.path, image.generation);
    if (!installed && !existsSync(image.path)) {
      // The file named at its fork was removed under the server: the primary compiles it again when asked.
      image = await imageFromPrimary();
      installed = await zones.install(image.path, image.generation);
    }
    if (!installed) throw new StartupError('no zone image to serve (a worker reads the one its primary compiled)');
  } else if (!(await zones.reload())) {
    imageDir?.remove();
    throw new StartupError(`the zones in ${zonesDir} do not load (errors above); nothing to serve`);
  }
  // One store per host: workers reach the primary's over IPC in both modes,
  // so with Redis there is one reader per host, not one per worker.
  const store = openStore(opts.health, log, role === 'worker');
  if (role === 'primary') await serveStoreToWorkers(store);
  const shared = isShared(opts.health);
  // Workers start from the view too (a worker restarted during an outage
  // must not answer differently from its siblings), but only one process writes it.
  const viewFile = opts.stateDir ? new ViewFile(viewFilePath(opts.stateDir, opts.git?.repo ?? resolve(opts.zonesDir), opts.health), log.child({ component: 'state' })) : undefined;
  if (viewFile && role !== 'worker') log.info({ file: viewFile.path }, 'health view kept on disk');
  const health = await startHealth(store, log, {
    probe: opts.probe && role !== 'worker',
    vantage: opts.vantage,
    webhooks: role === 'worker' ? [] : opts.webhooks,
    ...(opts.webhookSecret ? { webhookSecret: opts.webhookSecret } : {}),
    pools: zones.current.pools,
    announce: role !== 'worker',
    onProbe: (check, result) => stats.probeSeconds.observe({ type: check.type, result: result.ok ? 'ok' : 'fail' }, result.ms / 1000),
    ...(opts.health.holdMs !== undefined ? { holdMs: opts.health.holdMs } : {}),
    ...(shared && role !== 'worker' ? { minVantages: MIN_USEFUL_VANTAGES } : {}),
    ...(viewFile ? { restoreFrom: viewFile } : {}),
    ...(viewFile && role !== 'worker' ? { saveTo: viewFile } : {}),
  });
  zones.setHealth(health.live);
  // Every serving process follows the key files itself (no recompile): a rollover step goes live everywhere at its time.
  const keys = opts.keysDir ? followKeys(zones, opts.keysDir) : undefined;
  zones.onLoaded = (catalog) => {
    health.setPools(catalog.pools);
    keys?.loaded();
  };
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
  const gitState = git ? () => ({ repo: redactUrl(opts.git!.repo), branch: opts.git!.branch, ...git!.state }) : undefined;
  let metrics: () => Promise<string> = async () => '';
  if (role !== 'worker') {
    const control = controlRegistry({ stats, zones, live: health.live, events, ...(gitState ? { git: gitState } : {}) });
    metrics = role === 'primary' ? clusterMetrics(processRegistry(), control, askWorkers) : singleProcessMetrics(trafficRegistry(stats, () => zones.current), control);
  }
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
  const reloadHere = async (): Promise<ReloadReport> => {
    if (!git) return servedReport(zones, await zones.reload());
    const fresh = await git.sync().catch((e: unknown) => {
      log.error({ err: e }, 'git sync failed');
      return false;
    });
    if (git.state.lastFetch?.ok === false) return servedReport(zones, false, [`git fetch from ${opts.git!.repo} failed: ${git.state.lastFetch.error ?? 'unknown error'}`]);
    if (git.state.refused) return servedReport(zones, false, git.state.refused.errors.map((e) => `${git!.state.refused!.commit.slice(0, 12)}: ${e}`));
    return servedReport(zones, fresh ? await zones.reload() : true);
  };
  const reload = role === 'primary' ? async () => reloadWorkers(await reloadHere()) : reloadHere;
  const lifetimes = role === 'worker' ? undefined : new AnswerLifetimes(() => zones.current.pools, health.live);
  const admin =
    opts.admin && role !== 'worker'
      ? await startAdmin({ listen: opts.admin, ...(opts.adminToken ? { token: opts.adminToken } : {}), ...(opts.adminTokenFile ? { tokenFile: opts.adminTokenFile } : {}), ...(opts.adminAllowHosts ? { allowHosts: opts.adminAllowHosts } : {}), zones, live: health.live, store, log, metrics, ...(gitState ? { git: gitState } : {}), reload, notReady, ...(lifetimes ? { lifetimes } : {}) }).catch((e: unknown) => {
          lifetimes?.stop();
          // The socket's own failures; others (the token file) say what they are about themselves.
          if (['listen', 'bind', 'getaddrinfo'].includes((e as NodeJS.ErrnoException).syscall ?? '')) throw bindError(e, opts.admin!, 'admin endpoint; choose another with --admin ADDR:PORT or --admin off');
          throw new StartupError((e as Error).message);
        })
      : undefined;
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
  const stopTimers = stopWatch;
  // SIGHUP also looks again at where a symlinked zones directory points (a deploy's `ln -sfn`).
  const hup = (): Promise<boolean> => {
    rewatch();
    return refresh();
  };
  return { zones, health, admin, stopWatch: () => (stopTimers(), lifetimes?.stop(), keys?.stop()), imageDir, notifier, refresh: hup, git };
}

/** Primary: every worker's traffic registry, as JSON for AggregatorRegistry; a worker that does not answer within 3 s is left out. */
async function askWorkers(): Promise<MetricsJson[]> {
  const workers = Object.values(cluster.workers ?? {}).filter((w) => w?.isConnected());
  const replies = await Promise.all(
    workers.map(
      (w) =>
        new Promise<MetricsJson | undefined>((resolve) => {
          const id = Math.random();
          const timer = setTimeout(() => {
            w!.off('message', onMsg);
            resolve(undefined);
          }, 3000);
          const onMsg = (m: unknown): void => {
            const msg = m as { pulsedns?: string; id?: number; metrics?: MetricsJson };
            if (msg?.pulsedns !== 'metrics-reply' || msg.id !== id) return;
            clearTimeout(timer);
            w!.off('message', onMsg);
            resolve(msg.metrics);
          };
          w!.on('message', onMsg);
          w!.send({ pulsedns: 'metrics-request', id });
        }),
    ),
  );
  return replies.filter((r) => r !== undefined);
}

/** Runs one DNS server in this process. Resolves once every socket is bound. */
export async function startServer(opts: ServeOptions, log: Logger, role: 'all' | 'worker' = 'all'): Promise<RunningServer & { setStopping(): void }> {
  const stats = new Stats();
  // /readyz: 200 only between "every listener bound" and "shutting down".
  let listening = false;
  let stopping = false;
  const notReady: Readiness = () => (stopping ? 'shutting down' : listening ? undefined : 'not every listener is bound yet');
  const control = await startControl(opts, log, stats, role, notReady);
  const { zones } = control;
  const handler = new RequestHandler(() => zones.current, stats, (e) => log.error({ err: e }, 'query handling failed'), { chaos: chaosAnswers(opts.chaos ?? {}), ...(opts.nsidOption ? { nsidOption: opts.nsidOption } : {}) });
  const udp: UdpListener[] = [];
  const tcp: Server[] = [];
  // Always installed: with no --allow-transfer it refuses every transfer, as before.
  const rrl = opts.rrl ? new RateLimiter(opts.rrl) : undefined;
  const transfers = new ZoneTransfers({ acl: opts.allowTransfer ?? AddressAcl.parse([]), log, keys: opts.tsigKeys ?? [], ...(opts.transferKey ? { requireKey: opts.transferKey } : {}) });
  for (const ep of opts.listen) {
    udp.push(await startUdp(ep, handler, stats, log, rrl).catch((e: unknown) => Promise.reject(bindError(e, ep, 'DNS over UDP'))));
    tcp.push(await startTcp(ep, handler, stats, log, opts.tcp, transfers).catch((e: unknown) => Promise.reject(bindError(e, ep, 'DNS over TCP'))));
  }
  listening = true;
  // Announce only now that TCP listens: a secondary answers NOTIFY by coming to transfer.
  control.notifier?.loaded(zones.current);
  const onHup = (): void => {
    // A worker only serves what its primary compiled; reloading is the primary's (default SIGHUP would kill it).
    if (role === 'worker') return;
    log.info(control.git ? 'SIGHUP: fetching and reloading zones' : 'SIGHUP: reloading zones');
    void control.refresh();
  };
  process.on('SIGHUP', onHup);
  const traffic = role === 'worker' ? trafficRegistry(stats, () => zones.current) : undefined;
  const onMessage = (m: unknown): void => {
    if (isImageMessage(m)) {
      void installAnnounced(zones, m);
      return;
    }
    const msg = m as { pulsedns?: string; id?: number };
    if (msg?.pulsedns === 'metrics-request' && traffic) void traffic.getMetricsAsJSON().then((metrics) => process.send?.({ pulsedns: 'metrics-reply', id: msg.id, metrics }));
  };
  if (role === 'worker') {
    answerReloadRequests(zones);
    process.on('message', onMessage);
    // Until the line above, an image the primary announced reached no listener (images.ts).
    askForCurrentImage();
  }
  let closed = false;
  return {
    zones,
    stats,
    health: control.health,
    setStopping() {
      stopping = true;
    },
    async close() {
      stopping = true;
      if (closed) return;
      closed = true;
      // Sockets first: the port is free at once and nothing more is read.
      for (const s of udp) s.close();
      const tcpClosed = Promise.all(tcp.map((s) => new Promise<void>((r) => s.close(() => r()))));
      control.stopWatch();
      control.notifier?.close();
      process.off('SIGHUP', onHup);
      process.off('message', onMessage);
      closeAdmin(control.admin);
      control.imageDir?.remove();
      // Open TCP connections and a slow store get a short grace, not a say in when we exit.
      await Promise.race([Promise.all([tcpClosed, control.health.close()]), delay(SHUTDOWN_GRACE_MS)]);
    },
  };
}

/** A worker that cannot start tells the primary why, so one process prints one line. */
interface WorkerFatal {
  pulsedns: 'fatal';
  message: string;
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
  if (cluster.isPrimary) await preflightBind(opts.listen, opts.admin);
  if (opts.workers > 1 && cluster.isPrimary) return servePrimary(opts, log);
  const role = cluster.isWorker ? 'worker' : 'all';
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(opts, cluster.isWorker ? log.child({ worker: cluster.worker?.id }) : log, role);
  } catch (e) {
    if (!cluster.isWorker) throw e;
    const message = e instanceof StartupError ? e.message : `worker failed to start: ${(e as Error).message}`;
    process.send?.({ pulsedns: 'fatal', message } satisfies WorkerFatal, () => process.exit(1));
    setTimeout(() => process.exit(1), 1000).unref();
    return;
  }
  if (cluster.isWorker) process.send?.('ready');
  else log.info(readyFields(opts, server.zones.current), 'ready');
  const stop = (signal: string): void => {
    const started = Date.now();
    const done = (how: string): void => {
      // With workers, the primary speaks for the server.
      if (!cluster.isWorker) log.info({ signal, drainMs: Date.now() - started }, `shutdown: ${how} in ${Date.now() - started} ms`);
      process.exit(0);
    };
    void server.close().then(() => done('drained'));
    setTimeout(() => done('gave up draining'), 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The primary going away (its IPC channel closes) means this worker's job is over.
  if (cluster.isWorker) process.on('disconnect', stop);
}

async function servePrimary(opts: ServeOptions, log: Logger): Promise<void> {
  // Workers accept TCP themselves instead of the primary handing out connections.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  const ready = new Set<number>();
  let announced = false;
  let stopping = false;
  const notReady: Readiness = () => (stopping ? 'shutting down' : ready.size < opts.workers ? `${ready.size} of ${opts.workers} workers listening` : undefined);
  /** Set once the first compile is served and the store, health and admin are up. */
  let control: Control | undefined;
  /** Workers forked before `control` that asked for their first image. */
  const waiting = new Set<Worker>();
  /** Workers a rolling restart is replacing: their exit is expected. */
  const retired = new WeakSet<Worker>();
  const fatal = (message: string): void => {
    if (stopping) return;
    stopping = true;
    // One line, from one process: the workers that failed alike stay quiet.
    process.stderr.write(`pulsedns: error: ${message}\n`);
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
    control?.imageDir?.remove();
    process.exit(1);
  };
  const imageMessage = (c: Control): ImageMessage => ({ pulsedns: 'image', path: c.imageDir!.path, generation: c.zones.generation });
  const fork = (): void => {
    // Before the first compile is done a worker gets no image: it asks for one (images.ts imageFromPrimary).
    const w = cluster.fork({ ...workerMallocEnv(), ...(control ? { [IMAGE_ENV]: control.imageDir!.path, [GENERATION_ENV]: String(control.zones.generation) } : {}) });
    // A worker that died mid-send must not turn into an unhandled EPIPE here.
    w.process.on('error', (e) => log.debug({ err: e, worker: w.id }, 'worker channel error'));
    w.once('exit', (code, signal) => {
      waiting.delete(w);
      if (stopping || retired.has(w)) return void ready.delete(w.id);
      // A worker that never started will not start the next time either: stop instead of forking forever.
      // Its own reason, if it sent one, may still be on its way: give it a moment to arrive first.
      if (!ready.delete(w.id)) return void setTimeout(() => fatal(`worker ${w.id} exited during start-up (${signal ?? `code ${code}`})`), 200);
      log.error({ worker: w.id, code, signal }, 'worker exited; starting a new one');
      fork();
    });
  };
  const announce = (): void => {
    // Once: a worker replaced later rejoins a server that has been ready all along.
    if (announced || !control || ready.size < opts.workers) return;
    announced = true;
    log.info(readyFields(opts, control.zones.current), 'ready');
    control.notifier?.loaded(control.zones.current);
  };
  cluster.on('message', (w, msg: unknown) => {
    if ((msg as Partial<WorkerFatal>)?.pulsedns === 'fatal') return fatal((msg as WorkerFatal).message);
    if (isImageRequest(msg)) {
      if (!control) return void waiting.add(w);
      const c = control;
      if (existsSync(c.imageDir!.path)) return void sendQuietly(w, imageMessage(c));
      // Removed under a running server (a temp cleaner, a hand): the workers serving hold their
      // image in memory, but one starting now has nothing to read. Compiled again, then named.
      log.warn({ path: c.imageDir!.path, worker: w.id }, 'the zone image file is gone; compiling the zones again for a starting worker');
      void c.zones.reload().then((ok) => {
        if (ok && existsSync(c.imageDir!.path)) sendQuietly(w, imageMessage(c));
        else fatal(`the zone image ${c.imageDir!.path} was removed and the zones in ${opts.zonesDir} do not compile now; nothing to start a worker with`);
      });
      return;
    }
    if (msg === 'ready') {
      ready.add(w.id);
      announce();
    }
  });
  // The workers start (a process, the modules, the store link) while the first compile runs,
  // so they read the image the moment it is served; none answers before it has one.
  for (let i = 0; i < opts.workers; i++) fork();
  try {
    control = await startControl(opts, log, new Stats(), 'primary', notReady);
  } catch (e) {
    // The caller reports why in one line; the workers waiting for an image have nothing to add.
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
    throw e;
  }
  const c = control;
  // A reload reaches the serving workers one at a time (images.ts rollOut); the first image went to all at once.
  c.zones.onPublished = () => rollOut(Object.values(cluster.workers ?? {}), imageMessage(c), sendQuietly);
  for (const w of waiting) sendQuietly(w, imageMessage(c));
  waiting.clear();
  announce();
  process.on('SIGHUP', () => {
    log.info(c.git ? 'SIGHUP: fetching and reloading zones' : 'SIGHUP: reloading zones');
    void c.refresh();
  });
  process.on('SIGUSR2', () => void rollingRestart(log, fork, retired, () => stopping));
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    const started = Date.now();
    const done = (how: string): void => {
      c.imageDir?.remove();
      log.info({ signal, drainMs: Date.now() - started }, `shutdown: ${how} in ${Date.now() - started} ms`);
      process.exit(0);
    };
    c.stopWatch();
    c.notifier?.close();
    closeAdmin(c.admin);
    const workers = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
    const exited = Promise.all(workers.map((w) => (w.isDead() ? undefined : new Promise<void>((r) => w.once('exit', () => r())))));
    for (const w of workers) if (!w.isDead()) w.process.kill('SIGTERM');
    void Promise.race([Promise.all([exited, c.health.close()]).then(() => 'workers drained'), delay(2000).then(() => 'gave up waiting for workers')]).then(done);
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
