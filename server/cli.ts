#!/usr/bin/env node
// `pulsedns` command line. Each subcommand is a thin shell over a module.
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from './log.js';
import { DEFAULT_SERVE, parseEndpoint, serve } from './serve.js';
import { loadZonesDir, readZoneFile, zoneFiles } from './zones/load.js';
import { formatError } from './zones/model.js';
import { importMasterFile } from './zones/import.js';
import { exportZone } from './zones/export.js';
import { nameFromText, nameToText } from './wire/names.js';

const USAGE = `usage: pulsedns <command> [options]

commands:
  serve   [--zones DIR] [--listen ADDR:PORT ...] [--workers N]
          answer DNS from the zones in DIR (default ./zones) on UDP and TCP
          (default 127.0.0.1:5353; IPv6 as [::1]:5353; repeat --listen for more)
  check   [DIR|FILE ...]   validate zone files; errors as file:line:col; exit 1 on any
  import  FILE [--origin NAME]   RFC 1035 master file -> pulsedns YAML on stdout
  export  ZONE [--zones DIR]     a zone as an RFC 1035 master file on stdout
`;

function fail(message: string): never {
  process.stderr.write(`pulsedns: ${message}\n`);
  process.exit(2);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return cmdServe(rest);
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

async function cmdServe(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      zones: { type: 'string' },
      listen: { type: 'string', multiple: true },
      workers: { type: 'string' },
      'tcp-idle-timeout': { type: 'string' },
      'tcp-max-connections': { type: 'string' },
      'log-level': { type: 'string' },
    },
  });
  const log = createLogger(values['log-level']);
  let listen = DEFAULT_SERVE.listen;
  try {
    if (values.listen?.length) listen = values.listen.map(parseEndpoint);
  } catch (e) {
    fail((e as Error).message);
  }
  const workers = values.workers ? Number(values.workers) : availableParallelism();
  if (!Number.isInteger(workers) || workers < 1) fail('--workers must be a positive whole number');
  const tcp = { ...DEFAULT_SERVE.tcp };
  if (values['tcp-idle-timeout']) tcp.idleTimeoutMs = Number(values['tcp-idle-timeout']) * 1000;
  if (values['tcp-max-connections']) tcp.maxConnections = Number(values['tcp-max-connections']);
  try {
    await serve({ zonesDir: values.zones ?? DEFAULT_SERVE.zonesDir, listen, workers, tcp }, log);
  } catch (e) {
    log.fatal({ err: e }, (e as Error).message);
    return 1;
  }
  return -1; // keep running
}

function cmdCheck(args: string[]): number {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const targets = positionals.length ? positionals : ['zones'];
  let errors = 0;
  let zones = 0;
  for (const t of targets) {
    if (/\.ya?ml$/i.test(t)) {
      const r = readZoneFile(t);
      for (const e of r.errors) process.stdout.write(formatError(e) + '\n');
      errors += r.errors.length;
      if (r.zone) zones++;
    } else {
      let files: string[];
      try {
        files = zoneFiles(t);
      } catch (e) {
        process.stdout.write(`${t}: cannot read directory: ${(e as Error).message}\n`);
        errors++;
        continue;
      }
      const r = loadZonesDir(t);
      for (const e of r.errors) process.stdout.write(formatError(e) + '\n');
      errors += r.errors.length;
      zones += files.length;
    }
  }
  if (errors) {
    process.stdout.write(`${errors} error${errors === 1 ? '' : 's'}\n`);
    return 1;
  }
  process.stdout.write(`ok: ${zones} zone${zones === 1 ? '' : 's'} valid\n`);
  return 0;
}

function cmdImport(args: string[]): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { origin: { type: 'string' } } });
  const file = positionals[0];
  if (!file) fail('import needs a master file: pulsedns import FILE [--origin NAME]');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    fail(`cannot read ${file}: ${(e as Error).message}`);
  }
  const opts: { origin?: string; file: string; includeDir: string } = { file, includeDir: join(file, '..') };
  if (values.origin) opts.origin = values.origin;
  const r = importMasterFile(text, opts);
  if (r.errors.length) {
    for (const e of r.errors) process.stderr.write(formatError(e) + '\n');
    return 1;
  }
  process.stdout.write(r.yaml);
  return 0;
}

function cmdExport(args: string[]): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { zones: { type: 'string' } } });
  const zoneArg = positionals[0];
  if (!zoneArg) fail('export needs a zone name: pulsedns export ZONE [--zones DIR]');
  const dir = values.zones ?? 'zones';
  const r = loadZonesDir(dir);
  if (r.errors.length) {
    for (const e of r.errors) process.stderr.write(formatError(e) + '\n');
    return 1;
  }
  const want = nameFromText(zoneArg.endsWith('.') ? zoneArg : zoneArg + '.');
  const zone = r.zones.find((z) => z.origin === want);
  if (!zone) fail(`no zone ${nameToText(want)} in ${dir}`);
  process.stdout.write(exportZone(zone.source));
  return 0;
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
