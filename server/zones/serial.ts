// SOA serial `auto`. It must be the same on every server that loads the same
// zone (so secondaries and monitoring agree) and must grow whenever the zone
// changes. Content alone cannot give "grows", so we use the zone file's time
// of last change: the commit time of the last git commit touching the file
// when the file is tracked and clean (identical on every checkout), otherwise
// the file's modification time. Both are Unix seconds, which fit in 32 bits
// until 2106 and compare correctly under RFC 1982 serial arithmetic.
// A content fingerprint guards the case of a change inside the same second:
// the loader bumps the serial past the previous one it served.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ZoneSource } from './model.js';
import type { Name } from '../wire/names.js';
import type { PoolSet } from '../pools/model.js';

/**
 * Why a file inside a git repository got its file time instead of its commit
 * time. Another server with the same commit computes another serial, so the
 * reloader says so loudly; a directory outside git is not a fallback.
 */
export interface SerialFallback {
  file: string;
  reason: 'dubious-ownership' | 'git-missing' | 'git-failed' | 'uncommitted';
  /** What happened and how to fix it, in one sentence each. */
  message: string;
  fix: string;
}

export function lastChangeSeconds(file: string): number {
  return lastChange(file).seconds;
}

export function lastChange(file: string): { seconds: number; fallback?: SerialFallback } {
  const mtime = (): number => Math.floor(statSync(file).mtimeMs / 1000);
  const dir = dirname(file);
  const git = (args: string[]): string => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const dirty = git(['status', '--porcelain', '--', basename(file)]);
    const ct = dirty.trim() === '' ? git(['log', '-1', '--format=%ct', '--', basename(file)]).trim() : '';
    if (/^\d+$/.test(ct)) return { seconds: Number(ct) };
    return { seconds: mtime(), fallback: { file, reason: 'uncommitted', message: `${file} has changes that are not committed, so its serial comes from its modification time`, fix: 'commit it (or give the zone an explicit serial)' } };
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    const stderr = String(err.stderr ?? '');
    if (err.code === 'ENOENT') {
      if (!insideGitRepository(dir)) return { seconds: mtime() };
      return { seconds: mtime(), fallback: { file, reason: 'git-missing', message: `git is not installed, so serial: auto for ${file} (in a git repository) comes from its modification time`, fix: 'install git (the image ships it), or give the zones explicit serials' } };
    }
    if (/not a git repository/i.test(stderr)) return { seconds: mtime() };
    const dubious = /dubious ownership in repository at '([^']+)'/.exec(stderr);
    if (dubious) {
      const repo = dubious[1]!;
      return { seconds: mtime(), fallback: { file, reason: 'dubious-ownership', message: `git refuses the repository ${repo} ("dubious ownership": it belongs to another user), so serial: auto comes from file modification times`, fix: `run pulsedns as the repository's owner, or: git config --global --add safe.directory ${repo}` } };
    }
    const why = stderr.trim().split('\n')[0] || err.message;
    return { seconds: mtime(), fallback: { file, reason: 'git-failed', message: `git failed (${why}), so serial: auto for ${file} comes from its modification time`, fix: 'fix the repository, or give the zones explicit serials' } };
  }
}

/** A .git entry in the directory or above it: git would be asked if it were installed. */
function insideGitRepository(dir: string): boolean {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return true;
    if (dirname(d) === d) return false;
  }
}

/** Fingerprint of everything but the serial, order-independent; pool-backed names count with their members. */
export function contentFingerprint(zone: { records: ReadonlyArray<{ owner: Name; type: number; ttl: number; rdata: { wire: Buffer } }>; poolRefs: ZoneSource['poolRefs'] }, pools?: PoolSet): string {
  const lines = zone.records.map((r) => {
    let wire = r.rdata.wire;
    if (r.type === 6) {
      wire = Buffer.from(wire);
      wire.writeUInt32BE(0, wire.length - 20);
    }
    return `${Buffer.from(r.owner, 'latin1').toString('hex')} ${r.type} ${r.ttl} ${wire.toString('hex')}`;
  });
  for (const ref of zone.poolRefs) {
    const pool = pools?.pools.get(ref.pool);
    const members = pool ? [...pool.tiers.flat(), ...pool.backup].map((m) => m.address).sort().join(',') : '';
    lines.push(`pool ${Buffer.from(ref.owner, 'latin1').toString('hex')} ${ref.type} ${ref.pool} ${pool?.ttl ?? ''} ${members}`);
  }
  lines.sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

/** Writes `serial` into the zone's SOA record(s). */
export function setSerial(zone: ZoneSource, serial: number): void {
  for (const r of zone.records) {
    if (r.type !== 6) continue;
    const wire = Buffer.from(r.rdata.wire);
    wire.writeUInt32BE(serial >>> 0, wire.length - 20);
    const tail = r.rdata.parts[r.rdata.parts.length - 1] as Buffer;
    const newTail = Buffer.from(tail);
    newTail.writeUInt32BE(serial >>> 0, 0);
    r.rdata = {
      ...r.rdata,
      parts: [...r.rdata.parts.slice(0, -1), newTail],
      wire,
      text: r.rdata.text.replace(/^(\S+ \S+ )\d+/, `$1${serial >>> 0}`),
    };
  }
}
