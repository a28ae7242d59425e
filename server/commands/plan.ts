// `pulsedns plan`: what answers change between two versions of the zones, for
// reviewing a pull request. Both versions are read straight from git objects
// (never by checking out, which would disturb the work tree a server may be
// serving from), loaded by the same code as the server (zones/source.ts),
// diffed by plan/plan.ts and printed by plan/format.ts.
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { POOLS_FILE } from '../pools/model.js';
import type { StatusReport } from '../../checks/status.js';
import { compileZone } from '../zones/compile.js';
import { readZoneTexts } from '../zones/load.js';
import { formatError } from '../zones/model.js';
import { lastChangeSeconds } from '../zones/serial.js';
import { isZoneFileName, loadZoneSet, type ZoneSet } from '../zones/source.js';
import { buildPlan, type HealthInput, type PlanWarning, type ZoneSetView } from '../plan/plan.js';
import { formatInvalid, formatPlan, type PlanFormat } from '../plan/format.js';
import { UsageError } from './errors.js';
import { adminClientToken } from './options.js';
import { processIo, runCli, type Io } from './program.js';

/** `--to WORKTREE`: the files on disk, as `pulsedns serve` would load them now. */
export const WORKTREE = 'WORKTREE';
// The flags are declared in plan-cli.ts, which loads this file only to run a plan.

export interface PlanFlags {
  zones: string;
  from: string;
  to: string;
  format: PlanFormat;
  admin?: string;
  adminToken?: string;
  adminTokenFile?: string;
}

/** The plan command on its own (tests), with the exit code the shell would see. */
export function cmdPlan(args: string[], io: Io = processIo): Promise<number> {
  return runCli(['plan', ...args], io);
}

export async function plan(values: PlanFlags, io: Io): Promise<number> {
  const { from, to, format } = values;
  const dir = values.zones;
  const statusUrl = values.admin !== undefined ? `${values.admin}/status` : undefined;
  const repo = openRepo(dir);

  // Resolve both before loading either, so a typo in --to is reported before any work.
  const fromRev = resolveRev(repo, from);
  const toRev = resolveRev(repo, to);
  const before = loadSide(repo, dir, fromRev);
  const after = loadSide(repo, dir, toRev);
  if (after.set.errors.length) {
    io.out(formatInvalid(toRev.label, after.set.errors, format));
    return 1;
  }

  const warnings: PlanWarning[] = [];
  let fromView: ZoneSetView = before.set;
  if (before.set.errors.length) {
    // A broken --from is what a fix is for: compare against the zones that were valid on their own.
    fromView = { zones: before.set.sources.map((s) => compileZone(s, before.set.pools)), pools: before.set.pools };
    warnings.push({
      code: 'from-invalid',
      message: `${fromRev.label} itself does not validate (${before.set.errors.length} error${before.set.errors.length === 1 ? '' : 's'}, first: ${formatError(before.set.errors[0]!)}); compared against its zones that are valid on their own`,
    });
  }
  for (const note of [...before.notes, ...after.notes]) warnings.push({ code: 'skipped-file', message: note });

  let health: HealthInput = { kind: 'unknown', reason: 'no --admin' };
  if (statusUrl) {
    try {
      const token = await adminClientToken(values.admin!, values);
      health = { kind: 'known', source: statusUrl, status: await fetchStatus(statusUrl, token) };
    } catch (e) {
      health = { kind: 'unknown', reason: `${statusUrl}: ${(e as Error).message}` };
      warnings.push({ code: 'health-unavailable', message: `could not read current health from ${statusUrl}: ${(e as Error).message}` });
    }
  }
  const p = buildPlan(fromView, after.set, { from: fromRev.label, to: toRev.label, health });
  p.warnings.unshift(...warnings);
  io.out(formatPlan(p, format));
  return 0;
}


// ---------------------------------------------------------------- git

interface Repo {
  root: string;
  /** The zones directory relative to the repository root, "" or ending in "/". */
  prefix: string;
}

interface Rev {
  /** A commit id, or WORKTREE. */
  commit: string;
  label: string;
}

function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 512 * 1024 * 1024 });
}

/** Like git(), but a failing command is an answer ("no such object"), not an exception. */
function gitMaybe(cwd: string, args: string[]): string | undefined {
  try {
    return git(cwd, args);
  } catch {
    return undefined;
  }
}

