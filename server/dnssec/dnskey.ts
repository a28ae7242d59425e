// DNSKEY and DS rdata (RFC 4034 sections 2 and 5), the key tag (appendix B),
// CDS/CDNSKEY (RFC 7344, RFC 8078) and the DS lines a registrar asks for.
import { createHash } from 'node:crypto';
import { type Name, nameToText } from '../wire/names.js';

/** DNSKEY flags: Zone Key (bit 7) and Secure Entry Point (bit 15). */
export const FLAG_ZONE = 0x0100;
export const FLAG_SEP = 0x0001;
/** A combined signing key (CSK) carries both, like a classic KSK. */
export const FLAGS_CSK = FLAG_ZONE | FLAG_SEP;
const PROTOCOL = 3;

/** DS digest types (RFC 4509, RFC 6605). SHA-1 is not offered (RFC 8624). */
export const DigestType = { SHA256: 2, SHA384: 4 } as const;
export type DigestTypeNumber = (typeof DigestType)[keyof typeof DigestType];

export function dnskeyRdata(flags: number, algorithm: number, publicKey: Buffer): Buffer {
  const b = Buffer.allocUnsafe(4 + publicKey.length);
  b.writeUInt16BE(flags, 0);
  b[2] = PROTOCOL;
  b[3] = algorithm;
  publicKey.copy(b, 4);
  return b;
}

export interface DnskeyFields {
  flags: number;
  protocol: number;
  algorithm: number;
  publicKey: Buffer;
}

export function parseDnskeyRdata(rdata: Buffer): DnskeyFields {
  if (rdata.length < 5) throw new Error(`DNSKEY rdata is ${rdata.length} bytes, too short to hold a key`);
  return { flags: rdata.readUInt16BE(0), protocol: rdata[2]!, algorithm: rdata[3]!, publicKey: rdata.subarray(4) };
}

/** RFC 4034 appendix B: the 16-bit checksum over the DNSKEY rdata (algorithm 1 excepted, which we never use). */
export function keyTag(dnskey: Buffer): number {
  let ac = 0;
  for (let i = 0; i < dnskey.length; i++) ac += i & 1 ? dnskey[i]! : dnskey[i]! << 8;
  ac += (ac >>> 16) & 0xffff;
  return ac & 0xffff;
}

/** DS rdata for a DNSKEY owned by `owner` (RFC 4034 5.1.4: digest over owner | DNSKEY rdata). */
export function dsRdata(owner: Name, dnskey: Buffer, digestType: DigestTypeNumber = DigestType.SHA256): Buffer {
  const algo = digestType === DigestType.SHA384 ? 'sha384' : 'sha256';
  const digest = createHash(algo).update(Buffer.from(owner, 'latin1')).update(dnskey).digest();
  const b = Buffer.allocUnsafe(4 + digest.length);
  b.writeUInt16BE(keyTag(dnskey), 0);
  b[2] = dnskey[3]!;
  b[3] = digestType;
  digest.copy(b, 4);
  return b;
}

/** RFC 8078 section 4: the CDS and CDNSKEY rdata that ask the parent to remove the DS (go insecure). */
export const CDS_DELETE = Buffer.from([0, 0, 0, 0, 0]);
export const CDNSKEY_DELETE = Buffer.from([0, 0, 3, 0, 0]);

/** DNSKEY rdata in presentation form: `257 3 13 <base64>`. */
export function dnskeyText(rdata: Buffer): string {
  const k = parseDnskeyRdata(rdata);
  return `${k.flags} ${k.protocol} ${k.algorithm} ${k.publicKey.toString('base64')}`;
}

/** DS rdata in presentation form: `<tag> <alg> <digest type> <HEX>`. */
export function dsText(rdata: Buffer): string {
  return `${rdata.readUInt16BE(0)} ${rdata[2]} ${rdata[3]} ${rdata.subarray(4).toString('hex').toUpperCase()}`;
}

/** The line to hand a registrar (or paste into the parent zone). */
export function dsLine(owner: Name, dnskey: Buffer, digestType: DigestTypeNumber = DigestType.SHA256, ttl?: number): string {
  return `${nameToText(owner)}${ttl === undefined ? '' : ` ${ttl}`} IN DS ${dsText(dsRdata(owner, dnskey, digestType))}`;
}
