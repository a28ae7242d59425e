// Signing keys on disk. A key is the BIND pair `K<zone>.+<alg>+<tag>.key`
// (the DNSKEY record) and `.private` (Private-key-format v1.3), so keys move
// between pulsedns, BIND, Knot (keymgr import-bind) and ldns untouched, plus
// our own `.timing` file with the RFC 7583 times (publish, activate, retire,
// remove). The timing file is the only one ever rewritten: the private file
// is written once, 0600, and afterwards only read. Keys are made only by
// createKey(), which a `keys generate` command calls; loading never invents.
import { createECDH, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DnssecAlg } from '../wire/constants.js';
import { type Name, nameFromText, nameToText, NameError } from '../wire/names.js';
import { dnskeyRdata, FLAG_ZONE, FLAGS_CSK, keyTag, parseDnskeyRdata } from './dnskey.js';
import { formatDnsTime, parseDnsTime } from './window.js';

export type Algorithm = 13 | 15;

export const ALGORITHMS: ReadonlyMap<Algorithm, { mnemonic: string; keyword: string }> = new Map([
  [DnssecAlg.ECDSAP256SHA256, { mnemonic: 'ECDSAP256SHA256', keyword: 'ecdsap256sha256' }],
  [DnssecAlg.ED25519, { mnemonic: 'ED25519', keyword: 'ed25519' }],
]);

/** `ecdsap256sha256`, `ed25519`, `13` or `15` (any case) to the algorithm number. */
export function parseAlgorithm(text: string): Algorithm | undefined {
  const t = text.toLowerCase();
  for (const [n, a] of ALGORITHMS) if (t === a.keyword || t === String(n)) return n;
  return undefined;
}

/** RFC 7583 section 3.1 times, seconds since 1970; absent means "not scheduled". */
export interface KeyTiming {
  created: number;
  publish?: number;
  activate?: number;
  retire?: number;
  remove?: number;
}

export interface ZoneKey {
  zone: Name;
  algorithm: Algorithm;
  flags: number;
  tag: number;
  /** DNSKEY rdata (flags, protocol, algorithm, public key). */
  dnskey: Buffer;
  /** Kept as a KeyObject: never printed, never put into an error. */
  privateKey: KeyObject;
  timing: KeyTiming;
  /** Base path without extension: `<dir>/K<zone>.+<alg>+<tag>`. */
  base: string;
}

export class KeyError extends Error {}

const TIMING_FIELDS = [
  ['Created', 'created'],
  ['Publish', 'publish'],
  ['Activate', 'activate'],
  ['Retire', 'retire'],
  ['Remove', 'remove'],
] as const;

/** BIND's timing names in the .private file, for keys that arrive without our .timing file. */
const BIND_TIMING: ReadonlyMap<string, keyof KeyTiming> = new Map([
  ['Created', 'created'],
  ['Publish', 'publish'],
  ['Activate', 'activate'],
  ['Inactive', 'retire'],
  ['Delete', 'remove'],
]);

/** `Kexample.com.+013+01234`: BIND's file name stem for a key. */
export function keyFileStem(zone: Name, algorithm: number, tag: number): string {
  // A `/` in a label would make a path; BIND writes it as a decimal escape too.
  const text = nameToText(zone).replace(/\//g, '\\047');
  return `K${text}+${String(algorithm).padStart(3, '0')}+${String(tag).padStart(5, '0')}`;
}

const FILE_RE = /^K(.+)\+(\d{3})\+(\d{5})\.key$/;

// --- public key material ----------------------------------------------------

const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function b64url(s: string | undefined): Buffer {
  return Buffer.from(s ?? '', 'base64url');
}

/** The DNSKEY public key field for a private key (RFC 6605 x|y, RFC 8080 raw 32 bytes). */
function publicKeyField(algorithm: Algorithm, privateKey: KeyObject): Buffer {
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  if (algorithm === DnssecAlg.ECDSAP256SHA256) return Buffer.concat([b64url(jwk.x), b64url(jwk.y)]);
  return b64url(jwk.x);
}

/** The secret in BIND's `PrivateKey:` field: P-256 scalar d, or the Ed25519 seed; both 32 bytes. */
function privateField(privateKey: KeyObject): Buffer {
  return b64url(privateKey.export({ format: 'jwk' }).d);
}

function privateFromField(algorithm: Algorithm, secret: Buffer): KeyObject {
  if (algorithm === DnssecAlg.ED25519) {
    return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, secret]), format: 'der', type: 'pkcs8' });
  }
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(secret);
  const pub = ecdh.getPublicKey(); // 04 | x | y
  return createPrivateKey({
    key: { kty: 'EC', crv: 'P-256', d: secret.toString('base64url'), x: pub.subarray(1, 33).toString('base64url'), y: pub.subarray(33, 65).toString('base64url') },
    format: 'jwk',
  });
}

