// Start-up as the operator sees it: the one line a server logs once it
// answers (what runs, how, and what it serves), and the failures a user can
// act on: a port taken, a port that needs privileges, an address this machine
// does not have. Each failure becomes one line saying what to do; the process
// then ends (a server that cannot listen everywhere it was told to must not
// look healthy).
import type { Catalog } from '../engine/catalog.js';
import type { Endpoint } from '../transport/udp.js';
import { nameToText } from '../wire/names.js';
import type { ServeOptions } from './roles.js';
import { NODE_VERSION, VERSION } from './version.js';

/** A start-up failure with a message meant for the operator; the process exits 1. */
export class StartupError extends Error {}

export function formatEndpoint(ep: Endpoint): string {
  return ep.host.includes(':') ? `[${ep.host}]:${ep.port}` : `${ep.host}:${ep.port}`;
}

export function readyFields(opts: ServeOptions, catalog: Catalog): Record<string, unknown> {
  const distributed = Boolean(opts.health.redis || opts.health.sentinels);
  return {
    version: VERSION,
    node: NODE_VERSION,
    mode: distributed ? 'distributed' : 'embedded',
    probing: opts.probe,
    workers: opts.workers,
    listen: opts.listen.map(formatEndpoint),
    admin: opts.admin ? formatEndpoint(opts.admin) : 'off',
    zones: [...catalog.zones.values()].map((z) => ({ origin: nameToText(z.origin), serial: z.serial })),
  };
}

/** Turns a bind error into a StartupError; `what` says which listener (e.g. "DNS over UDP"). */
export function bindError(e: unknown, ep: Endpoint, what: string): Error {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const addr = formatEndpoint(ep);
  switch (code) {
    case 'EADDRINUSE':
      return new StartupError(`address ${addr} already in use (${what}); is another server running?`);
    case 'EACCES':
      return new StartupError(
        ep.port < 1024
          ? `cannot bind ${addr} (${what}): port ${ep.port} needs root or CAP_NET_BIND_SERVICE (see docs/operations.md)`
          : `cannot bind ${addr} (${what}): permission denied`,
      );
    case 'EADDRNOTAVAIL':
      return new StartupError(`cannot bind ${addr} (${what}): not an address of this machine`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new StartupError(`cannot bind ${addr} (${what}): unknown host ${ep.host}`);
    default:
      return new StartupError(`cannot bind ${addr} (${what}): ${(e as Error | undefined)?.message ?? String(e)}`);
  }
}

/**
 * Tries every address before anything slow (zone loading, workers) so that a
 * taken port or a missing privilege ends the start at once. The sockets are
 * closed again; the real binds follow and report the same way should the
 * address be taken in between.
 */
export async function preflightBind(listen: Endpoint[], admin: Endpoint | null): Promise<void> {
  const { createSocket } = await import('node:dgram');
  const { createServer } = await import('node:net');
  const tryUdp = (ep: Endpoint): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = createSocket({ type: ep.host.includes(':') ? 'udp6' : 'udp4', reuseAddr: false });
      s.once('error', (e) => {
        s.close();
        reject(bindError(e, ep, 'DNS over UDP'));
      });
      s.bind({ port: ep.port, address: ep.host, exclusive: true }, () => s.close(() => resolve()));
    });
  const tryTcp = (ep: Endpoint, what: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = createServer();
      s.once('error', (e) => reject(bindError(e, ep, what)));
      s.listen({ port: ep.port, host: ep.host, exclusive: true }, () => s.close(() => resolve()));
    });
  for (const ep of listen) {
    await tryUdp(ep);
    await tryTcp(ep, 'DNS over TCP');
  }
  if (admin) await tryTcp(admin, 'admin endpoint; choose another with --admin ADDR:PORT or --admin off');
}
