// TSIG (RFC 8945) for zone transfers and NOTIFY: HMAC-SHA256 and
// HMAC-SHA512 keys shared with secondaries. Verifies the TSIG of a request
// and signs the messages we send, including the chain of a multi-message
// transfer (section 5.3.1; we sign every message, which the RFC allows and
// keeps each message checkable on its own).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { type Name, NameError, nameFromText, nameToText } from '../wire/names.js';

export const TYPE_TSIG = 250;
const CLASS_ANY = 255;

/** TSIG error codes (RFC 8945 section 3, IANA "DNS RCODEs" 16-22). */
export const TsigError = { NOERROR: 0, BADSIG: 16, BADKEY: 17, BADTIME: 18, BADTRUNC: 22 } as const;
export const TSIG_ERROR_NAMES: Readonly<Record<number, string>> = { 16: 'BADSIG', 17: 'BADKEY', 18: 'BADTIME', 22: 'BADTRUNC' };

/** Seconds of clock skew we accept, and announce in what we sign: RFC 8945 section 10 recommends 300. */
export const DEFAULT_FUDGE = 300;

const ALGORITHMS = {
  'hmac-sha256': { hash: 'sha256', size: 32 },
  'hmac-sha512': { hash: 'sha512', size: 64 },
} as const;
export type TsigAlgorithm = keyof typeof ALGORITHMS;

export interface TsigKey {
  /** Canonical key name (what goes on the wire, compared lowercased). */
  name: Name;
  algorithm: TsigAlgorithm;
  /** Canonical algorithm name, e.g. hmac-sha256. */
  algorithmName: Name;
  secret: Buffer;
}

/**
 * `NAME:ALGORITHM:BASE64SECRET`, as `--tsig` takes it. Throws with the flag
 * in the message so a typo stops startup instead of failing every transfer.
 */
export function parseTsigKey(spec: string): TsigKey {
  const first = spec.indexOf(':');
  const second = first < 0 ? -1 : spec.indexOf(':', first + 1);
  if (first <= 0 || second < 0) throw new Error(`--tsig "${redact(spec)}": expected NAME:ALGORITHM:BASE64SECRET, e.g. xfr-key:hmac-sha256:c2VjcmV0`);
  const nameText = spec.slice(0, first);
  const alg = spec.slice(first + 1, second).toLowerCase();
  const b64 = spec.slice(second + 1);
  if (!(alg in ALGORITHMS)) throw new Error(`--tsig "${nameText}": algorithm "${alg}" is not supported (use hmac-sha256 or hmac-sha512)`);
  // Buffer.from silently skips junk in base64; insist on the real alphabet so a mangled secret is caught here.
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) throw new Error(`--tsig "${nameText}": the secret is not valid base64`);
  const secret = Buffer.from(b64, 'base64');
  if (secret.length === 0) throw new Error(`--tsig "${nameText}": empty secret`);
  let name: Name;
  try {
    name = nameFromText(nameText.endsWith('.') ? nameText : `${nameText}.`);
  } catch (e) {
    throw new Error(`--tsig "${nameText}": ${(e as NameError).message}`);
  }
  const algorithm = alg as TsigAlgorithm;
  return { name, algorithm, algorithmName: nameFromText(`${algorithm}.`), secret };
}

/** Never echo a secret into logs or error output. */
function redact(spec: string): string {
  const i = spec.lastIndexOf(':');
  return i < 0 ? spec : `${spec.slice(0, i)}:...`;
}

/** A TSIG record as read from a message. Names are canonical (lowercased). */
export interface TsigRecord {
  /** Offset of the record in the message: everything before it is what was signed. */
  start: number;
  keyName: Name;
  algorithm: Name;
  timeSigned: number;
  fudge: number;
  mac: Buffer;
  originalId: number;
  error: number;
  otherData: Buffer;
}

export type FindResult = { kind: 'none' } | { kind: 'found'; rr: TsigRecord } | { kind: 'formerr'; reason: string };

const MAX_POINTER_HOPS = 16;

/** Reads a possibly compressed name into canonical form; null when malformed. */
function readName(msg: Buffer, start: number): { name: Name; end: number } | null {
  let pos = start;
  let end = -1;
  let hops = 0;
  let out = '';
  for (;;) {
    if (pos >= msg.length) return null;
    const len = msg[pos]!;
    if (len === 0) {
      out += '\0';
      if (out.length > 255) return null;
      return { name: out, end: end >= 0 ? end : pos + 1 };
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= msg.length || ++hops > MAX_POINTER_HOPS) return null;
      const target = ((len & 0x3f) << 8) | msg[pos + 1]!;
      if (end < 0) end = pos + 2;
      // Backwards only, which also rules out loops.
      if (target >= pos) return null;
      pos = target;
      continue;
    }
    if (len > 63 || pos + 1 + len > msg.length) return null;
    const label = msg.toString('latin1', pos + 1, pos + 1 + len).replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) | 0x20));
    out += String.fromCharCode(len) + label;
    pos += 1 + len;
  }
}

