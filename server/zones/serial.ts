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
import { statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { ZoneSource } from './model.js';
import type { PoolSet } from '../pools/model.js';

export function lastChangeSeconds(file: string): number {
  try {
    const dir = dirname(file);
    const dirty = execFileSync('git', ['-C', dir, 'status', '--porcelain', '--', basename(file)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    if (dirty.trim() === '') {
      const ct = execFileSync('git', ['-C', dir, 'log', '-1', '--format=%ct', '--', basename(file)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      if (/^\d+$/.test(ct)) return Number(ct);
    }
  } catch {
    // Not a git work tree, or git missing: fall back to mtime.
  }
  return Math.floor(statSync(file).mtimeMs / 1000);
}

/** Fingerprint of everything but the serial, order-independent; pool-backed names count with their members. */
export function contentFingerprint(zone: ZoneSource, pools?: PoolSet): string {
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
