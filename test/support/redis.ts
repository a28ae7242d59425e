// Throwaway redis-servers for tests: loopback only, a free port, no
// persistence, everything they write in a temp dir. restart() brings a server
// back on the same port so tests can watch clients survive an outage.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { findTool } from './tools.js';

const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

export interface RedisOptions {
  /** Sets `requirepass`; the url then carries it. */
  password?: string;
  /** TLS only (no plaintext port), with a certificate for 127.0.0.1 from a fresh CA; needs openssl. */
  tls?: boolean;
  redisPath?: string;
}

export interface RedisServer {
  host: string;
  port: number;
  /** redis://[:password@]127.0.0.1:port, or rediss:// with `tls`. */
  url: string;
  /** PEM of the CA that signed the server certificate, with `tls`. */
  ca?: string;
  /** Everything the server printed, across restarts. */
  log(): string;
  /** Kills the server (SIGKILL: an outage, not a maintenance window), waits for it to exit, removes its dir. */
  stop(): Promise<void>;
  /** Starts it again on the same port (stopping it first if it is running). */
  restart(): Promise<void>;
  /** SIGSTOP: connections stay open but nothing answers, like a partition or a stuck server. */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
}

export interface SentinelServer {
  port: number;
  log(): string;
  stop(): Promise<void>;
}

// Servers still running when the test process exits are killed, so a failed
// assertion never leaves a redis-server behind.
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const p of running) p.kill('SIGKILL');
  });
}

function waitForExit(proc: ChildProcess, ms: number): Promise<boolean> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function redisBinary(path?: string): string {
  const bin = path ?? findTool('redis-server');
  if (!bin) throw new Error('redis-server is not installed (apt-get install -y redis-server)');
  return bin;
}

/**
 * A redis-server (or sentinel) process that can be stopped and started again
 * with the same arguments. `ready` is the log line that says it serves.
 */
class Managed {
  private proc?: ChildProcess;
  output = '';

  constructor(private readonly bin: string, private readonly dir: string, private readonly ready: RegExp) {}

  async start(args: string[]): Promise<void> {
    installExitHook();
    // stop() removes the dir; a restart after it needs it back.
    mkdirSync(this.dir, { recursive: true });
    const child = spawn(this.bin, args, { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    child.once('exit', () => running.delete(child));
    this.proc = child;
    let mine = '';
    await new Promise<void>((resolve, reject) => {
      const fail = (err: Error): void => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(`${err.message}:\n${mine}`));
      };
      const onExit = (code: number | null): void => fail(new Error(`${this.bin} exited (${code}) before it was ready`));
      const timer = setTimeout(() => fail(new Error(`${this.bin} not ready within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      const onData = (d: Buffer): void => {
        const text = d.toString();
        this.output += text;
        mine += text;
        if (this.ready.test(mine)) {
          clearTimeout(timer);
          // From here on an exit is a test's stop(), not a failed start.
          child.off('exit', onExit);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', onExit);
      child.once('error', fail);
    });
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p) return;
    p.kill('SIGKILL');
    if (!(await waitForExit(p, STOP_TIMEOUT_MS))) throw new Error(`${this.bin} did not exit after SIGKILL`);
  }

  signal(sig: NodeJS.Signals): void {
    this.proc?.kill(sig);
  }
}

/** A CA and a server certificate for 127.0.0.1, in `dir`. Returns the file paths. */
function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const openssl = findTool('openssl');
  if (!openssl) throw new Error('openssl is not installed (apt-get install -y openssl)');
  const f = (name: string): string => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const run = (args: string[]): void => {
    execFileSync(openssl, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  };
  run(['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '2', '-subj', '/CN=pulsedns test CA']);
  run(['req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1']);
  writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  run(['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial',
    '-out', f('server.crt'), '-days', '2', '-extfile', f('ext.cnf')]);
  return { ca: f('ca.crt'), cert: f('server.crt'), key: f('server.key') };
}

export async function startRedis(opts: RedisOptions = {}): Promise<RedisServer> {
  const bin = redisBinary(opts.redisPath);
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-redis-'));
  const certDir = mkdtempSync(join(tmpdir(), 'pulsedns-redis-certs-'));
  const server = new Managed(bin, dir, /Ready to accept connections/);
  let port = 0;
  let certs: { ca: string; cert: string; key: string } | undefined;
  try {
    if (opts.tls) certs = makeCertificates(certDir);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    rmSync(certDir, { recursive: true, force: true });
    throw err;
  }
  const args = (): string[] => {
    const a = [
      '--bind', HOST,
      '--save', '',
      '--appendonly', 'no',
      '--dir', dir,
      '--daemonize', 'no',
      '--logfile', '',
      '--databases', '1',
    ];
    if (opts.password !== undefined) a.push('--requirepass', opts.password);
    if (certs) {
      a.push('--port', '0', '--tls-port', String(port), '--tls-cert-file', certs.cert, '--tls-key-file', certs.key,
        '--tls-ca-cert-file', certs.ca, '--tls-auth-clients', 'no');
    } else {
      a.push('--port', String(port));
    }
    return a;
  };
  const cleanup = (): void => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(certDir, { recursive: true, force: true });
  };

  // freePort releases the port before redis binds it; another test may win
  // the race, so try a few.
  for (let attempt = 0; ; attempt++) {
    port = await freePort(HOST);
    try {
      await server.start(args());
      break;
    } catch (err) {
      if (attempt >= 2 || !/Address already in use/i.test(String(err))) {
        cleanup();
        throw err;
      }
    }
  }

  const auth = opts.password !== undefined ? `:${encodeURIComponent(opts.password)}@` : '';
  return {
    host: HOST,
    port,
    url: `${opts.tls ? 'rediss' : 'redis'}://${auth}${HOST}:${port}`,
    ca: certs ? readFileSync(certs.ca, 'utf8') : undefined,
    log: () => server.output,
    stop: async () => {
      await server.stop();
      cleanup();
    },
    restart: async () => {
      await server.stop();
      await server.start(args());
    },
    pause: () => server.signal('SIGSTOP'),
    resume: () => server.signal('SIGCONT'),
  };
}

/** A Sentinel watching `primary` (plaintext, no password) under `name`. */
export async function startSentinel(primary: RedisServer, name = 'mymaster', redisPath?: string): Promise<SentinelServer> {
  const bin = redisBinary(redisPath);
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-sentinel-'));
  const port = await freePort(HOST);
  // Sentinel rewrites its config file, so it has to be a writable file.
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(conf, [
    `port ${port}`,
    `bind ${HOST}`,
    `dir ${dir}`,
    `sentinel monitor ${name} ${primary.host} ${primary.port} 1`,
    '',
  ].join('\n'));
  const sentinel = new Managed(bin, dir, new RegExp(`\\+monitor master ${name}`));
  try {
    await sentinel.start([conf, '--sentinel', '--logfile', '']);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    port,
    log: () => sentinel.output,
    stop: async () => {
      await sentinel.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
