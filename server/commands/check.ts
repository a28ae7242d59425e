// `pulsedns check`: validate zone files and directories; errors as file:line:col.
import type { Command } from 'commander';
import { act, type Cli } from './program.js';

export function registerCheck(program: Command, cli: Cli): void {
  program
    .command('check')
    .summary('validate zones and pools; errors as file:line:col')
    .description('Validate zone files and directories (with their _pools.yaml). Exit 1 on any error.')
    .argument('[paths...]', 'zone directories or files', ['zones'])
    .addHelpText('after', '\nExample (CI):\n  pulsedns check zones/\n')
    .action(act(cli, (paths: string[]) => runCheck(paths, cli)));
}

// The zone code is loaded to run a check, not to parse flags or print help.
async function runCheck(targets: string[], cli: Cli): Promise<number> {
  const { loadZonesDir, readZoneFile, zoneFiles } = await import('../zones/load.js');
  const { formatError } = await import('../zones/model.js');
  const out = cli.io.out;
  let errors = 0;
  let zones = 0;
  for (const t of targets) {
    if (/\.ya?ml$/i.test(t)) {
      const r = readZoneFile(t);
      for (const e of r.errors) out(formatError(e) + '\n');
      errors += r.errors.length;
      if (r.zone) zones++;
    } else {
      let files: string[];
      try {
        files = zoneFiles(t);
      } catch (e) {
        out(`${t}: cannot read directory: ${(e as Error).message}\n`);
        errors++;
        continue;
      }
      const r = loadZonesDir(t);
      for (const e of r.errors) out(formatError(e) + '\n');
      errors += r.errors.length;
      zones += files.length;
    }
  }
  if (errors) {
    out(`${errors} error${errors === 1 ? '' : 's'}\n`);
    return 1;
  }
  out(`ok: ${zones} zone${zones === 1 ? '' : 's'} valid\n`);
  return 0;
}
