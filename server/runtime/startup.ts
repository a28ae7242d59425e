// The one line a server logs once it answers: what runs, how, and what it serves.
import type { Catalog } from '../engine/catalog.js';
import { nameToText } from '../wire/names.js';
import type { ServeOptions } from './roles.js';
import { NODE_VERSION, VERSION } from './version.js';

export function readyFields(opts: ServeOptions, catalog: Catalog): Record<string, unknown> {
  const distributed = Boolean(opts.health.redis || opts.health.sentinels);
  return {
    version: VERSION,
    node: NODE_VERSION,
    mode: distributed ? 'distributed' : 'embedded',
    probing: opts.probe,
    workers: opts.workers,
    listen: opts.listen.map((e) => (e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`)),
    admin: opts.admin ? `${opts.admin.host}:${opts.admin.port}` : 'off',
    zones: [...catalog.zones.values()].map((z) => ({ origin: nameToText(z.origin), serial: z.serial })),
  };
}
