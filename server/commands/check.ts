// `pulsedns check`: validate zone files, directories and pools; errors as
// file:line:col, warnings for classic mistakes (zones/check.ts decides).
import { parseArgs } from 'node:util';
import { checkPaths, formatCheckReport } from '../zones/check.js';

export function cmdCheck(args: string[]): number {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const out = formatCheckReport(checkPaths(positionals.length ? positionals : ['zones']));
  process.stdout.write(out.text);
  return out.exitCode;
}
