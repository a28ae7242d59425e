// What a record's `value` means, whatever parser read it: literal TXT text,
// structured MX/SRV/CAA/SOA fields, or a presentation string. Both the full
// YAML parser (parse.ts) and the fast path (fastparse.ts) turn their node into
// a RecordValue and call rdataFromValue, so the two can never disagree.
import { Type, typeName } from '../wire/constants.js';
import { rdataFromTokens, splitPresentation, txtFromStrings, RdataError, type Rdata } from './rdata.js';
import type { ZoneSource } from './model.js';

/** A record value reduced to what matters; `undefined` marks a part that is not a plain scalar. */
export type RecordValue =
  | { kind: 'scalar'; text: string | undefined }
  | { kind: 'list'; items: Array<string | undefined> }
  | { kind: 'fields'; fields: Array<[string, string | undefined]> };

const SOA_FIELDS = ['mname', 'rname', 'serial', 'refresh', 'retry', 'expire', 'minimum'] as const;
const SOA_DEFAULTS: Record<string, string> = { serial: 'auto', refresh: '7200', retry: '3600', expire: '1209600', minimum: '300' };
const STRUCT_FIELDS: Record<number, readonly string[]> = {
  [Type.MX]: ['preference', 'exchange'],
  [Type.SRV]: ['priority', 'weight', 'port', 'target'],
  [Type.CAA]: ['flags', 'tag', 'value'],
  [Type.SOA]: SOA_FIELDS,
};

/** Throws RdataError (or NameError) with a message a person can act on. Sets zone.serialAuto for `serial: auto`. */
export function rdataFromValue(type: number, value: RecordValue, zone: ZoneSource): Rdata {
  if (type === Type.TXT) {
    // A TXT value is literal text, not presentation format: no quoting needed.
    if (value.kind === 'list') {
      if (value.items.some((p) => p === undefined)) throw new RdataError('TXT strings must be text');
      return txtFromStrings(value.items.map((p) => Buffer.from(p!, 'utf8')));
    }
    if (value.kind !== 'scalar' || value.text === undefined) throw new RdataError('TXT value must be text or a list of strings');
    return txtFromStrings([Buffer.from(value.text, 'utf8')]);
  }
  let tokens: string[];
  if (value.kind === 'fields') {
    const fields = STRUCT_FIELDS[type];
    if (!fields) throw new RdataError(`write ${typeName(type)} data as a string`);
    const got = new Map<string, string>();
    for (const [k, t] of value.fields) {
      if (!fields.includes(k)) throw new RdataError(`unknown field "${k}" (expected: ${fields.join(', ')})`);
      if (t === undefined) throw new RdataError(`field "${k}" must be a single value`);
      got.set(k, t);
    }
    tokens = fields.map((f) => {
      const v = got.get(f) ?? (type === Type.SOA ? SOA_DEFAULTS[f] : undefined);
      if (v === undefined) throw new RdataError(`missing field "${f}"`);
      return v;
    });
    if (type === Type.CAA) tokens[2] = tokens[2]!.replace(/[\\"]/g, (c) => '\\' + c);
  } else {
    if (value.kind !== 'scalar' || value.text === undefined) throw new RdataError('value must be a string (presentation format) or a mapping');
    tokens = splitPresentation(value.text);
  }
  if (type === Type.SOA) {
    if (tokens.length === 6) tokens.splice(2, 0, 'auto');
    if (tokens[2] === 'auto') {
      zone.serialAuto = true;
      tokens[2] = '0';
    }
  }
  return rdataFromTokens(type, tokens, zone.origin);
}
