#!/usr/bin/env node
// `pulsedns` command line: picks the command and hands it the rest of the
// arguments. Each command lives in commands/, one file apiece.
import { cmdServe } from './commands/serve.js';
import { cmdProbe } from './commands/probe.js';
import { cmdPlan } from './commands/plan.js';
import { operatorCommand } from './commands/operator.js';
import { cmdCheck } from './commands/check.js';
import { cmdImport } from './commands/import.js';
import { cmdExport } from './commands/export.js';

const USAGE = `usage: pulsedns <command> [options]

commands:
  serve   [--zones DIR] [--listen ADDR:PORT ...] [--workers N] [--redis URL] [--admin ADDR:PORT|off]
          answer DNS from the zones in DIR (default ./zones) on UDP and TCP
          (default 127.0.0.1:5353; IPv6 as [::1]:5353; repeat --listen for more).
          Without --redis it also probes pool members itself (embedded mode).
          More: [--vantage NAME] [--webhook URL ...] [--admin-token T] [--probe|--no-probe]
                [--sentinel HOST:PORT ... --sentinel-name NAME] [--redis-prefix P]
          Secondaries: [--allow-transfer ADDR|CIDR ...] (AXFR/IXFR over TCP)
                [--notify ADDR[:PORT] ...] (NOTIFY on every serial change)
                [--tsig NAME:hmac-sha256|hmac-sha512:BASE64SECRET ...] (TSIG keys)
                [--transfer-key NAME] (transfers must be TSIG-signed with it; NOTIFY signed too)
          CHAOS TXT: [--chaos-version TEXT] [--chaos-id TEXT] (default: REFUSED)
          Zones from git: [--zones-git URL|PATH --branch main --zones-subdir DIR --sync-interval 30s]
          Rate limiting (UDP): [--rrl-rate N --rrl-slip 2] (off by default)
          Compiled zone image: [--state-dir DIR] (default $RUNTIME_DIRECTORY or the temp dir)
  probe   --redis URL [--zones DIR] [--vantage NAME] [--source ADDR] [--webhook URL ...]
          run the health checks of the pools in DIR and publish results to Redis
  status  [--admin URL] [--json]            pools, members, verdicts, vantages, overrides
  drain   POOL ADDRESS [--reason TEXT] [--for 2h]   stop handing out a member (maintenance)
  undrain POOL ADDRESS                      hand it out again
  force   up|down POOL ADDRESS [--reason TEXT] [--for 30m]   override the checks
  failback POOL                             return a manual-failback pool to its primaries
          (operator commands talk to the admin endpoint, default http://127.0.0.1:9153,
           or write to Redis directly with --redis URL; POOL may be * for every pool)
  check   [DIR|FILE ...]   validate zone files; errors as file:line:col; exit 1 on any
  plan    --from REV --to REV|WORKTREE [--zones DIR] [--format text|markdown] [--admin URL]
          what answers change between two git revisions of the zones, with risk warnings
  import  FILE [--origin NAME]   RFC 1035 master file -> pulsedns YAML on stdout
  export  ZONE [--zones DIR]     a zone as an RFC 1035 master file on stdout
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return cmdServe(rest);
    case 'probe':
      return cmdProbe(rest);
    case 'plan':
      return cmdPlan(rest);
    case 'status':
    case 'drain':
    case 'undrain':
    case 'force':
    case 'failback':
      return operatorCommand(command, rest);
    case 'check':
      return cmdCheck(rest);
    case 'import':
      return cmdImport(rest);
    case 'export':
      return cmdExport(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`pulsedns: unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`pulsedns: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
