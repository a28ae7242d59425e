// The pure core: message bytes in, response bytes out (or null for silence,
// or STREAM for a transfer the transport streams). No sockets, no clocks, no
// I/O; every piece of scratch state is in the QueryContext the caller hands in.
import { Class, Opcode, Rcode, Type } from '../wire/constants.js';
import { decodeQuery, EDNS_CO, EDNS_DO, ownQuery, type Edns, type Query } from '../wire/query.js';
import { type Name, parentName } from '../wire/names.js';
import { signResult } from './signing.js';
import { SECTION_ADDITIONAL, SECTION_ANSWER, SECTION_AUTHORITY } from '../wire/response.js';
import type { Catalog } from './catalog.js';
import type { AnswerStore } from './answerstore.js';
import { shapeHash } from './doorkeeper.js';
import { lookup } from './lookup.js';
import { answerChaos } from './chaos.js';
import type { PlannedRRset } from './sections.js';
import { STREAM, type Outcome, type QueryContext, type Transport } from './context.js';
import type { RRsetLike } from '../zones/image/adapter.js';

/** The UDP payload size we advertise and cap answers at (DNS flag day 2020). */
export const EDNS_PAYLOAD = 1232;
const OPT_SIZE = 11;

/** Largest response the client can take: RFC 1035 512, EDNS payload capped by ours, or TCP's 65535. */
function sizeLimit(transport: Transport, edns: Edns | null): number {
  if (transport === 'tcp') return 65535;
  if (!edns) return 512;
  return Math.max(512, Math.min(edns.payload, EDNS_PAYLOAD));
}

