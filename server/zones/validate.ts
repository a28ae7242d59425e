// Rules a zone must satisfy beyond parsing: the things NSD or BIND would
// refuse to load, or that would make answers wrong. Every violation is
// reported with the position of the record that causes it.
import { Type, typeName } from '../wire/constants.js';
import { type Name, isSubdomain, nameToText, nameRelative } from '../wire/names.js';
import type { ZoneError, ZoneSource } from './model.js';
import type { PoolSet } from '../pools/model.js';
import { compactFromSource, type CompactZone } from './table.js';

export function validateZone(zone: ZoneSource, pools?: PoolSet): ZoneError[] {
  return validateTable(compactFromSource(zone), pools);
}

/** validateZone on the compact form the compiler keeps (table.ts): the only copy of the rules. */
export function validateTable(zone: CompactZone, pools?: PoolSet): ZoneError[] {
  const errors: ZoneError[] = [];
  const t = zone.records;
  const n = t.count;
  const at = (i: number, message: string): void => {
    errors.push({ file: zone.file, line: t.line[i]!, col: t.col[i]!, message });
  };
  const zoneText = nameToText(zone.origin);
  const rel = (name: Name): string => nameRelative(name, zone.origin);
  const ownerName = (i: number): Name => t.names[t.owner[i]!]!;

  // Compact per-owner view (issue 8: a million records must not cost a million
  // arrays and keyed strings): owners are numbered by the table, and their
  // records are listed by a counting sort, not by Maps.
  const owners = t.names.length;
  const start = new Uint32Array(owners + 1);
  for (let i = 0; i < n; i++) start[t.owner[i]! + 1]!++;
  for (let o = 0; o < owners; o++) start[o + 1]! += start[o]!;
  const byOwnerIdx = new Uint32Array(n);
  {
    const fill = start.slice(0, owners);
    for (let i = 0; i < n; i++) byOwnerIdx[fill[t.owner[i]!]!++] = i;
  }
  /** The records at `owner`, in file order. */
  const recordsAt = (owner: Name): number[] => {
    const id = t.idOf(owner);
    if (id === undefined) return [];
    const out: number[] = [];
    for (let k = start[id]!; k < start[id + 1]!; k++) out.push(byOwnerIdx[k]!);
    return out;
  };
  const apexId = t.idOf(zone.origin);

  // SOA: exactly one, at the apex.
  const apexSoas: number[] = [];
  for (let i = 0; i < n; i++) {
    if (t.type[i] !== Type.SOA) continue;
    if (t.owner[i] !== apexId) at(i, `SOA must be at the zone apex "@", not at "${rel(ownerName(i))}"`);
    else apexSoas.push(i);
  }
  if (apexSoas.length === 0) {
    errors.push({ file: zone.file, line: 1, col: 1, message: `zone ${zoneText} has no SOA record at "@" (add one: {type: SOA, value: {mname: ns1, rname: hostmaster}})` });
  }
  for (const i of apexSoas.slice(1)) at(i, 'a zone has exactly one SOA record; this is a second one');

  if (!recordsAt(zone.origin).some((i) => t.type[i] === Type.NS)) {
    errors.push({ file: zone.file, line: 1, col: 1, message: `zone ${zoneText} has no NS records at "@" (list its nameservers, e.g. {type: NS, values: [ns1, ns2]})` });
  }

  // Duplicates and TTL agreement within an RRset (RFC 2181 section 5.2). An
  // RRset lies within one owner, so each owner is checked on its own (a small
  // map per owner, dropped at once); the errors are then put back in file order.
  const found: Array<{ i: number; message: string }> = [];
  for (let o = 0; o < owners; o++) {
    const from = start[o]!;
    const to = start[o + 1]!;
    if (to - from <= 1) continue;
    const firstOfType = new Map<number, number>();
    const wires = new Map<string, number>();
    for (let k = from; k < to; k++) {
      const i = byOwnerIdx[k]!;
      const type = t.type[i]!;
      const key = `${type}|${t.wireBuffer(i).toString('latin1')}`;
      const prev = wires.get(key);
      if (prev !== undefined) found.push({ i, message: `duplicate ${typeName(type)} record at "${rel(ownerName(i))}" (first at line ${t.line[prev]})` });
      else wires.set(key, i);
      const first = firstOfType.get(type);
      if (first === undefined) firstOfType.set(type, i);
      else if (t.ttl[first] !== t.ttl[i]) {
        found.push({ i, message: `TTL ${t.ttl[i]} differs from ${t.ttl[first]} (line ${t.line[first]}) within the ${typeName(type)} RRset at "${rel(ownerName(i))}"; one RRset has one TTL` });
      }
    }
  }
  // Stable: a record's duplicate error stays before its TTL error.
  found.sort((x, y) => x.i - y.i);
  for (const f of found) at(f.i, f.message);

  // CNAME stands alone (RFC 1034 section 3.6.2, RFC 2181 section 10.1).
  for (let o = 0; o < owners; o++) {
    let hasCname = false;
    for (let k = start[o]!; k < start[o + 1]! && !hasCname; k++) hasCname = t.type[byOwnerIdx[k]!] === Type.CNAME;
    if (!hasCname) continue;
    const owner = t.names[o]!;
    const list = recordsAt(owner);
    const cnames = list.filter((i) => t.type[i] === Type.CNAME);
    if (owner === zone.origin) at(cnames[0]!, 'a CNAME cannot be at the zone apex, which must hold SOA and NS');
    for (const extra of cnames.slice(1)) at(extra, `"${rel(owner)}" has more than one CNAME; a name can alias only one target`);
    const others = list.filter((i) => t.type[i] !== Type.CNAME);
    if (others.length && owner !== zone.origin) {
      at(cnames[0]!, `CNAME at "${rel(owner)}" sits beside other data (${[...new Set(others.map((i) => typeName(t.type[i]!)))].join(', ')}); a CNAME must be the only record at its name`);
    }
  }

  // DS is the parent's half of a delegation (RFC 4035 section 2.4): only at a cut.
  for (let i = 0; i < n; i++) {
    if (t.type[i] !== Type.DS) continue;
    const owner = ownerName(i);
    if (owner === zone.origin) at(i, `DS at the apex belongs in the parent zone, not here (RFC 4035 section 2.4); put it at "${zoneText}" in the parent`);
    else if (!recordsAt(owner).some((o) => t.type[o] === Type.NS)) {
      at(i, `DS at "${rel(owner)}" needs a delegation there: add the child's NS records at "${rel(owner)}" (DS lives only at a zone cut)`);
    }
  }

  // Pool-backed names: the pool exists, has members of the family, and owns the RRset alone.
  const poolSets = new Set<string>();
  for (const ref of zone.poolRefs) {
    const family = ref.type === Type.A ? 4 : 6;
    const pool = pools?.pools.get(ref.pool);
    const where = { ...ref.pos };
    if (!pool) {
      const known = pools ? [...pools.pools.keys()] : [];
      errors.push({ ...where, message: `no pool named "${ref.pool}" in _pools.yaml${known.length ? ` (known: ${known.join(', ')})` : ''}` });
      continue;
    }
    if (!pool.tiers.flat().some((m) => m.family === family)) {
      errors.push({ ...where, message: `pool "${ref.pool}" has no IPv${family} members to answer ${typeName(ref.type)} queries` });
    }
    const key = `${ref.owner}|${ref.type}`;
    if (poolSets.has(key)) errors.push({ ...where, message: `"${rel(ref.owner)}" already takes its ${typeName(ref.type)} answers from a pool` });
    poolSets.add(key);
    const clash = recordsAt(ref.owner).find((i) => t.type[i] === ref.type || t.type[i] === Type.CNAME);
    if (clash !== undefined) {
      errors.push({ ...where, message: `"${rel(ref.owner)}" has a ${typeName(t.type[clash]!)} record (line ${t.line[clash]}) beside its pool-backed ${typeName(ref.type)}; keep one` });
    }
  }

  // Glue: an NS target inside this zone needs an address here, or nobody can reach it.
  const hasAddress = (name: Name): boolean => recordsAt(name).some((i) => t.type[i] === Type.A || t.type[i] === Type.AAAA);
  for (const [i, target] of [...t.nsTargets].sort((a, b) => a[0] - b[0])) {
    if (!isSubdomain(target, zone.origin)) continue;
    if (!hasAddress(target)) {
      const owner = ownerName(i);
      const where = owner === zone.origin ? 'in the zone' : `below the delegation "${rel(owner)}"`;
      if (owner === zone.origin || isSubdomain(target, owner)) {
        at(i, `NS target ${nameToText(target)} is ${where} but has no A or AAAA record (glue); add one at "${rel(target)}"`);
      }
    }
  }
  return errors;
}
