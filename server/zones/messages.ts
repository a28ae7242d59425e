// The words of the zone file errors both parsers report (parse.ts, and the
// fast path fastparse.ts), kept in one place so the two cannot drift apart:
// the equivalence test compares their messages as well as their records.
import { SUPPORTED_TYPES, typeName } from '../wire/constants.js';
import { nameToText, type Name } from '../wire/names.js';

export const RECORD_KEYS = new Set(['type', 'ttl', 'value', 'values', 'pool']);

export const zoneMessages = {
  ownerTwice: (owner: string, firstLine: number): string => `owner "${owner}" appears twice (first at line ${firstLine}); list all its records under one key`,
  badOwner: (owner: string, why: string): string => `bad owner name "${owner}": ${why}`,
  outsideZone: (owner: string, origin: Name): string => `owner "${owner}" is outside the zone ${nameToText(origin)} (write it relative, or end it with .${nameToText(origin)})`,
  notAMapping: 'a record is a mapping such as {type: A, value: 192.0.2.1}',
  keyTwice: (key: string): string => `"${key}" appears twice in one record`,
  unknownKey: (key: string): string => `unknown record key "${key}" (expected one of: ${[...RECORD_KEYS].join(', ')})`,
  unknownType: (t: string): string => `unknown record type "${t}" (supported: ${SUPPORTED_TYPES}, or TYPEnnn with "\\# len hex" data)`,
  notStorable: (type: number): string => `type ${typeName(type)} cannot be stored in a zone`,
  poolName: 'pool must name a pool from _pools.yaml',
  valuesList: '"values" must be a list; use "value" for a single one',
  noType: 'record has no "type"',
  poolType: (pool: string): string => `a pool answers A or AAAA queries; use "type: A" or "type: AAAA" with "pool: ${pool}"`,
  poolValue: 'a record with "pool" takes its addresses from the pool; remove "value"/"values"',
  poolTtl: 'the TTL of a pool-backed name comes from the pool (its ttl and degraded_ttl); remove "ttl" here',
  noValue: (type: number): string => `${typeName(type)} record has no "value" or "values"`,
  badValue: (type: number, why: string): string => `${typeName(type)}: ${why}`,
} as const;
