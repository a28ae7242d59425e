// The one entry both transports call for every message (after hickory-dns's
// RequestHandler): answer it through the engine, count the outcome once, and
// say whether the transport sends bytes, stays silent, or streams a transfer.
import { answer } from './answer.js';
import type { Catalog } from './catalog.js';
import type { Name } from '../wire/names.js';
import { DEFAULT_ENGINE, QueryContext, STREAM, type EngineConfig, type Outcome, type Transport } from './context.js';

/** handle()'s word that answering threw (a bug): counted and reported; UDP stays silent, TCP closes. */
export const FAILED = Symbol('failed');

/** The counters the handler moves; runtime/stats.ts's Stats is one. */
export interface QueryCounters {
  queries: Record<Transport, number>;
  dropped: number;
  internalErrors: number;
  cacheHits: number;
  truncated: number;
  countRcode(rcode: number): void;
  countType(qtype: number): void;
  /** Per served zone, by its origin; null for questions outside every served zone (or none). */
  countZone(origin: Name | null): void;
}

export class RequestHandler {
  /** `report` hears of every exception answering throws (the runtime logs it). */
  constructor(
    private readonly catalog: () => Catalog,
    private readonly counters: QueryCounters,
    private readonly report: (e: unknown) => void,
    private readonly config: EngineConfig = DEFAULT_ENGINE,
  ) {}

  /** The context a transport keeps for all its queries (one per socket or listener, never per query). */
  context(transport: Transport, streamTransfers = false): QueryContext {
    return new QueryContext(transport, this.config, streamTransfers);
  }

  /**
   * Response bytes to send, null for silence, or STREAM: `ctx.query` is a
   * transfer the transport streams, then reports with streamed(); FAILED on a bug.
   */
  handle(msg: Buffer, ctx: QueryContext): Buffer | null | typeof STREAM | typeof FAILED {
    this.counters.queries[ctx.transport]++;
    let out: Buffer | null | typeof STREAM;
    try {
      out = answer(this.catalog(), msg, ctx);
    } catch (e) {
      this.counters.internalErrors++;
      this.report(e);
      return FAILED;
    }
    if (out === null) this.counters.dropped++;
    else if (out !== STREAM) this.count(ctx.outcome);
    return out;
  }

  /** The catalog a streamed transfer reads (the one of the moment it starts). */
  current(): Catalog {
    return this.catalog();
  }

  /** A streamed transfer has ended; rcode -1 means nothing was answered. */
  streamed(o: Outcome): void {
    if (o.rcode >= 0) this.count(o);
    else this.counters.dropped++;
  }

  private count(o: Outcome): void {
    const c = this.counters;
    c.countRcode(o.rcode);
    c.countType(o.qtype);
    // answer() says which zone answered; only the rest (refusals, transfers, CHAOS) need the search.
    c.countZone(o.zone ?? (o.qname === null ? null : this.catalog().findZone(o.qname)?.origin ?? null));
    if (o.cached) c.cacheHits++;
    if (o.truncated) c.truncated++;
  }
}
