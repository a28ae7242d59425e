// The pure core: message bytes in, response bytes out (or null for silence).
// No sockets, no clocks, no I/O: transports call this and send what it returns.
import { Class, Opcode, Rcode, Type } from '../wire/constants.js';
import { decodeQuery, type Edns, type Query } from '../wire/query.js';
import { ResponseWriter, SECTION_ADDITIONAL, SECTION_ANSWER, SECTION_AUTHORITY } from '../wire/response.js';
import type { Catalog } from './catalog.js';
import { lookup, type PlannedRRset } from './lookup.js';
import { answerChaos } from './chaos.js';
import type { RRset } from '../zones/compile.js';

/** The UDP payload size we advertise and cap answers at (DNS flag day 2020). */
export const EDNS_PAYLOAD = 1232;
const OPT_SIZE = 11;

export type Transport = 'udp' | 'tcp';

/** Why a message got the answer it got; transports count these. */
export interface Outcome {
  rcode: number;
  /** Question type, -1 when no question could be read. */
  qtype: number;
  dropped: boolean;
  cached: boolean;
  truncated: boolean;
  /** The question's name, null when none could be read (per-zone counts). */
  qname?: string | null;
}

const writer = new ResponseWriter();

/** Largest response the client can take: RFC 1035 512, EDNS payload capped by ours, or TCP's 65535. */
function sizeLimit(transport: Transport, edns: Edns | null): number {
  if (transport === 'tcp') return 65535;
  if (!edns) return 512;
  return Math.max(512, Math.min(edns.payload, EDNS_PAYLOAD));
}

export function answer(catalog: Catalog, msg: Buffer, transport: Transport, outcome?: Outcome): Buffer | null {
  const d = decodeQuery(msg);
  if (d.kind === 'drop') {
    if (outcome) { outcome.dropped = true; outcome.rcode = -1; outcome.qtype = -1; outcome.qname = null; }
    return null;
  }
  if (d.kind === 'formerr') {
    if (outcome) { outcome.qtype = -1; outcome.qname = null; }
    if (outcome) setOutcome(outcome, Rcode.FORMERR, false, false);
    return bare(msg, d.questionEnd, d.flags, Rcode.FORMERR, d.edns, transport);
  }
  const q = d.query;
  if (outcome) { outcome.qtype = q.qtype; outcome.qname = q.qname; }
  if (q.opcode !== Opcode.QUERY) return finishBare(outcome, msg, q, Rcode.NOTIMP, transport);
  if (q.edns && q.edns.version > 0) return finishBare(outcome, msg, q, Rcode.BADVERS, transport);
  if (q.qclass === Class.CH) {
    // version.bind and friends when the operator configured them (chaos.ts); REFUSED otherwise.
    const out = answerChaos(msg, q, EDNS_PAYLOAD);
    if (out) {
      if (outcome) setOutcome(outcome, Rcode.NOERROR, false, false);
      return out;
    }
  }
  // Transfers are streamed by server/xfr/axfr.ts, which TCP hands them to; over UDP they stay REFUSED.
  if (q.qclass !== Class.IN || q.qtype === Type.AXFR || q.qtype === Type.IXFR) {
    return finishBare(outcome, msg, q, Rcode.REFUSED, transport);
  }
  if (q.qtype === Type.OPT) return finishBare(outcome, msg, q, Rcode.FORMERR, transport);

  const limit = sizeLimit(transport, q.edns);
  // Everything that shapes the bytes besides ID and qname case: qtype, RD/CD, EDNS and DO, size limit, ANY policy.
  const key = q.qname + String.fromCharCode(q.qtype, (q.flags & 0x0110) | (q.edns ? 2 : 0) | (q.edns?.dnssecOk ? 4 : 0) | (transport === 'tcp' ? 8 : 0), limit);
  const hit = catalog.cache.get(key);
  if (hit) {
    const out = Buffer.allocUnsafe(hit.length);
    hit.copy(out);
    msg.copy(out, 0, 0, 2);
    msg.copy(out, 12, 12, 12 + q.qnameLength);
    if (outcome) setOutcome(outcome, out[3]! & 0xf, true, (out[2]! & 0x02) !== 0);
    return out;
  }

  const gen = catalog.health.generation?.();
  if (gen !== undefined) {
    const pooled = catalog.poolCache.get(key);
    if (pooled && pooled.generation === gen) {
      const out = Buffer.allocUnsafe(pooled.bytes.length);
      pooled.bytes.copy(out);
      msg.copy(out, 0, 0, 2);
      msg.copy(out, 12, 12, 12 + q.qnameLength);
      reshuffle(out, pooled.offsets, pooled.width);
      if (outcome) setOutcome(outcome, out[3]! & 0xf, true, (out[2]! & 0x02) !== 0);
      return out;
    }
  }

  const zone = catalog.findZone(q.qname);
  if (!zone) return finishBare(outcome, msg, q, Rcode.REFUSED, transport);
  const plan = lookup(catalog, zone, q.qname, q.qtype, { minimalAny: transport === 'udp', health: catalog.health });

  offsets.length = 0;
  writer.begin(msg, q.questionEnd, q.qname, limit);
  if (q.edns) writer.reserve(OPT_SIZE);
  const complete = writeSection(SECTION_ANSWER, plan.answer, plan.reshuffle) && writeSection(SECTION_AUTHORITY, plan.authority, plan.reshuffle);
  if (!complete) writer.truncated = true;
  else writeSection(SECTION_ADDITIONAL, plan.additional, plan.reshuffle); // extra data may be left out silently
  if (q.edns) {
    writer.release(OPT_SIZE);
    writer.addOpt(EDNS_PAYLOAD, 0, q.edns.dnssecOk);
  }
  writer.setFlags(q.flags, plan.aa, plan.rcode);
  const out = writer.finish();
  if (!plan.dynamic) catalog.remember(key, out);
  else if (gen !== undefined && plan.pooled === 1 && plan.reshuffleable && !writer.truncated && offsets.length === (plan.reshuffle?.rdata.length ?? 0)) {
    catalog.rememberPooled(key, { generation: gen, bytes: out, offsets: offsets.slice(), width: plan.reshuffle?.type === Type.AAAA ? 16 : 4 });
  }
  if (outcome) setOutcome(outcome, plan.rcode, false, writer.truncated);
  return out;
}

