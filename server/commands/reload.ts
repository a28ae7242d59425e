// `pulsedns reload`: ask a running server to reload its zones now (as
// `nsd-control reload` or `knotc reload`) and print what it serves after:
// each zone with its serial, or the errors and that the previous zones stay.
import type { Command } from 'commander';
import type { ReloadReport } from '../runtime/reload.js';
import { CommandFailed } from './errors.js';
import { act, type Cli } from './program.js';
import { addAdminClientFlags, adminBase, adminClientToken, type AdminClientFlags } from './options.js';

export function registerReload(program: Command, cli: Cli): void {
  const cmd = program
    .command('reload')
    .summary('reload the zones of a running server now; print the serials or the errors')
    .description('Ask a running server to reload its zones now (fetching first with --zones-git) and print\nthe zones it serves with their serials, or the errors. Exit 1 when the reload is refused.');
  addAdminClientFlags(cmd)
    .option('--json', 'the server\'s report as JSON')
    .action(act(cli, (flags: AdminClientFlags & { json?: boolean }) => runReload(flags, cli)));
}

function isReport(v: Record<string, unknown>): v is Record<string, unknown> & ReloadReport {
  return typeof v.ok === 'boolean' && Array.isArray(v.zones) && Array.isArray(v.errors);
}

async function runReload(flags: AdminClientFlags & { json?: boolean }, cli: Cli): Promise<number> {
  const base = adminBase(flags.admin);
  const token = await adminClientToken(base, flags);
  let r: Awaited<ReturnType<typeof import('./operator.js').api>>;
  try {
    r = await (await import('./operator.js')).api(base, token, 'POST', '/v1/reload');
  } catch (e) {
    throw new CommandFailed(`${(e as Error).message} (is a server's admin endpoint listening at ${base}?)`);
  }
  if (!isReport(r.json)) throw new CommandFailed(`${base}: ${String(r.json.error ?? `HTTP ${r.status}`)}`);
  const report = r.json;
  if (flags.json) cli.io.out(JSON.stringify(report, null, 2) + '\n');
  else cli.io.out(formatReload(report));
  return report.ok ? 0 : 1;
}

export function formatReload(r: ReloadReport): string {
  const lines: string[] = [];
  if (r.ok) {
    lines.push(`reloaded: serving ${r.zones.length} zone${r.zones.length === 1 ? '' : 's'}`);
  } else {
    for (const e of r.errors) lines.push(e);
    lines.push(`reload refused (${r.errors.length} error${r.errors.length === 1 ? '' : 's'}); still serving the previous zones:`);
  }
  const width = Math.max(0, ...r.zones.map((z) => z.zone.length));
  for (const z of r.zones) lines.push(`  ${z.zone.padEnd(width)}  serial ${z.serial}`);
  return lines.join('\n') + '\n';
}
