// `pulsedns check`: validate zone files, directories and pools; errors as
// file:line:col, warnings for classic mistakes (zones/check.ts decides).
import { parseArgs } from 'node:util';
import { checkPaths, formatCheckReport } from '../zones/check.js';
import { FILE_SIZE_FLAG, maxFileSize } from './options.js';

export function cmdCheck(args: string[]): number {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { ...FILE_SIZE_FLAG } });
  const out = formatCheckReport(checkPaths(positionals.length ? positionals : ['zones'], { maxBytes: maxFileSize(values) }));
  process.stdout.write(out.text);
  return out.exitCode;
}