/**
 * Finds the TSIG record of a message. It must be the last record of the
 * additional section (RFC 8945 section 5.1); one anywhere else is FORMERR.
 */
export function findTsig(msg: Buffer): FindResult {
  if (msg.length < 12) return { kind: 'formerr', reason: 'short message' };
  const qd = msg.readUInt16BE(4);
  const rrs = msg.readUInt16BE(6) + msg.readUInt16BE(8) + msg.readUInt16BE(10);
  let pos = 12;
  for (let i = 0; i < qd; i++) {
    const n = readName(msg, pos);
    if (!n || n.end + 4 > msg.length) return { kind: 'formerr', reason: 'bad question' };
    pos = n.end + 4;
  }
  for (let i = 0; i < rrs; i++) {
    const start = pos;
    const owner = readName(msg, pos);
    if (!owner || owner.end + 10 > msg.length) return { kind: 'formerr', reason: 'bad record' };
    const type = msg.readUInt16BE(owner.end);
    const rdlen = msg.readUInt16BE(owner.end + 8);
    const rdata = owner.end + 10;
    if (rdata + rdlen > msg.length) return { kind: 'formerr', reason: 'bad record length' };
    pos = rdata + rdlen;
    if (type !== TYPE_TSIG) continue;
    if (i !== rrs - 1 || msg.readUInt16BE(10) === 0) return { kind: 'formerr', reason: 'TSIG is not the last additional record' };
    const rr = parseTsigRdata(msg, start, owner.name, rdata, rdlen);
    return rr ? { kind: 'found', rr } : { kind: 'formerr', reason: 'bad TSIG rdata' };
  }
  return { kind: 'none' };
}

function parseTsigRdata(msg: Buffer, start: number, keyName: Name, rdata: number, rdlen: number): TsigRecord | null {
  const end = rdata + rdlen;
  const alg = readName(msg, rdata);
  if (!alg) return null;
  let p = alg.end;
  if (p + 10 > end) return null;
  const timeSigned = msg.readUInt16BE(p) * 2 ** 32 + msg.readUInt32BE(p + 2);
  const fudge = msg.readUInt16BE(p + 6);
  const macSize = msg.readUInt16BE(p + 8);
  p += 10;
  if (p + macSize + 6 > end) return null;
  const mac = Buffer.from(msg.subarray(p, p + macSize));
  p += macSize;
  const originalId = msg.readUInt16BE(p);
  const error = msg.readUInt16BE(p + 2);
  const otherLen = msg.readUInt16BE(p + 4);
  p += 6;
  if (p + otherLen !== end) return null;
  return { start, keyName, algorithm: alg.name, timeSigned, fudge, mac, originalId, error, otherData: Buffer.from(msg.subarray(p, end)) };
}

