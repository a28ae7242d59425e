// The layering, checked from the import statements of every source file, so
// an arrow running the wrong way fails the suite instead of rotting silently.
// The rules are the ones the folder READMEs and docs/architecture.md state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, posix } from 'node:path';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
const SOURCE_DIRS = ['server', 'checks'];

interface Rule {
  /** Files whose path starts with one of these... */
  from: string[];
  /** ...must not import a file whose path starts with one of these. */
  to: string[];
  /** Importing files exempt from the rule. */
  exceptFrom?: (file: string) => boolean;
  /** Imported files the rule allows after all. */
  allowTo?: (target: string) => boolean;
  why: string;
}

const RULES: Rule[] = [
  { from: ['server/engine/', 'server/pools/'], to: ['checks/'], why: 'the query side reads health through HealthLookup; checks/ imports pools, never back' },
  { from: ['server/wire/'], to: ['server/', 'checks/'], allowTo: (t) => t.startsWith('server/wire/'), why: 'wire is the bottom layer: it imports nothing above it' },
  { from: ['server/', 'checks/'], to: ['server/commands/'], exceptFrom: (f) => f === 'server/cli.ts' || f.startsWith('server/commands/'), why: 'commands are entry points: only cli.ts dispatches to them' },
  { from: ['server/engine/'], to: ['server/runtime/', 'server/commands/', 'server/transport/', 'server/xfr/'], why: 'the engine is the pure core: the shells call it, not the reverse' },
  { from: ['server/zones/'], to: ['server/engine/', 'server/runtime/', 'server/commands/', 'server/plan/'], why: 'zones/ is the zone language; the engine and the tools build on it' },
  { from: ['checks/'], to: ['server/'], allowTo: (t) => t.startsWith('server/pools/'), why: 'the health wing meets the query wing only at the pools model and HealthLookup' },
  { from: ['server/pools/'], to: ['server/engine/', 'server/runtime/', 'server/transport/'], why: 'pools/ is the model and the choice; the engine uses it' },
];

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(join(ROOT, dir))) {
    const p = `${dir}/${e}`;
    if (statSync(join(ROOT, p)).isDirectory()) sourceFiles(p, out);
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'";]*?from\s*'([^']+)'|(?:^|[\s;])import\s*'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/g;

/** Repository paths (.ts) of the relative imports in `text`, a file at `file`. */
function importsOf(file: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3]!;
    if (!spec.startsWith('.')) continue;
    out.push(posix.normalize(posix.join(posix.dirname(file), spec)).replace(/\.js$/, '.ts'));
  }
  return out;
}

/** Every import that breaks a rule, as "file -> target: why". */
function violations(files: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const [file, text] of files) {
    for (const target of importsOf(file, text)) {
      for (const r of RULES) {
        if (!r.from.some((p) => file.startsWith(p)) || r.exceptFrom?.(file)) continue;
        if (r.to.some((p) => target.startsWith(p)) && !r.allowTo?.(target)) out.push(`${file} -> ${target}: ${r.why}`);
      }
    }
  }
  return out;
}

test('no import runs against the layering', () => {
  const files = new Map<string, string>();
  for (const f of SOURCE_DIRS.flatMap((d) => sourceFiles(d))) files.set(f, readFileSync(join(ROOT, f), 'utf8'));
  assert.ok(files.size > 50, `read ${files.size} source files from ${ROOT}`);
  assert.ok(files.has('server/engine/answer.ts') && files.has('checks/live.ts'), 'the source tree is where the test looks');
  assert.deepEqual(violations(files), []);
});

test('the check catches each kind of wrong arrow', () => {
  const bad = new Map<string, string>([
    ['server/engine/lookup.ts', "import { LiveHealth } from '../../checks/live.js';"],
    ['server/pools/select.ts', "import type { Verdict } from '../../checks/verdict.js';"],
    ['server/wire/response.ts', "import type { RRset } from '../zones/compile.js';"],
    ['server/runtime/roles.ts', "import { cmdServe } from '../commands/serve.js';"],
    ['checks/live.ts', "export { cmdPlan } from '../server/commands/plan.js';"],
    ['server/engine/answer.ts', "const m = await import('../runtime/stats.js');"],
    ['server/zones/load.ts', "import { Catalog } from '../engine/catalog.js';"],
    ['checks/scheduler.ts', "import type { Stats } from '../server/runtime/stats.js';"],
  ]);
  const found = violations(bad);
  const flagged = new Set(found.map((v) => v.slice(0, v.indexOf(' -> '))));
  assert.deepEqual([...flagged].sort(), [...bad.keys()].sort(), found.join('\n'));
  const fine = new Map<string, string>([
    ['server/cli.ts', "import { cmdServe } from './commands/serve.js';"],
    ['server/commands/serve.ts', "import { fail } from './options.js';"],
    ['server/wire/response.ts', "import { Class, Type } from './constants.js';"],
    ['checks/live.ts', "import { selectMembers } from '../server/pools/select.js';"],
    ['server/engine/lookup.ts', "import { selectMembers } from '../pools/select.js';"],
  ]);
  assert.deepEqual(violations(fine), []);
});
