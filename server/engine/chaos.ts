// CHAOS-class TXT answers that operators and monitoring use to ask a server
// what it runs and which instance answered (`dig @ns1 version.bind CH TXT`,
// `id.server CH TXT`). Off unless configured: by default every CH query is
// REFUSED, so nothing about the deployment leaks to whoever asks.
import { Class, Rcode, Type } from '../wire/constants.js';
import { type Name, nameFromText } from '../wire/names.js';
import type { Query } from '../wire/query.js';

export interface ChaosConfig {
  /** Answer for version.bind and version.server. */
  version?: string;
  /** Answer for id.server and hostname.bind. */
  id?: string;
}

/** One TXT character-string holds at most 255 bytes; we keep answers to one string. */
export const CHAOS_TEXT_MAX = 255;

const VERSION_NAMES: readonly Name[] = [nameFromText('version.bind.'), nameFromText('version.server.')];
const ID_NAMES: readonly Name[] = [nameFromText('id.server.'), nameFromText('hostname.bind.')];

/** Name -> TXT RDATA; empty means every CH query is refused. */
export type ChaosAnswers = ReadonlyMap<Name, Buffer>;

export const NO_CHAOS: ChaosAnswers = new Map();

/** Throws when a text cannot be one TXT string, so a bad flag fails at startup. */
export function checkChaosText(flag: string, text: string): void {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > CHAOS_TEXT_MAX) throw new Error(`${flag}: ${bytes} bytes, the limit is ${CHAOS_TEXT_MAX}`);
}

/**
 * The answers for this process, built once at startup. They come from the
 * command line, not from the zones, so they live in the engine configuration
 * each transport's QueryContext carries and survive every reload unchanged.
 */
export function chaosAnswers(config: ChaosConfig): ChaosAnswers {
  const next = new Map<Name, Buffer>();
  const add = (names: readonly Name[], text: string | undefined, flag: string): void => {
    if (text === undefined) return;
    checkChaosText(flag, text);
    const bytes = Buffer.from(text, 'utf8');
    const rdata = Buffer.concat([Buffer.from([bytes.length]), bytes]);
    for (const n of names) next.set(n, rdata);
  };
  add(VERSION_NAMES, config.version, '--chaos-version');
  add(ID_NAMES, config.id, '--chaos-id');
  return next;
}

/**
 * The response to a CH-class query, or null when the caller should refuse
 * it (unconfigured name, or a type other than TXT/ANY, as NSD does).
 * Built by hand because the shared ResponseWriter writes class IN.
 */
export function answerChaos(msg: Buffer, q: Query, ednsPayload: number, answers: ChaosAnswers): Buffer | null {
  if (q.qclass !== Class.CH || (q.qtype !== Type.TXT && q.qtype !== Type.ANY)) return null;
  const rdata = answers.get(q.qname);
  if (!rdata) return null;
  const optLen = q.edns ? 11 : 0;
  const out = Buffer.allocUnsafe(q.questionEnd + 12 + rdata.length + optLen);
  msg.copy(out, 0, 0, q.questionEnd);
  // QR, opcode/RD/CD from the query, AA: this server is the authority on its own name and version.
  out.writeUInt16BE(0x8000 | (q.flags & 0x7800) | (q.flags & 0x0110) | 0x0400 | Rcode.NOERROR, 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(1, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(q.edns ? 1 : 0, 10);
  let pos = q.questionEnd;
  out.writeUInt16BE(0xc00c, pos); // owner: the question name, spelled as the client sent it
  out.writeUInt16BE(Type.TXT, pos + 2);
  out.writeUInt16BE(Class.CH, pos + 4);
  out.writeUInt32BE(0, pos + 6); // TTL 0: the answer describes this instance, nothing to cache
  out.writeUInt16BE(rdata.length, pos + 10);
  rdata.copy(out, pos + 12);
  pos += 12 + rdata.length;
  if (q.edns) {
    out[pos] = 0;
    out.writeUInt16BE(Type.OPT, pos + 1);
    out.writeUInt16BE(ednsPayload, pos + 3);
    out.writeUInt32BE(q.edns.dnssecOk ? 0x8000 : 0, pos + 5);
    out.writeUInt16BE(0, pos + 9);
  }
  return out;
}
