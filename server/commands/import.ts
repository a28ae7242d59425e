// `pulsedns import`: an RFC 1035 master file -> zone YAML on stdout.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { CommandFailed } from './errors.js';
import { act, type Cli } from './program.js';

export function registerImport(program: Command, cli: Cli): void {
  program
    .command('import')
    .summary('RFC 1035 master file -> pulsedns YAML on stdout')
    .description('Convert a BIND/NSD master file to a pulsedns zone file (YAML, on stdout).')
    .argument('<file>', 'the master file')
    .option('--origin <name>', 'the zone origin, when the file has no $ORIGIN')
    .addHelpText('after', '\nExample:\n  pulsedns import db.example.com --origin example.com > zones/example.com.yaml\n')
    .action(act(cli, (file: string, flags: { origin?: string }) => runImport(file, flags, cli)));
}

async function runImport(file: string, flags: { origin?: string }, cli: Cli): Promise<number> {
  const { formatError } = await import('../zones/model.js');
  const { importMasterFile } = await import('../zones/import.js');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CommandFailed(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const opts: { origin?: string; file: string; includeDir: string } = { file, includeDir: join(file, '..') };
  if (flags.origin) opts.origin = flags.origin;
  const r = importMasterFile(text, opts);
  if (r.errors.length) {
    for (const e of r.errors) cli.io.err(formatError(e) + '\n');
    return 1;
  }
  cli.io.out(r.yaml);
  return 0;
}
