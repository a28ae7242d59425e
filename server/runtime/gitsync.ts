// Built-in git sync: serve the zones of one branch of a repository. Each new
// commit is checked out in a staging work tree and validated there first; only
// a commit whose zones all load is checked out where the server reads, so a
// bad commit is refused and the previous one keeps serving.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { formatError, type ZoneError } from '../zones/model.js';
import { loadZonesDir } from '../zones/load.js';
import { DEFAULT_MAX_FILE_BYTES } from '../zones/readfile.js';
import { ensurePrivateDir, privateTempPath } from './private-dir.js';
import { redactText, redactUrl } from './redact.js';

const run = promisify(execFile);

export interface GitSyncOptions {
  /** URL or local path of the repository. */
  repo: string;
  branch: string;
  /** Folder inside the repository that holds the zone files ('.' for its root). */
  subdir: string;
  /** Where the clones live (kept private: 0700, ours); default $TMPDIR/pulsedns-<uid>/git-<hash of repo and branch>. */
  cacheDir?: string;
  /** Size cap for each zone file read (--max-zone-file-size). */
  maxFileBytes?: number;
  log: Logger;
}

export interface SyncState {
  /** Commit being served (its zones are in `zonesDir`). */
  served: string | null;
  servedAt: number | null;
  /** Last commit refused, with why. Cleared when a later commit is served. */
  refused: { commit: string; at: number; errors: string[] } | null;
  lastFetch: { at: number; ok: boolean; error?: string } | null;
}

export class GitSync {
  readonly liveDir: string;
  private readonly stagingDir: string;
  readonly state: SyncState = { served: null, servedAt: null, refused: null, lastFetch: null };
  private busy: Promise<boolean> | null = null;

  private readonly cacheDir: string;

  constructor(private readonly opts: GitSyncOptions) {
    // A fixed name, so that every worker finds the checkout the primary keeps; private, so nobody else can plant one.
    this.cacheDir = opts.cacheDir ?? join(privateTempPath(), `git-${createHash('sha256').update(opts.repo + '#' + opts.branch).digest('hex').slice(0, 12)}`);
    this.liveDir = join(this.cacheDir, 'live');
    this.stagingDir = join(this.cacheDir, 'staging');
  }

  /** The checkout: zone files are read only from inside it (a symbolic link leading out is refused). */
  get checkoutDir(): string {
    return this.liveDir;
  }

  /** The directory to serve zones from. */
  get zonesDir(): string {
    return join(this.liveDir, this.opts.subdir);
  }

  private git(cwd: string, ...args: string[]): Promise<string> {
    // The remote's URL (it may hold credentials) reaches git through its environment, which
    // only our user can read, never through the command line (`ps`) or a config file.
    const env = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'remote.origin.url', GIT_CONFIG_VALUE_0: this.opts.repo };
    return run('git', ['-C', cwd, ...args], { maxBuffer: 16 << 20, env }).then((r) => r.stdout.trim());
  }

  /** Clones (or reuses) the repository and serves the branch's head if it is valid. */
  async init(): Promise<boolean> {
    if (!this.opts.cacheDir) ensurePrivateDir(privateTempPath());
    ensurePrivateDir(this.cacheDir);
    let fresh = false;
    if (!existsSync(join(this.liveDir, '.git'))) {
      await run('git', ['init', '--quiet', this.liveDir]);
      fresh = true;
    } else {
      // A clone made by an older version keeps the URL in its config; the environment carries it now.
      await this.git(this.liveDir, 'config', '--unset-all', 'remote.origin.url').catch(() => undefined);
    }
    if (!existsSync(join(this.stagingDir, '.git'))) {
      await run('git', ['clone', '--quiet', '--no-checkout', '--shared', this.liveDir, this.stagingDir]);
    }
    for (const dir of [this.liveDir, this.stagingDir]) chmodSync(join(dir, '.git', 'config'), 0o600);
    if (fresh) {
      // Nothing served yet: a remote that cannot be reached is fatal, with git's own reason.
      await this.fetch().catch((e: unknown) => {
        throw new Error(redactText(`cannot fetch ${redactUrl(this.opts.repo)} (${this.opts.branch}): ${gitReason(e)}`));
      });
    }
    // Only a detached HEAD is a commit we checked out and served before (a restart
    // reuses it); a fresh clone's HEAD names the branch but nothing is checked out.
    const detached = await this.git(this.liveDir, 'symbolic-ref', '-q', 'HEAD').then(() => false, () => true);
    const current = detached ? await this.git(this.liveDir, 'rev-parse', '--verify', '--quiet', 'HEAD').catch(() => '') : '';
    if (current) {
      this.state.served = current;
      this.state.servedAt = Date.now();
    }
    return this.sync();
  }

  /** Fetches the branch; serves its head when new and valid. True when a new commit went live. */
  sync(): Promise<boolean> {
    // One sync at a time; a trigger during a sync waits for it.
    this.busy ??= this.syncOnce().finally(() => {
      this.busy = null;
    });
    return this.busy;
  }

  private async syncOnce(): Promise<boolean> {
    let head: string;
    try {
      head = await this.fetch();
      this.state.lastFetch = { at: Date.now(), ok: true };
    } catch (e) {
      const error = redactText(gitReason(e));
      this.state.lastFetch = { at: Date.now(), ok: false, error };
      this.opts.log.warn({ repo: redactUrl(this.opts.repo), err: error }, 'git fetch failed; still serving the current commit');
      return false;
    }
    if (head === this.state.served || head === this.state.refused?.commit) return false;

    // Validate in the staging tree, which the server never reads.
    await this.git(this.stagingDir, 'fetch', '--quiet', this.liveDir, head);
    await this.git(this.stagingDir, 'checkout', '--quiet', '--force', '--detach', head);
    const errors = this.validate(join(this.stagingDir, this.opts.subdir));
    if (errors.length) {
      this.state.refused = { commit: head, at: Date.now(), errors: errors.map(formatError) };
      for (const e of errors) this.opts.log.error({ commit: head, file: e.file, line: e.line, col: e.col }, formatError(e));
      this.opts.log.error({ commit: head, served: this.state.served, errors: errors.length }, 'git sync refused a commit whose zones do not load; still serving the previous commit');
      return false;
    }
    await this.git(this.liveDir, 'checkout', '--quiet', '--force', '--detach', head);
    this.state.served = head;
    this.state.servedAt = Date.now();
    this.state.refused = null;
    this.opts.log.info({ commit: head, branch: this.opts.branch }, 'git sync: serving a new commit');
    return true;
  }

  /** Fetches the branch; its head commit. */
  private async fetch(): Promise<string> {
    await this.git(this.liveDir, 'fetch', '--quiet', 'origin', `+refs/heads/${this.opts.branch}:refs/remotes/origin/${this.opts.branch}`);
    return this.git(this.liveDir, 'rev-parse', `refs/remotes/origin/${this.opts.branch}`);
  }

  private validate(dir: string): ZoneError[] {
    // Staging paths in messages would confuse; report them as paths in the repository.
    return loadZonesDir(dir, new Map(), { read: { maxBytes: this.opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES, root: this.stagingDir } }).errors.map((e) => ({ ...e, file: e.file.startsWith(this.stagingDir) ? e.file.slice(this.stagingDir.length + 1) : e.file }));
  }
}

/** What git said (its last line of stderr names the problem), rather than the command line. */
function gitReason(e: unknown): string {
  const err = e as Error & { stderr?: string };
  const lines = (err.stderr ?? '').trim().split('\n').filter((l) => l.trim());
  return lines.at(-1)?.trim() ?? err.message.split('\n')[0] ?? 'git failed';
}
