// `pulsedns export`: a served zone as an RFC 1035 master file on stdout.
import { parseArgs } from 'node:util';
import { loadZonesDir } from '../zones/load.js';
import { formatError } from '../zones/model.js';
import { exportZone } from '../zones/export.js';
import { nameFromText, nameToText } from '../wire/names.js';
import { Type } from '../wire/constants.js';
import { fail } from './options.js';

export function cmdExport(args: string[]): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { zones: { type: 'string' } } });
  const zoneArg = positionals[0];
  if (!zoneArg) fail('export needs a zone name: pulsedns export ZONE [--zones DIR]');
  const dir = values.zones ?? 'zones';
  const r = loadZonesDir(dir);
  if (r.errors.length) {
    for (const e of r.errors) process.stderr.write(formatError(e) + '\n');
    return 1;
  }
  const want = nameFromText(zoneArg.endsWith('.') ? zoneArg : zoneArg + '.');
  const zone = r.zones.find((z) => z.origin === want);
  if (!zone) fail(`no zone ${nameToText(want)} in ${dir}`);
  // A secondary or another server gets every configured member of a pool:
  // health is a property of this server's answers, not of the zone data.
  const source = { ...zone.source, records: [...zone.source.records] };
  for (const ref of zone.source.poolRefs) {
    const pool = r.pools.pools.get(ref.pool);
    const family = ref.type === Type.A ? 4 : 6;
    for (const m of pool ? pool.tiers.flat().filter((x) => x.family === family) : []) {
      source.records.push({ owner: ref.owner, type: ref.type, ttl: pool!.ttl, rdata: m.rdata, pos: ref.pos });
    }
  }
  process.stdout.write(exportZone(source));
  return 0;
}
