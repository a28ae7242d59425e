// `pulsedns probe`: flags -> a prober process (runtime/prober.ts).
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { UsageError } from './errors.js';
import { act, reportError, type Cli } from './program.js';
import { addFileSizeFlag, addHealthFlags, addLogFlags, addWebhookFlags, healthOptions, logOptions, maxFileSize, webhookSecret, webhookUrls, type FileSizeFlags, type HealthFlags, type LogFlags, type WebhookFlags } from './options.js';

interface ProbeFlags extends HealthFlags, LogFlags, WebhookFlags, FileSizeFlags {
  zones: string;
  vantage?: string;
  source?: string;
}

export function registerProbe(program: Command, cli: Cli): void {
  const cmd = program
    .command('probe')
    .summary('run the health checks and publish the results to Redis')
    .description('Run the health checks of the pools in DIR and publish the results to Redis (distributed mode).')
    .option('--zones <dir>', 'zones directory (its _pools.yaml says what to probe)', 'zones')
    .option('--vantage <name>', 'name of this vantage point (default: host name)')
    .option('--source <addr>', 'local address to probe from');
  addFileSizeFlag(addWebhookFlags(addLogFlags(addHealthFlags(cmd))))
    .addHelpText('after', '\nExample:\n  pulsedns probe --redis-file /etc/pulsedns/redis-url --vantage fra1\n')
    .action(act(cli, (flags: ProbeFlags) => runProbe(flags, cli)));
}

async function runProbe(flags: ProbeFlags, cli: Cli): Promise<number> {
  const health = healthOptions(flags);
  if (!health.redis && !health.sentinels) throw new UsageError('probe shares results through Redis: pass --redis redis://HOST:6379 (or --redis-file, or --sentinel HOST:PORT)');
  if (health.sentinels && !health.sentinelName) throw new UsageError('--sentinel needs --sentinel-name (the master the sentinels watch)');
  const secret = webhookSecret(flags);
  const webhooks = webhookUrls(flags);
  const log = (await import('../runtime/log.js')).createLogger(logOptions(flags));
  const { runProber } = await import('../runtime/prober.js');
  try {
    await runProber({ zonesDir: flags.zones, health, vantage: flags.vantage ?? hostname(), webhooks, maxFileBytes: maxFileSize(flags), ...(secret ? { webhookSecret: secret } : {}), ...(flags.source ? { source: flags.source } : {}) }, log);
  } catch (e) {
    reportError(e, cli.io, process.env.PULSEDNS_DEBUG === '1' || process.argv.includes('--debug'));
    process.exit(1);
  }
  return -1;
}
