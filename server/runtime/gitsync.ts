// Built-in git sync: serve the zones of one branch of a repository. Each new
// commit is checked out in a staging work tree and validated there first; only
// a commit whose zones all load is checked out where the server reads, so a
// bad commit is refused and the previous one keeps serving.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { formatError, type ZoneError } from '../zones/model.js';
import { loadZonesDir } from '../zones/load.js';

const run = promisify(execFile);

export interface GitSyncOptions {
  /** URL or local path of the repository. */
  repo: string;
  branch: string;
  /** Folder inside the repository that holds the zone files ('.' for its root). */
  subdir: string;
  /** Where the clones live; default a folder under the system temp dir named after the repo. */
  cacheDir?: string;
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

  constructor(private readonly opts: GitSyncOptions) {
    const base = opts.cacheDir ?? join(tmpdir(), `pulsedns-git-${createHash('sha256').update(opts.repo + '#' + opts.branch).digest('hex').slice(0, 12)}`);
    this.liveDir = join(base, 'live');
    this.stagingDir = join(base, 'staging');
  }

  /** The directory to serve zones from. */
  get zonesDir(): string {
    return join(this.liveDir, this.opts.subdir);
  }

  private git(cwd: string, ...args: string[]): Promise<string> {
    return run('git', ['-C', cwd, ...args], { maxBuffer: 16 << 20, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } }).then((r) => r.stdout.trim());
  }

  /** Clones (or reuses) the repository and serves the branch's head if it is valid. */
  async init(): Promise<boolean> {
    const base = resolve(this.liveDir, '..');
    mkdirSync(base, { recursive: true });
    if (!existsSync(join(this.liveDir, '.git'))) {
      await run('git', ['clone', '--quiet', '--no-checkout', this.opts.repo, this.liveDir], { env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
    } else {
      await this.git(this.liveDir, 'remote', 'set-url', 'origin', this.opts.repo);
    }
    if (!existsSync(join(this.stagingDir, '.git'))) {
      await run('git', ['clone', '--quiet', '--no-checkout', '--shared', this.liveDir, this.stagingDir]);
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
      await this.git(this.liveDir, 'fetch', '--quiet', 'origin', `+refs/heads/${this.opts.branch}:refs/remotes/origin/${this.opts.branch}`);
      head = await this.git(this.liveDir, 'rev-parse', `refs/remotes/origin/${this.opts.branch}`);
      this.state.lastFetch = { at: Date.now(), ok: true };
    } catch (e) {
      const error = (e as Error).message.split('\n')[0] ?? 'fetch failed';
      this.state.lastFetch = { at: Date.now(), ok: false, error };
      this.opts.log.warn({ repo: this.opts.repo, err: error }, 'git fetch failed; still serving the current commit');
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

  private validate(dir: string): ZoneError[] {
    // Staging paths in messages would confuse; report them as paths in the repository.
    return loadZonesDir(dir).errors.map((e) => ({ ...e, file: e.file.startsWith(this.stagingDir) ? e.file.slice(this.stagingDir.length + 1) : e.file }));
  }
}
