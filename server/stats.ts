// Counters every transport bumps. Plain numbers on one object: the hot path
// pays an increment, and /metrics (later) reads them.
export class Stats {
  queries = { udp: 0, tcp: 0 };
  rcodes = new Map<number, number>();
  cacheHits = 0;
  truncated = 0;
  /** Messages not answered: responses, runts, garbage. */
  dropped = 0;
  sendErrors = 0;
  internalErrors = 0;
  tcpConnections = 0;
  tcpRejected = 0;
  tcpIdleClosed = 0;
  reloads = { ok: 0, failed: 0 };

  countRcode(rcode: number): void {
    this.rcodes.set(rcode, (this.rcodes.get(rcode) ?? 0) + 1);
  }
}
