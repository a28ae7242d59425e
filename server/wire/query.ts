// Decoding of incoming messages. Written for hostile input: every read is
// bounds-checked, counts are sanity-checked against the bytes present before
// anything is looped over, and compressed names (legal only after the
// question) are followed a bounded number of hops.
import { Type } from './constants.js';

export interface Edns {
  payload: number;
  version: number;
  dnssecOk: boolean;
  /** RFC 9824 Compact Answers OK (EDNS flag 0x4000): the client wants NXDOMAIN back in compact denial answers. */
  compactOk: boolean;
  /** The query carries an (empty) NSID option (RFC 5001). */
  nsid: boolean;
}

/** EDNS header flags (the low 16 bits of the OPT TTL). */
export const EDNS_DO = 0x8000;
export const EDNS_CO = 0x4000;
/** RFC 5001 option code. */
export const OPT_NSID = 3;

/** Whether the OPT rdata at [start, end) holds an NSID option; malformed option lists count as none. */
function hasNsid(msg: Buffer, start: number, end: number): boolean {
  for (let p = start; p + 4 <= end; p += 4 + msg.readUInt16BE(p + 2)) {
    if (msg.readUInt16BE(p) === OPT_NSID) return true;
  }
  return false;
}

export interface Query {
  id: number;
  /** Second header word as sent (QR, opcode, AA, TC, RD, RA, Z, AD, CD, rcode). */
  flags: number;
  opcode: number;
  /** Canonical (lowercased) question name. */
  qname: string;
  /** Length of the question name on the wire; it starts at offset 12. */
  qnameLength: number;
  qtype: number;
  qclass: number;
  /** Offset just past the question section. */
  questionEnd: number;
  edns: Edns | null;
}

/**
 * Where decodeQuery may put a query instead of making new objects: one per
 * QueryContext, reused by every message, because a query that is answered
 * from the cache otherwise leaves its decoded objects as its only garbage.
 * What it returns lives until the next decode with the same slot.
 */
export class QuerySlot {
  readonly edns: Edns = { payload: 0, version: 0, dnssecOk: false, compactOk: false, nsid: false };
  readonly query: Query = { id: 0, flags: 0, opcode: 0, qname: '', qnameLength: 0, qtype: 0, qclass: 0, questionEnd: 0, edns: null };
  readonly result: DecodeResult = { kind: 'query', query: this.query };
}

/** A decoded query that outlives its slot (a transfer streamed after the next message is decoded). */
export function ownQuery(q: Query): Query {
  return { ...q, edns: q.edns && { ...q.edns } };
}

export type DecodeResult =
  | { kind: 'query'; query: Query }
  /** Answerable with FORMERR: `questionEnd` is 12 when no question could be kept. */
  | { kind: 'formerr'; id: number; flags: number; questionEnd: number; edns: Edns | null }
  /** Not worth an answer (a response, or too short to carry an ID). */
  | { kind: 'drop'; reason: string };

const MAX_POINTER_HOPS = 16;

/** readQname's out-parameter, one for the module: decoding is synchronous, and every query made one before. */
const NAME_OUT = { name: '' };

/**
 * Reads the question name at offset 12 into canonical form. Returns its wire
 * length, or -1 when malformed. Compression is not allowed here: the only
 * earlier bytes are the header.
 */
function readQname(msg: Buffer, out: { name: string }): number {
  let pos = 12;
  let ascii = true;
  let upper = false;
  for (;;) {
    if (pos >= msg.length) return -1;
    const len = msg[pos]!;
    if (len === 0) {
      pos++;
      break;
    }
    if (len > 63) return -1;
    const end = pos + 1 + len;
    if (end > msg.length) return -1;
    for (let i = pos + 1; i < end; i++) {
      const c = msg[i]!;
      if (c >= 0x80) ascii = false;
      else if (c >= 0x41 && c <= 0x5a) upper = true;
    }
    pos = end;
    if (pos - 12 > 254) return -1; // the root byte still follows
  }
  // Length bytes are below 0x40, so lowering the whole slice touches only letters.
  // toLowerCase would also fold Latin-1 letters, which DNS compares exactly, hence the ASCII test.
  // Most names come lowercase: then the one string read is the name (toLowerCase made a second).
  const raw = msg.toString('latin1', 12, pos);
  out.name = !upper ? raw : ascii ? raw.toLowerCase() : raw.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) | 0x20));
  return pos - 12;
}

