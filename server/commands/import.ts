// `pulsedns import`: an RFC 1035 master file -> zone YAML on stdout.
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { CommandFailed } from './errors.js';
import { act, type Cli } from './program.js';
import { addFileSizeFlag, many, maxFileSize, type FileSizeFlags } from './options.js';

interface ImportFlags extends FileSizeFlags {
  origin?: string;
  includeDir?: string[];
}

export function registerImport(program: Command, cli: Cli): void {
  const cmd = program
    .command('import')
    .summary('RFC 1035 master file -> pulsedns YAML on stdout')
    .description("Convert a BIND/NSD master file to a pulsedns zone file (YAML, on stdout).\n$INCLUDE reads regular files in FILE's directory or below it, or in an --include-dir.")
    .argument('<file>', 'the master file')
    .option('--origin <name>', 'the zone origin, when the file has no $ORIGIN')
    .addOption(new Option('--include-dir <dir>', 'another directory $INCLUDE may read from (repeatable)').argParser(many((t: string) => t)));
  addFileSizeFlag(cmd)
    .addHelpText('after', '\nExample:\n  pulsedns import db.example.com --origin example.com > zones/example.com.yaml\n')
    .action(act(cli, (file: string, flags: ImportFlags) => runImport(file, flags, cli)));
}

async function runImport(file: string, flags: ImportFlags, cli: Cli): Promise<number> {
  const { formatError } = await import('../zones/model.js');
  const { importMasterFile } = await import('../zones/import.js');
  const { readFailure, readTextFile } = await import('../zones/readfile.js');
  const maxBytes = maxFileSize(flags);
  let text: string;
  try {
    text = readTextFile(file, { maxBytes });
  } catch (e) {
    throw new CommandFailed(`${file}: ${readFailure(e)}`);
  }
  // $INCLUDE stays in FILE's directory (or below) and the --include-dir trees (docs/operations.md, Security).
  const r = importMasterFile(text, { file, includeDir: join(file, '..'), includeRoots: flags.includeDir ?? [], maxBytes, ...(flags.origin ? { origin: flags.origin } : {}) });
  if (r.errors.length) {
    for (const e of r.errors) cli.io.err(formatError(e) + '\n');
    return 1;
  }
  cli.io.out(r.yaml);
  return 0;
}