export function answer(catalog: Catalog, msg: Buffer, ctx: QueryContext): Buffer | null | typeof STREAM {
  const outcome = ctx.outcome;
  const d = decodeQuery(msg, ctx.slot);
  if (d.kind === 'drop') {
    outcome.dropped = true;
    outcome.rcode = -1;
    outcome.qtype = -1;
    outcome.qname = null;
    return null;
  }
  if (d.kind === 'formerr') {
    outcome.qtype = -1;
    outcome.qname = null;
    setOutcome(outcome, Rcode.FORMERR, false, false);
    return bare(ctx, msg, d.questionEnd, d.flags, Rcode.FORMERR, d.edns);
  }
  const q = d.query;
  outcome.qtype = q.qtype;
  outcome.qname = q.qname;
  if (q.opcode !== Opcode.QUERY) return finishBare(ctx, msg, q, Rcode.NOTIMP);
  if (q.edns && q.edns.version > 0) return finishBare(ctx, msg, q, Rcode.BADVERS);
  if ((q.qtype === Type.AXFR || q.qtype === Type.IXFR) && ctx.streamTransfers) {
    // server/xfr/axfr.ts streams it (access control, TSIG and class checks are its own).
    ctx.query = ownQuery(q);
    return STREAM;
  }
  if (q.qclass === Class.CH) {
    // version.bind and friends when the operator configured them (chaos.ts); REFUSED otherwise.
    const out = answerChaos(msg, q, EDNS_PAYLOAD, ctx.config.chaos);
    if (out) {
      setOutcome(outcome, Rcode.NOERROR, false, false);
      return out;
    }
  }
  // Transfers are streamed only where the transport can (TCP with transfers on); elsewhere REFUSED.
  if (q.qclass !== Class.IN || q.qtype === Type.AXFR || q.qtype === Type.IXFR) {
    return finishBare(ctx, msg, q, Rcode.REFUSED);
  }
  if (q.qtype === Type.OPT) return finishBare(ctx, msg, q, Rcode.FORMERR);

  const transport = ctx.transport;
  const limit = sizeLimit(transport, q.edns);
  const edns = q.edns;
  const signing = edns !== null && edns.dnssecOk && catalog.signed.size > 0;
  // Signed responses hold signatures with an end date: the caches start over once per period.
  if (signing) catalog.freshenSigned();
  // Everything that shapes the bytes besides ID and qname case: qtype, RD/CD, EDNS, DO, CO and NSID, size limit, ANY policy.
  const ednsBits = edns ? 2 | (edns.dnssecOk ? 4 : 0) | (edns.compactOk ? 32 : 0) | (edns.nsid ? 64 : 0) : 0;
  const shape = q.qtype | (((q.flags & 0x0110) | ednsBits | (transport === 'tcp' ? 8 : 0)) << 16);
  const h = shapeHash(q.qname, shape, limit);
  const hit = catalog.cache.find(h, q.qname, shape, limit);
  if (hit >= 0) return fromStore(ctx, catalog.cache, hit, msg, q.qnameLength);

  const gen = catalog.health.generation?.();
  if (gen !== undefined) {
    const pools = catalog.poolCache;
    const at = pools.find(h, q.qname, shape, limit);
    if (at >= 0 && pools.extraBuffer.readDoubleLE(pools.extraAt(at)) === gen) {
      const out = fromStore(ctx, pools, at, msg, q.qnameLength);
      reshuffle(out, pools.extraBuffer, pools.extraAt(at));
      return out;
    }
  }

  // Signed answers made per query name (signedanswers.ts); per catalog, so per zone image.
  const key = signing ? q.qname + String.fromCharCode(shape & 0xffff, shape >>> 16, limit) : '';
  if (signing) {
    const made = catalog.signedAnswers.get(key);
    if (made) return fromCache(ctx, made.bytes, msg, q.qnameLength, made.zone);
  }

  let zone = catalog.findZone(q.qname);
  if (!zone) return finishBare(ctx, msg, q, Rcode.REFUSED);
  // DS belongs to the parent side of a cut (RFC 4035 3.1.4.1): when we serve both, the parent answers.
  if (q.qtype === Type.DS && zone.origin === q.qname && q.qname.length > 1) zone = catalog.findZone(parentName(q.qname)) ?? zone;
  const opts = ctx.lookupOptions;
  opts.health = catalog.health;
  const res = lookup(catalog, zone, q.qname, q.qtype, opts);
  let rcode = res.rcode;
  let cacheable = true;
  if (signing) ({ rcode, cacheable } = signResult(catalog, res, edns.compactOk));

  const writer = ctx.writer;
  const offsets = ctx.offsets;
  offsets.length = 0;
  writer.begin(msg, q.questionEnd, q.qname, limit);
  const nsid = edns?.nsid ? ctx.config.nsidOption : undefined;
  const optSize = OPT_SIZE + (nsid?.length ?? 0);
  if (edns) writer.reserve(optSize);
  const complete = writeSection(ctx, SECTION_ANSWER, res.answer, res.reshuffle) && writeSection(ctx, SECTION_AUTHORITY, res.authority, res.reshuffle);
  if (!complete) writer.truncated = true;
  else writeSection(ctx, SECTION_ADDITIONAL, res.additional, res.reshuffle); // extra data may be left out silently
  if (edns) {
    writer.release(optSize);
    writer.addOpt(EDNS_PAYLOAD, 0, echoedFlags(edns), nsid);
  }
  writer.setFlags(q.flags, res.aa, rcode);
  const out = writer.finish();
  if (!res.dynamic && cacheable) catalog.remember(h, q.qname, shape, limit, zone.origin, out);
  else if (signing && !res.dynamic) catalog.signedAnswers.set(key, out, zone.origin);
  else if (gen !== undefined && res.pooled === 1 && res.reshuffleable && !writer.truncated && offsets.length === (res.reshuffle?.rdata.length ?? 0)) {
    catalog.rememberPooled(h, q.qname, shape, limit, zone.origin, out, { generation: gen, offsets, width: res.reshuffle?.type === Type.AAAA ? 16 : 4 });
  }
  setOutcome(outcome, rcode, false, writer.truncated);
  outcome.zone = zone.origin;
  return out;
}

/**
 * A cached response under this query's ID and question-name case. The ID and
 * the name are copied byte by byte: Buffer#copy of part of a buffer makes a
 * typed array for the part, garbage on the path every cache hit takes.
 */
