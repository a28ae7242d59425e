// The Name Server Identifier option (RFC 5001): which instance answered, for
// operators behind anycast or a load balancer. Sent only to queries that
// carry an empty NSID option, and only when the operator set --nsid.
import { OPT_NSID } from '../wire/query.js';

/** Longest identifier accepted; RFC 5001 sets none, but it travels in every asking response. */
export const NSID_MAX = 128;

/**
 * The option bytes (code, length, data) for `--nsid TEXT` or `--nsid hex:0a1b..`.
 * Throws with a message naming the flag when the value cannot be one.
 */
export function nsidOption(arg: string): Buffer {
  let data: Buffer;
  if (arg.startsWith('hex:')) {
    const hex = arg.slice(4);
    if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex)) throw new Error(`--nsid ${arg}: hex: takes an even number of hex digits, such as hex:6e7331`);
    data = Buffer.from(hex, 'hex');
  } else {
    data = Buffer.from(arg, 'utf8');
  }
  if (data.length === 0) throw new Error('--nsid: the identifier is empty');
  if (data.length > NSID_MAX) throw new Error(`--nsid: ${data.length} bytes, the limit is ${NSID_MAX}`);
  const out = Buffer.alloc(4 + data.length);
  out.writeUInt16BE(OPT_NSID, 0);
  out.writeUInt16BE(data.length, 2);
  data.copy(out, 4);
  return out;
}
