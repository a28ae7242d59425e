// YAML syntax errors in zone files and _pools.yaml: each mistake once, at its real line and column.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseZoneYaml } from '../../../server/zones/parse.js';
import { parsePoolsYaml } from '../../../server/pools/parse.js';
import { formatError, type ZoneError } from '../../../server/zones/model.js';

const HEAD = "ttl: 300\nrecords:\n  '@':\n    - { type: SOA, value: { mname: ns1, rname: hostmaster } }\n    - { type: NS, value: ns1 }\n  ns1: { type: A, value: 192.0.2.1 }\n";

function zoneErrors(text: string): ZoneError[] {
  return parseZoneYaml(text, 'shop.test.yaml', 'shop.test').errors;
}

function onlyAt(errors: ZoneError[], line: number, col: number, re: RegExp): void {
  const shown = errors.map(formatError).join('\n');
  assert.equal(errors.length, 1, `one error, got:\n${shown}`);
  assert.deepEqual([errors[0]!.line, errors[0]!.col], [line, col], shown);
  assert.match(errors[0]!.message, re);
}

test('zone: a mis-indented owner is reported once, where it starts', () => {
  onlyAt(zoneErrors(HEAD + '   www: { type: A, value: 192.0.2.10 }\n'), 7, 4, /YAML syntax: .*same column/);
});

test('zone: a mis-indented list item is reported once, at the item', () => {
  const text = HEAD + '  www:\n    - { type: A, value: 192.0.2.10 }\n     - { type: AAAA, value: "2001:db8::10" }\n';
  onlyAt(zoneErrors(text), 9, 6, /YAML syntax: .*same column/);
});

test('zone: a tab in the indentation is reported once, at the tab', () => {
  onlyAt(zoneErrors(HEAD + '  www:\n\t- { type: A, value: 192.0.2.10 }\n'), 8, 1, /Tabs.*indent with spaces/);
});

test('zone: an unquoted @ is reported once, with the fix', () => {
  const text = HEAD.replace("  '@':", '  @:');
  onlyAt(zoneErrors(text), 3, 3, /reserved character @.*quote it: '@'/);
  onlyAt(zoneErrors(HEAD + '  www: { type: CNAME, value: @ }\n'), 7, 30, /reserved character @/);
});

test('zone: two separate mistakes are both reported, each at its line', () => {
  const text = HEAD + '  www:\n\t- { type: A, value: 192.0.2.10 }\n  a: { type: A, value: 192.0.2.1 }\n  b: { type: CNAME, value: @ }\n';
  const errors = zoneErrors(text);
  assert.deepEqual(errors.map((e) => e.line), [8, 10], errors.map(formatError).join('\n'));
});

test('_pools.yaml: syntax errors at their real line, once', () => {
  const good = 'pools:\n  web:\n    members: [192.0.2.10]\n';
  assert.deepEqual(parsePoolsYaml(good, '_pools.yaml').errors, []);
  const indent = parsePoolsYaml('pools:\n  web:\n    members: [192.0.2.10]\n   ttl: 60\n', '_pools.yaml').errors;
  onlyAt(indent, 4, 4, /YAML syntax/);
  const tab = parsePoolsYaml('pools:\n  web:\n\tmembers: [192.0.2.10]\n', '_pools.yaml').errors;
  onlyAt(tab, 3, 1, /Tabs/);
  const dup = parsePoolsYaml('pools:\n  web:\n    members: [192.0.2.10]\n  web:\n    members: [192.0.2.11]\n', '_pools.yaml').errors;
  onlyAt(dup, 4, 3, /unique/);
});
