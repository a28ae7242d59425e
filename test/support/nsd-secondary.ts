// Runs NSD as a secondary of a pulsedns under test: no zone files of its
// own, every zone fetched from the primary by zone transfer, NOTIFY accepted
// from loopback. Same private-temp-dir setup as nsd.ts (no privilege drop,
// no chroot, no database, no remote control, IPv4 loopback only).
import { launchNsd, quote, type NsdServer } from './nsd.js';

export interface SecondaryZone {
  /** Origin, with or without the trailing dot. */
  origin: string;
  /** How NSD asks: 'AXFR' forces full transfers; 'IXFR' (NSD's default) asks incrementally, falling back to AXFR. */
  request: 'AXFR' | 'IXFR';
}

export interface NsdSecondaryOptions {
  /** Where pulsedns listens (TCP for transfers). */
  primary: { host: string; port: number };
  /** NSD's own port; a free one when absent (pass it when pulsedns must know it for --notify beforehand). */
  port?: number;
  nsdPath?: string;
  /** Extra lines for the server: clause, e.g. ['minimal-responses: yes']. */
  serverOptions?: string[];
  /** Until every zone has been transferred and answers authoritatively. */
  startTimeoutMs?: number;
}

/**
 * Starts NSD in the foreground as a secondary for `zones`. Resolves once NSD
 * answers SOA with AA for every zone, which it can only do after a
 * successful transfer from the primary.
 */
export function startNsdSecondary(zones: SecondaryZone[], opts: NsdSecondaryOptions): Promise<NsdServer> {
  if (zones.length === 0) throw new Error('startNsdSecondary: no zones given');
  const primary = `${opts.primary.host}@${opts.primary.port}`;
  return launchNsd({
    what: 'NSD secondary',
    tempPrefix: 'pulsedns-nsd2-',
    ...(opts.port ? { port: opts.port } : {}),
    ...(opts.nsdPath ? { nsdPath: opts.nsdPath } : {}),
    ...(opts.serverOptions ? { serverOptions: opts.serverOptions } : {}),
    // Level 2 logs each transfer and NOTIFY, which is what a failure report needs.
    verbosity: 2,
    clauses: () =>
      zones.flatMap((z) => {
        const name = z.origin.replace(/\.$/, '');
        return [
          'zone:',
          `  name: ${quote(name)}`,
          `  zonefile: ${quote(`${name}.zone`)}`,
          `  request-xfr: ${z.request === 'AXFR' ? 'AXFR ' : ''}${primary} NOKEY`,
          `  allow-notify: ${opts.primary.host} NOKEY`,
        ];
      }),
    waitFor: zones.map((z) => z.origin),
    startTimeoutMs: opts.startTimeoutMs ?? 15_000,
    pollMs: 100,
  });
}
