// ZoneSigner: one signature per RRset content and key set, reused until
// refresh time; DNSKEY, CDS and CDNSKEY for the apex.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '../../../server/wire/constants.js';
import { nameFromText } from '../../../server/wire/names.js';
import { createKey, loadZoneKeys } from '../../../server/dnssec/keys.js';
import { SigCache } from '../../../server/dnssec/cache.js';
import { rdataSetId, ZoneSigner } from '../../../server/dnssec/signer.js';
import { parseRrsig, verifyRRset } from '../../../server/dnssec/sign.js';
import { dsRdata } from '../../../server/dnssec/dnskey.js';

const zone = nameFromText('example.com');
const T0 = 1_800_000_000;

test('signatures are made once per RRset content and reused, whatever the record order', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-signer-'));
  try {
    const key = createKey(dir, zone, 13, T0 - 10);
    let now = T0;
    const cache = new SigCache();
    const s = new ZoneSigner(zone, loadZoneKeys(dir, zone).keys, { cache, clock: () => now });
    const owner = nameFromText('www.example.com');
    const ips = [[192, 0, 2, 1], [192, 0, 2, 2]].map((b) => Buffer.from(b));
    const first = s.sign(owner, Type.A, 30, ips);
    assert.equal(first.length, 1);
    assert.deepEqual(verifyRRset(key.dnskey, owner, Type.A, ips, first[0]!, now), { valid: true });
    assert.equal(s.sign(owner, Type.A, 30, [...ips].reverse()), first, 'same set, other order: cached');
    assert.notEqual(s.sign(owner, Type.A, 60, ips), first, 'another TTL is another signature');
    assert.notEqual(s.sign(owner, Type.A, 30, ips.slice(0, 1)), first, 'a member subset is another signature');
    assert.equal(cache.stats().signatures, 3);
    assert.equal(s.sign(owner, Type.A, 30, ips, 'members:1,2'), s.sign(owner, Type.A, 30, ips, 'members:1,2'), 'caller-given set ids work');
    assert.equal(rdataSetId(Type.A, ips), rdataSetId(Type.A, [ips[1]!, ips[0]!, ips[1]!]));
    // A week later the signature is due for refresh: a new one, with new times.
    now = T0 + 7 * 86400 + 3600;
    const later = s.sign(owner, Type.A, 30, ips);
    assert.notEqual(later, first);
    assert.ok(parseRrsig(later[0]!).inception > parseRrsig(first[0]!).inception);
    // Another signer with another key set never sees these signatures.
    createKey(dir, zone, 15, T0 - 10);
    const both = new ZoneSigner(zone, loadZoneKeys(dir, zone).keys, { cache, clock: () => now });
    assert.equal(both.sign(owner, Type.A, 30, ips).length, 2, 'one RRSIG per active key');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the apex gets DNSKEY, CDS and CDNSKEY of the keys; keys not yet active are published but do not sign', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-signer-'));
  try {
    const a = createKey(dir, zone, 13, T0 - 10);
    const b = createKey(dir, zone, 13, T0 - 10);
    b.timing = { created: T0 - 10, publish: T0 - 10, activate: T0 + 86400 };
    const keys = loadZoneKeys(dir, zone).keys.map((k) => (k.tag === b.tag ? { ...k, timing: b.timing } : k));
    const s = new ZoneSigner(zone, keys, { clock: () => T0 });
    const sets = new Map(s.apexRRsets().map((x) => [x.type, x.rdata]));
    assert.equal(sets.get(Type.DNSKEY)!.length, 2);
    assert.deepEqual(sets.get(Type.CDNSKEY), [a.dnskey]);
    assert.deepEqual(sets.get(Type.CDS), [dsRdata(zone, a.dnskey)]);
    assert.deepEqual(s.sign(zone, Type.DNSKEY, 3600, sets.get(Type.DNSKEY)!).map((r) => parseRrsig(r).keyTag), [a.tag]);
    assert.throws(() => new ZoneSigner(zone, [], { clock: () => T0 }), /no active key/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
