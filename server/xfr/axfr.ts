// Outgoing zone transfers (RFC 5936 AXFR; RFC 1995 IXFR answered with the
// whole zone). The request handler hands every AXFR/IXFR query over TCP here, decoded (STREAM):
// a transfer is many messages, written one at a time as the client drains
// them, so a large zone never sits in memory as one block and a slow
// secondary never makes us buffer without end.
import type net from 'node:net';
import type { Logger } from 'pino';
import { EDNS_PAYLOAD } from '../engine/answer.js';
import type { Outcome } from '../engine/context.js';
import type { Catalog } from '../engine/catalog.js';
import type { TcpStreamer } from '../transport/tcp.js';
import { Class, Rcode, Type } from '../wire/constants.js';
import { type Name, nameToText } from '../wire/names.js';
import type { Query } from '../wire/query.js';
import { ResponseWriter, SECTION_ANSWER } from '../wire/response.js';
import type { RRsetLike, WireRdata, ZoneLike } from '../zones/image/adapter.js';
import { compareTypes } from '../zones/export.js';
import type { AddressAcl } from './acl.js';
import { signedTransferBody } from './signed.js';
import { keyNameText, signedTsigError, TSIG_ERROR_NAMES, TsigError, type TsigKey, TsigSigner, tsigSpace, unsignedTsigError, verifyRequest } from './tsig.js';

/** RFC 2136 NOTAUTH: what NSD answers an allowed client asking for a zone it does not serve. */
export const RCODE_NOTAUTH = 9;

/**
 * Size we fill each message to. Compression pointers reach only the first
 * 16 KiB of a message, so bigger messages compress worse; smaller ones also
 * let backpressure act in finer steps. An RRset that does not fit gets a
 * message of up to 65535 bytes, and is split by record only beyond that.
 */
export const DEFAULT_MESSAGE_BYTES = 16_384;
const MAX_MESSAGE_BYTES = 65_535;
const OPT_SIZE = 11;

export interface TransferOptions {
  acl: AddressAcl;
  log: Logger;
  messageBytes?: number;
  /** TSIG keys we know (--tsig): a request signed with one gets every answer signed. */
  keys?: readonly TsigKey[];
  /** --transfer-key: transfers must be signed with this key, on top of the address list. */
  requireKey?: TsigKey;
}

/** Reversed labels of a name, for sorting in RFC 4034 canonical order without re-splitting on every comparison. */
function reversedLabels(name: Name): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < name.length && name.charCodeAt(i) !== 0) {
    const len = name.charCodeAt(i);
    out.push(name.slice(i + 1, i + 1 + len));
    i += len + 1;
  }
  return out.reverse();
}

function compareLabelLists(a: string[], b: string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length - b.length;
}

/**
 * Every RRset but the apex SOA, in canonical name order (apex first, then
 * SOA/NS/by type), so a transfer reads like `pulsedns export`. Computed once
 * per compiled zone: zones never change after compile, a reload makes new ones.
 */
const orderCache = new WeakMap<ZoneLike, RRsetLike[]>();

export function transferOrder(zone: ZoneLike): Iterable<RRsetLike> {
  // An image keeps its nodes in canonical order already: stream them, so a
  // transfer of a million records never holds them all as objects.
  if (zone.canonicalOrder) return imageOrder(zone);
  const cached = orderCache.get(zone);
  if (cached) return cached;
  const names = [...zone.nodes.keys()].map((n) => ({ n, key: reversedLabels(n) }));
  names.sort((x, y) => compareLabelLists(x.key, y.key));
  const out: RRsetLike[] = [];
  for (const { n } of names) out.push(...transferSets(zone, zone.nodes.get(n)!.rrsets));
  orderCache.set(zone, out);
  return out;
}

function* imageOrder(zone: ZoneLike): Generator<RRsetLike> {
  for (const node of zone.nodes.values()) yield* transferSets(zone, node.rrsets);
}

