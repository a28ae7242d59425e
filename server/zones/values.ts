// What a record's `value` means, whatever parser read it: literal TXT text,
// structured fields (MX, SRV, CAA, SOA, and the types of rdata-types.ts), or
// a presentation string. Both the full
// YAML parser (parse.ts) and the fast path (fastparse.ts) turn their node into
// a RecordValue and call rdataFromValue, so the two can never disagree.
import { Type, typeName } from '../wire/constants.js';
import { oneToken, rdataFromTokens, splitPresentation, txtFromStrings, RdataError, type Rdata } from './rdata.js';
import { SVC_LIST_KEY_NAMES, escapeListItem, svcKeyTakesList } from './rdata-types.js';
import { MAX_TTL, type ZoneSource } from './model.js';
import { durationSeconds } from './duration.js';
import { SIGNED_EXPIRE_MAX } from './signed-expire.js';

/** A record value reduced to what matters; `text: undefined` marks a scalar that is not text or a number (null, true). */
export type RecordValue =
  | { kind: 'scalar'; text: string | undefined }
  | { kind: 'list'; items: Array<string | undefined> }
  | { kind: 'fields'; fields: Array<[string, RecordValue]> };

const SOA_FIELDS = ['mname', 'rname', 'serial', 'refresh', 'retry', 'expire', 'minimum'] as const;
/** Fields that may be left out, with their value. */
const DEFAULTS: Record<number, Record<string, string>> = {
  [Type.SOA]: { serial: 'auto', refresh: '7200', retry: '3600', expire: '1209600', minimum: '300' },
  [Type.DNSKEY]: { protocol: '3' },
  [Type.NAPTR]: { regexp: '', replacement: '.' },
  [Type.SVCB]: { params: '' },
  [Type.HTTPS]: { params: '' },
};
const STRUCT_FIELDS: Record<number, readonly string[]> = {
  [Type.MX]: ['preference', 'exchange'],
  [Type.SRV]: ['priority', 'weight', 'port', 'target'],
  [Type.CAA]: ['flags', 'tag', 'value'],
  [Type.SOA]: SOA_FIELDS,
  [Type.HINFO]: ['cpu', 'os'],
  [Type.NAPTR]: ['order', 'preference', 'flags', 'service', 'regexp', 'replacement'],
  [Type.DS]: ['key_tag', 'algorithm', 'digest_type', 'digest'],
  [Type.SSHFP]: ['algorithm', 'fp_type', 'fingerprint'],
  [Type.DNSKEY]: ['flags', 'protocol', 'algorithm', 'public_key'],
  [Type.TLSA]: ['usage', 'selector', 'matching_type', 'data'],
  [Type.URI]: ['priority', 'weight', 'target'],
  [Type.SVCB]: ['priority', 'target', 'params'],
  [Type.HTTPS]: ['priority', 'target', 'params'],
};
/** Structured fields holding literal text (like TXT), escaped here into presentation form. */
const LITERAL_FIELDS: Record<number, readonly string[]> = {
  [Type.CAA]: ['value'],
  [Type.HINFO]: ['cpu', 'os'],
  [Type.NAPTR]: ['flags', 'service', 'regexp'],
  [Type.URI]: ['target'],
};

const escapeText = (t: string): string => t.replace(/[\\"]/g, (c) => '\\' + c);

/**
 * SVCB/HTTPS `params` as a mapping -> presentation tokens. A list holds
 * literal items (escaped here); a scalar is the value as the presentation
 * form writes it (`alpn: h2,h3` is two protocols); no value (or `true`) is a key alone.
 */
function svcParamTokens(value: RecordValue): string[] {
  if (value.kind === 'scalar') return value.text === undefined ? [] : splitPresentation(value.text);
  if (value.kind === 'list') throw new RdataError('params is a mapping such as {alpn: [h2, h3], port: 443} or a string such as "alpn=h2,h3 port=443"');
  return value.fields.map(([key, v]) => {
    if (v.kind === 'fields') throw new RdataError(`params: ${key} takes a value or a list of values`);
    if (v.kind === 'scalar') return v.text === undefined ? key : `${key}=${v.text}`;
    return `${key}="${escapeText(listText(key, v.items))}"`;
  });
}

/**
 * A list of literal items as value-list text. Only a key whose value is a
 * list reads that text back as one: anywhere else the list escapes would stay
 * in the data as bytes of their own.
 */
function listText(key: string, items: Array<string | undefined>): string {
  if (!svcKeyTakesList(key)) throw new RdataError(`params: ${key} takes one value, not a list (lists are for ${SVC_LIST_KEY_NAMES.join(', ')})`);
  if (items.some((i) => i === undefined)) throw new RdataError(`params: the items of ${key} must be text`);
  return items.map((i) => escapeListItem(i!)).join(',');
}

/** A zone or record `ttl:` (a YAML number of seconds, or a duration such as 5m or 1h30m): seconds, or what is wrong. */
export function ttlFromValue(v: unknown): { ttl: number } | { error: string } {
  const seconds = typeof v === 'number' ? v : typeof v === 'string' ? durationSeconds(v) : undefined;
  if (seconds === undefined || !Number.isInteger(seconds)) {
    return { error: `TTL must be a whole number of seconds or a duration such as 5m, 1h30m or 1d, got ${JSON.stringify(v ?? null)}` };
  }
  if (seconds < 0 || seconds > MAX_TTL) {
    return { error: `TTL ${typeof v === 'string' ? `${v} (${seconds} seconds)` : seconds} is out of range 0-${MAX_TTL} (RFC 2181); typical values are 300-86400` };
  }
  return { ttl: seconds };
}

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
    const got = new Map<string, RecordValue>();
    for (const [k, v] of value.fields) {
      if (!fields.includes(k)) throw new RdataError(`unknown field "${k}" (expected: ${fields.join(', ')})`);
      got.set(k, v);
    }
    const literal = LITERAL_FIELDS[type] ?? [];
    tokens = [];
    for (const f of fields) {
      const v = got.get(f);
      if (f === 'params' && v) {
        tokens.push(...svcParamTokens(v));
        continue;
      }
      if (v && (v.kind !== 'scalar' || v.text === undefined)) throw new RdataError(`field "${f}" must be a single value`);
      // A signed zone's secondaries must stop serving before its signatures expire (signed-expire.ts).
      const text = v ? v.text! : type === Type.SOA && f === 'expire' && zone.dnssec ? String(SIGNED_EXPIRE_MAX) : DEFAULTS[type]?.[f];
      if (text === undefined) throw new RdataError(`missing field "${f}"`);
      if (f === 'params') tokens.push(...splitPresentation(text));
      else tokens.push(literal.includes(f) ? escapeText(text) : text);
    }
  } else {
    if (value.kind !== 'scalar' || value.text === undefined) throw new RdataError('value must be a string (presentation format) or a mapping');
    tokens = oneToken(value.text) ? [value.text] : splitPresentation(value.text);
  }
  if (type === Type.SOA) {
    if (tokens.length === 6) tokens.splice(2, 0, 'auto');
    // The timers take durations as TTLs do (2h, 2w, 5m); the serial is a number.
    for (let f = 3; f < tokens.length; f++) tokens[f] = String(durationSeconds(tokens[f]!) ?? tokens[f]);
    if (tokens[2] === 'auto') {
      zone.serialAuto = true;
      tokens[2] = '0';
    }
  }
  return rdataFromTokens(type, tokens, zone.origin);
}