// --- generation and writing ---------------------------------------------------

/** When a new key enters the zone and starts signing; both default to its creation time. */
export interface KeySchedule {
  publish?: number;
  activate?: number;
}

function newKey(zone: Name, algorithm: Algorithm, now: number, dir: string, at: KeySchedule): ZoneKey {
  const privateKey =
    algorithm === DnssecAlg.ED25519 ? generateKeyPairSync('ed25519').privateKey : generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const dnskey = dnskeyRdata(FLAGS_CSK, algorithm, publicKeyField(algorithm, privateKey));
  const tag = keyTag(dnskey);
  const timing: KeyTiming = { created: now, publish: at.publish ?? now, activate: at.activate ?? now };
  return { zone, algorithm, flags: FLAGS_CSK, tag, dnskey, privateKey, timing, base: join(dir, keyFileStem(zone, algorithm, tag)) };
}

function stamp(t: number): string {
  return `${formatDnsTime(t)} (${new Date(t * 1000).toUTCString()})`;
}

function keyFileText(key: ZoneKey): string {
  const fields = parseDnskeyRdata(key.dnskey);
  const role = key.flags & 1 ? 'key-signing' : 'zone-signing';
  return [
    `; This is a ${role} key, keyid ${key.tag}, for ${nameToText(key.zone)}`,
    `; Created: ${stamp(key.timing.created)}`,
    ...(key.timing.publish !== undefined ? [`; Publish: ${stamp(key.timing.publish)}`] : []),
    ...(key.timing.activate !== undefined ? [`; Activate: ${stamp(key.timing.activate)}`] : []),
    `${nameToText(key.zone)} IN DNSKEY ${fields.flags} ${fields.protocol} ${fields.algorithm} ${fields.publicKey.toString('base64')}`,
    '',
  ].join('\n');
}

function privateFileText(key: ZoneKey): string {
  const t = key.timing;
  return [
    'Private-key-format: v1.3',
    `Algorithm: ${key.algorithm} (${ALGORITHMS.get(key.algorithm)!.mnemonic})`,
    `PrivateKey: ${privateField(key.privateKey).toString('base64')}`,
    `Created: ${formatDnsTime(t.created)}`,
    ...(t.publish !== undefined ? [`Publish: ${formatDnsTime(t.publish)}`] : []),
    ...(t.activate !== undefined ? [`Activate: ${formatDnsTime(t.activate)}`] : []),
    '',
  ].join('\n');
}

function timingFileText(key: ZoneKey): string {
  const lines = [`; pulsedns key timing (RFC 7583) for ${nameToText(key.zone)} key ${key.tag}; UTC YYYYMMDDHHMMSS`];
  for (const [label, field] of TIMING_FIELDS) {
    const v = key.timing[field];
    if (v !== undefined) lines.push(`${label}: ${formatDnsTime(v)}`);
  }
  return lines.join('\n') + '\n';
}