function transferSets(zone: ZoneLike, rrsets: ReadonlyMap<number, RRsetLike>): RRsetLike[] {
  const sets = [...rrsets.values()].sort((a, b) => compareTypes(a.type, b.type));
  // Pool-backed names carry every configured member in rdata (compile.ts): a
  // static copy cannot follow health, so it gets the whole pool, as export does.
  return sets.filter((set) => set !== zone.soa && set.rdata.length > 0);
}

/** Lays records into successive messages of one response stream. */
class MessageBuilder {
  private readonly w = new ResponseWriter();
  count = 0;

  /** `trailer`: room kept free in every message for a TSIG record appended after finish(). */
  constructor(private readonly query: Buffer, private readonly q: Query, private readonly trailer = 0) {}

  start(limit: number): void {
    this.w.begin(this.query, this.q.questionEnd, this.q.qname, limit);
    if (this.q.edns) this.w.reserve(OPT_SIZE);
    if (this.trailer) this.w.reserve(this.trailer);
    this.count = 0;
  }

  add(rrset: RRsetLike, rdata: WireRdata[] = rrset.rdata): boolean {
    if (!this.w.addRRset(SECTION_ANSWER, rrset.owner, rrset, rdata)) return false;
    this.count += rdata.length;
    return true;
  }

  finish(): Buffer {
    if (this.q.edns) {
      this.w.release(OPT_SIZE);
      this.w.addOpt(EDNS_PAYLOAD, 0, this.q.edns.dnssecOk);
    }
    this.w.setFlags(this.q.flags, true, Rcode.NOERROR);
    return this.w.finish();
  }
}

/**
 * The messages of a full transfer, built lazily: SOA, every other RRset
 * (`body`; for a signed zone signed.ts makes it), SOA (RFC 5936 section 2.2). Each message carries the query's ID and question
 * (copied from the query, which section 2.2.1 allows in every message and
 * old clients expect). Throws if a single record cannot fit any message,
 * which zone validation makes impossible in practice.
 */
export function* zoneMessages(zone: ZoneLike, query: Buffer, q: Query, messageBytes = DEFAULT_MESSAGE_BYTES, trailer = 0, body: Iterable<RRsetLike> = transferOrder(zone)): Generator<Buffer> {
  const b = new MessageBuilder(query, q, trailer);
  // Lazily: a signed body signs as the messages go out (signed.ts).
  function* sequence(): Generator<RRsetLike> {
    yield zone.soa;
    yield* body;
    yield zone.soa;
  }
  const items = sequence();
  b.start(messageBytes);
  for (const set of items) {
    if (b.add(set)) continue;
    if (b.count > 0) {
      yield b.finish();
      b.start(messageBytes);
      if (b.add(set)) continue;
    }
    // Too big for the usual size even alone: give it a message as large as TCP allows.
    b.start(MAX_MESSAGE_BYTES);
    if (!b.add(set)) {
      // Larger than one message: RFC 5936 section 2.2 lets an RRset span messages.
      for (const rd of set.rdata) {
        if (b.add(set, [rd])) continue;
        if (b.count > 0) {
          yield b.finish();
          b.start(MAX_MESSAGE_BYTES);
          if (b.add(set, [rd])) continue;
        }
        throw new Error(`a ${set.type} record at ${nameToText(set.owner)} does not fit in a 65535-byte message`);
      }
    }
    yield b.finish();
    b.start(messageBytes);
  }
  if (b.count > 0) yield b.finish();
}

/** The one-message answer to an IXFR from a client that is already current (RFC 1995 section 2). */
function soaOnly(zone: ZoneLike, query: Buffer, q: Query, trailer = 0): Buffer {
  const b = new MessageBuilder(query, q, trailer);
  b.start(MAX_MESSAGE_BYTES);
  b.add(zone.soa);
  return b.finish();
}

