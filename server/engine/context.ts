// The state one transport (one UDP socket, one TCP listener) hands the engine
// with every message, as NSD's `struct query` and Knot's `query_data` are: the
// scratch response writer, where the pool's addresses landed, the outcome the
// handler counts, and the per-process configuration (CHAOS answers, whether
// transfers are streamed). Created once per transport and reused for every
// query: answering is synchronous, so one message at a time uses it.
import { ResponseWriter } from '../wire/response.js';
import { QuerySlot, type Query } from '../wire/query.js';
import type { Name } from '../wire/names.js';
import { NO_CHAOS, type ChaosAnswers } from './chaos.js';
import type { LookupOptions } from './sections.js';
import { ALL_UP } from '../pools/select.js';

export type Transport = 'udp' | 'tcp';

/** Why a message got the answer it got; the handler counts these. */
export interface Outcome {
  rcode: number;
  /** Question type, -1 when no question could be read. */
  qtype: number;
  dropped: boolean;
  cached: boolean;
  truncated: boolean;
  /** The question's name, null when none could be read (per-zone counts). */
  qname: Name | null;
  /** Origin of the served zone that answered, when answer() knows it (then per-zone counts need no search). */
  zone?: Name | undefined;
}

/** answer()'s word that the message is a zone transfer: ctx.query holds it, decoded, for the transport to stream. */
export const STREAM = Symbol('stream');

/** Per-process configuration from the command line, the same for every transport. */
export interface EngineConfig {
  /** CHAOS TXT answers (--chaos-version, --chaos-id); empty refuses every CH query. */
  chaos: ChaosAnswers;
  /** The NSID option (RFC 5001: code, length, data) for queries that ask (--nsid); absent: none sent. */
  nsidOption?: Buffer;
}

export const DEFAULT_ENGINE: EngineConfig = { chaos: NO_CHAOS };

/**
 * Replies lent out instead of made: a cache hit is written into one buffer
 * and handed over as a view of the reply's exact length, the views made
 * once per length. For a transport that copies each reply away before it
 * asks for the next (the batched UDP path); a reply made any other way is a
 * buffer of its own as before.
 */
export class LentReplies {
  /** Longest reply lent (the largest UDP answer is 1232 bytes; longer ones are made). */
  static readonly MAX = 4096;
  private readonly buf = Buffer.allocUnsafeSlow(LentReplies.MAX);
  private readonly views: (Buffer | undefined)[] = new Array<Buffer | undefined>(LentReplies.MAX + 1).fill(undefined);

  /** A buffer of `length` bytes, valid until the next call; null when longer than MAX. */
  take(length: number): Buffer | null {
    if (length > LentReplies.MAX) return null;
    return (this.views[length] ??= this.buf.subarray(0, length));
  }
}

export class QueryContext {
  readonly writer = new ResponseWriter();
  /** Offsets of the reshuffleable pool addresses in the response being written. */
  readonly offsets: number[] = [];
  readonly outcome: Outcome = { rcode: 0, qtype: -1, dropped: false, cached: false, truncated: false, qname: null, zone: undefined };
  /** Where answer() decodes each message (wire/query.ts): its objects are reused, not made per query. */
  readonly slot = new QuerySlot();
  /** The decoded query when answer() said STREAM: the transfer code reads it instead of decoding again. */
  query: Query | null = null;
  /** Set by a transport that copies each reply before the next message (see LentReplies). */
  lent: LentReplies | null = null;
  /** Handed to lookup(); answer() points `health` at the catalog of the moment. */
  readonly lookupOptions: LookupOptions;

  /**
   * `streamTransfers`: AXFR/IXFR come back as STREAM for the transport to
   * stream (TCP with zone transfers); otherwise they are REFUSED.
   */
  constructor(readonly transport: Transport, readonly config: EngineConfig = DEFAULT_ENGINE, readonly streamTransfers = false) {
    // RFC 8482: over UDP an ANY query gets one RRset; over TCP all of them.
    this.lookupOptions = { minimalAny: transport === 'udp', health: ALL_UP };
  }
}
