// `pulsedns import`: an RFC 1035 master file -> zone YAML on stdout.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatError } from '../zones/model.js';
import { importMasterFile } from '../zones/import.js';
import { fail } from './options.js';

export function cmdImport(args: string[]): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { origin: { type: 'string' } } });
  const file = positionals[0];
  if (!file) fail('import needs a master file: pulsedns import FILE [--origin NAME]');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    fail(`cannot read ${file}: ${(e as Error).message}`);
  }
  const opts: { origin?: string; file: string; includeDir: string } = { file, includeDir: join(file, '..') };
  if (values.origin) opts.origin = values.origin;
  const r = importMasterFile(text, opts);
  if (r.errors.length) {
    for (const e of r.errors) process.stderr.write(formatError(e) + '\n');
    return 1;
  }
  process.stdout.write(r.yaml);
  return 0;
}