function openRepo(dir: string): Repo {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir) throw new UsageError(`--zones ${dir}: no such directory`);
  const out = gitMaybe(dir, ['rev-parse', '--show-toplevel', '--show-prefix']);
  if (out === undefined) throw new UsageError(`${dir} is not inside a git work tree (plan reads the zones from git revisions)`);
  const [root, prefix = ''] = out.split('\n');
  return { root: root!, prefix };
}

function resolveRev(repo: Repo, rev: string): Rev {
  if (rev === WORKTREE) return { commit: WORKTREE, label: WORKTREE };
  // `--end-of-options` keeps a revision such as "-x" from being read as an option.
  const sha = gitMaybe(repo.root, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`])?.trim();
  if (!sha) throw new UsageError(`unknown revision "${rev}"`);
  const short = sha.slice(0, 12);
  return { commit: sha, label: sha.startsWith(rev) ? short : `${rev} (${short})` };
}

interface Side {
  set: ZoneSet;
  /** Things about the files the reader could not honour. */
  notes: string[];
}

function loadSide(repo: Repo, dir: string, rev: Rev): Side {
  if (rev.commit === WORKTREE) {
    const { texts, errors } = readZoneTexts(dir);
    const set = loadZoneSet(dir, texts, (src) => lastChangeSeconds(src.file));
    return { set: { ...set, errors: [...errors, ...set.errors], zones: errors.length ? [] : set.zones }, notes: [] };
  }
  const tree = `${rev.commit}:${repo.prefix.replace(/\/$/, '')}`;
  const notes: string[] = [];
  const texts = new Map<string, string>();
  const kind = gitMaybe(repo.root, ['cat-file', '-t', tree])?.trim();
  if (kind !== undefined && kind !== 'tree') throw new UsageError(`${dir} is not a directory at ${rev.label}`);
  // No such directory at that revision: no zones yet (or any more).
  if (kind === 'tree') {
    for (const entry of git(repo.root, ['ls-tree', '-z', tree]).split('\0')) {
      const m = /^(\d+) (\w+) [0-9a-f]+\t([\s\S]+)$/.exec(entry);
      if (!m || m[2] !== 'blob') continue;
      const name = m[3]!;
      if (name !== POOLS_FILE && !isZoneFileName(name)) continue;
      if (m[1] === '120000') {
        // A symlink's blob is its target path, not YAML; following it inside git objects is not worth guessing at.
        notes.push(`${dir}/${name} is a symbolic link at ${rev.label}; plan does not follow links inside revisions and skipped it`);
        continue;
      }
      texts.set(name, git(repo.root, ['show', `${rev.commit}:${repo.prefix}${name}`]));
    }
  }
  // `serial: auto` is the commit time of the last commit touching the file, as the server computes it on a clean checkout.
  const set = loadZoneSet(dir, texts, (src) => {
    const ct = git(repo.root, ['log', '-1', '--format=%ct', rev.commit, '--', `${repo.prefix}${basename(src.file)}`]).trim();
    return /^\d+$/.test(ct) ? Number(ct) : 0;
  });
  return { set, notes };
}

// ---------------------------------------------------------------- health

async function fetchStatus(url: string, token: string | undefined): Promise<StatusReport> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`HTTP ${res.status}${res.status === 401 ? ' (pass --admin-token or --admin-token-file, or set PULSEDNS_ADMIN_TOKEN)' : ''}`);
  const body: unknown = await res.json();
  if (!isStatusReport(body)) throw new Error('the answer is not a pulsedns status report');
  return body;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** Checks the parts of a StatusReport the plan reads, so a wrong URL fails clearly instead of deep inside. */
function isStatusReport(v: unknown): v is StatusReport {
  if (!isObject(v) || typeof v.generatedAt !== 'string' || !Array.isArray(v.pools)) return false;
  return v.pools.every(
    (p: unknown) =>
      isObject(p) &&
      typeof p.name === 'string' &&
      Array.isArray(p.members) &&
      p.members.every((m: unknown) => isObject(m) && typeof m.address === 'string' && (m.state === 'up' || m.state === 'down' || m.state === 'drain')),
  );
}