/** Writes a new file with `mode`, refusing to replace one that exists. */
function writeNew(path: string, text: string, mode: number): void {
  const fd = openSync(path, 'wx', mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Rewrites the timing file of a key whole (temp file, then rename), e.g. when a rollover moves on. */
export function writeTiming(key: ZoneKey): void {
  const tmp = `${key.base}.timing.${randomBytes(4).toString('hex')}.tmp`;
  writeNew(tmp, timingFileText(key), 0o644);
  renameSync(tmp, `${key.base}.timing`);
}

/**
 * Makes a new combined signing key (flags 257) for `zone` in `dir` and
 * writes its three files; published and active from `now` (seconds) unless
 * `at` says later (a rollover's next key). A key
 * tag already used by a key of this zone in `dir` is avoided (RFC 4034 B:
 * tags are not unique, but validators try keys by tag). A missing directory
 * is made, readable by its owner only.
 */
export function createKey(dir: string, zone: Name, algorithm: Algorithm, now = Math.floor(Date.now() / 1000), at: KeySchedule = {}): ZoneKey {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const taken = new Set(loadZoneKeys(dir, zone).keys.map((k) => k.tag));
  for (let attempt = 0; attempt < 20; attempt++) {
    const key = newKey(zone, algorithm, now, dir, at);
    if (taken.has(key.tag) || taken.has(keyTag(revoked(key.dnskey)))) continue;
    // The .key file last: it is what makes the key visible to loadZoneKeys.
    writeNew(`${key.base}.private`, privateFileText(key), 0o600);
    writeNew(`${key.base}.timing`, timingFileText(key), 0o644);
    writeNew(`${key.base}.key`, keyFileText(key), 0o644);
    return key;
  }
  throw new KeyError(`could not find an unused key tag for ${nameToText(zone)} in ${dir}`);
}

function revoked(dnskey: Buffer): Buffer {
  const b = Buffer.from(dnskey);
  b.writeUInt16BE(b.readUInt16BE(0) | 0x0080, 0);
  return b;
}

// --- reading ----------------------------------------------------------------

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new KeyError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** The DNSKEY record of a `.key` file: comments and blank lines skipped, one record, optional TTL and class. */
export function parseKeyFile(path: string, text: string): { owner: Name; dnskey: Buffer } {
  const records = text
    .split('\n')
    .map((l) => l.replace(/;.*$/, '').replace(/[()]/g, ' ').trim())
    .filter((l) => l.length > 0);
  if (records.length !== 1) throw new KeyError(`${path}: expected exactly one DNSKEY record, found ${records.length} record lines`);
  const tok = records[0]!.split(/\s+/);
  const ownerText = tok.shift()!;
  if (tok[0] !== undefined && /^\d+$/.test(tok[0])) tok.shift(); // TTL
  if (tok[0]?.toUpperCase() === 'IN') tok.shift();
  if (tok.shift()?.toUpperCase() !== 'DNSKEY') throw new KeyError(`${path}: the record is not a DNSKEY`);
  const [flags, protocol, alg, ...b64] = tok;
  if (!flags || !/^\d+$/.test(flags) || Number(flags) > 0xffff) throw new KeyError(`${path}: bad DNSKEY flags`);
  if (protocol !== '3') throw new KeyError(`${path}: DNSKEY protocol must be 3`);
  if (!alg || !/^\d+$/.test(alg) || Number(alg) > 255) throw new KeyError(`${path}: bad DNSKEY algorithm`);
  const keyText = b64.join('');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(keyText)) throw new KeyError(`${path}: the DNSKEY public key is not base64`);
  let owner: Name;
  try {
    owner = nameFromText(ownerText.endsWith('.') ? ownerText : `${ownerText}.`);
  } catch (e) {
    throw new KeyError(`${path}: bad owner name: ${(e as NameError).message}`);
  }
  return { owner, dnskey: dnskeyRdata(Number(flags), Number(alg), Buffer.from(keyText, 'base64')) };
}

/** `Field: value` lines. Values of the private file never appear in an error. */
function fields(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z-]+):\s*(.*?)\s*$/.exec(line);
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

function parseTimes(path: string, f: Map<string, string>, names: ReadonlyMap<string, keyof KeyTiming>): Partial<KeyTiming> {
  const out: Partial<KeyTiming> = {};
  for (const [label, field] of names) {
    const v = f.get(label);
    if (v === undefined || v === '') continue;
    const t = parseDnsTime(v.split(/\s/)[0]!);
    if (t === undefined) throw new KeyError(`${path}: ${label} must be a UTC time YYYYMMDDHHMMSS`);
    out[field] = t;
  }
  return out;
}

