// `pulsedns serve`: wires zones, transports, health and the admin endpoint.
// With several workers the primary is the control process (zones for the
// prober and admin, the one prober, the embedded store) and each worker loads
// zones and reads from the shared sockets itself.
import cluster from 'node:cluster';
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
import { readyFields } from './startup.js';
import { AddressAcl } from '../xfr/acl.js';
import { ZoneTransfers } from '../xfr/axfr.js';
import { Notifier, type NotifyTarget } from '../xfr/notify.js';
import type { TsigKey } from '../xfr/tsig.js';
import { chaosAnswers, type ChaosConfig } from '../engine/chaos.js';
import { RequestHandler } from '../engine/handler.js';
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
  /** Where the last known health view is kept across restarts (--state-dir); absent keeps nothing. */
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
  /** Only where the zones are controlled (never in a worker), so each change is announced once. */
  notifier: Notifier | undefined;
  /** SIGHUP: fetch (git) and reload; resolves true when a new zone set went live. */
  refresh: () => Promise<boolean>;
  git: GitSync | undefined;
}

/** Zones + health (+ admin): what both a single process and a cluster primary run. */
async function startControl(opts: ServeOptions, log: Logger, stats: Stats, role: 'all' | 'primary' | 'worker'): Promise<Control> {
  let zonesDir = opts.zonesDir;
  const maxFileBytes = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  let git: GitSync | undefined;
  if (opts.git) {
    git = new GitSync({ repo: opts.git.repo, branch: opts.git.branch, subdir: opts.git.subdir, log, maxFileBytes, ...(opts.git.cacheDir ? { cacheDir: opts.git.cacheDir } : {}) });
    // Workers read the checkout the primary keeps; only one process fetches.
    if (role !== 'worker') {
      await git.init();
      if (!git.state.served) throw new Error(`no valid commit to serve from ${redactUrl(opts.git.repo)} (${opts.git.branch}); see the errors above`);
    }
    zonesDir = git.zonesDir;
  }
  // In git mode a zone file may link elsewhere in the checkout, never out of it.
  const zones = new ServedZones(zonesDir, log, stats, role !== 'worker', { maxBytes: maxFileBytes, ...(git ? { root: git.checkoutDir } : {}) }, opts.keysDir);
  if (!zones.reload()) throw new Error('initial zone load failed; fix the errors above');
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
  const gitState = git ? () => ({ repo: redactUrl(opts.git!.repo), branch: opts.git!.branch, ...git!.state }) : undefined;
  let metrics: () => Promise<string> = async () => '';
  if (role !== 'worker') {
    const control = controlRegistry({ stats, zones, live: health.live, events, ...(gitState ? { git: gitState } : {}) });
    metrics = role === 'primary' ? clusterMetrics(processRegistry(), control, askWorkers) : singleProcessMetrics(trafficRegistry(stats, () => zones.current), control);
  }
  const admin = opts.admin && role !== 'worker' ? await startAdmin({ listen: opts.admin, ...(opts.adminToken ? { token: opts.adminToken } : {}), ...(opts.adminTokenFile ? { tokenFile: opts.adminTokenFile } : {}), ...(opts.adminAllowHosts ? { allowHosts: opts.adminAllowHosts } : {}), zones, live: health.live, store, log, metrics, ...(gitState ? { git: gitState } : {}) }) : undefined;
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
  let stopWatch = git ? (): void => undefined : watchZones(zonesDir, () => zones.reload());
  if (git && role !== 'worker') {
    const timer = setInterval(() => {
      void refresh().then((changed) => {
        if (changed && role === 'primary') for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGHUP');
      });
    }, opts.git!.intervalMs);
    timer.unref();
    stopWatch = () => clearInterval(timer);
  }
  return { zones, health, admin, stopWatch, notifier, refresh, git };
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
export async function startServer(opts: ServeOptions, log: Logger, role: 'all' | 'worker' = 'all'): Promise<RunningServer> {
  const stats = new Stats();
  const control = await startControl(opts, log, stats, role);
  const { zones } = control;
  const handler = new RequestHandler(() => zones.current, stats, (e) => log.error({ err: e }, 'query handling failed'), { chaos: chaosAnswers(opts.chaos ?? {}), ...(opts.nsidOption ? { nsidOption: opts.nsidOption } : {}) });
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
    if (role === 'worker') log.debug('SIGHUP: reloading zones');
    else log.info(control.git ? 'SIGHUP: fetching and reloading zones' : 'SIGHUP: reloading zones');
    void control.refresh();
  };
  process.on('SIGHUP', onHup);
  if (role === 'worker') {
    const traffic = trafficRegistry(stats, () => zones.current);
    process.on('message', (m: unknown) => {
      const msg = m as { pulsedns?: string; id?: number };
      if (msg?.pulsedns !== 'metrics-request') return;
      void traffic.getMetricsAsJSON().then((metrics) => process.send?.({ pulsedns: 'metrics-reply', id: msg.id, metrics }));
    });
  }
  return {
    zones,
    stats,
    health: control.health,
    async close() {
      control.stopWatch();
      control.notifier?.close();
      process.off('SIGHUP', onHup);
      for (const s of udp) s.close();
      control.admin?.close();
      await Promise.all(tcp.map((s) => new Promise<void>((r) => s.close(() => r()))));
      await control.health.close();
    },
  };
}

/** Entry for the CLI: forks workers when asked, otherwise serves in-process. */
export async function serve(opts: ServeOptions, log: Logger): Promise<void> {
  if (opts.workers > 1 && cluster.isPrimary) return servePrimary(opts, log);
  const role = cluster.isWorker ? 'worker' : 'all';
  const server = await startServer(opts, cluster.isWorker ? log.child({ worker: cluster.worker?.id }) : log, role);
  if (cluster.isWorker) process.send?.('ready');
  else log.info(readyFields(opts, server.zones.current), 'ready');
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function servePrimary(opts: ServeOptions, log: Logger): Promise<void> {
  // Workers accept TCP themselves instead of the primary handing out connections.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  const control = await startControl(opts, log, new Stats(), 'primary');
  let ready = 0;
  let stopping = false;
  cluster.on('message', (_w, msg: unknown) => {
    if (msg === 'ready' && ++ready === opts.workers) {
      log.info(readyFields(opts, control.zones.current), 'ready');
      control.notifier?.loaded(control.zones.current);
    }
  });
  cluster.on('exit', (w, code, signal) => {
    if (stopping) return;
    log.error({ worker: w.id, code, signal }, 'worker exited; starting a new one');
    cluster.fork();
  });
  for (let i = 0; i < opts.workers; i++) cluster.fork();
  process.on('SIGHUP', () => {
    void control.refresh().then(() => {
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGHUP');
    });
  });
  const stop = (): void => {
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.kill();
    control.stopWatch();
    control.notifier?.close();
    void control.health.close();
    setTimeout(() => process.exit(0), 1500).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
