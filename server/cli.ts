#!/usr/bin/env node
// `pulsedns` entry: hands the arguments to the command line (commands/program.ts)
// and its exit code to the shell. Each command lives in commands/, one file apiece.
import { runCli } from './commands/program.js';

void runCli(process.argv.slice(2)).then((code) => {
  if (code >= 0) process.exitCode = code;
});
