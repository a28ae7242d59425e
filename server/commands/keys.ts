// `pulsedns keys generate|list|ds|import|roll`: the signing keys of a zone
// in a key directory (server/dnssec/keys.ts holds the files' format). The
// only place keys are made: `serve` reads them and never invents one.
import { readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ALGORITHMS, createKey, importKey, KeyError, keyPhase, loadZoneKeys, parseAlgorithm, writeTiming, type ZoneKey } from '../dnssec/keys.js';
import { DigestType, dsLine, FLAG_SEP } from '../dnssec/dnskey.js';
import { DEFAULT_TIMINGS, keyStateAt, planRollover, rolloverBlocker, type RolloverTimings } from '../dnssec/rollover.js';
import { durationSeconds } from '../zones/duration.js';
import { type Name, nameFromText, nameToText } from '../wire/names.js';

export const KEYS_USAGE = `usage: pulsedns keys <subcommand> ... --keys DIR

  generate ZONE --keys DIR [--algorithm ecdsap256sha256|ed25519] [--force]
      make the zone's combined signing key (CSK), published and signing now.
      Refused when the zone already has a key that signs or is about to
      (--force adds one anyway; to replace a key use roll).
  list ZONE|--all --keys DIR
      every key: tag, algorithm, phase and its RFC 7583 times (UTC).
  ds ZONE --keys DIR [--digest sha256|sha384] [--ttl SECONDS]
      the DS lines to give the registrar (keys that sign or are about to).
  import FILE.key ... --keys DIR
      copy BIND/ldns key pairs (K<zone>.+<alg>+<tag>.key and .private) in,
      checked, so a zone signed elsewhere moves without a DS change.
  roll ZONE --keys DIR [--propagation 1h] [--dnskey-ttl 1h] [--max-ttl 1d]
                       [--ds-ttl 1d] [--registrar-delay 1d]
      start a CSK rollover (double signature, RFC 7583): a new key is
      published now, signs after propagation + DNSKEY TTL, the old key stops
      signing once caches and the parent's DS have moved on, then leaves the
      zone. Running servers follow the times by their clock (docs/dnssec.md).

Times are written to the key's .timing file; the .private file never changes.
`;

/** A usage error: one line, exit 2. */
function usage(message: string): number {
  process.stderr.write(`pulsedns keys: ${message} (pulsedns keys --help)\n`);
  return 2;
}

function zoneName(text: string): Name {
  return nameFromText(text.endsWith('.') ? text : `${text}.`);
}

