// The A record shortcut the fast parser takes (zones/rdata.ts ipv4Word): it
// must accept exactly what the general path accepts, with the same bytes, and
// leave everything else (and its error message) to that path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ipv4Word, oneToken, parseIPv4, splitPresentation } from '../../../server/zones/rdata.js';

function agrees(text: string): void {
  const b = parseIPv4(text);
  const w = ipv4Word(text);
  if (b === undefined) assert.equal(w, -1, JSON.stringify(text));
  else assert.equal(w, b.readUInt32BE(0), JSON.stringify(text));
}

test('ipv4Word accepts what parseIPv4 accepts, as the same number, and nothing else', () => {
  const cases = ['0.0.0.0', '255.255.255.255', '192.0.2.1', '10.0.0.10', '1.2.3.4', '256.0.0.1', '300.0.0.1', '01.2.3.4', '1.02.3.4', '1.2.3.00',
    '1.2.3', '1.2.3.4.', '.1.2.3', '1..2.3', '1.2.3.4.5', '', '.', '1.2.3.4 ', ' 1.2.3.4', '1.2.3.-4', '1.2.3.+4', '١.2.3.4', '1.2.3.4x', '0x1.2.3.4', '999.1.1.1', '25.5.255.2550'];
  for (const c of cases) agrees(c);
  // Random strings over the characters that matter.
  let seed = 12345;
  const rnd = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
  const alphabet = '0123456789.. 1a-';
  for (let i = 0; i < 50_000; i++) {
    let s = '';
    for (let k = 1 + rnd(16); k > 0; k--) s += alphabet[rnd(alphabet.length)];
    agrees(s);
  }
  for (let i = 0; i < 20_000; i++) agrees(`${rnd(300)}.${rnd(300)}.${rnd(300)}.${rnd(300)}`);
});

test('a value oneToken lets through is the single token splitPresentation would make of it', () => {
  let seed = 99;
  const rnd = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
  const alphabet = 'ab.1-_"\\ \t;()é\u00a0\u2028';
  for (let i = 0; i < 50_000; i++) {
    let s = '';
    for (let k = rnd(12); k > 0; k--) s += alphabet[rnd(alphabet.length)];
    if (oneToken(s)) assert.deepEqual(splitPresentation(s), [s], JSON.stringify(s));
  }
  assert.ok(oneToken('mail.example.com.') && !oneToken('10 mail') && !oneToken('"x"') && !oneToken('a\\.b') && !oneToken(''));
});
