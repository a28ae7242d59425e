// A key directory read once, then again only where it changed. The key
// timer looks at the directory at every change in it, and reading every
// signed zone's keys each time (three files and a private key check per key)
// cost seconds per thousand zones on the loop that answers queries. A
// zone's files are told apart by name and stat: a file replaced by rename
// (writeTiming, rsync) has another inode, one rewritten in place another
// mtime, ctime or size, an added or deleted file changes the names. What a
// zone's files say is only trusted once they are a little older than the
// look that saw them, since a file system stamps times in ticks (a second on
// some) and a write in the same tick would leave the stat unchanged.
import { statSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import type { Name } from '../wire/names.js';
import { keyFileZone, listKeyDir, zoneKeysIn, type LoadedKeys } from './keys.js';

/** Files changed this recently are read again at the next look, whatever their stat says: two seconds covers the coarsest stamps (FAT's). */
const FRESH_MS = 2000;

interface Read {
  /** The zone's files as stat saw them just before they were read. */
  stamp: string;
  loaded: LoadedKeys;
  /** Some file was changed within FRESH_MS of that stat: the stamp may miss a later write, so it is read again. */
  fresh: boolean;
}

export class KeyDirectory {
  /** Zones whose keys were read from their files since this was made (the cost of a look; tests count it). */
  reads = 0;
  /** Each zone's key files as of the last look, sorted. */
  private files = new Map<Name, string[]>();
  private listError: Error | undefined;
  private readonly read = new Map<Name, Read>();
  private readonly freshNs: bigint;

  /** `freshMs`: how long after a change a file's stat is not trusted (injectable for tests). */
  constructor(readonly dir: string, o: { freshMs?: number } = {}) {
    this.freshNs = BigInt(o.freshMs ?? FRESH_MS) * 1_000_000n;
  }

  /**
   * Lists the directory again (one readdir for every zone). `reread`: forget
   * what was read, so each zone is read afresh (a load, where an operator's
   * SIGHUP is the remedy for storage whose changes stat does not show).
   */
  rescan(o: { reread?: boolean } = {}): void {
    if (o.reread) this.read.clear();
    this.files = new Map();
    this.listError = undefined;
    let names: string[];
    try {
      names = listKeyDir(this.dir);
    } catch (e) {
      this.listError = e as Error;
      return;
    }
    for (const n of names) {
      const zone = keyFileZone(n);
      if (zone === undefined) continue;
      const list = this.files.get(zone);
      if (list) list.push(n);
      else this.files.set(zone, [n]);
    }
    for (const list of this.files.values()) list.sort();
    // A zone whose files are all gone has nothing left to compare with.
    for (const zone of this.read.keys()) if (!this.files.has(zone)) this.read.delete(zone);
  }

  /** `zone`'s keys as loadZoneKeys gives them (and throws), from memory when its files are as they were when read. */
  load(zone: Name): LoadedKeys {
    if (this.listError) throw this.listError;
    const names = this.files.get(zone);
    if (!names) return { keys: [], warnings: [] };
    const { stamp, fresh } = this.stampOf(names);
    const known = this.read.get(zone);
    if (known && !known.fresh && known.stamp === stamp) return known.loaded;
    // Nothing is kept for keys that cannot be used: the next look reads them again, as it did before.
    this.read.delete(zone);
    this.reads++;
    const loaded = zoneKeysIn(this.dir, names, zone);
    this.read.set(zone, { stamp, loaded, fresh });
    return loaded;
  }

  private stampOf(names: readonly string[]): { stamp: string; fresh: boolean } {
    const recent = BigInt(Date.now()) * 1_000_000n - this.freshNs;
    let stamp = '';
    let fresh = false;
    for (const n of names) {
      let s: BigIntStats | undefined;
      try {
        s = statSync(join(this.dir, n), { bigint: true, throwIfNoEntry: false });
      } catch {
        s = undefined; // reading it says why, in the error loadZoneKeys gives
      }
      if (!s) {
        stamp += `${n} ?\n`;
        fresh = true;
        continue;
      }
      stamp += `${n} ${s.dev} ${s.ino} ${s.size} ${s.mtimeNs} ${s.ctimeNs} ${s.mode}\n`;
      if (s.mtimeNs > recent || s.ctimeNs > recent) fresh = true;
    }
    return { stamp, fresh };
  }
}
