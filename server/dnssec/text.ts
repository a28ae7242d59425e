// Presentation forms of the records signing adds, for master files (signed
// zone export, tests fed to ldns-verify-zone and NSD) and for `keys` output.
import { typeName } from '../wire/constants.js';
import { nameToText } from '../wire/names.js';
import { parseNsecRdata } from './denial.js';
import { parseRrsig } from './sign.js';
import { formatDnsTime } from './window.js';

/** `A 13 2 3600 <expiration> <inception> <tag> <signer> <base64>` (RFC 4034 3.2). */
export function rrsigText(rdata: Buffer): string {
  const f = parseRrsig(rdata);
  return [
    typeName(f.typeCovered),
    f.algorithm,
    f.labels,
    f.originalTtl,
    formatDnsTime(f.expiration),
    formatDnsTime(f.inception),
    f.keyTag,
    nameToText(f.signer),
    f.signature.toString('base64'),
  ].join(' ');
}

/** `<next> <types...>` (RFC 4034 4.2). */
export function nsecText(rdata: Buffer): string {
  const { next, types } = parseNsecRdata(rdata);
  return [nameToText(next), ...types.map(typeName)].join(' ');
}
