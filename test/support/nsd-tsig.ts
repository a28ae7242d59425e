// NSD as a TSIG-keyed secondary of a pulsedns under test: like
// nsd-secondary.ts, but every transfer request and accepted NOTIFY goes
// through one shared key. It can also start without waiting for the
// zones, for tests where the transfer is meant to fail (a wrong secret).
import { launchNsd, quote, type NsdServer } from './nsd.js';

export interface NsdTsigOptions {
  primary: { host: string; port: number };
  key: { name: string; algorithm: 'hmac-sha256' | 'hmac-sha512'; secret: string };
  /** NSD's port; pass it when pulsedns needs it for --notify before NSD starts. */
  port?: number;
  nsdPath?: string;
  serverOptions?: string[];
  /** true: resolve once every zone answers SOA with AA (a transfer worked); false: as soon as NSD answers at all. */
  waitForZones: boolean;
  startTimeoutMs?: number;
}

export function startNsdTsigSecondary(origins: string[], opts: NsdTsigOptions): Promise<NsdServer> {
  const primary = `${opts.primary.host}@${opts.primary.port}`;
  return launchNsd({
    what: 'NSD secondary (TSIG)',
    tempPrefix: 'pulsedns-nsdtsig-',
    ...(opts.port ? { port: opts.port } : {}),
    ...(opts.nsdPath ? { nsdPath: opts.nsdPath } : {}),
    ...(opts.serverOptions ? { serverOptions: opts.serverOptions } : {}),
    verbosity: 2,
    clauses: () => [
      'key:',
      `  name: ${quote(opts.key.name)}`,
      `  algorithm: ${opts.key.algorithm}`,
      `  secret: ${quote(opts.key.secret)}`,
      ...origins.flatMap((origin) => {
        const name = origin.replace(/\.$/, '');
        return [
          'zone:',
          `  name: ${quote(name)}`,
          `  zonefile: ${quote(`${name}.zone`)}`,
          `  request-xfr: AXFR ${primary} ${opts.key.name}`,
          `  allow-notify: ${opts.primary.host} ${opts.key.name}`,
        ];
      }),
    ],
    waitFor: opts.waitForZones ? origins : [],
    aliveProbe: origins[0]!,
    startTimeoutMs: opts.startTimeoutMs ?? 15_000,
    pollMs: 100,
  });
}
