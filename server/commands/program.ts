// The command line as a whole: commander builds per-command help, checks
// flags and arguments, and reports what it rejects; this file adds the one
// error format (`pulsedns: error: ...`, one line) and the exit codes: 0 done,
// 1 the command failed, 2 it was asked wrongly. A bug is one line too, with
// the stack behind --debug / PULSEDNS_DEBUG=1.
import { Command, CommanderError } from 'commander';
import { VERSION } from '../runtime/version.js';
import { CommandFailed, UsageError } from './errors.js';
import { redactText } from '../runtime/redact.js';
import { registerServe } from './serve.js';
import { registerProbe } from './probe.js';
import { registerOperator } from './operator-cli.js';
import { registerReload } from './reload.js';
import { registerCheck } from './check.js';
import { registerPlan } from './plan-cli.js';
import { registerImport } from './import.js';
import { registerExport } from './export.js';

export interface Io {
  out(s: string): void;
  err(s: string): void;
}

export const processIo: Io = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
};

/** What a command's action sees: where to write, and how to set the exit code. */
export interface Cli {
  io: Io;
  /** -1: the command keeps running (serve, probe); the process ends by signal. */
  exit(code: number): void;
}

/** Wraps an action returning an exit code into what commander calls. */
export function act<A extends unknown[]>(cli: Cli, fn: (...args: A) => number | Promise<number>): (...args: A) => Promise<void> {
  return async (...args) => cli.exit(await fn(...args));
}

export function buildProgram(cli: Cli): Command {
  const program = new Command('pulsedns')
    .description('An authoritative DNS server with health-based failover.')
    .version(VERSION, '-V, --version', 'print the version')
    .option('--debug', 'print the stack trace of an internal error (or PULSEDNS_DEBUG=1)')
    .helpCommand('help [command]', 'help for a command')
    .configureOutput({
      writeOut: cli.io.out,
      writeErr: cli.io.err,
      // One line: commander puts its "(Did you mean ...?)" on a line of its own.
      outputError: (text, write) => write(`pulsedns: ${redactText(text.trimEnd().replace(/\s*\n\s*/g, ' '))}\n`),
    })
    .exitOverride()
    .showSuggestionAfterError(true)
    .addHelpText('after', '\nEvery command has --help; exit status 0 done, 1 failed, 2 usage error.\n');
  // Settings above are inherited by the subcommands created below.
  registerServe(program, cli);
  registerProbe(program, cli);
  registerOperator(program, cli);
  registerReload(program, cli);
  registerCheck(program, cli);
  registerPlan(program, cli);
  registerImport(program, cli);
  registerExport(program, cli);
  // `keys` parses its own subcommands (keys.ts); listed here for the help, reached through runCli.
  program.command('keys').summary('DNSSEC keys: generate, list, ds, import, roll (pulsedns keys --help)');
  return program;
}

/** Runs one command line; resolves with its exit code, or -1 while it keeps running. */
export async function runCli(argv: string[], io: Io = processIo): Promise<number> {
  let code = 0;
  const program = buildProgram({ io, exit: (c) => void (code = c) });
  try {
    if (argv[0] === 'keys') return await (await import('./keys.js')).cmdKeys(argv.slice(1));
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    return reportError(e, io, argv.includes('--debug') || process.env.PULSEDNS_DEBUG === '1');
  }
}

export function reportError(e: unknown, io: Io, debug: boolean): number {
  // Commander has printed its own message (or the help) already.
  if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
  // A secret the process was given (runtime/secrets.ts) never reaches the terminal, even inside a library's message.
  const say = (line: string): void => io.err(redactText(line));
  if (e instanceof UsageError) {
    say(`pulsedns: error: ${e.message}\n`);
    return 2;
  }
  if (e instanceof CommandFailed) {
    say(`pulsedns: error: ${e.message}\n`);
    return 1;
  }
  const message = e instanceof Error ? e.message : String(e);
  const stack = e instanceof Error && e.stack ? e.stack : message;
  say(debug ? `pulsedns: internal error: ${stack}\n` : `pulsedns: internal error: ${message} (a bug; rerun with --debug or PULSEDNS_DEBUG=1 for the stack trace)\n`);
  return 1;
}
