// `pulsedns check`: validate zone files, directories and pools; errors as
// file:line:col, warnings for classic mistakes (zones/check.ts decides).
import type { Command } from 'commander';
import { act, type Cli } from './program.js';

export function registerCheck(program: Command, cli: Cli): void {
  program
    .command('check')
    .summary('validate zones and pools; errors as file:line:col')
    .description('Validate zone files and directories (with their _pools.yaml). Exit 1 on any error; warnings alone exit 0.')
    .argument('[paths...]', 'zone directories, zone files or pools files', ['zones'])
    .addHelpText('after', '\nExample (CI):\n  pulsedns check zones/\n')
    .action(act(cli, (paths: string[]) => runCheck(paths, cli)));
}

// The zone code is loaded to run a check, not to parse flags or print help.
async function runCheck(targets: string[], cli: Cli): Promise<number> {
  const { checkPaths, formatCheckReport } = await import('../zones/check.js');
  const out = formatCheckReport(checkPaths(targets));
  cli.io.out(out.text);
  return out.exitCode;
}
