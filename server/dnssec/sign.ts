// RRSIG rdata (RFC 4034 section 3) over the canonical form of an RRset,
// with ECDSA P-256/SHA-256 (RFC 6605: r|s, 64 bytes) or Ed25519 (RFC 8080).
// The per-key parts of the RRSIG (algorithm, key tag, signer name) and the
// options of the crypto call are laid down once per SigningKey; a signature
// then costs one buffer for the signed data (RRSIG header and canonical
// RRset written straight into it), the one-shot crypto.sign call (faster
// than createSign: no Sign object, no separate update), and one buffer for
// the result. crypto.sign draws a fresh nonce from OpenSSL every time.
import { createPublicKey, sign as cryptoSign, verify as cryptoVerify, type KeyObject, type SignKeyObjectInput } from 'node:crypto';
import { DnssecAlg } from '../wire/constants.js';
import { type Name, isWildcard, labelCount } from '../wire/names.js';
import { canonicalRdataSet, canonicalRRsetSize, canonicalRRsetWire, writeCanonicalRRset } from './canonical.js';
import { keyTag, parseDnskeyRdata } from './dnskey.js';

/** RRSIG fixed fields before the signer name: type covered .. key tag. */
const FIXED = 18;

/** A private key ready to sign for one signer name (the zone apex). */
export interface SigningKey {
  algorithm: number;
  tag: number;
  signer: Name;
  privateKey: KeyObject;
  /** RRSIG rdata bytes 0..18+signer with algorithm, key tag and signer filled in. */
  template: Buffer;
  /** What crypto.sign takes as its key, made once (ECDSA: r|s as RFC 6605 wants, not DER). */
  signWith: KeyObject | SignKeyObjectInput;
}

export function signingKey(k: { algorithm: number; tag: number; privateKey: KeyObject }, signer: Name): SigningKey {
  if (k.algorithm !== DnssecAlg.ECDSAP256SHA256 && k.algorithm !== DnssecAlg.ED25519) {
    throw new Error(`algorithm ${k.algorithm} cannot sign here (13 or 15 only)`);
  }
  const template = Buffer.alloc(FIXED + signer.length);
  template[2] = k.algorithm;
  template.writeUInt16BE(k.tag, 16);
  template.write(signer, FIXED, 'latin1');
  const signWith = k.algorithm === DnssecAlg.ED25519 ? k.privateKey : { key: k.privateKey, dsaEncoding: 'ieee-p1363' as const };
  return { algorithm: k.algorithm, tag: k.tag, signer, privateKey: k.privateKey, template, signWith };
}

/** RRSIG Labels field (RFC 4034 3.1.3): labels of the owner, a leading `*` not counted. */
export function rrsigLabels(owner: Name): number {
  const n = labelCount(owner);
  return isWildcard(owner) ? n - 1 : n;
}

function rawVerify(algorithm: number, data: Buffer, key: KeyObject, sig: Buffer): boolean {
  if (algorithm === DnssecAlg.ED25519) return cryptoVerify(null, data, key, sig);
  return cryptoVerify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig);
}

/**
 * RRSIG rdata for the RRset (owner, type, ttl, rdatas) signed by `key`,
 * valid from `inception` to `expiration` (seconds since 1970). `owner` is
 * the name the answer carries (for online signing of a wildcard answer, the
 * query name). rdatas may come in any order and hold duplicates.
 * `lasting`: false when the signature is used once and dropped (not cached).
 */
export function signRRset(
  key: SigningKey,
  owner: Name,
  type: number,
  ttl: number,
  rdatas: readonly Buffer[],
  inception: number,
  expiration: number,
  lasting = true,
): Buffer {
  const sorted = canonicalRdataSet(type, rdatas);
  const headLen = key.template.length;
  // One buffer for what is signed: the RRSIG rdata up to the signature, then the RRs (RFC 4034 3.1.8.1).
  const data = Buffer.allocUnsafe(headLen + canonicalRRsetSize(owner, sorted));
  key.template.copy(data, 0);
  data.writeUInt16BE(type, 0);
  data[3] = rrsigLabels(owner);
  data.writeUInt32BE(ttl >>> 0, 4);
  data.writeUInt32BE(expiration >>> 0, 8); // RFC 4034 3.1.5: serial arithmetic, mod 2^32
  data.writeUInt32BE(inception >>> 0, 12);
  writeCanonicalRRset(data, headLen, owner, type, ttl, sorted);
  const sig = cryptoSign(key.algorithm === DnssecAlg.ED25519 ? null : 'sha256', data, key.signWith);
  // A signature kept in a cache gets memory of its own: a slice of Node's shared pool would pin the whole 8 KiB slab.
  const out = lasting ? Buffer.allocUnsafeSlow(headLen + sig.length) : Buffer.allocUnsafe(headLen + sig.length);
  // Byte by byte: Buffer#copy of part of a buffer makes a typed array for the part, per signature.
  for (let i = 0; i < headLen; i++) out[i] = data[i]!;
  sig.copy(out, headLen);
  return out;
}

