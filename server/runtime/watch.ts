// Reload triggers: file changes in the zones directory (debounced, since an
// editor or `git pull` touches several files at once) and SIGHUP.
import { watch, type FSWatcher } from 'node:fs';

export function watchZones(dir: string, onChange: () => void, debounceMs = 250): () => void {
  let timer: NodeJS.Timeout | undefined;
  const fire = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  };
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dir, { persistent: false }, fire);
    watcher.on('error', () => undefined);
  } catch {
    // A directory that cannot be watched still reloads on SIGHUP.
  }
  return () => {
    if (timer) clearTimeout(timer);
    watcher?.close();
  };
}