/** The private key of a `.private` file, checked against the algorithm and the public key it must match. */
export function parsePrivateFile(path: string, text: string, algorithm: number, dnskey: Buffer): { privateKey: KeyObject; timing: Partial<KeyTiming> } {
  const f = fields(text);
  const format = f.get('Private-key-format');
  if (!format || !/^v1\.\d+$/.test(format)) throw new KeyError(`${path}: not a BIND private key file (no "Private-key-format: v1.x" line)`);
  const alg = /^(\d+)/.exec(f.get('Algorithm') ?? '')?.[1];
  if (Number(alg) !== algorithm) throw new KeyError(`${path}: Algorithm field does not match the key's algorithm ${algorithm}`);
  const secretText = f.get('PrivateKey');
  if (!secretText || !/^[A-Za-z0-9+/]+={0,2}$/.test(secretText)) throw new KeyError(`${path}: missing or malformed PrivateKey field`);
  const secret = Buffer.from(secretText, 'base64');
  if (secret.length !== 32) throw new KeyError(`${path}: PrivateKey field holds ${secret.length} bytes, algorithm ${algorithm} needs 32`);
  let privateKey: KeyObject;
  try {
    privateKey = privateFromField(algorithm as Algorithm, secret);
  } catch {
    throw new KeyError(`${path}: PrivateKey field is not a valid algorithm ${algorithm} private key`);
  } finally {
    secret.fill(0);
  }
  if (!publicKeyField(algorithm as Algorithm, privateKey).equals(parseDnskeyRdata(dnskey).publicKey)) {
    throw new KeyError(`${path}: this private key does not belong to the public key in the .key file`);
  }
  return { privateKey, timing: parseTimes(path, f, BIND_TIMING) };
}

/** Reads one key pair (and timing) given the path of its `.key` file. */
export function readKey(keyPath: string): ZoneKey {
  const m = FILE_RE.exec(keyPath.slice(keyPath.lastIndexOf('/') + 1));
  if (!m) throw new KeyError(`${keyPath}: not a key file name (expected K<zone>.+<alg>+<tag>.key)`);
  const base = keyPath.slice(0, -'.key'.length);
  const { owner, dnskey } = parseKeyFile(keyPath, readText(keyPath));
  let fileZone: Name;
  try {
    fileZone = nameFromText(m[1]!);
  } catch (e) {
    throw new KeyError(`${keyPath}: bad zone name in the file name: ${(e as NameError).message}`);
  }
  if (fileZone !== owner) throw new KeyError(`${keyPath}: the file name says ${nameToText(fileZone)} but the record is for ${nameToText(owner)}`);
  const fieldsOf = parseDnskeyRdata(dnskey);
  const algorithm = fieldsOf.algorithm;
  if (Number(m[2]) !== algorithm) throw new KeyError(`${keyPath}: the file name says algorithm ${Number(m[2])} but the record has ${algorithm}`);
  if (!ALGORITHMS.has(algorithm as Algorithm)) {
    throw new KeyError(`${keyPath}: algorithm ${algorithm} is not one pulsedns signs with (13 ECDSAP256SHA256 or 15 ED25519)`);
  }
  const tag = keyTag(dnskey);
  if (Number(m[3]) !== tag) throw new KeyError(`${keyPath}: the file name says key tag ${Number(m[3])} but the key's tag is ${tag}`);
  if (!(fieldsOf.flags & FLAG_ZONE)) throw new KeyError(`${keyPath}: the DNSKEY lacks the zone key flag (256); it cannot sign a zone`);
  const privPath = `${base}.private`;
  if (!existsSync(privPath)) throw new KeyError(`${privPath}: missing (every .key file needs its .private file)`);
  const priv = parsePrivateFile(privPath, readText(privPath), algorithm, dnskey);
  const timingPath = `${base}.timing`;
  // Our timing file wins; keys brought from BIND carry their times in the private file.
  const fromFile = existsSync(timingPath) ? parseTimes(timingPath, fields(readText(timingPath)), new Map(TIMING_FIELDS)) : priv.timing;
  const timing: KeyTiming = { created: 0, ...fromFile };
  return { zone: owner, algorithm: algorithm as Algorithm, flags: fieldsOf.flags, tag, dnskey, privateKey: priv.privateKey, timing, base };
}

/**
 * Copies a key pair made elsewhere (BIND, Knot's keymgr export, ldns) into
 * `dir` after checking it as loadZoneKeys would: the same files, the private
 * one 0600, plus a timing file with the times the private file carried. A
 * key without a creation time is taken as created when its .key file was.
 */
export function importKey(keyPath: string, dir: string): ZoneKey {
  const k = readKey(keyPath);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const base = join(dir, keyFileStem(k.zone, k.algorithm, k.tag));
  if (existsSync(`${base}.key`) || existsSync(`${base}.private`)) throw new KeyError(`${base}: a key with this tag is already in ${dir}`);
  const timing = k.timing.created ? k.timing : { ...k.timing, created: Math.floor(statSync(keyPath).mtimeMs / 1000) };
  const key: ZoneKey = { ...k, timing, base };
  writeNew(`${base}.private`, readText(`${k.base}.private`), 0o600);
  writeNew(`${base}.timing`, timingFileText(key), 0o644);
  writeNew(`${base}.key`, readText(keyPath), 0o644);
  return key;
}