/** Where the pool's addresses landed in the response being written. */
const offsets: number[] = [];

function writeSection(section: number, entries: PlannedRRset[], reshuffle: RRset | null): boolean {
  for (const e of entries) {
    const mark = offsets.length;
    if (!writer.addRRset(section, e.owner, e.rrset, e.rrset.rdata, e.rrset === reshuffle ? offsets : undefined)) {
      offsets.length = mark; // the RRset was rolled back: so are its addresses
      return false;
    }
  }
  return true;
}

/** Fisher-Yates over equal-width address fields, in place: a fresh round-robin order per answer. */
function reshuffle(buf: Buffer, at: number[], width: number): void {
  for (let i = at.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    if (i === j) continue;
    const a = at[i]!;
    const b = at[j]!;
    for (let k = 0; k < width; k++) {
      const t = buf[a + k]!;
      buf[a + k] = buf[b + k]!;
      buf[b + k] = t;
    }
  }
}

function setOutcome(o: Outcome, rcode: number, cached: boolean, truncated: boolean): void {
  o.rcode = rcode;
  o.dropped = false;
  o.cached = cached;
  o.truncated = truncated;
}

function finishBare(outcome: Outcome | undefined, msg: Buffer, q: Query, rcode: number, transport: Transport): Buffer {
  if (outcome) setOutcome(outcome, rcode, false, false);
  return bare(msg, q.questionEnd, q.flags, rcode, q.edns, transport);
}

/** A response with only the question (if any) and, for EDNS queries, OPT. */
function bare(msg: Buffer, questionEnd: number, flags: number, rcode: number, edns: Edns | null, transport: Transport): Buffer {
  writer.begin(msg, questionEnd, null, sizeLimit(transport, edns));
  if (edns) writer.addOpt(EDNS_PAYLOAD, rcode >> 4, edns.dnssecOk);
  writer.setFlags(flags, false, rcode & 0xf);
  return writer.finish();
}
