// plan's signing warnings (server/plan/signing.ts) for an algorithm change:
// signing with another algorithm than the parent's DS names breaks
// validation, and pulsedns does no algorithm rollover, so plan says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signingWarnings } from '../../../server/plan/signing.js';
import { zonesFrom } from '../../support/catalog.js';

const zone = (dnssec: string): ReturnType<typeof zonesFrom>[number] =>
  zonesFrom({
    'example.com': `${dnssec}records:
  '@':
    - { type: SOA, value: { mname: ns1, rname: hostmaster, serial: 1 } }
    - { type: NS, value: ns1 }
  ns1: { type: A, value: 192.0.2.1 }
`,
  })[0]!;

test('an algorithm change (13 to 15) warns about the DS, the missing rollover and the key', () => {
  const now = Math.floor(Date.now() / 1000);
  const w = signingWarnings(zone('dnssec: true\n'), zone('dnssec: { algorithm: ed25519 }\n'), now);
  assert.equal(w.length, 1);
  assert.equal(w[0]!.code, 'signing-algorithm');
  assert.equal(w[0]!.zone, 'example.com.');
  assert.match(w[0]!.message, /the signing algorithm changes from 13 to 15: validating resolvers reject the zone/);
  assert.match(w[0]!.message, /take the DS out at the parent first/);
  assert.match(w[0]!.message, /pulsedns keys generate example\.com --keys DIR --algorithm ed25519/);
});

test('the same algorithm, or only the denial mode changing, gives no warning', () => {
  const now = Math.floor(Date.now() / 1000);
  assert.deepEqual(signingWarnings(zone('dnssec: true\n'), zone('dnssec: { algorithm: ecdsap256sha256, denial: nsec }\n'), now), []);
  assert.deepEqual(signingWarnings(zone('dnssec: { algorithm: ed25519 }\n'), zone('dnssec: { algorithm: ed25519 }\n'), now), []);
});
