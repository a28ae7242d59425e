// Response-rate limiting for UDP, so the server is not an amplifier for
// spoofed-source floods. Per client prefix (/24 for IPv4, /56 for IPv6) a token
// bucket allows `rate` responses per second; past it, every `slip`-th response
// goes out as an empty truncated reply (TC=1: a real client retries over TCP,
// which cannot be spoofed) and the rest are dropped. Off unless configured.

export interface RrlOptions {
  /** Responses per second per prefix. */
  rate: number;
  /** 1 in `slip` limited responses is sent truncated; 0 drops them all. */
  slip: number;
  ipv4Prefix?: number;
  ipv6Prefix?: number;
}

export type RrlVerdict = 'send' | 'slip' | 'drop';

interface Bucket {
  tokens: number;
  last: number;
  limited: number;
}

const MAX_TRACKED = 200_000;

export class RateLimiter {
  private buckets = new Map<string, Bucket>();
  limitedTotal = 0;
  slippedTotal = 0;

  constructor(private readonly opts: RrlOptions) {}

  /** `now` in ms; passed in so the bucket arithmetic is testable without a clock. */
  check(address: string, now: number): RrlVerdict {
    const key = prefixOf(address, this.opts.ipv4Prefix ?? 24, this.opts.ipv6Prefix ?? 56);
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= MAX_TRACKED) this.sweep(now);
      b = { tokens: this.opts.rate, last: now, limited: 0 };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.opts.rate, b.tokens + ((now - b.last) / 1000) * this.opts.rate);
      b.last = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 'send';
    }
    this.limitedTotal++;
    b.limited++;
    if (this.opts.slip > 0 && b.limited % this.opts.slip === 0) {
      this.slippedTotal++;
      return 'slip';
    }
    return 'drop';
  }

  /** Forgets prefixes whose buckets have refilled: they behave as new ones. */
  private sweep(now: number): void {
    for (const [k, b] of this.buckets) if ((now - b.last) / 1000 * this.opts.rate + b.tokens >= this.opts.rate) this.buckets.delete(k);
    if (this.buckets.size >= MAX_TRACKED) this.buckets.clear();
  }
}

export function prefixOf(address: string, v4: number, v6: number): string {
  if (!address.includes(':')) {
    const parts = address.split('.').map(Number);
    const n = ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
    const masked = v4 === 0 ? 0 : (n & (~0 << (32 - v4))) >>> 0;
    return `${masked >>> 24}.${(masked >>> 16) & 255}.${(masked >>> 8) & 255}.${masked & 255}/${v4}`;
  }
  // Expand, keep the first v6 bits (in 16-bit groups, rounding the mask to whole nibbles is plenty for a key).
  const [head, tail] = address.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const hex = groups.map((g) => g.padStart(4, '0')).join('');
  return `${hex.slice(0, Math.ceil(v6 / 4))}/${v6}`;
}

/** The empty truncated reply for a slipped response: header and question only, TC set. */
export function truncatedReply(response: Buffer): Buffer {
  let pos = 12;
  while (pos < response.length && response[pos] !== 0) pos += response[pos]! + 1;
  const end = Math.min(response.length, pos + 5);
  const out = Buffer.from(response.subarray(0, end));
  out[2] = out[2]! | 0x02;
  out.writeUInt16BE(0, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(0, 10);
  return out;
}
