// An in-process pulsedns primary (UDP and TCP on 127.0.0.1, transfers
// allowed from loopback) serving every zone of a zones directory signed, as
// if its file said `dnssec: true`, with a ZoneSigner per zone from a key
// directory and an injectable clock (`serve --keys` reads the real one).
import type net from 'node:net';
import { pino } from 'pino';
import { Catalog } from '../../server/engine/catalog.js';
import { RequestHandler } from '../../server/engine/handler.js';
import { loadZoneKeys } from '../../server/dnssec/keys.js';
import { ZoneSigner } from '../../server/dnssec/signer.js';
import { Stats } from '../../server/runtime/stats.js';
import { startTcp, TCP_DEFAULTS } from '../../server/transport/tcp.js';
import { startUdp } from '../../server/transport/udp.js';
import type { Name } from '../../server/wire/names.js';
import { AddressAcl } from '../../server/xfr/acl.js';
import { ZoneTransfers } from '../../server/xfr/axfr.js';
import { formatError } from '../../server/zones/model.js';
import { loadZonesDir } from '../../server/zones/load.js';
import { DNSSEC_DEFAULTS } from '../../server/zones/dnssec-option.js';
import { freePort } from './ports.js';

export interface SignedPrimary {
  host: string;
  port: number;
  catalog: Catalog;
  signers: Map<Name, ZoneSigner>;
  stop(): Promise<void>;
}

/** Every zone in `zonesDir` is signed with its keys in `keysDir` (a zone without keys is an error). */
export async function startSignedPrimary(zonesDir: string, keysDir: string, clock?: () => number): Promise<SignedPrimary> {
  const r = loadZonesDir(zonesDir);
  if (r.errors.length) throw new Error(r.errors.map(formatError).join('\n'));
  const signers = new Map<Name, ZoneSigner>();
  for (const z of r.zones) signers.set(z.origin, new ZoneSigner(z.origin, loadZoneKeys(keysDir, z.origin).keys, clock ? { clock } : {}));
  const zones = r.zones.map((z) => (z.dnssec ? z : { ...z, dnssec: { ...DNSSEC_DEFAULTS } }));
  const catalog = new Catalog(zones, r.pools, signers);
  const log = pino({ level: 'silent' });
  const stats = new Stats();
  const handler = new RequestHandler(() => catalog, stats, () => {});
  const transfers = new ZoneTransfers({ acl: AddressAcl.parse(['127.0.0.1']), log });
  const host = '127.0.0.1';
  const port = await freePort(host);
  const udp = await startUdp({ host, port }, handler, stats, log);
  const tcp: net.Server = await startTcp({ host, port }, handler, stats, log, TCP_DEFAULTS, transfers);
  return {
    host,
    port,
    catalog,
    signers,
    async stop() {
      udp.close();
      await new Promise<void>((resolve) => {
        tcp.close(() => resolve());
        // Open transfer connections must not hold the test up.
        (tcp as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        setTimeout(resolve, 1000).unref();
      });
    },
  };
}
