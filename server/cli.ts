#!/usr/bin/env node
// `pulsedns` entry: hands the arguments to the command line (commands/program.ts)
// and its exit code to the shell. Each command lives in commands/, one file apiece.
import { runCli } from './commands/program.js';

void runCli(process.argv.slice(2)).then((code) => {
  if (code < 0) return; // serve, probe: running until a signal
  process.exitCode = code;
  // Done: end now rather than when an idle keep-alive connection to the admin
  // endpoint times out (about a second later), once what was written is out.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
});
