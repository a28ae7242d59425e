// Mistakes a zone can be served with but that nobody means: `pulsedns check`
// reports them; the loader does not refuse them (NSD and BIND serve such
// zones too, and the differential test serves a CNAME loop on purpose).
// A signed zone's SOA expire (signed-expire.ts) is also logged on every load.
import { Type } from '../wire/constants.js';
import { type Name, isSubdomain, nameRelative, nameToText, parentName, isWildcard } from '../wire/names.js';
import type { RecordSource, ZoneError, ZoneSource } from './model.js';
import { sourceExpireWarnings } from './signed-expire.js';

export interface LintResult {
  errors: ZoneError[];
  warnings: ZoneError[];
}

/** Lints a set of zones served together (a CNAME loop may cross from one to another). */
export function lintZones(zones: readonly ZoneSource[]): LintResult {
  const warnings = zones.flatMap((z) => [...relativeOutsideNames(z), ...sourceExpireWarnings(z)]);
  return { errors: cnameLoops(zones), warnings };
}

/** The label right below the origin on the way to `name` (name is inside the zone, below its apex). */
function topBelow(name: Name, origin: Name): Name {
  let n = name;
  while (parentName(n) !== origin) n = parentName(n);
  return n;
}

/**
 * A name written without its trailing dot is completed with the origin:
 * `mx2.example.net` in shop.test becomes mx2.example.net.shop.test. When such
 * a name is two or more labels deep and nothing in the zone lives under its
 * top label (net.shop.test here), and that label could be a top-level domain
 * (letters, not `_udp`), it was almost surely meant as an outside name.
 */
function looksLikeTld(name: Name): boolean {
  const label = name.slice(1, 1 + name.charCodeAt(0));
  return /^(?:[a-z]{2,63}|xn--[a-z0-9-]+)$/.test(label);
}

function relativeOutsideNames(zone: ZoneSource): ZoneError[] {
  const tops = new Set<Name>();
  const owners = [...zone.records.map((r) => r.owner), ...zone.poolRefs.map((p) => p.owner)];
  for (const o of owners) if (o !== zone.origin) tops.add(topBelow(o, zone.origin));
  const out: ZoneError[] = [];
  const origin = nameToText(zone.origin);
  for (const r of zone.records) {
    for (const part of r.rdata.parts) {
      if (typeof part !== 'string' || part === zone.origin || !isSubdomain(part, zone.origin)) continue;
      if (parentName(part) === zone.origin) continue; // one label: an ordinary relative name
      const top = topBelow(part, zone.origin);
      if (tops.has(top) || !looksLikeTld(top)) continue;
      const written = nameRelative(part, zone.origin);
      out.push({
        ...r.pos,
        message: `"${written}" has no trailing dot, so it means ${nameToText(part)}, and nothing in ${origin} is at or below ${nameToText(top)}; if it is an outside name, write "${written}."`,
      });
    }
  }
  return out;
}

/** CNAME chains that come back on themselves, within and across the zones given. */
function cnameLoops(zones: readonly ZoneSource[]): ZoneError[] {
  const cname = new Map<Name, RecordSource>();
  for (const z of zones) for (const r of z.records) if (r.type === Type.CNAME && !isWildcard(r.owner)) cname.set(r.owner, r);
  const done = new Set<Name>();
  const out: ZoneError[] = [];
  for (const start of cname.keys()) {
    if (done.has(start)) continue;
    const path: Name[] = [];
    const onPath = new Map<Name, number>();
    let n: Name | undefined = start;
    while (n !== undefined && cname.has(n) && !done.has(n) && !onPath.has(n)) {
      onPath.set(n, path.length);
      path.push(n);
      n = cname.get(n)!.rdata.target;
    }
    if (n !== undefined && onPath.has(n)) {
      const loop = path.slice(onPath.get(n)!);
      const shown = [...loop, n].map(nameToText).join(' -> ');
      out.push({ ...cname.get(loop[0]!)!.pos, message: `CNAME loop: ${shown}; a resolver following it never gets an answer` });
    }
    for (const p of path) done.add(p);
  }
  return out;
}
