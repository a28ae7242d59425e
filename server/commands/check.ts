// `pulsedns check`: validate zone files, directories and pools; errors as
// file:line:col, warnings for classic mistakes (zones/check.ts decides).
import type { Command } from 'commander';
import { act, type Cli } from './program.js';
import { addFileSizeFlag, maxFileSize, type FileSizeFlags } from './options.js';

export function registerCheck(program: Command, cli: Cli): void {
  const cmd = program
    .command('check')
    .summary('validate zones and pools; errors as file:line:col')
    .description('Validate zone files and directories (with their _pools.yaml). Exit 1 on any error; warnings alone exit 0.')
    .argument('[paths...]', 'zone directories, zone files or pools files', ['zones']);
  addFileSizeFlag(cmd)
    .addHelpText('after', '\nExample (CI):\n  pulsedns check zones/\n')
    .action(act(cli, (paths: string[], flags: FileSizeFlags) => runCheck(paths, flags, cli)));
}

// The zone code is loaded to run a check, not to parse flags or print help.
async function runCheck(targets: string[], flags: FileSizeFlags, cli: Cli): Promise<number> {
  const { checkPaths, formatCheckReport } = await import('../zones/check.js');
  const out = formatCheckReport(checkPaths(targets, { maxBytes: maxFileSize(flags) }));
  cli.io.out(out.text);
  return out.exitCode;
}