/** Skips a possibly compressed name; returns the offset after it or -1. */
function skipName(msg: Buffer, start: number): number {
  let pos = start;
  let hops = 0;
  let end = -1;
  let total = 0;
  for (;;) {
    if (pos >= msg.length) return -1;
    const len = msg[pos]!;
    if (len === 0) return total + 1 > 255 ? -1 : end >= 0 ? end : pos + 1;
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= msg.length) return -1;
      if (++hops > MAX_POINTER_HOPS) return -1;
      const target = ((len & 0x3f) << 8) | msg[pos + 1]!;
      if (end < 0) end = pos + 2;
      if (target >= pos) return -1; // pointers must point backwards, which also rules out loops
      pos = target;
      continue;
    }
    if (len > 63) return -1;
    total += len + 1;
    if (total > 255) return -1;
    pos += 1 + len;
  }
}

export function decodeQuery(msg: Buffer, slot?: QuerySlot): DecodeResult {
  if (msg.length < 12) return { kind: 'drop', reason: 'short' };
  const id = msg.readUInt16BE(0);
  const flags = msg.readUInt16BE(2);
  if (flags & 0x8000) return { kind: 'drop', reason: 'response' };
  const qd = msg.readUInt16BE(4);
  const an = msg.readUInt16BE(6);
  const ns = msg.readUInt16BE(8);
  const ar = msg.readUInt16BE(10);
  const opcode = (flags >> 11) & 0xf;
  if (qd !== 1) return { kind: 'formerr', id, flags, questionEnd: 12, edns: null };
  // Every RR needs at least 11 bytes; a count that cannot fit is a lie, reject before looping.
  if ((an + ns + ar) * 11 > msg.length - 12) return { kind: 'formerr', id, flags, questionEnd: 12, edns: null };
  const holder = NAME_OUT;
  const qlen = readQname(msg, holder);
  if (qlen < 0 || 12 + qlen + 4 > msg.length) return { kind: 'formerr', id, flags, questionEnd: 12, edns: null };
  const qtype = msg.readUInt16BE(12 + qlen);
  const qclass = msg.readUInt16BE(14 + qlen);
  const questionEnd = 16 + qlen;

  let pos = questionEnd;
  for (let i = 0; i < an + ns; i++) {
    pos = skipRR(msg, pos);
    if (pos < 0) return { kind: 'formerr', id, flags, questionEnd, edns: null };
  }
  let edns: Edns | null = null;
  for (let i = 0; i < ar; i++) {
    const nameEnd = skipName(msg, pos);
    if (nameEnd < 0 || nameEnd + 10 > msg.length) return { kind: 'formerr', id, flags, questionEnd, edns: null };
    const type = msg.readUInt16BE(nameEnd);
    const rdlen = msg.readUInt16BE(nameEnd + 8);
    if (nameEnd + 10 + rdlen > msg.length) return { kind: 'formerr', id, flags, questionEnd, edns: null };
    if (type === Type.OPT) {
      // RFC 6891 section 6.1.1: one OPT, owned by the root.
      if (edns || nameEnd !== pos + 1 || msg[pos] !== 0) return { kind: 'formerr', id, flags, questionEnd, edns: null };
      const ttl = msg.readUInt32BE(nameEnd + 4);
      edns = slot ? slot.edns : { payload: 0, version: 0, dnssecOk: false, compactOk: false, nsid: false };
      edns.payload = msg.readUInt16BE(nameEnd + 2);
      edns.version = (ttl >>> 16) & 0xff;
      edns.dnssecOk = (ttl & EDNS_DO) !== 0;
      edns.compactOk = (ttl & EDNS_CO) !== 0;
      edns.nsid = rdlen > 0 && hasNsid(msg, nameEnd + 10, nameEnd + 10 + rdlen);
    }
    pos = nameEnd + 10 + rdlen;
  }
  if (!slot) return { kind: 'query', query: { id, flags, opcode, qname: holder.name, qnameLength: qlen, qtype, qclass, questionEnd, edns } };
  const q = slot.query;
  q.id = id;
  q.flags = flags;
  q.opcode = opcode;
  q.qname = holder.name;
  q.qnameLength = qlen;
  q.qtype = qtype;
  q.qclass = qclass;
  q.questionEnd = questionEnd;
  q.edns = edns;
  return slot.result;
}

function skipRR(msg: Buffer, start: number): number {
  const nameEnd = skipName(msg, start);
  if (nameEnd < 0 || nameEnd + 10 > msg.length) return -1;
  const end = nameEnd + 10 + msg.readUInt16BE(nameEnd + 8);
  return end > msg.length ? -1 : end;
}
