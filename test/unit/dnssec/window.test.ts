// Signature validity: quantized, so servers agree; refreshed well before expiry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDnsTime, parseDnsTime, ValidityWindow } from '../../../server/dnssec/window.js';

test('inception an hour back, expiration days ahead, the same for a whole quantum', () => {
  const w = new ValidityWindow();
  const t = Date.UTC(2027, 0, 15, 8, 30, 0) / 1000;
  const v = w.at(t);
  assert.equal(formatDnsTime(v.inception), '20270115070000');
  assert.equal(formatDnsTime(v.expiration), '20270129080000');
  assert.equal(v.refreshAt, v.expiration - 7 * 86400);
  const other = new ValidityWindow();
  assert.deepEqual(other.at(t + 1799), v, 'another server in the same hour signs with the same times');
  assert.notDeepEqual(w.at(t + 1800), v, 'the next hour moves on');
});

test('options are checked: a signature must outlive its refresh point by a quantum', () => {
  assert.throws(() => new ValidityWindow({ validity: 3600, refreshBefore: 3600 }), /must exceed refresh-before/);
  assert.throws(() => new ValidityWindow({ quantum: 0 }), /quantum/);
  assert.throws(() => new ValidityWindow({ skew: -1 }), /skew/);
  const short = new ValidityWindow({ validity: 600, refreshBefore: 300, quantum: 60, skew: 30 });
  assert.deepEqual(short.at(1000), { inception: 930, expiration: 1560, refreshAt: 1260 });
});

test('DNSSEC time text round-trips and rejects nonsense', () => {
  assert.equal(parseDnsTime('20100909100439'), 1284026679);
  assert.equal(formatDnsTime(1284026679), '20100909100439');
  for (const bad of ['2010090910043', '20101309100439', '20100230000000', '20100909250000', 'x0100909100439']) assert.equal(parseDnsTime(bad), undefined, bad);
});
