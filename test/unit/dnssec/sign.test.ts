// RRSIG signing and verification: RFC 8080's deterministic Ed25519 vector
// byte for byte, RFC 6605's ECDSA signature verified, and the properties
// online signing relies on (order and duplicates do not matter, names are
// compared lowercased, wildcard labels, validity checks).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from '../../../server/wire/constants.js';
import { nameFromText } from '../../../server/wire/names.js';
import { parsePrivateFile } from '../../../server/dnssec/keys.js';
import { parseRrsig, rrsigLabels, signingKey, signRRset, verifyRRset } from '../../../server/dnssec/sign.js';
import { rrsigText } from '../../../server/dnssec/text.js';
import { parseDnsTime } from '../../../server/dnssec/window.js';
import { dnskeyFromText, RFC6605_P256, RFC8080_ED25519 } from './vectors.js';

function vectorKey(v: { privateKey: string; dnskey: string; tag: number; owner: string }, alg: number) {
  const dnskey = dnskeyFromText(v.dnskey);
  const text = `Private-key-format: v1.2\nAlgorithm: ${alg}\nPrivateKey: ${v.privateKey}\n`;
  const { privateKey } = parsePrivateFile('vector.private', text, alg, dnskey);
  return { dnskey, sk: signingKey({ algorithm: alg, tag: v.tag, privateKey }, nameFromText(v.owner)) };
}

const MX = Buffer.concat([Buffer.from([0, 10]), Buffer.from(nameFromText('mail.example.com'), 'latin1')]);

test('Ed25519 signature of the RFC 8080 MX example comes out byte for byte (erratum 4935)', () => {
  const { dnskey, sk } = vectorKey(RFC8080_ED25519, 15);
  const owner = nameFromText('example.com');
  const sig = signRRset(sk, owner, Type.MX, 3600, [MX], RFC8080_ED25519.inception, RFC8080_ED25519.expiration);
  assert.equal(parseRrsig(sig).signature.toString('base64'), RFC8080_ED25519.signature);
  assert.equal(rrsigText(sig), `MX 15 2 3600 20150819220000 20150729220000 3613 example.com. ${RFC8080_ED25519.signature}`);
  assert.deepEqual(verifyRRset(dnskey, owner, Type.MX, [MX], sig, 1439000000), { valid: true });
});

test('the RFC 6605 ECDSA P-256 signature verifies, and ours over the same data too', () => {
  const { dnskey, sk } = vectorKey(RFC6605_P256, 13);
  const owner = nameFromText('www.example.net');
  const a = Buffer.from([192, 0, 2, 1]);
  const [, alg, labels, ttl, exp, inc, tag, , b64] = RFC6605_P256.rrsig.split(' ');
  const head = Buffer.alloc(18);
  head.writeUInt16BE(Type.A, 0);
  head[2] = Number(alg);
  head[3] = Number(labels);
  head.writeUInt32BE(Number(ttl), 4);
  head.writeUInt32BE(parseDnsTime(exp!)!, 8);
  head.writeUInt32BE(parseDnsTime(inc!)!, 12);
  head.writeUInt16BE(Number(tag), 16);
  const theirs = Buffer.concat([head, Buffer.from(nameFromText('example.net'), 'latin1'), Buffer.from(b64!, 'base64')]);
  const during = parseDnsTime('20100820000000')!;
  assert.deepEqual(verifyRRset(dnskey, owner, Type.A, [a], theirs, during), { valid: true });
  const ours = signRRset(sk, owner, Type.A, 3600, [a], parseDnsTime(inc!)!, parseDnsTime(exp!)!);
  assert.equal(parseRrsig(ours).signature.length, 64, 'r|s, 32 bytes each (RFC 6605 4)');
  assert.deepEqual(ours.subarray(0, 18 + 13), theirs.subarray(0, 18 + 13), 'same RRSIG fields as the RFC');
  assert.deepEqual(verifyRRset(dnskey, owner, Type.A, [a], ours, during), { valid: true });
});

test('a signature covers the set: any order, duplicates dropped; a changed record, TTL or time fails', () => {
  const { dnskey, sk } = vectorKey(RFC6605_P256, 13);
  const owner = nameFromText('pool.example.net');
  const ips = [[192, 0, 2, 3], [192, 0, 2, 1], [192, 0, 2, 2]].map((b) => Buffer.from(b));
  const now = 1_800_000_000;
  const sig = signRRset(sk, owner, Type.A, 30, ips, now - 3600, now + 86400);
  assert.deepEqual(verifyRRset(dnskey, owner, Type.A, [...ips].reverse(), sig, now), { valid: true });
  assert.deepEqual(verifyRRset(dnskey, owner, Type.A, [...ips, ips[0]!], sig, now), { valid: true });
  assert.equal(verifyRRset(dnskey, owner, Type.A, ips.slice(1), sig, now).valid, false);
  assert.equal(verifyRRset(dnskey, nameFromText('other.example.net'), Type.A, ips, sig, now).valid, false);
  assert.deepEqual(verifyRRset(dnskey, owner, Type.A, ips, sig, now + 2 * 86400), { valid: false, reason: 'expired' });
  assert.deepEqual(verifyRRset(dnskey, owner, Type.A, ips, sig, now - 7200), { valid: false, reason: 'not yet valid (inception in the future)' });
  const changedTtl = Buffer.from(sig);
  changedTtl.writeUInt32BE(60, 4);
  assert.equal(verifyRRset(dnskey, owner, Type.A, ips, changedTtl, now).valid, false);
});

test('labels do not count a leading *, and a wildcard signature validates an expanded answer', () => {
  const { dnskey, sk } = vectorKey(RFC8080_ED25519, 15);
  const wild = nameFromText('*.w.example.com');
  assert.equal(rrsigLabels(wild), 3);
  assert.equal(rrsigLabels(nameFromText('.')), 0);
  const a = [Buffer.from([198, 51, 100, 7])];
  const sig = signRRset(sk, wild, Type.A, 300, a, 1_800_000_000, 1_800_100_000);
  assert.equal(parseRrsig(sig).labels, 3);
  assert.deepEqual(verifyRRset(dnskey, nameFromText('x.y.w.example.com'), Type.A, a, sig, 1_800_000_100), { valid: true });
});

test('names inside rdata are compared lowercased for the RFC 4034 6.2 types, but not for others', () => {
  const { dnskey, sk } = vectorKey(RFC8080_ED25519, 15);
  const owner = nameFromText('example.com');
  const lowerMx = MX;
  const upperMx = Buffer.from(lowerMx);
  upperMx.write('MAIL', 3, 'latin1');
  const sig = signRRset(sk, owner, Type.MX, 3600, [upperMx], 1_800_000_000, 1_800_100_000);
  assert.deepEqual(verifyRRset(dnskey, owner, Type.MX, [lowerMx], sig, 1_800_000_100), { valid: true });
  // TYPE65280 is opaque: its bytes are signed as they are.
  const opaque = signRRset(sk, owner, 65280, 3600, [upperMx], 1_800_000_000, 1_800_100_000);
  assert.equal(verifyRRset(dnskey, owner, 65280, [lowerMx], opaque, 1_800_000_100).valid, false);
});