function uint48(n: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUInt16BE(Math.floor(n / 2 ** 32) & 0xffff, 0);
  b.writeUInt32BE(n % 2 ** 32, 2);
  return b;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/** The full TSIG variables of RFC 8945 section 4.3.3. */
function tsigVariables(keyName: Name, algorithm: Name, timeSigned: number, fudge: number, error: number, other: Buffer): Buffer {
  const fixed = Buffer.alloc(6);
  fixed.writeUInt16BE(CLASS_ANY, 0); // TTL (0) follows in the remaining four zero bytes
  return Buffer.concat([Buffer.from(keyName, 'latin1'), fixed, Buffer.from(algorithm, 'latin1'), uint48(timeSigned), u16(fudge), u16(error), u16(other.length), other]);
}

/** The message as signed: TSIG cut off, ARCOUNT one less, the original ID put back (RFC 8945 section 4.3.2). */
function unsignedPart(msg: Buffer, rr: TsigRecord): Buffer {
  const out = Buffer.from(msg.subarray(0, rr.start));
  out.writeUInt16BE(rr.originalId, 0);
  out.writeUInt16BE(out.readUInt16BE(10) - 1, 10);
  return out;
}

function hmac(key: TsigKey, parts: Buffer[]): Buffer {
  const h = createHmac(ALGORITHMS[key.algorithm].hash, key.secret);
  for (const p of parts) h.update(p);
  return h.digest();
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export type TsigCheck =
  | { kind: 'unsigned' }
  | { kind: 'formerr'; reason: string }
  | { kind: 'ok'; key: TsigKey; rr: TsigRecord }
  /**
   * Answer NOTAUTH with this TSIG error. `key` is set when the answer must
   * still be signed (BADTIME, BADTRUNC: the MAC was good); BADKEY and BADSIG
   * answers go unsigned (RFC 8945 section 5.3.2).
   */
  | { kind: 'bad'; error: number; rr: TsigRecord; key?: TsigKey };

/** Checks a request's TSIG in the order of RFC 8945 section 5.2: key, MAC, time, truncation. */
export function verifyRequest(msg: Buffer, keys: readonly TsigKey[], now = nowSeconds()): TsigCheck {
  const found = findTsig(msg);
  if (found.kind !== 'found') return found.kind === 'none' ? { kind: 'unsigned' } : found;
  const rr = found.rr;
  const key = keys.find((k) => k.name === rr.keyName && k.algorithmName === rr.algorithm);
  if (!key) return { kind: 'bad', error: TsigError.BADKEY, rr };
  const size = ALGORITHMS[key.algorithm].size;
  // Section 5.2.2.1: longer than the hash, or shorter than both 10 bytes and half the hash, is malformed.
  if (rr.mac.length > size || rr.mac.length < Math.max(10, size / 2)) return { kind: 'formerr', reason: 'TSIG MAC size out of range' };
  const expected = hmac(key, [unsignedPart(msg, rr), tsigVariables(rr.keyName, rr.algorithm, rr.timeSigned, rr.fudge, rr.error, rr.otherData)]);
  if (!timingSafeEqual(expected.subarray(0, rr.mac.length), rr.mac)) return { kind: 'bad', error: TsigError.BADSIG, rr };
  if (Math.abs(now - rr.timeSigned) > rr.fudge) return { kind: 'bad', error: TsigError.BADTIME, rr, key };
  // Our policy accepts only full-length MACs: a truncated one proves less.
  if (rr.mac.length < size) return { kind: 'bad', error: TsigError.BADTRUNC, rr, key };
  return { kind: 'ok', key, rr };
}

/** Bytes a TSIG record of this key can take at most: what a message must leave free for it. */
export function tsigSpace(key: TsigKey): number {
  return key.name.length + 10 + key.algorithmName.length + 16 + ALGORITHMS[key.algorithm].size + 6;
}

function tsigRecord(keyName: Name, algorithm: Name, timeSigned: number, fudge: number, mac: Buffer, originalId: number, error: number, other: Buffer): Buffer {
  const rdata = Buffer.concat([Buffer.from(algorithm, 'latin1'), uint48(timeSigned), u16(fudge), u16(mac.length), mac, u16(originalId), u16(error), u16(other.length), other]);
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(TYPE_TSIG, 0);
  fixed.writeUInt16BE(CLASS_ANY, 2);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([Buffer.from(keyName, 'latin1'), fixed, rdata]);
}

function withRecord(msg: Buffer, rr: Buffer): Buffer {
  const out = Buffer.concat([msg, rr]);
  out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
  return out;
}

/**
 * Signs the messages of one exchange in order. The first is signed over the
 * request MAC (none for a request of our own, such as NOTIFY), the message
 * and all TSIG variables; each later one over the previous MAC, the message
 * and the timers only (RFC 8945 sections 4.3.1 and 5.3.1).
 */
export class TsigSigner {
  private prior: Buffer | null;
  private first = true;

  constructor(private readonly key: TsigKey, requestMac: Buffer | null = null, private readonly clock: () => number = nowSeconds) {
    this.prior = requestMac;
  }

  sign(msg: Buffer, opts: { error?: number; timeSigned?: number; otherData?: Buffer } = {}): Buffer {
    const time = opts.timeSigned ?? this.clock();
    const error = opts.error ?? 0;
    const other = opts.otherData ?? Buffer.alloc(0);
    const parts: Buffer[] = [];
    if (this.prior) parts.push(u16(this.prior.length), this.prior);
    parts.push(msg);
    if (this.first) parts.push(tsigVariables(this.key.name, this.key.algorithmName, time, DEFAULT_FUDGE, error, other));
    else parts.push(uint48(time), u16(DEFAULT_FUDGE));
    const mac = hmac(this.key, parts);
    this.prior = mac;
    this.first = false;
    return withRecord(msg, tsigRecord(this.key.name, this.key.algorithmName, time, DEFAULT_FUDGE, mac, msg.readUInt16BE(0), error, other));
  }
}

/**
 * The answer to a request whose TSIG failed with BADKEY or BADSIG: unsigned
 * (MAC size 0), key and algorithm echoed so the client can tell which key
 * we rejected (RFC 8945 section 5.3.2).
 */
export function unsignedTsigError(msg: Buffer, rr: TsigRecord, error: number, now = nowSeconds()): Buffer {
  return withRecord(msg, tsigRecord(rr.keyName, rr.algorithm, now, DEFAULT_FUDGE, Buffer.alloc(0), msg.readUInt16BE(0), error, Buffer.alloc(0)));
}

/**
 * The answer to a request with a good MAC but a bad time or a truncated MAC: signed
 * over the request MAC; for BADTIME with the request's time and our clock in Other Data
 * so the client can see the skew (RFC 8945 section 5.2.3).
 */
export function signedTsigError(msg: Buffer, key: TsigKey, rr: TsigRecord, error: number, now = nowSeconds()): Buffer {
  const signer = new TsigSigner(key, rr.mac);
  if (error === TsigError.BADTIME) return signer.sign(msg, { error, timeSigned: rr.timeSigned, otherData: uint48(now) });
  return signer.sign(msg, { error });
}

export function keyNameText(key: TsigKey): string {
  return nameToText(key.name);
}
