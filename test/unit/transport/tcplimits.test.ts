// Which addresses share a TCP connection limit: an IPv4 address on its own
// (mapped or not), and an IPv6 /64 however it is written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientKey } from '../../../server/transport/tcplimits.js';

test('clientKey: IPv4 per address, IPv6 per /64', () => {
  assert.equal(clientKey('192.0.2.7'), '192.0.2.7');
  assert.equal(clientKey('::ffff:192.0.2.7'), '192.0.2.7');
  assert.notEqual(clientKey('192.0.2.7'), clientKey('192.0.2.8'));
  assert.equal(clientKey('2001:db8:0:1::5'), '2001:db8:0:1::/64');
  assert.equal(clientKey('2001:db8:0:1:ffff:1:2:3'), clientKey('2001:db8::1:0:0:0:9'));
  assert.equal(clientKey('2001:0db8:0000:0001::1'), '2001:db8:0:1::/64');
  assert.notEqual(clientKey('2001:db8:0:1::5'), clientKey('2001:db8:0:2::5'));
  assert.equal(clientKey('::1'), '0:0:0:0::/64');
});
