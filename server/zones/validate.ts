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

  const byOwner = new Map<Name, RecordSource[]>();
  for (const r of zone.records) {
    let list = byOwner.get(r.owner);
    if (!list) byOwner.set(r.owner, (list = []));
    list.push(r);
  }

  // SOA: exactly one, at the apex.
  const soas = zone.records.filter((r) => r.type === Type.SOA);
  for (const r of soas) {
    if (r.owner !== zone.origin) at(r, `SOA must be at the zone apex "@", not at "${rel(r.owner)}"`);
  }
  const apexSoas = soas.filter((r) => r.owner === zone.origin);
  if (apexSoas.length === 0) {
    errors.push({ file: zone.file, line: 1, col: 1, message: `zone ${zoneText} has no SOA record at "@" (add one: {type: SOA, value: {mname: ns1, rname: hostmaster}})` });
  }
  for (const r of apexSoas.slice(1)) at(r, 'a zone has exactly one SOA record; this is a second one');

  const apexNs = zone.records.filter((r) => r.owner === zone.origin && r.type === Type.NS);
  if (apexNs.length === 0) {
    errors.push({ file: zone.file, line: 1, col: 1, message: `zone ${zoneText} has no NS records at "@" (list its nameservers, e.g. {type: NS, values: [ns1, ns2]})` });
  }

  // Duplicates and TTL agreement within an RRset (RFC 2181 section 5.2).
  const seen = new Map<string, RecordSource>();
  const rrsetTtl = new Map<string, RecordSource>();
  for (const r of zone.records) {
    const setKey = `${r.owner}|${r.type}`;
    const key = `${setKey}|${r.rdata.wire.toString('latin1')}`;
    const prev = seen.get(key);
    if (prev) at(r, `duplicate ${typeName(r.type)} record at "${rel(r.owner)}" (first at line ${prev.pos.line})`);
    else seen.set(key, r);
    const first = rrsetTtl.get(setKey);
    if (!first) rrsetTtl.set(setKey, r);
    else if (first.ttl !== r.ttl) {
      at(r, `TTL ${r.ttl} differs from ${first.ttl} (line ${first.pos.line}) within the ${typeName(r.type)} RRset at "${rel(r.owner)}"; one RRset has one TTL`);
    }
  }

  // CNAME stands alone (RFC 1034 section 3.6.2, RFC 2181 section 10.1).
  for (const [owner, list] of byOwner) {
    const cnames = list.filter((r) => r.type === Type.CNAME);
    if (cnames.length === 0) continue;
    if (owner === zone.origin) at(cnames[0]!, 'a CNAME cannot be at the zone apex, which must hold SOA and NS');
    for (const extra of cnames.slice(1)) at(extra, `"${rel(owner)}" has more than one CNAME; a name can alias only one target`);
    const others = list.filter((r) => r.type !== Type.CNAME);
    if (others.length && owner !== zone.origin) {
      at(cnames[0]!, `CNAME at "${rel(owner)}" sits beside other data (${[...new Set(others.map((o) => typeName(o.type)))].join(', ')}); a CNAME must be the only record at its name`);
    }
  }

  // DS is the parent's half of a delegation (RFC 4035 section 2.4): only at a cut.
  for (const r of zone.records) {
    if (r.type !== Type.DS) continue;
    if (r.owner === zone.origin) at(r, `DS at the apex belongs in the parent zone, not here (RFC 4035 section 2.4); put it at "${zoneText}" in the parent`);
    else if (!(byOwner.get(r.owner) ?? []).some((o) => o.type === Type.NS)) {
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
    const clash = (byOwner.get(ref.owner) ?? []).find((r) => r.type === ref.type || r.type === Type.CNAME);
    if (clash) {
      errors.push({ ...where, message: `"${rel(ref.owner)}" has a ${typeName(clash.type)} record (line ${clash.pos.line}) beside its pool-backed ${typeName(ref.type)}; keep one` });
    }
  }

  // Glue: an NS target inside this zone needs an address here, or nobody can reach it.
  const hasAddress = (n: Name): boolean => (byOwner.get(n) ?? []).some((r) => r.type === Type.A || r.type === Type.AAAA);
  for (const r of zone.records) {
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