function when(t: number | undefined): string {
  return t === undefined ? '-' : new Date(t * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Every zone with a key file in `dir`, by the file names. */
function zonesIn(dir: string): Name[] {
  const out = new Set<Name>();
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new KeyError(`${dir}: cannot read the key directory (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  for (const n of names) {
    const m = /^K(.+)\+\d{3}\+\d{5}\.key$/.exec(n);
    if (!m) continue;
    try {
      out.add(nameFromText(m[1]!));
    } catch {
      // not a zone name: loadZoneKeys would not read it either
    }
  }
  return [...out].sort((a, b) => (nameToText(a) < nameToText(b) ? -1 : 1));
}

function loadKeys(dir: string, zone: Name): ZoneKey[] {
  const r = loadZoneKeys(dir, zone);
  for (const w of r.warnings) process.stderr.write(`pulsedns keys: warning: ${w}\n`);
  return r.keys;
}

function generate(zone: Name, dir: string, algorithmText: string | undefined, force: boolean): number {
  const algorithm = algorithmText === undefined ? 13 : parseAlgorithm(algorithmText);
  if (algorithm === undefined) return usage(`unknown algorithm "${algorithmText}": ecdsap256sha256 or ed25519`);
  const now = nowSeconds();
  const live = loadKeys(dir, zone).filter((k) => ['created', 'published', 'active'].includes(keyPhase(k, now)));
  if (live.length > 0 && !force) {
    process.stderr.write(`pulsedns keys: ${nameToText(zone)} already has key ${live.map((k) => k.tag).join(', ')} in ${dir}; use \`keys roll\` to replace it, or --force to add another\n`);
    return 1;
  }
  const key = createKey(dir, zone, algorithm, now);
  process.stdout.write(`${key.base}.key: key ${key.tag} (${ALGORITHMS.get(algorithm)!.keyword}) for ${nameToText(zone)}, signing from now\n`);
  process.stdout.write(`DS for the registrar: ${dsLine(zone, key.dnskey)}\n`);
  return 0;
}

function list(zones: Name[], dir: string): number {
  const now = nowSeconds();
  const rows = [['ZONE', 'TAG', 'ALGORITHM', 'PHASE', 'PUBLISH', 'ACTIVATE', 'RETIRE', 'REMOVE']];
  for (const zone of zones) {
    for (const k of loadKeys(dir, zone)) {
      const t = k.timing;
      rows.push([nameToText(zone), String(k.tag), ALGORITHMS.get(k.algorithm)!.keyword, keyPhase(k, now), when(t.publish), when(t.activate), when(t.retire), when(t.remove)]);
    }
  }
  if (rows.length === 1) {
    process.stderr.write(`pulsedns keys: no keys${zones.length === 1 ? ` for ${nameToText(zones[0]!)}` : ''} in ${dir}\n`);
    return 1;
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) process.stdout.write(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd() + '\n');
  const next = keyStateAt(zones.flatMap((z) => loadZoneKeys(dir, z).keys), now).nextChange;
  if (next !== undefined) process.stdout.write(`next change: ${when(next)}\n`);
  return 0;
}

function ds(zone: Name, dir: string, digestText: string | undefined, ttlText: string | undefined): number {
  const digest = digestText === undefined || digestText.toLowerCase() === 'sha256' ? DigestType.SHA256 : digestText.toLowerCase() === 'sha384' ? DigestType.SHA384 : undefined;
  if (digest === undefined) return usage(`unknown digest "${digestText}": sha256 or sha384`);
  const ttl = ttlText === undefined ? undefined : durationSeconds(ttlText);
  if (ttlText !== undefined && ttl === undefined) return usage(`--ttl: "${ttlText}" is not a duration`);
  const now = nowSeconds();
  const keys = loadKeys(dir, zone).filter((k) => k.flags & FLAG_SEP);
  const wanted = keys.filter((k) => ['created', 'published', 'active'].includes(keyPhase(k, now)) && k.timing.retire === undefined);
  if (wanted.length === 0) {
    process.stderr.write(`pulsedns keys: no key for ${nameToText(zone)} in ${dir}; make one with \`pulsedns keys generate ${nameToText(zone)} --keys ${dir}\`\n`);
    return 1;
  }
  for (const k of wanted) process.stdout.write(dsLine(zone, k.dnskey, digest, ttl) + '\n');
  for (const k of keys) {
    if (k.timing.retire !== undefined && keyPhase(k, now) !== 'removed') {
      process.stderr.write(`pulsedns keys: key ${k.tag} is being rolled out: its DS may leave the parent after ${when(k.timing.retire)}\n`);
    }
  }
  return 0;
}

function importFiles(files: string[], dir: string): number {
  for (const f of files) {
    const keyPath = f.endsWith('.private') ? `${f.slice(0, -'.private'.length)}.key` : f;
    const key = importKey(keyPath, dir);
    process.stdout.write(`${key.base}.key: key ${key.tag} for ${nameToText(key.zone)}, ${keyPhase(key, nowSeconds())}\n`);
  }
  return 0;
}

const TIMING_FLAGS = {
  propagation: 'propagation',
  'dnskey-ttl': 'dnskeyTtl',
  'max-ttl': 'maxZoneTtl',
  'ds-ttl': 'dsTtl',
  'registrar-delay': 'registrarDelay',
} as const satisfies Record<string, keyof RolloverTimings>;

function roll(zone: Name, dir: string, flags: Partial<Record<keyof typeof TIMING_FLAGS, string>>): number {
  const timings: RolloverTimings = { ...DEFAULT_TIMINGS };
  for (const [flag, field] of Object.entries(TIMING_FLAGS) as [keyof typeof TIMING_FLAGS, keyof RolloverTimings][]) {
    const text = flags[flag];
    if (text === undefined) continue;
    const v = durationSeconds(text);
    if (v === undefined) return usage(`--${flag}: "${text}" is not a duration (e.g. 300, 5m, 1h, 1d)`);
    timings[field] = v;
  }
  const now = nowSeconds();
  const keys = loadKeys(dir, zone);
  const blocker = rolloverBlocker(keys, now);
  if (blocker) {
    process.stderr.write(`pulsedns keys: cannot roll ${nameToText(zone)}: ${blocker}\n`);
    return 1;
  }
  const old = keyStateAt(keys, now).active;
  const algorithms = new Set(old.map((k) => k.algorithm));
  // An algorithm change needs every algorithm to sign before its DNSKEY appears (RFC 6781 4.1.4): not this procedure.
  const algorithm = old[0]!.algorithm;
  if (algorithms.size > 1) {
    process.stderr.write(`pulsedns keys: cannot roll ${nameToText(zone)}: its signing keys use several algorithms\n`);
    return 1;
  }
  const plan = planRollover(now, timings);
  const next = createKey(dir, zone, algorithm, now, plan.next);
  for (const k of old) {
    k.timing = { ...k.timing, retire: plan.old.retire, remove: plan.old.remove };
    writeTiming(k);
  }
  const oldTags = old.map((k) => k.tag).join(', ');
  process.stdout.write(
    [
      `rollover of ${nameToText(zone)}: key ${oldTags} -> key ${next.tag}`,
      `  ${when(plan.next.publish)}  key ${next.tag} published (DNSKEY)`,
      `  ${when(plan.next.activate)}  key ${next.tag} signs too; CDS/CDNSKEY name both keys`,
      `  ${when(plan.old.retire)}  key ${oldTags} stops signing; CDS/CDNSKEY name key ${next.tag} only`,
      `  ${when(plan.old.remove)}  key ${oldTags} leaves the zone`,
      `registrar (if the parent does not read CDS): add this DS between ${when(plan.next.activate)} and ${when(plan.next.activate + timings.registrarDelay)},`,
      `  ${dsLine(zone, next.dnskey)}`,
      `  and remove the old DS after ${when(plan.old.retire)}.`,
      'Copy the new key files to every nameserver sharing this key directory now: running servers pick them up and follow these times by themselves.',
      '',
    ].join('\n'),
  );
  return 0;
}

export async function cmdKeys(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(KEYS_USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (!['generate', 'list', 'ds', 'import', 'roll'].includes(sub)) return usage(`unknown subcommand "${sub}"`);
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        keys: { type: 'string' },
        algorithm: { type: 'string' },
        force: { type: 'boolean' },
        all: { type: 'boolean' },
        digest: { type: 'string' },
        ttl: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(Object.keys(TIMING_FLAGS).map((f) => [f, { type: 'string' as const }])),
      },
    });
  } catch (e) {
    return usage((e as Error).message.split('\n')[0]!);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(KEYS_USAGE);
    return 0;
  }
  const dir = values.keys as string | undefined;
  if (!dir) return usage(`${sub} needs --keys DIR`);
  const flagsFor: Record<string, string[]> = {
    generate: ['algorithm', 'force'],
    list: ['all'],
    ds: ['digest', 'ttl'],
    import: [],
    roll: Object.keys(TIMING_FLAGS),
  };
  const stray = Object.keys(values).find((f) => f !== 'keys' && f !== 'help' && !flagsFor[sub]!.includes(f));
  if (stray) return usage(`${sub} does not take --${stray}`);
  try {
    if (sub === 'import') {
      if (positionals.length === 0) return usage('import needs one or more K<zone>.+<alg>+<tag>.key files');
      return importFiles(positionals, dir);
    }
    if (sub === 'list' && values.all) {
      if (positionals.length) return usage('list takes a zone or --all, not both');
      return list(zonesIn(dir), dir);
    }
    if (positionals.length !== 1) return usage(`${sub} needs exactly one zone name`);
    let zone: Name;
    try {
      zone = zoneName(positionals[0]!);
    } catch (e) {
      return usage(`bad zone name "${positionals[0]}": ${(e as Error).message}`);
    }
    switch (sub) {
      case 'generate':
        return generate(zone, dir, values.algorithm as string | undefined, values.force === true);
      case 'list':
        return list([zone], dir);
      case 'ds':
        return ds(zone, dir, values.digest as string | undefined, values.ttl as string | undefined);
      default:
        return roll(zone, dir, values as Partial<Record<keyof typeof TIMING_FLAGS, string>>);
    }
  } catch (e) {
    // Key-file problems and file-system refusals (permissions, a full disk) are one line, not a stack.
    if (e instanceof KeyError || typeof (e as NodeJS.ErrnoException).code === 'string') {
      process.stderr.write(`pulsedns keys: ${(e as Error).message}\n`);
      return 1;
    }
    throw e;
  }
}
