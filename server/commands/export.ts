// `pulsedns export`: a served zone as an RFC 1035 master file on stdout.
import type { Command } from 'commander';
import { CommandFailed } from './errors.js';
import { act, type Cli } from './program.js';

export function registerExport(program: Command, cli: Cli): void {
  program
    .command('export')
    .summary('a zone as an RFC 1035 master file on stdout')
    .description('Print a zone as an RFC 1035 master file, pools expanded to every configured member.')
    .argument('<zone>', 'the zone origin, e.g. example.com')
    .option('--zones <dir>', 'zones directory', 'zones')
    .action(act(cli, (zone: string, flags: { zones: string }) => runExport(zone, flags.zones, cli)));
}

async function runExport(zoneArg: string, dir: string, cli: Cli): Promise<number> {
  const { loadZonesDir } = await import('../zones/load.js');
  const { formatError } = await import('../zones/model.js');
  const { exportZone } = await import('../zones/export.js');
  const { nameFromText, nameToText } = await import('../wire/names.js');
  const { Type } = await import('../wire/constants.js');
  const r = loadZonesDir(dir);
  if (r.errors.length) {
    for (const e of r.errors) cli.io.err(formatError(e) + '\n');
    return 1;
  }
  let want: string;
  try {
    want = nameFromText(zoneArg.endsWith('.') ? zoneArg : zoneArg + '.');
  } catch (e) {
    throw new CommandFailed(`"${zoneArg}" is not a domain name: ${(e as Error).message}`);
  }
  const zone = r.zones.find((z) => z.origin === want);
  if (!zone) throw new CommandFailed(`no zone ${nameToText(want)} in ${dir}`);
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
  cli.io.out(exportZone(source));
  return 0;
}
