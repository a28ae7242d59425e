// `pulsedns plan`'s command line; the plan itself (git, zones, diff) is in
// plan.ts, loaded only when a plan runs.
import { Option, type Command } from 'commander';
import { act, type Cli } from './program.js';
import { addAdminClientFlags } from './options.js';
import type { PlanFlags } from './plan.js';

export function registerPlan(program: Command, cli: Cli): void {
  const cmd = program
    .command('plan')
    .summary('what answers change between two git revisions of the zones')
    .description('What answers change between two git revisions of the zones directory, with risk warnings.\nExit 0: --to is valid (with or without changes); 1: --to does not validate; 2: usage error.')
    .option('--zones <dir>', 'zones directory, inside a git work tree', 'zones')
    .requiredOption('--from <rev>', 'the revision before, e.g. origin/main')
    .requiredOption('--to <rev>', 'the revision after, or WORKTREE for the files on disk')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'markdown']).default('text'));
  addAdminClientFlags(cmd)
    .addHelpText('after', '\nWith --admin, pool answers are shown under the servers\' current health.\n\nExample:\n  pulsedns plan --from origin/main --to HEAD --format markdown --admin 127.0.0.1:9153\n')
    .action(act(cli, async (flags: PlanFlags) => (await import('./plan.js')).plan(flags, cli.io)));
}
