// ZoneSource -> RFC 1035 master file, for handing a zone to NSD, BIND or
// Knot (as a secondary's seed, a migration away, or a second opinion from
// nsd-checkzone). Every line is self-contained: absolute owner, explicit TTL
// and class, so the meaning never depends on which default a reader applies.
import { TYPE_BY_NAME, Type, typeName } from '../wire/constants.js';
import { type Name, nameToText } from '../wire/names.js';
import type { RecordSource, ZoneSource } from './model.js';
import { genericText } from './rdata.js';
import { svcTextHasListEscapes } from './rdata-types.js';

/**
 * Type mnemonic a master-file reader is sure to know. Types we only hold as
 * RFC 3597 data (DS, HINFO, ...) get `TYPEnnn`, because their rdata is in the
 * generic `\#` form, which some readers refuse after a known mnemonic.
 */
export function masterTypeName(type: number): string {
  const name = typeName(type);
  return TYPE_BY_NAME.has(name) ? name : `TYPE${type}`;
}

/** Labels of a canonical name, leftmost first. */
function labelsOf(name: Name): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < name.length && name.charCodeAt(i) !== 0) {
    const len = name.charCodeAt(i);
    out.push(name.slice(i + 1, i + 1 + len));
    i += len + 1;
  }
  return out;
}

/**
 * RFC 4034 section 6.1 canonical order: compare label by label from the
 * right, as lowercase bytes. Names are already lowercase latin1, so plain
 * string comparison of labels is byte comparison.
 */
export function compareNamesCanonical(a: Name, b: Name): number {
  if (a === b) return 0;
  const la = labelsOf(a);
  const lb = labelsOf(b);
  for (let i = la.length - 1, j = lb.length - 1; i >= 0 && j >= 0; i--, j--) {
    const x = la[i]!;
    const y = lb[j]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return la.length - lb.length;
}

/** SOA, then NS (what a reader expects to see first at the apex), then by number. */
export function compareTypes(a: number, b: number): number {
  const rank = (t: number): number => (t === Type.SOA ? -2 : t === Type.NS ? -1 : t);
  return rank(a) - rank(b);
}

function rdataText(r: RecordSource): string {
  // An A record's text is whatever the zone author typed; the wire form is unambiguous.
  if (r.type === Type.A) return [...r.rdata.wire].join('.');
  return r.rdata.text;
}

/**
 * Type and data columns of a record. An SVCB/HTTPS record whose alpn ids hold
 * a comma or a backslash goes in RFC 3597 form: its text is right by RFC 9460,
 * but section 7.1.1 lets a zone-file reader skip the value-list escaping that
 * text relies on, and Knot 3.2 and ldns 1.8 do read it as other bytes. The
 * text follows as a comment, for the person reading the file.
 */
function typeAndData(r: RecordSource): [string, string] {
  if ((r.type === Type.SVCB || r.type === Type.HTTPS) && svcTextHasListEscapes(r.rdata.wire)) {
    return [`TYPE${r.type}`, `${genericText(r.rdata.wire)} ; ${typeName(r.type)} ${r.rdata.text}`];
  }
  return [masterTypeName(r.type), rdataText(r)];
}

export function exportZone(zone: ZoneSource): string {
  const records = zone.records
    .map((r, i) => ({ r, i }))
    .sort((x, y) => {
      const xs = x.r.type === Type.SOA ? 0 : 1;
      const ys = y.r.type === Type.SOA ? 0 : 1;
      return xs - ys || compareNamesCanonical(x.r.owner, y.r.owner) || compareTypes(x.r.type, y.r.type) || x.i - y.i;
    })
    .map((x) => x.r);

  const origin = nameToText(zone.origin);
  const lines: string[] = [];
  lines.push(`; Zone ${origin} exported by pulsedns from ${zone.file}`);
  const soa = records.find((r) => r.type === Type.SOA);
  if (zone.serialAuto && soa && soa.rdata.wire.readUInt32BE(soa.rdata.wire.length - 20) === 0) {
    // parse.ts leaves 0 in place of `auto`; only the zones-directory loader fills in the served serial.
    lines.push('; The SOA serial is "auto" in the source and was not resolved here, so it reads 0.');
  }
  lines.push(`$ORIGIN ${origin}`);
  lines.push(`$TTL ${zone.defaultTtl}`);

  const rows = records.map((r) => [nameToText(r.owner), String(r.ttl), 'IN', ...typeAndData(r)] as const);
  // Alignment is cosmetic; cap it so one long owner does not push every line right.
  const ownerWidth = Math.min(40, Math.max(0, ...rows.map((row) => row[0].length)));
  const ttlWidth = Math.max(0, ...rows.map((row) => row[1].length));
  const typeWidth = Math.max(0, ...rows.map((row) => row[3].length));
  for (const [owner, ttl, cls, type, data] of rows) {
    lines.push(`${owner.padEnd(ownerWidth)} ${ttl.padStart(ttlWidth)} ${cls} ${type.padEnd(typeWidth)} ${data}`);
  }
  return lines.join('\n') + '\n';
}
