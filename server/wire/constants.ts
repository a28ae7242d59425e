// DNS numbers we need by name. Kept in one place so the wire layer, the zone
// layer and the engine agree on spelling.

export const Type = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  HINFO: 13,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  NAPTR: 35,
  OPT: 41,
  DS: 43,
  SSHFP: 44,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  TLSA: 52,
  CDS: 59,
  CDNSKEY: 60,
  SVCB: 64,
  HTTPS: 65,
  /** RFC 9824: meta-type in a compact-denial NSEC bitmap meaning "this name does not exist". */
  NXNAME: 128,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
  URI: 256,
  CAA: 257,
} as const;

export const Class = { IN: 1, CH: 3, NONE: 254, ANY: 255 } as const;

export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  BADVERS: 16,
} as const;

export const Opcode = { QUERY: 0, NOTIFY: 4 } as const;

/** Bits of the EDNS flags word (the low 16 bits of the OPT TTL). */
export const EdnsFlag = {
  /** DNSSEC OK (RFC 3225): the client wants RRSIGs and denial proofs. */
  DO: 0x8000,
  /** Compact Answers OK (RFC 9824 section 5): the client may get NXDOMAIN back for a compact denial. */
  CO: 0x4000,
} as const;

/** DNSSEC algorithm numbers we sign with (RFC 8624 recommends both). */
export const DnssecAlg = { ECDSAP256SHA256: 13, ED25519: 15 } as const;

/** Types a zone file may name in mnemonic form (anything else needs TYPEnnn). */
export const TYPE_BY_NAME: ReadonlyMap<string, number> = new Map<string, number>([
  ['A', Type.A],
  ['NS', Type.NS],
  ['CNAME', Type.CNAME],
  ['SOA', Type.SOA],
  ['PTR', Type.PTR],
  ['MX', Type.MX],
  ['TXT', Type.TXT],
  ['AAAA', Type.AAAA],
  ['SRV', Type.SRV],
  ['CAA', Type.CAA],
  ['HINFO', Type.HINFO],
  ['NAPTR', Type.NAPTR],
  ['DS', Type.DS],
  ['SSHFP', Type.SSHFP],
  ['DNSKEY', Type.DNSKEY],
  ['TLSA', Type.TLSA],
  ['SVCB', Type.SVCB],
  ['HTTPS', Type.HTTPS],
  ['URI', Type.URI],
]);

/** For error messages: the mnemonics a zone file may use. */
export const SUPPORTED_TYPES = [...TYPE_BY_NAME.keys()].join(' ');

const NAME_BY_TYPE = new Map<number, string>([...TYPE_BY_NAME].map(([n, v]) => [v, n]));
// Named for display only: meta types, and types made by signing.
for (const name of ['ANY', 'OPT', 'AXFR', 'IXFR', 'RRSIG', 'NSEC', 'CDS', 'CDNSKEY', 'NXNAME'] as const) {
  NAME_BY_TYPE.set(Type[name], name);
}

/** Mnemonic for a type, or the RFC 3597 generic `TYPEnnn`. */
export function typeName(type: number): string {
  return NAME_BY_TYPE.get(type) ?? `TYPE${type}`;
}

/** Parses `A`, `aaaa` or `TYPE65534`; returns undefined for anything else. */
export function parseTypeName(text: string): number | undefined {
  const upper = text.toUpperCase();
  const known = TYPE_BY_NAME.get(upper);
  if (known !== undefined) return known;
  const m = /^TYPE(\d{1,5})$/.exec(upper);
  if (!m) return undefined;
  const n = Number(m[1]);
  return n >= 1 && n <= 65535 ? n : undefined;
}

/** Meta and obsolete types that may never be stored in a zone (RFC 6895 section 3.1). */
export function isStorableType(type: number): boolean {
  if (type === Type.OPT || type === 0) return false;
  if (type >= 128 && type <= 255) return false; // QTYPEs / meta range
  return true;
}
