// Reading the files a server is handed (zone files, _pools.yaml, $INCLUDE
// files) when their content may come from someone else: a git push, a
// pull request, a master file from another team. Only a regular file inside
// the tree it belongs to is read, and only up to a size cap, so a symbolic
// link to /etc/shadow, /dev/zero or a FIFO gets a one-line refusal instead of
// leaking the file, exhausting memory or hanging a reload.
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, realpathSync, type Stats } from 'node:fs';
import { relative, sep } from 'node:path';

/** Generous: the largest zones measured (1M records) are about 60 MiB. */
export const DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024;

export interface ReadPolicy {
  /** Files larger than this are refused (--max-zone-file-size). */
  maxBytes: number;
  /**
   * The tree a file must stay inside once every symbolic link is resolved
   * (the zones directory, the git checkout, the imported file's directory),
   * or several such trees. Absent: any location, but still a regular file.
   */
  root?: string | readonly string[];
}

export const DEFAULT_READ: ReadPolicy = { maxBytes: DEFAULT_MAX_FILE_BYTES };

/** A refusal; its message names the file and why, never any of its content. */
export class FileRefused extends Error {}

/** "256 MiB", "1.5 KiB", "900 bytes": how sizes appear in refusals. */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1 && v % 1024 === 0) {
    v /= 1024;
    i++;
  }
  return `${v} ${units[i]}`;
}

/** "256M", "64k", "1g", "1000": a size flag in bytes; undefined when malformed. */
export function parseBytes(text: string): number | undefined {
  const m = /^(\d+)\s*([kmg]?)i?b?$/i.exec(text.trim());
  if (!m) return undefined;
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  const n = Number(m[1]) * mult;
  return n > 0 && Number.isSafeInteger(n) ? n : undefined;
}

function kind(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a directory';
  return 'not a regular file';
}

function within(root: string, real: string): boolean {
  const rel = relative(root, real);
  if (rel === '') return true;
  if (rel.startsWith('..') || rel.startsWith(sep) || /^[a-zA-Z]:/.test(rel)) return false;
  // A git checkout's own metadata (.git/config holds remote credentials) is never zone data.
  return !rel.split(sep).includes('.git');
}

/**
 * Reads `file` as UTF-8 under `policy`. Throws FileRefused (or the system
 * error for a missing file) with a message fit for a log line or `/status`.
 */
export function readTextFile(file: string, policy: ReadPolicy = DEFAULT_READ): string {
  let target = file;
  if (policy.root !== undefined || lstatSync(file).isSymbolicLink()) {
    // Resolve every link (the file's own and any directory's on the way) before deciding.
    target = realpathSync(file);
    const roots = typeof policy.root === 'string' ? [policy.root] : policy.root ?? [];
    if (roots.length && !roots.some((r) => within(realpathSync(r), target))) {
      throw new FileRefused(`refused: it is outside ${roots.join(' and ')}`);
    }
  }
  // Checked before opening, since opening some devices has effects of its own...
  const before = lstatSync(target);
  if (!before.isFile()) throw new FileRefused(`refused: ${kind(before)}, not a regular file`);
  if (before.size > policy.maxBytes) throw tooLarge(before.size, policy.maxBytes);
  // ...and again on the open descriptor, in case it was swapped in between.
  // O_NONBLOCK: a FIFO put there meanwhile cannot block the open.
  const fd = openSync(target, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new FileRefused(`refused: ${kind(st)}, not a regular file`);
    if (st.size > policy.maxBytes) throw tooLarge(st.size, policy.maxBytes);
    // Read until end of file, at most one byte past the cap: a file growing while read is caught too.
    let buf = Buffer.allocUnsafe(Math.min(policy.maxBytes + 1, st.size + 1));
    let len = 0;
    for (;;) {
      if (len === buf.length) {
        if (len > policy.maxBytes) throw tooLarge(len, policy.maxBytes);
        const bigger = Buffer.allocUnsafe(Math.min(policy.maxBytes + 1, buf.length * 2));
        buf.copy(bigger, 0, 0, len);
        buf = bigger;
      }
      const n = readSync(fd, buf, len, buf.length - len, null);
      if (n === 0) break;
      len += n;
    }
    return buf.toString('utf8', 0, len);
  } finally {
    closeSync(fd);
  }
}

function tooLarge(size: number, max: number): FileRefused {
  return new FileRefused(`refused: ${formatBytes(size)}, larger than the limit of ${formatBytes(max)} (--max-zone-file-size)`);
}

/** The reason a read failed, for an error line: our refusal, or the system's short code. */
export function readFailure(e: unknown): string {
  if (e instanceof FileRefused) return e.message;
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'cannot read: no such file' : code === 'EACCES' ? 'cannot read: permission denied' : `cannot read: ${code ?? (e as Error).message}`;
}