export interface RrsigFields {
  typeCovered: number;
  algorithm: number;
  labels: number;
  originalTtl: number;
  expiration: number;
  inception: number;
  keyTag: number;
  signer: Name;
  signature: Buffer;
  /** Length of the fields before the signature. */
  headerLength: number;
}

export function parseRrsig(rdata: Buffer): RrsigFields {
  if (rdata.length < FIXED + 1) throw new Error('RRSIG rdata too short');
  let pos = FIXED;
  while (pos < rdata.length && rdata[pos] !== 0) pos += rdata[pos]! + 1;
  if (pos >= rdata.length) throw new Error('RRSIG signer name runs past the rdata');
  pos++;
  return {
    typeCovered: rdata.readUInt16BE(0),
    algorithm: rdata[2]!,
    labels: rdata[3]!,
    originalTtl: rdata.readUInt32BE(4),
    expiration: rdata.readUInt32BE(8),
    inception: rdata.readUInt32BE(12),
    keyTag: rdata.readUInt16BE(16),
    signer: rdata.toString('latin1', FIXED, pos).toLowerCase(),
    signature: rdata.subarray(pos),
    headerLength: pos,
  };
}

/** The public key of a DNSKEY rdata as a KeyObject (algorithms 13 and 15). */
export function publicKeyOf(dnskey: Buffer): KeyObject {
  const { algorithm, publicKey } = parseDnskeyRdata(dnskey);
  if (algorithm === DnssecAlg.ECDSAP256SHA256 && publicKey.length === 64) {
    return createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: publicKey.subarray(0, 32).toString('base64url'), y: publicKey.subarray(32).toString('base64url') },
      format: 'jwk',
    });
  }
  if (algorithm === DnssecAlg.ED25519 && publicKey.length === 32) {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey.toString('base64url') }, format: 'jwk' });
  }
  throw new Error(`no verifier for algorithm ${algorithm} with a ${publicKey.length}-byte key`);
}

export type VerifyResult = { valid: true } | { valid: false; reason: string };

/**
 * Checks one RRSIG over an RRset as a validator would (RFC 4035 5.3): the
 * fields agree with the RRset and the key, `now` lies in the validity
 * period (serial arithmetic), and the signature verifies. For tests and
 * for self-checks; not on the query path.
 */
export function verifyRRset(dnskey: Buffer, owner: Name, type: number, rdatas: readonly Buffer[], rrsig: Buffer, now = Math.floor(Date.now() / 1000)): VerifyResult {
  const f = parseRrsig(rrsig);
  const bad = (reason: string): VerifyResult => ({ valid: false, reason });
  if (f.typeCovered !== type) return bad(`covers type ${f.typeCovered}, not ${type}`);
  const k = parseDnskeyRdata(dnskey);
  if (f.algorithm !== k.algorithm) return bad('algorithm differs from the key');
  if (f.keyTag !== keyTag(dnskey)) return bad('key tag differs from the key');
  const n = labelCount(owner);
  if (f.labels > n) return bad(`labels ${f.labels} exceed the owner's ${n}`);
  let signedOwner = owner;
  if (f.labels < n) {
    // Wildcard expansion (RFC 4035 5.3.2): the signature covers `*.` + the rightmost `labels` labels.
    for (let i = 0; i < n - f.labels; i++) signedOwner = signedOwner.slice(signedOwner.charCodeAt(0) + 1);
    signedOwner = '\x01*' + signedOwner;
  }
  const serialLess = (a: number, b: number): boolean => a !== b && ((b - a) >>> 0) < 0x80000000;
  const t = now >>> 0;
  if (serialLess(t, f.inception)) return bad('not yet valid (inception in the future)');
  if (serialLess(f.expiration, t)) return bad('expired');
  const data = Buffer.concat([
    rrsig.subarray(0, f.headerLength),
    canonicalRRsetWire(signedOwner, type, f.originalTtl, canonicalRdataSet(type, rdatas)),
  ]);
  return rawVerify(f.algorithm, data, publicKeyOf(dnskey), f.signature) ? { valid: true } : bad('signature does not verify');
}
