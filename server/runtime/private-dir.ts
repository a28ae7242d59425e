// Directories only this process's user may touch: the git cache (whatever is
// in it gets served) and the runtime dir holding the admin token file. A
// fixed path in a shared place such as /tmp can be created first by another
// local user, so an existing directory is used only when it is really ours.
import { chmodSync, lstatSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function uid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

/**
 * Creates `dir` with mode 0700, or checks that the existing one is a real
 * directory (not a symbolic link), owned by us and closed to group and
 * others. Throws with what is wrong otherwise. Parents are created as needed.
 */
export function ensurePrivateDir(dir: string): void {
  try {
    mkdirSync(dir, { mode: 0o700 });
    // The umask may have taken bits away, never added: set exactly.
    chmodSync(dir, 0o700);
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      mkdirSync(join(dir, '..'), { recursive: true });
      return ensurePrivateDir(dir);
    }
    if (code !== 'EEXIST') throw e;
  }
  const st = lstatSync(dir);
  const me = uid();
  const problem = st.isSymbolicLink()
    ? 'it is a symbolic link'
    : !st.isDirectory()
      ? 'it is not a directory'
      : me !== undefined && st.uid !== me
        ? `it belongs to uid ${st.uid}, not to us (uid ${me})`
        : (st.mode & 0o077) !== 0
          ? `its mode is ${(st.mode & 0o777).toString(8).padStart(4, '0')}, not 0700`
          : undefined;
  if (problem) throw new Error(`refusing to use ${dir}: ${problem}; remove it, or choose another directory`);
}

/** `$TMPDIR/pulsedns-<uid>`: the default parent of our caches (pass it to ensurePrivateDir before use). */
export function privateTempPath(): string {
  return join(tmpdir(), `pulsedns-${uid() ?? 'user'}`);
}
