// The operator commands' command line: status, drain, undrain, force,
// failback. What each does is in operator.ts; this file declares their
// arguments and flags, so each is checked (and documented in --help) once.
import { Argument, Option, type Command } from 'commander';
import { act, type Cli } from './program.js';
import { addAdminClientFlags, addDirectRedisFlags, adminBase, parseDurationArg, redisUrl } from './options.js';
import { UsageError } from './errors.js';
import type { OperatorFlags } from './operator.js';

interface Flags {
  admin?: string;
  adminToken?: string;
  adminTokenFile?: string;
  redis?: string;
  redisFile?: string;
  redisPrefix?: string;
  reason?: string;
  for?: string;
  json?: boolean;
  wait?: boolean;
}

const ADMIN_NOTE = '\nThese commands talk to a server\'s admin endpoint (default http://127.0.0.1:9153), or with\n--redis straight to the health store. POOL may be * for every pool holding the address.\n';

const withRedis = addDirectRedisFlags;

function withOverride(cmd: Command): Command {
  return cmd
    .option('--reason <text>', 'why (kept in the audit log and shown by status)')
    // Kept as typed text for the server and the message; parsed here only to reject a bad one early.
    .addOption(new Option('--for <duration>', 'lapse by itself after this long, e.g. 30m or 2h').argParser((t: string) => (parseDurationArg(t), t)));
}

/** commander's flags -> the values operator.ts reads. */
function values(command: string, f: Flags): OperatorFlags {
  // status always asks a server (the pools are in its zones): the Redis settings are not its business.
  const redis = command === 'status' ? undefined : redisUrl(f);
  return {
    admin: adminBase(f.admin),
    ...(f.adminToken !== undefined ? { adminToken: f.adminToken } : {}),
    ...(f.adminTokenFile !== undefined ? { adminTokenFile: f.adminTokenFile } : {}),
    ...(redis !== undefined ? { redis } : {}),
    ...(f.redisPrefix !== undefined ? { redisPrefix: f.redisPrefix } : {}),
    ...(f.reason !== undefined ? { reason: f.reason } : {}),
    ...(f.for !== undefined ? { for: f.for } : {}),
    json: Boolean(f.json),
    wait: Boolean(f.wait),
  };
}

export function registerOperator(program: Command, cli: Cli): void {
  // Loaded when a command runs (it brings the Redis client and the logger), not to parse or print help.
  const run = async (command: string, positionals: string[], f: Flags): Promise<number> => (await import('./operator.js')).operatorCommand(command, positionals, values(command, f), cli.io);

  addAdminClientFlags(program.command('status').summary('pools, members, verdicts, vantages, overrides').description('Show every pool, member, verdict, per-vantage result and override, as a server sees them.'))
    .option('--json', 'the admin endpoint\'s /status JSON instead of the table')
    .addHelpText('after', '\nTiers are numbered from 1 (the primary tier); 0 means none of them (the backup list, or nothing healthy).\n')
    .action(act(cli, (f: Flags) => run('status', [], f)));

  const drain = program
    .command('drain')
    .summary('stop handing out a member (maintenance)')
    .description('Stop handing out a member of a pool, for maintenance. Answers leave it at once, with the pool\'s degraded_ttl.')
    .argument('<pool>', 'pool name, or * for every pool')
    .argument('<address>', 'the member\'s address');
  withRedis(withOverride(addAdminClientFlags(drain)))
    .option('--wait', 'return only once no resolver can still hold an answer naming the member (waits out the TTL answers carried)')
    .addHelpText('after', `${ADMIN_NOTE}\nExample:\n  pulsedns drain web 192.0.2.11 --reason "kernel upgrade" --for 2h --wait\n`)
    .action(
      act(cli, (pool: string, address: string, f: Flags) => {
        if (f.wait && redisUrl(f)) throw new UsageError('--wait needs the admin endpoint (the server knows the TTLs it served); drop --redis');
        return run('drain', [pool, address], f);
      }),
    );

  const undrain = program.command('undrain').summary('hand a drained member out again').description('Clear a drain (or any override): health checks decide again.').argument('<pool>', 'pool name, or *').argument('<address>', 'the member\'s address');
  withRedis(addAdminClientFlags(undrain))
    .addHelpText('after', ADMIN_NOTE)
    .action(act(cli, (pool: string, address: string, f: Flags) => run('undrain', [pool, address], f)));

  const force = program
    .command('force')
    .summary('override the checks: up, down, or clear')
    .description('Override the health checks for a member: force it up or down, or clear the override.')
    .addArgument(new Argument('<direction>', 'up, down or clear').choices(['up', 'down', 'clear']))
    .argument('<pool>', 'pool name, or *')
    .argument('<address>', 'the member\'s address');
  withRedis(withOverride(addAdminClientFlags(force)))
    .addHelpText('after', ADMIN_NOTE)
    .action(act(cli, (direction: string, pool: string, address: string, f: Flags) => run('force', [direction, pool, address], f)));

  const failback = program.command('failback').summary('return a manual-failback pool to its primary tier').description('Release a failover pool with failback: manual from the backup tier it is held on.').argument('<pool>', 'pool name');
  withRedis(addAdminClientFlags(failback))
    .addHelpText('after', ADMIN_NOTE)
    .action(act(cli, (pool: string, f: Flags) => run('failback', [pool], f)));
}
