// Offline signing of a whole zone with the server/dnssec library, written as
// an RFC 1035 master file: every authoritative RRset signed, the DNSKEY,
// CDS and CDNSKEY RRsets added at the apex, and a classic NSEC chain. What
// ldns-verify-zone checks and NSD serves to delv; later also the shape a
// signed AXFR must have.
import { Type, typeName } from '../../server/wire/constants.js';
import { type Name, nameToText } from '../../server/wire/names.js';
import { dnskeyText, dsText } from '../../server/dnssec/dnskey.js';
import { cutAbove, nsecChain, nsecRdata } from '../../server/dnssec/denial.js';
import type { ZoneSigner } from '../../server/dnssec/signer.js';
import { nsecText, rrsigText } from '../../server/dnssec/text.js';

export interface PlainRRset {
  owner: Name;
  type: number;
  ttl: number;
  rdata: Buffer[];
  /** Presentation text per rdata; derived here for the DNSSEC types. */
  text?: string[];
}

function presentation(set: PlainRRset, i: number): string {
  const given = set.text?.[i];
  if (given !== undefined) return given;
  const rd = set.rdata[i]!;
  switch (set.type) {
    case Type.DNSKEY:
    case Type.CDNSKEY:
      return dnskeyText(rd);
    case Type.DS:
    case Type.CDS:
      return dsText(rd);
    case Type.RRSIG:
      return rrsigText(rd);
    case Type.NSEC:
      return nsecText(rd);
    default:
      return `\\# ${rd.length}${rd.length ? ' ' + rd.toString('hex') : ''}`;
  }
}

/**
 * The zone signed by `signer`, as master-file text. `negativeTtl` is the
 * NSEC TTL (RFC 9077: the SOA's negative TTL).
 */
export function signZoneText(origin: Name, rrsets: readonly PlainRRset[], signer: ZoneSigner, negativeTtl: number): string {
  const cuts = new Set(rrsets.filter((s) => s.type === Type.NS && s.owner !== origin).map((s) => s.owner));
  const all: PlainRRset[] = [...rrsets];
  for (const s of signer.apexRRsets()) all.push({ owner: origin, type: s.type, ttl: 3600, rdata: s.rdata });
  const typesAt = new Map<Name, number[]>();
  for (const s of all) typesAt.set(s.owner, [...(typesAt.get(s.owner) ?? []), s.type]);
  for (const link of nsecChain(origin, typesAt, cuts)) {
    all.push({ owner: link.owner, type: Type.NSEC, ttl: negativeTtl, rdata: [nsecRdata(link.next, link.types)] });
  }
  const lines: string[] = [];
  const emit = (s: PlainRRset): void => {
    s.rdata.forEach((_, i) => lines.push(`${nameToText(s.owner)} ${s.ttl} IN ${typeName(s.type)} ${presentation(s, i)}`));
  };
  // SOA first: a master-file reader wants it before anything else.
  all.sort((a, b) => (a.type === Type.SOA ? -1 : b.type === Type.SOA ? 1 : 0));
  for (const s of all) {
    emit(s);
    const delegationNs = s.type === Type.NS && cuts.has(s.owner);
    if (delegationNs || cutAbove(s.owner, origin, cuts) !== undefined) continue; // not authoritative: not signed (RFC 4035 2.2)
    emit({ owner: s.owner, type: Type.RRSIG, ttl: s.ttl, rdata: signer.sign(s.owner, s.type, s.ttl, s.rdata) });
  }
  return lines.join('\n') + '\n';
}
