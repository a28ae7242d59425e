// Reload triggers: file changes in the zones directory (debounced, since an
// editor or `git pull` touches several files at once) and SIGHUP.
//
// The zones directory may be a symlink a deploy swaps (`ln -sfn releases/b
// current`). fs.watch on a link watches the directory it pointed to then, so
// the parent is watched too: when the link's entry changes and it resolves
// somewhere new, the directory watcher moves there and a reload fires.
// `rewatch()` (SIGHUP) does the same unconditionally. Plain fs.watch is
// enough for one directory and one parent; no polling library is needed.
import { realpathSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

export interface ZoneWatcher {
  close(): void;
  /** Looks again at where `dir` resolves (after SIGHUP) and watches that. */
  rewatch(): void;
}

export function watchZones(dir: string, onChange: () => void, debounceMs = 250): ZoneWatcher {
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const fire = (): void => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  };
  let target = resolve(dir);
  let inner = open(dir, fire);
  const rewatch = (): void => {
    if (closed) return;
    target = resolve(dir);
    inner?.close();
    inner = open(dir, fire);
  };
  const name = basename(dir);
  const outer = open(dirname(dir), (_event, file) => {
    if (file !== null && file !== name) return;
    if (resolve(dir) === target) return;
    rewatch();
    fire();
  });
  return {
    rewatch,
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      inner?.close();
      outer?.close();
    },
  };
}

function resolve(dir: string): string | undefined {
  try {
    return realpathSync(dir);
  } catch {
    return undefined;
  }
}

function open(dir: string, listener: (event: string, file: string | null) => void): FSWatcher | undefined {
  try {
    const w = watch(dir, { persistent: false }, listener);
    w.on('error', () => undefined);
    return w;
  } catch {
    // A directory that cannot be watched still reloads on SIGHUP.
    return undefined;
  }
}
