// `pulsedns serve`: wires zones, transports and reload triggers together.
// With several workers the primary only forks and forwards SIGHUP; each
// worker loads zones and reads from the shared sockets itself.
import cluster from 'node:cluster';
import type { Socket } from 'node:dgram';
import type { Server } from 'node:net';
import type { Logger } from 'pino';
import { Stats } from './stats.js';
import { startUdp, type Endpoint } from './transport/udp.js';
import { startTcp, TCP_DEFAULTS, type TcpOptions } from './transport/tcp.js';
import { ZoneSet } from './zones/reloader.js';
import { watchZones } from './zones/watch.js';

export interface ServeOptions {
  zonesDir: string;
  listen: Endpoint[];
  workers: number;
  tcp: TcpOptions;
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
};

export interface RunningServer {
  zones: ZoneSet;
  stats: Stats;
  close(): Promise<void>;
}

/** Runs one server in this process. Resolves once every socket is bound. */
export async function startServer(opts: ServeOptions, log: Logger): Promise<RunningServer> {
  const stats = new Stats();
  const zones = new ZoneSet(opts.zonesDir, log, stats);
  if (!zones.reload()) throw new Error('initial zone load failed; fix the errors above');
  const get = (): typeof zones.current => zones.current;
  const udp: Socket[] = [];
  const tcp: Server[] = [];
  for (const ep of opts.listen) {
    udp.push(await startUdp(ep, get, stats, log));
    tcp.push(await startTcp(ep, get, stats, log, opts.tcp));
  }
  const stopWatch = watchZones(opts.zonesDir, () => zones.reload());
  const onHup = (): void => {
    log.info('SIGHUP: reloading zones');
    zones.reload();
  };
  process.on('SIGHUP', onHup);
  return {
    zones,
    stats,
    async close() {
      stopWatch();
      process.off('SIGHUP', onHup);
      for (const s of udp) s.close();
      await Promise.all(tcp.map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}

/** Entry for the CLI: forks workers when asked, otherwise serves in-process. */
export async function serve(opts: ServeOptions, log: Logger): Promise<void> {
  if (opts.workers > 1 && cluster.isPrimary) {
    // Workers accept TCP themselves instead of the primary handing out connections.
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    let ready = 0;
    let stopping = false;
    for (let i = 0; i < opts.workers; i++) cluster.fork();
    cluster.on('message', (_w, msg: unknown) => {
      if (msg === 'ready' && ++ready === opts.workers) {
        log.info({ listen: opts.listen, workers: opts.workers }, 'ready');
      }
    });
    cluster.on('exit', (w, code, signal) => {
      if (stopping) return;
      log.error({ worker: w.id, code, signal }, 'worker exited; starting a new one');
      cluster.fork();
    });
    process.on('SIGHUP', () => {
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGHUP');
    });
    const stop = (): void => {
      stopping = true;
      for (const w of Object.values(cluster.workers ?? {})) w?.kill();
      setTimeout(() => process.exit(0), 2000).unref();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    return;
  }
  const server = await startServer(opts, cluster.isWorker ? log.child({ worker: cluster.worker?.id }) : log);
  if (cluster.isWorker) process.send?.('ready');
  else log.info({ listen: opts.listen }, 'ready');
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
