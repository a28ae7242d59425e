// How long a signature is valid, and when it must be made again. Times are
// quantized so that every server holding the same key puts the same
// inception and expiration into the signatures it makes within one quantum,
// and a cached signature keeps its meaning until it is refreshed.

export interface ValidityOptions {
  /** Seconds from the quantized now to expiration (default 14 days). */
  validity?: number;
  /** Refresh a signature when less than this remains (default 7 days). */
  refreshBefore?: number;
  /** Inception this far before the quantized now, for skewed clocks (default 1 hour). */
  skew?: number;
  /** Now is rounded down to a multiple of this (default 1 hour). */
  quantum?: number;
}

export interface Validity {
  /** RRSIG inception and expiration, seconds since 1970 (RFC 4034 3.1.5). */
  inception: number;
  expiration: number;
  /** From this time on (seconds) the signature must be made again. */
  refreshAt: number;
}

const DAY = 86400;
const HOUR = 3600;

export class ValidityError extends Error {}

export class ValidityWindow {
  readonly validity: number;
  readonly refreshBefore: number;
  readonly skew: number;
  readonly quantum: number;
  private current: Validity | undefined;
  private currentStart = -1;

  constructor(o: ValidityOptions = {}) {
    this.validity = o.validity ?? 14 * DAY;
    this.refreshBefore = o.refreshBefore ?? 7 * DAY;
    this.skew = o.skew ?? HOUR;
    this.quantum = o.quantum ?? HOUR;
    for (const [k, v] of Object.entries({ validity: this.validity, refreshBefore: this.refreshBefore, skew: this.skew, quantum: this.quantum })) {
      if (!Number.isInteger(v) || v < 0) throw new ValidityError(`signature ${k} must be a whole number of seconds >= 0, got ${v}`);
    }
    if (this.quantum < 1) throw new ValidityError('signature time quantum must be at least 1 second');
    // A signature must stay usable for at least one quantum after it is made, or it would be refreshed at once.
    if (this.refreshBefore + this.quantum > this.validity) {
      throw new ValidityError(`signature validity (${this.validity}s) must exceed refresh-before (${this.refreshBefore}s) plus the time quantum (${this.quantum}s)`);
    }
  }

  /** The validity to put into a signature made at `now` (seconds). Same object for a whole quantum. */
  at(now: number): Validity {
    const start = Math.floor(now / this.quantum) * this.quantum;
    if (start !== this.currentStart || !this.current) {
      const expiration = start + this.validity;
      this.current = { inception: start - this.skew, expiration, refreshAt: expiration - this.refreshBefore };
      this.currentStart = start;
    }
    return this.current;
  }
}

/** Seconds since 1970 to the DNSSEC presentation form YYYYMMDDHHmmSS (UTC), as in RRSIG and BIND key files. */
export function formatDnsTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** YYYYMMDDHHmmSS (UTC) to seconds since 1970, or undefined when malformed. */
export function parseDnsTime(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  return ms / 1000;
}