/** An error response: question copied, OPT for EDNS queries, nothing else. */
function errorResponse(query: Buffer, q: Query, rcode: number): Buffer {
  const w = new ResponseWriter();
  w.begin(query, q.questionEnd, null, MAX_MESSAGE_BYTES);
  if (q.edns) w.addOpt(EDNS_PAYLOAD, 0, q.edns.dnssecOk);
  w.setFlags(q.flags, false, rcode);
  return w.finish();
}

/** Skips a possibly compressed name; -1 when it runs off the end. decodeQuery already vetted the layout. */
function skipName(msg: Buffer, start: number): number {
  let pos = start;
  for (;;) {
    if (pos >= msg.length) return -1;
    const len = msg[pos]!;
    if (len === 0) return pos + 1;
    if ((len & 0xc0) === 0xc0) return pos + 2 <= msg.length ? pos + 2 : -1;
    pos += len + 1;
  }
}

/** The serial in an IXFR query's authority SOA (RFC 1995 section 3), if there is one. */
export function ixfrClientSerial(msg: Buffer, q: Query): number | undefined {
  const an = msg.readUInt16BE(6);
  const ns = msg.readUInt16BE(8);
  if (ns < 1) return undefined;
  let pos = q.questionEnd;
  for (let i = 0; i <= an; i++) {
    pos = skipName(msg, pos);
    if (pos < 0 || pos + 10 > msg.length) return undefined;
    const type = msg.readUInt16BE(pos);
    const rdlen = msg.readUInt16BE(pos + 8);
    const rdata = pos + 10;
    if (rdata + rdlen > msg.length) return undefined;
    if (i === an) return type === Type.SOA && rdlen >= 22 ? msg.readUInt32BE(rdata + rdlen - 20) : undefined;
    pos = rdata + rdlen;
  }
  return undefined;
}

/** RFC 1982: is serial `a` newer than `b`? */
export function serialNewer(a: number, b: number): boolean {
  const d = (a - b) >>> 0;
  return d !== 0 && d < 0x80000000;
}

function frame(m: Buffer): Buffer {
  const out = Buffer.allocUnsafe(m.length + 2);
  out.writeUInt16BE(m.length, 0);
  m.copy(out, 2);
  return out;
}

/** Resolves when the socket can take more, or is gone. */
function writable(sock: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      sock.off('drain', done);
      sock.off('close', done);
      resolve();
    };
    sock.on('drain', done);
    sock.on('close', done);
  });
}

export class ZoneTransfers implements TcpStreamer {
  private readonly messageBytes: number;
  private lastRefusalLog = 0;

  constructor(private readonly opts: TransferOptions) {
    this.messageBytes = opts.messageBytes ?? DEFAULT_MESSAGE_BYTES;
  }

