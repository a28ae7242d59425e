// Presentation text -> canonical names (wire/names.ts): the shortcut for plain
// names must give what the general parser gives, and leave every refusal (and
// its message) to it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nameFromText, nameFromTextGeneral, NameError, ROOT } from '../../../server/wire/names.js';
import { makeRng } from '../../support/rng.js';

const ORIGIN = nameFromTextGeneral('example.com.');

function outcome(f: () => string): string {
  try {
    return `ok ${JSON.stringify(f())}`;
  } catch (e) {
    assert.ok(e instanceof NameError, String(e));
    return `error ${e.message}`;
  }
}

function agrees(text: string, origin = ORIGIN): void {
  assert.equal(outcome(() => nameFromText(text, origin)), outcome(() => nameFromTextGeneral(text, origin)), JSON.stringify(text));
}

test('plain names take the shortcut and come out as the general parser makes them', () => {
  assert.equal(nameFromText('www', ORIGIN), '\x03www\x07example\x03com\x00');
  assert.equal(nameFromText('a.b.', ORIGIN), '\x01a\x01b\x00');
  for (const t of ['www', 'a.b.c', 'a.b.', '*', '*.apps', '_sip._tcp', 'x-1', 'WWW', 'Www.Example.', 'a..b', '.a', 'a.', '..', '', 'a\\.b', 'a\\065', 'a b', 'é',
    'a'.repeat(63), 'a'.repeat(64), `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`, `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}.`,
    `${'a.'.repeat(120)}`, `${'a.'.repeat(128)}`, `${'a.'.repeat(127)}a`]) {
    agrees(t);
    agrees(t, ROOT);
  }
  const rng = makeRng(7);
  const alphabet = 'abcXYZ019-_*.\\ \t@"';
  for (let i = 0; i < 30_000; i++) {
    let s = '';
    for (let k = 1 + Math.floor(rng() * 20); k > 0; k--) s += alphabet[Math.floor(rng() * alphabet.length)];
    agrees(s);
  }
  // Lengths around the 255-byte limit, relative to a long origin.
  const long = nameFromTextGeneral(`${'o'.repeat(60)}.${'p'.repeat(60)}.${'q'.repeat(60)}.`);
  for (let n = 50; n < 80; n++) agrees('x'.repeat(Math.min(n, 63)) + (n > 63 ? `.${'y'.repeat(n - 63)}` : ''), long);
});
