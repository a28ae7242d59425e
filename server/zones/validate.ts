// Rules a zone must satisfy beyond parsing: the things NSD or BIND would
// refuse to load, or that would make answers wrong. Every violation is
// reported with the position of the record that causes it.
import { Type, typeName } from '../wire/constants.js';
import { type Name, isSubdomain, nameToText, nameRelative } from '../wire/names.js';
import type { RecordSource, ZoneError, ZoneSource } from './model.js';
import type { PoolSet } from '../pools/model.js';

export function validateZone(zone: ZoneSource, pools?: PoolSet): ZoneError[] {
  const errors: ZoneError[] = [];
  const at = (r: RecordSource, message: string): void => {
    errors.push({ ...r.pos, message });
  };
  const zoneText = nameToText(zone.origin);
  const rel = (n: Name): string => nameRelative(n, zone.origin);

  // Compact per-owner view (issue 8: a million records must not cost a million
  // arrays and keyed strings): each owner gets a number in order of first
  // appearance, and its records are listed by a counting sort, not by Maps.
  const records = zone.records;
  const ownerIds = new Map<Name, number>();
  const ownerOf = new Uint32Array(records.length);
  for (let i = 0; i < records.length; i++) {
    const o = records[i]!.owner;
    let id = ownerIds.get(o);
    if (id === undefined) ownerIds.set(o, (id = ownerIds.size));
    ownerOf[i] = id;
  }
  const owners = ownerIds.size;
  const start = new Uint32Array(owners + 1);
  for (let i = 0; i < records.length; i++) start[ownerOf[i]! + 1]!++;
  for (let o = 0; o < owners; o++) start[o + 1]! += start[o]!;
  const byOwnerIdx = new Uint32Array(records.length);
  {
    const fill = start.slice(0, owners);
    for (let i = 0; i < records.length; i++) byOwnerIdx[fill[ownerOf[i]!]!++] = i;
  }
  /** The records at `owner`, in file order. */
  const recordsAt = (owner: Name): RecordSource[] => {
    const id = ownerIds.get(owner);
    if (id === undefined) return [];
    const out: RecordSource[] = [];
    for (let k = start[id]!; k < start[id + 1]!; k++) out.push(records[byOwnerIdx[k]!]!);
    return out;
  };

  // SOA: exactly one, at the apex.
  const soas = records.filter((r) => r.type === Type.SOA);
  for (const r of soas) {
    if (r.owner !== zone.origin) at(r, `SOA must be at the zone apex "@", not at "${rel(r.owner)}"`);
  }
  const apexSoas = soas.filter((r) => r.owner === zone.origin);
  if (apexSoas.length === 0) {
    errors.push({ file: zone.file, line: 1, col: 1, message: `zone ${zoneText} has no SOA record at "@" (add one: {type: SOA, value: {mname: ns1, rname: hostmaster}})` });
  }
  for (const r of apexSoas.slice(1)) at(r, 'a zone has exactly one SOA record; this is a second one');

  const apexNs = recordsAt(zone.origin).filter((r) => r.type === Type.NS);
  if (apexNs.length === 0) {
    errors.push({ file: zone.file, line: 1, col: 1, message: `zone ${zoneText} has no NS records at "@" (list its nameservers, e.g. {type: NS, values: [ns1, ns2]})` });
  }

  // Duplicates and TTL agreement within an RRset (RFC 2181 section 5.2). An
  // RRset lies within one owner, so each owner is checked on its own (a small
  // map per owner, dropped at once); the errors are then put back in file order.
  const found: Array<{ i: number; message: string }> = [];
  for (let o = 0; o < owners; o++) {
    const from = start[o]!;
    const to = start[o + 1]!;
    if (to - from === 1) continue;
    const firstOfType = new Map<number, number>();
    const wires = new Map<string, number>();
    for (let k = from; k < to; k++) {
      const i = byOwnerIdx[k]!;
      const r = records[i]!;
      const key = `${r.type}|${r.rdata.wire.toString('latin1')}`;
      const prev = wires.get(key);
      if (prev !== undefined) found.push({ i, message: `duplicate ${typeName(r.type)} record at "${rel(r.owner)}" (first at line ${records[prev]!.pos.line})` });
      else wires.set(key, i);
      const first = firstOfType.get(r.type);
      if (first === undefined) firstOfType.set(r.type, i);
      else if (records[first]!.ttl !== r.ttl) {
        const f = records[first]!;
        found.push({ i, message: `TTL ${r.ttl} differs from ${f.ttl} (line ${f.pos.line}) within the ${typeName(r.type)} RRset at "${rel(r.owner)}"; one RRset has one TTL` });
      }
    }
  }
  // Stable: a record's duplicate error stays before its TTL error.
  found.sort((x, y) => x.i - y.i);
  for (const f of found) at(records[f.i]!, f.message);

  // CNAME stands alone (RFC 1034 section 3.6.2, RFC 2181 section 10.1).
  for (let o = 0; o < owners; o++) {
    let hasCname = false;
    for (let k = start[o]!; k < start[o + 1]! && !hasCname; k++) hasCname = records[byOwnerIdx[k]!]!.type === Type.CNAME;
    if (!hasCname) continue;
    const owner = records[byOwnerIdx[start[o]!]!]!.owner;
    const list = recordsAt(owner);
    const cnames = list.filter((r) => r.type === Type.CNAME);
    if (owner === zone.origin) at(cnames[0]!, 'a CNAME cannot be at the zone apex, which must hold SOA and NS');
    for (const extra of cnames.slice(1)) at(extra, `"${rel(owner)}" has more than one CNAME; a name can alias only one target`);
    const others = list.filter((r) => r.type !== Type.CNAME);
    if (others.length && owner !== zone.origin) {
      at(cnames[0]!, `CNAME at "${rel(owner)}" sits beside other data (${[...new Set(others.map((o) => typeName(o.type)))].join(', ')}); a CNAME must be the only record at its name`);
    }
  }

  // DS is the parent's half of a delegation (RFC 4035 section 2.4): only at a cut.
  for (const r of records) {
    if (r.type !== Type.DS) continue;
    if (r.owner === zone.origin) at(r, `DS at the apex belongs in the parent zone, not here (RFC 4035 section 2.4); put it at "${zoneText}" in the parent`);
    else if (!recordsAt(r.owner).some((o) => o.type === Type.NS)) {
      at(r, `DS at "${rel(r.owner)}" needs a delegation there: add the child's NS records at "${rel(r.owner)}" (DS lives only at a zone cut)`);
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
    const clash = recordsAt(ref.owner).find((r) => r.type === ref.type || r.type === Type.CNAME);
    if (clash) {
      errors.push({ ...where, message: `"${rel(ref.owner)}" has a ${typeName(clash.type)} record (line ${clash.pos.line}) beside its pool-backed ${typeName(ref.type)}; keep one` });
    }
  }

  // Glue: an NS target inside this zone needs an address here, or nobody can reach it.
  const hasAddress = (n: Name): boolean => recordsAt(n).some((r) => r.type === Type.A || r.type === Type.AAAA);
  for (const r of records) {
    if (r.type !== Type.NS || r.rdata.target === undefined) continue;
    const target = r.rdata.target;
    if (!isSubdomain(target, zone.origin)) continue;
    if (!hasAddress(target)) {
      const where = r.owner === zone.origin ? 'in the zone' : `below the delegation "${rel(r.owner)}"`;
      if (r.owner === zone.origin || isSubdomain(target, r.owner)) {
        at(r, `NS target ${nameToText(target)} is ${where} but has no A or AAAA record (glue); add one at "${rel(target)}"`);
      }
    }
  }
  return errors;
}