  /** `q` is `msg` as the handler decoded it (FORMERR, BADVERS and the like were answered there). */
  async stream(msg: Buffer, q: Query, sock: net.Socket, catalog: Catalog): Promise<Outcome> {
    const outcome: Outcome = { rcode: -1, qtype: q.qtype, dropped: false, cached: false, truncated: false, qname: q.qname };
    const client = sock.remoteAddress;
    const send = async (rcode: number, m: Buffer): Promise<Outcome> => {
      outcome.rcode = rcode;
      if (!sock.write(frame(m))) await writable(sock);
      return outcome;
    };
    // TSIG is checked before the address list so that even a refusal to a
    // signed request is signed, as RFC 8945 section 5.3 asks of every answer.
    const verdict = verifyRequest(msg, this.opts.keys ?? []);
    if (verdict.kind === 'formerr') return send(Rcode.FORMERR, errorResponse(msg, q, Rcode.FORMERR));
    if (verdict.kind === 'bad') {
      this.logRefusal(q, client, 'zone transfer refused: TSIG check failed', { tsigError: TSIG_ERROR_NAMES[verdict.error] ?? verdict.error, key: nameToText(verdict.rr.keyName) });
      const base = errorResponse(msg, q, RCODE_NOTAUTH);
      return send(RCODE_NOTAUTH, verdict.key ? signedTsigError(base, verdict.key, verdict.rr, verdict.error) : unsignedTsigError(base, verdict.rr, verdict.error));
    }
    const signer = verdict.kind === 'ok' ? new TsigSigner(verdict.key, verdict.rr.mac) : undefined;
    const sign = (m: Buffer): Buffer => (signer ? signer.sign(m) : m);
    const reply = (rcode: number): Promise<Outcome> => send(rcode, sign(errorResponse(msg, q, rcode)));
    const required = this.opts.requireKey;
    if (required && (verdict.kind !== 'ok' || verdict.key.name !== required.name)) {
      // An unsigned request has no TSIG to carry an error code: plain NOTAUTH.
      // One signed with another key we know is answered BADKEY, unsigned,
      // since that key is not the one that authorises transfers.
      const why = verdict.kind === 'ok' ? `signed with key ${keyNameText(verdict.key)}, not --transfer-key ${keyNameText(required)}` : 'not signed; --transfer-key requires TSIG';
      this.logRefusal(q, client, `zone transfer refused: ${why}`);
      const base = errorResponse(msg, q, RCODE_NOTAUTH);
      return send(RCODE_NOTAUTH, verdict.kind === 'ok' ? unsignedTsigError(base, verdict.rr, TsigError.BADKEY) : base);
    }
    if (!this.opts.acl.allows(client)) {
      this.logRefusal(q, client, 'zone transfer refused: client not in --allow-transfer');
      return reply(Rcode.REFUSED);
    }
    if (q.qclass !== Class.IN) return reply(Rcode.REFUSED);
    const zone = catalog.zones.get(q.qname);
    if (!zone) return reply(RCODE_NOTAUTH);

    const started = performance.now();
    const kind = q.qtype === Type.IXFR ? 'IXFR' : 'AXFR';
    const clientSerial = q.qtype === Type.IXFR ? ixfrClientSerial(msg, q) : undefined;
    const current = clientSerial !== undefined && !serialNewer(zone.serial, clientSerial);
    const trailer = verdict.kind === 'ok' ? tsigSpace(verdict.key) : 0;
    const signed = catalog.signed.get(zone.origin);
    const body = current ? [] : signed ? signedTransferBody(signed, transferOrder(zone)) : transferOrder(zone);
    const messages = current ? [soaOnly(zone, msg, q, trailer)] : zoneMessages(zone, msg, q, this.messageBytes, trailer, body);
    let sent = 0;
    let bytes = 0;
    try {
      for (const m of messages) {
        if (sock.destroyed) break;
        const out = sign(m);
        sent++;
        bytes += out.length;
        if (!sock.write(frame(out))) await writable(sock);
        // A fast reader never makes us wait for drain; let queued queries in now and then.
        else if (sent % 16 === 0) await new Promise<void>((r) => setImmediate(r));
      }
    } catch (e) {
      this.opts.log.error({ err: e, zone: nameToText(zone.origin), client }, 'zone transfer failed');
      sock.destroy();
      outcome.rcode = Rcode.SERVFAIL;
      return outcome;
    }
    outcome.rcode = Rcode.NOERROR;
    const fields = { zone: nameToText(zone.origin), serial: zone.serial, client, type: kind, messages: sent, bytes, ms: Math.round(performance.now() - started), ...(verdict.kind === 'ok' ? { key: keyNameText(verdict.key) } : {}) };
    if (sock.destroyed) this.opts.log.warn(fields, 'zone transfer cut short: the client went away');
    else this.opts.log.info({ ...fields, ...(current ? { upToDate: true } : {}) }, 'zone transferred');
    return outcome;
  }

  /** Scanners ask everyone for AXFR; a refusal is worth a log line, a flood of them is not. */
  private logRefusal(q: Query, client: string | undefined, why: string, extra: Record<string, unknown> = {}): void {
    const now = Date.now();
    if (now - this.lastRefusalLog < 10_000) return;
    this.lastRefusalLog = now;
    this.opts.log.info({ zone: nameToText(q.qname), client, ...extra }, `${why} (logged at most every 10 s)`);
  }
}