export interface LoadedKeys {
  keys: ZoneKey[];
  /** Things an operator should fix that do not stop signing (loose file modes, stray files). */
  warnings: string[];
}

/** The file names in a key directory; none when it does not exist (no keys yet). */
export function listKeyDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new KeyError(`${dir}: cannot read the key directory (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

const KEY_FILE_RE = /^K(.+)\+\d{3}\+\d{5}\.(?:key|private|timing)$/;

/**
 * The zone a key directory entry (`.key`, `.private` or `.timing`) belongs
 * to by its name, or undefined for other files and names that are no zone:
 * loadZoneKeys reads nothing of either for any zone.
 */
export function keyFileZone(fileName: string): Name | undefined {
  const m = KEY_FILE_RE.exec(fileName);
  if (!m) return undefined;
  try {
    return nameFromText(m[1]!);
  } catch {
    return undefined;
  }
}

/**
 * Every key of `zone` in `dir`, sorted by tag. A missing directory or a zone
 * with no keys gives an empty list; any malformed key file is an error naming
 * the file, because signing with a partial key set could break validation.
 */
export function loadZoneKeys(dir: string, zone: Name): LoadedKeys {
  return zoneKeysIn(dir, listKeyDir(dir), zone);
}

/**
 * loadZoneKeys over a listing of `dir` made already: `names` may be the whole
 * directory or only the zone's own files (keyFileZone), with the same result.
 */
export function zoneKeysIn(dir: string, names: readonly string[], zone: Name): LoadedKeys {
  const keys: ZoneKey[] = [];
  const warnings: string[] = [];
  const stems = new Set<string>();
  const sorted = [...names].sort();
  for (const n of sorted) {
    const m = FILE_RE.exec(n);
    if (!m) continue;
    let fileZone: Name;
    try {
      fileZone = nameFromText(m[1]!);
    } catch {
      continue; // not a key of ours to judge; readKey would name it if it were this zone's
    }
    if (fileZone !== zone) continue;
    const key = readKey(join(dir, n));
    stems.add(n.slice(0, -'.key'.length));
    const mode = statSync(`${key.base}.private`).mode;
    if (mode & 0o077) warnings.push(`${key.base}.private: readable by group or others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`);
    keys.push(key);
  }
  for (const n of sorted) {
    const m = /^(K.+\+\d{3}\+\d{5})\.private$/.exec(n);
    // The zone first: asking the disk about every other zone's private files made a directory of many zones quadratic.
    if (m && !stems.has(m[1]!) && keyFileZone(n) === zone && !existsSync(join(dir, `${m[1]}.key`))) {
      warnings.push(`${join(dir, n)}: has no .key file beside it and is ignored`);
    }
  }
  keys.sort((a, b) => a.tag - b.tag);
  return { keys, warnings };
}

export type KeyPhase = 'created' | 'published' | 'active' | 'retired' | 'removed';

/**
 * Where a key stands at `now` (RFC 7583). A key with neither a publish nor an
 * activate time (ldns-keygen writes none) is active; otherwise, as in BIND,
 * only an activate time in the past makes it sign.
 */
export function keyPhase(key: ZoneKey, now: number): KeyPhase {
  const t = key.timing;
  if (t.remove !== undefined && now >= t.remove) return 'removed';
  if (t.retire !== undefined && now >= t.retire) return 'retired';
  if (t.publish === undefined && t.activate === undefined) return 'active';
  if (t.activate !== undefined && now >= t.activate) return 'active';
  if (t.publish !== undefined && now >= t.publish) return 'published';
  return 'created';
}

/** Keys whose DNSKEY belongs in the zone at `now` (published, active or retired but not yet removed). */
export function publishedKeys(keys: readonly ZoneKey[], now: number): ZoneKey[] {
  return keys.filter((k) => {
    const p = keyPhase(k, now);
    return p !== 'created' && p !== 'removed';
  });
}

/** Keys that sign at `now`. */
export function activeKeys(keys: readonly ZoneKey[], now: number): ZoneKey[] {
  return keys.filter((k) => keyPhase(k, now) === 'active');
}
