// `pulsedns import`: an RFC 1035 master file -> zone YAML on stdout.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatError } from '../zones/model.js';
import { importMasterFile, type ImportOptions } from '../zones/import.js';
import { readFailure, readTextFile } from '../zones/readfile.js';
import { fail, FILE_SIZE_FLAG, maxFileSize } from './options.js';

export function cmdImport(args: string[]): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { origin: { type: 'string' }, 'include-dir': { type: 'string', multiple: true }, ...FILE_SIZE_FLAG } });
  const file = positionals[0];
  if (!file) fail('import needs a master file: pulsedns import FILE [--origin NAME] [--include-dir DIR]');
  const maxBytes = maxFileSize(values);
  let text: string;
  try {
    text = readTextFile(file, { maxBytes });
  } catch (e) {
    fail(`${file}: ${readFailure(e)}`);
  }
  // $INCLUDE stays in FILE's directory (or below) and the --include-dir trees (docs/operations.md, Security).
  const opts: ImportOptions = { file, includeDir: join(file, '..'), includeRoots: values['include-dir'] ?? [], maxBytes };
  if (values.origin) opts.origin = values.origin;
  const r = importMasterFile(text, opts);
  if (r.errors.length) {
    for (const e of r.errors) process.stderr.write(formatError(e) + '\n');
    return 1;
  }
  process.stdout.write(r.yaml);
  return 0;
}
