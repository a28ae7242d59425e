// DNSKEY, key tag and DS against published vectors and ldns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nameFromText } from '../../../server/wire/names.js';
import { DigestType, dnskeyText, dsLine, dsRdata, dsText, keyTag, parseDnskeyRdata } from '../../../server/dnssec/dnskey.js';
import { createKey, readKey } from '../../../server/dnssec/keys.js';
import { needTool } from '../../support/tools.js';
import { dnskeyFromText, RFC4034_DNSKEY, RFC6605_P256, RFC8080_ED25519 } from './vectors.js';

test('key tags and SHA-256 DS digests match RFC 4034, RFC 4509, RFC 6605 and RFC 8080', () => {
  const k4034 = dnskeyFromText(RFC4034_DNSKEY.text);
  assert.equal(keyTag(k4034), RFC4034_DNSKEY.tag);
  assert.equal(dsRdata(nameFromText(RFC4034_DNSKEY.owner), k4034).subarray(4).toString('hex').toUpperCase(), RFC4034_DNSKEY.sha256);
  for (const v of [RFC6605_P256, RFC8080_ED25519]) {
    const k = dnskeyFromText(v.dnskey);
    assert.equal(keyTag(k), v.tag);
    assert.equal(dsText(dsRdata(nameFromText(v.owner), k)), v.ds);
    assert.equal(dnskeyText(k), v.dnskey);
  }
});

test('the DS line for the registrar names the zone and uses digest type 2 unless asked', () => {
  const k = dnskeyFromText(RFC6605_P256.dnskey);
  assert.equal(dsLine(nameFromText('example.net'), k), `example.net. IN DS ${RFC6605_P256.ds}`);
  assert.match(dsLine(nameFromText('example.net'), k, DigestType.SHA384, 3600), /^example\.net\. 3600 IN DS 55648 13 4 [0-9A-F]{96}$/);
  assert.equal(parseDnskeyRdata(k).flags, 257);
});

test('ldns agrees on key tags and DS digests of keys it made and keys we made', (t) => {
  const keygen = needTool(t, 'ldns-keygen', 'ldnsutils');
  const key2ds = keygen && needTool(t, 'ldns-key2ds', 'ldnsutils');
  if (!keygen || !key2ds) return;
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-dnskey-'));
  try {
    const zone = nameFromText('example.org');
    execFileSync(keygen, ['-a', 'ECDSAP256SHA256', '-k', 'example.org'], { cwd: dir, stdio: 'pipe' });
    execFileSync(keygen, ['-a', 'ED25519', '-k', 'example.org'], { cwd: dir, stdio: 'pipe' });
    createKey(dir, zone, 13);
    createKey(dir, zone, 15);
    const keyFiles = readdirSync(dir).filter((f) => f.endsWith('.key'));
    assert.equal(keyFiles.length, 4);
    for (const f of keyFiles) {
      const key = readKey(join(dir, f));
      for (const [flag, dt] of [['-2', DigestType.SHA256], ['-4', DigestType.SHA384]] as const) {
        const out: string[] = execFileSync(key2ds, ['-n', flag, f], { cwd: dir, encoding: 'utf8' }).trim().split(/\s+/);
        // ldns: owner ttl IN DS tag alg digesttype digest
        assert.deepEqual(out.slice(4).join(' ').toUpperCase(), dsText(dsRdata(zone, key.dnskey, dt)), `${f} ${flag}`);
        assert.equal(Number(out[4]), key.tag, f);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
