// `pulsedns check`: validate zone files and directories; errors as file:line:col.
import { parseArgs } from 'node:util';
import { loadZonesDir, readZoneFile, zoneFiles } from '../zones/load.js';
import { formatError } from '../zones/model.js';

export function cmdCheck(args: string[]): number {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const targets = positionals.length ? positionals : ['zones'];
  let errors = 0;
  let zones = 0;
  for (const t of targets) {
    if (/\.ya?ml$/i.test(t)) {
      const r = readZoneFile(t);
      for (const e of r.errors) process.stdout.write(formatError(e) + '\n');
      errors += r.errors.length;
      if (r.zone) zones++;
    } else {
      let files: string[];
      try {
        files = zoneFiles(t);
      } catch (e) {
        process.stdout.write(`${t}: cannot read directory: ${(e as Error).message}\n`);
        errors++;
        continue;
      }
      const r = loadZonesDir(t);
      for (const e of r.errors) process.stdout.write(formatError(e) + '\n');
      errors += r.errors.length;
      zones += files.length;
    }
  }
  if (errors) {
    process.stdout.write(`${errors} error${errors === 1 ? '' : 's'}\n`);
    return 1;
  }
  process.stdout.write(`ok: ${zones} zone${zones === 1 ? '' : 's'} valid\n`);
  return 0;
}
