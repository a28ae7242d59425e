// Counters every transport bumps. Plain numbers on one object: the hot path
// pays an increment, and /metrics (later) reads them.
export class Stats {
  queries = { udp: 0, tcp: 0 };
  /** Indexed by rcode (0-23 covers the extended ones we send). */
  rcodes = new Float64Array(24);
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
    if (rcode >= 0 && rcode < 24) this.rcodes[rcode]!++;
  }
}