function fromCache(ctx: QueryContext, bytes: Buffer, msg: Buffer, qnameLength: number, zone: Name): Buffer {
  const out = ctx.lent?.take(bytes.length) ?? Buffer.allocUnsafe(bytes.length);
  out.set(bytes);
  return asked(ctx, out, msg, qnameLength, zone);
}

/** fromCache() for an answer kept in an AnswerStore (answerstore.ts). */
function fromStore(ctx: QueryContext, store: AnswerStore, at: number, msg: Buffer, qnameLength: number): Buffer {
  const len = store.valueLength(at);
  const out = ctx.lent?.take(len) ?? Buffer.allocUnsafe(len);
  store.copyValue(at, out);
  return asked(ctx, out, msg, qnameLength, store.zone(at));
}

/** A kept answer given this query's ID and question-name case, and counted. */
function asked(ctx: QueryContext, out: Buffer, msg: Buffer, qnameLength: number, zone: Name): Buffer {
  const outcome = ctx.outcome;
  out[0] = msg[0]!;
  out[1] = msg[1]!;
  for (let i = 12, end = 12 + qnameLength; i < end; i++) out[i] = msg[i]!;
  setOutcome(outcome, out[3]! & 0xf, true, (out[2]! & 0x02) !== 0);
  outcome.zone = zone;
  return out;
}

/** DO echoed (RFC 3225); CO echoed with it, saying compact answers are understood (RFC 9824). */
function echoedFlags(edns: Edns): number {
  if (!edns.dnssecOk) return 0;
  return EDNS_DO | (edns.compactOk ? EDNS_CO : 0);
}

/** Writes one section; the pool's addresses are recorded in ctx.offsets as they land. */
function writeSection(ctx: QueryContext, section: number, entries: PlannedRRset[], reshuffle: RRsetLike | null): boolean {
  const offsets = ctx.offsets;
  for (const e of entries) {
    const mark = offsets.length;
    if (!ctx.writer.addRRset(section, e.owner, e.rrset, e.rrset.rdata, e.rrset === reshuffle ? offsets : undefined, e.sigs)) {
      offsets.length = mark; // the RRset was rolled back: so are its addresses
      return false;
    }
  }
  return true;
}

/**
 * Fisher-Yates over equal-width address fields, in place: a fresh round-robin
 * order per answer. `layout` at `from`: generation (8 bytes), width, count,
 * then each field's offset (u16), as catalog.rememberPooled keeps them.
 */
function reshuffle(buf: Buffer, layout: Buffer, from: number): void {
  const width = layout[from + 8]!;
  const count = layout[from + 9]!;
  const offset = (k: number): number => layout.readUInt16LE(from + 10 + 2 * k);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    if (i === j) continue;
    const a = offset(i);
    const b = offset(j);
    for (let k = 0; k < width; k++) {
      const t = buf[a + k]!;
      buf[a + k] = buf[b + k]!;
      buf[b + k] = t;
    }
  }
}

/** Sets the outcome; its zone is left unknown (answers from a served zone set it after). */
function setOutcome(o: Outcome, rcode: number, cached: boolean, truncated: boolean): void {
  o.zone = undefined;
  o.rcode = rcode;
  o.dropped = false;
  o.cached = cached;
  o.truncated = truncated;
}

function finishBare(ctx: QueryContext, msg: Buffer, q: Query, rcode: number): Buffer {
  setOutcome(ctx.outcome, rcode, false, false);
  return bare(ctx, msg, q.questionEnd, q.flags, rcode, q.edns);
}

/** A response with only the question (if any) and, for EDNS queries, OPT. */
function bare(ctx: QueryContext, msg: Buffer, questionEnd: number, flags: number, rcode: number, edns: Edns | null): Buffer {
  const writer = ctx.writer;
  writer.begin(msg, questionEnd, null, sizeLimit(ctx.transport, edns));
  if (edns) writer.addOpt(EDNS_PAYLOAD, rcode >> 4, echoedFlags(edns), edns.nsid ? ctx.config.nsidOption : undefined);
  writer.setFlags(flags, false, rcode & 0xf);
  return writer.finish();
}
