// The last known health view on disk, so a server restarted while its store
// is unreachable (a Redis outage, a wrong password) starts from what it knew
// instead of counting every member healthy. Written atomically (temporary
// file, fsync, rename, fsync of the directory), readable by the owner only:
// overrides carry operators' names and reasons.
import { mkdirSync, readFileSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { FailoverLatch, Override, VantageReport } from './store/types.js';
import type { Verdict } from './verdict.js';
import { isLatch, isOverride, isRecord, isVantageReport } from './store/parse.js';

const FORMAT = 1;
// A state file is a few hundred bytes per member; anything far beyond is not ours.
const MAX_BYTES = 256 * 1024 * 1024;

export interface SavedView {
  format: typeof FORMAT;
  /** When it was written (ms since epoch). */
  savedAt: number;
  reports: Array<[string, VantageReport[]]>;
  overrides: Override[];
  latches: FailoverLatch[];
  verdicts: Array<[string, Verdict]>;
  /** Pool name -> the tier it answered from (-1: nothing healthy). */
  tiers: Array<[string, number]>;
}

function isVerdict(v: unknown): v is Verdict {
  return isRecord(v) && typeof v.up === 'boolean' && typeof v.fresh === 'number' && typeof v.down === 'number'
    && typeof v.held === 'boolean' && typeof v.failedOpen === 'boolean' && typeof v.decidedAt === 'number';
}

function pairs<T>(v: unknown, valid: (x: unknown) => x is T): Array<[string, T]> {
  if (!Array.isArray(v)) return [];
  return v.filter((p): p is [string, T] => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && valid(p[1]));
}

/** What survives of a parsed file: entries that do not fit are dropped, never trusted. */
function toView(v: unknown): SavedView | undefined {
  if (!isRecord(v) || v.format !== FORMAT || typeof v.savedAt !== 'number') return undefined;
  const reportList = (x: unknown): x is VantageReport[] => Array.isArray(x) && x.every(isVantageReport);
  return {
    format: FORMAT,
    savedAt: v.savedAt,
    reports: pairs(v.reports, reportList),
    overrides: Array.isArray(v.overrides) ? v.overrides.filter(isOverride) : [],
    latches: Array.isArray(v.latches) ? v.latches.filter(isLatch) : [],
    verdicts: pairs(v.verdicts, isVerdict),
    tiers: pairs(v.tiers, (x): x is number => typeof x === 'number'),
  };
}

export class ViewFile {
  private saving: Promise<void> | undefined;
  private next: SavedView | undefined;
  /** Logged once per failing spell, not on every save. */
  private failing = false;

  constructor(readonly path: string, private readonly log: Logger) {}

  /** The saved view, or undefined (no file yet, or one we cannot use: logged). */
  load(): SavedView | undefined {
    let text: string;
    try {
      const buf = readFileSync(this.path);
      if (buf.length > MAX_BYTES) throw new Error(`larger than ${MAX_BYTES} bytes`);
      text = buf.toString('utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn({ path: this.path, error: (e as Error).message }, 'cannot read the saved health view; starting without it');
      return undefined;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const view = toView(parsed);
    if (!view) this.log.warn({ path: this.path }, 'the saved health view is not in a format this version reads; starting without it');
    return view;
  }

  /** Writes `view` (the newest wins when saves pile up); errors are logged, never thrown. */
  save(view: SavedView): Promise<void> {
    this.next = view;
    this.saving ??= this.drain().finally(() => {
      this.saving = undefined;
    });
    return this.saving;
  }

  private async drain(): Promise<void> {
    while (this.next) {
      const view = this.next;
      this.next = undefined;
      try {
        await this.write(JSON.stringify(view));
        if (this.failing) this.log.info({ path: this.path }, 'health view saved again');
        this.failing = false;
      } catch (e) {
        if (!this.failing) this.log.warn({ path: this.path, error: (e as Error).message }, 'could not save the health view; a restart during a store outage will start without it (see --state-dir)');
        this.failing = true;
      }
    }
  }

  private async write(text: string): Promise<void> {
    const dir = dirname(this.path);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(text);
      await fh.sync();
    } catch (e) {
      await fh.close();
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
    await fh.close();
    await rename(tmp, this.path);
    // The rename itself must reach the disk, or a crash could bring back the old file (or none).
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  }
}
