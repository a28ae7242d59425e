// Finished answers kept as bytes in one large buffer, found through an index
// of typed arrays: no JavaScript object per answer. The caches were Maps of
// Buffers before; every answer put in one was a handful of objects that
// lived just long enough to be copied twice by the young-generation
// collector and then promoted, so filling a cache (a fresh server, a reload,
// a zone with a long tail of names) made each collection take 2-10 ms, which
// is the tail latency. Here an insertion writes bytes and three numbers.
//
// The buffer is a log: entries are appended at the write position, which
// wraps to the start, so the oldest entries are overwritten first. An entry
// is live while it lies within the last `bytes` written and among the last
// `maxEntries` appended; index slots that point at older ones are stale and
// are reused or swept. A hit on an entry in the oldest quarter appends a copy
// of it, so answers in use stay while one-off answers age out.
//
// Entry layout (offsets from its start):
//   0 u32 hash, 4 u32 shape, 8 u32 zone index, 12 u16 limit,
//   14 u16 value length, 16 u8 name length, 17 u8 extra length,
//   18 u32 sequence number (entries appended before it, mod 2^32),
//   22 name (latin1), then extra (the caller's: pool offsets), then value.
import type { Name } from '../wire/names.js';

const HEAD = 22;
/** Largest answer kept (bytes); bigger ones are answered afresh each time. */
const MAX_VALUE = 65535;

export interface AnswerStoreOptions {
  /** Bytes of the log (default 16 MiB). */
  bytes?: number;
  /** Most live entries (default 100 000). */
  maxEntries?: number;
}

export class AnswerStore {
  readonly bytes: number;
  readonly maxEntries: number;
  // Stand-ins until the first put(): an index of one empty slot finds nothing.
  private buf: Buffer = Buffer.alloc(0);
  private hashes = new Uint32Array(1);
  private positions = new Float64Array(1);
  private mask = 0;
  /** Absolute positions of the last maxEntries entries appended, a ring. */
  private starts = new Float64Array(0);
  private appended = 0;
  /** Absolute write position (bytes ever written, skips included). */
  private written = 0;
  /** Index slots in use (live or stale). */
  private occupied = 0;
  private readonly zones: Name[] = [];
  private readonly zoneIndex = new Map<Name, number>();

  constructor(o: AnswerStoreOptions = {}) {
    this.bytes = o.bytes ?? 16 * 1024 * 1024;
    this.maxEntries = o.maxEntries ?? 100_000;
    if (!(this.bytes >= 4096) || !(this.maxEntries >= 1)) throw new Error('answer store needs bytes >= 4096 and maxEntries >= 1');
  }

  /**
   * The log and the index, on the first put(). Every reload makes new stores
   * (about 30 MB per catalog with the index), and a cluster's primary, which
   * answers nothing, used to take them all the same: freed and taken again
   * on each reload, they stayed resident in the C heap (20 MB more per
   * process after a few reloads, docs/performance.md).
   */
  private allocate(): void {
    // Untouched pages of these are not resident: a store costs what it holds.
    this.buf = Buffer.allocUnsafeSlow(this.bytes);
    let slots = 4;
    while (slots < 2 * this.maxEntries) slots *= 2;
    this.hashes = new Uint32Array(slots);
    this.positions = new Float64Array(slots);
    this.mask = slots - 1;
    this.starts = new Float64Array(this.maxEntries);
  }

  /** Absolute position below which entries are gone. */
  private floor(): number {
    let f = this.written - this.bytes;
    if (this.appended >= this.maxEntries) {
      const oldest = this.starts[this.appended % this.maxEntries]!;
      if (oldest > f) f = oldest;
    }
    return f;
  }

  /**
   * The entry for (name, shape, limit) whose hash (doorkeeper.ts shapeHash)
   * is `h`: its offset in the buffer, or -1.
   */
  find(h: number, name: Name, shape: number, limit: number): number {
    const floor = this.floor();
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const sh = this.hashes[i]!;
      if (sh === 0) return -1;
      if (sh !== h) continue;
      const abs = this.positions[i]!;
      if (abs < floor) continue;
      const at = abs % this.bytes;
      if (!this.matches(at, name, shape, limit)) continue;
      if (this.aging(abs, at)) return this.refresh(i, at);
      return at;
    }
  }

  /** In the oldest quarter of what the store keeps, by bytes or by entries: a hit there is appended again. */
  private aging(abs: number, at: number): boolean {
    return this.written - abs > 0.75 * this.bytes || ((this.appended - this.buf.readUInt32LE(at + 18)) >>> 0) > 0.75 * this.maxEntries;
  }

  private matches(at: number, name: Name, shape: number, limit: number): boolean {
    const b = this.buf;
    if (b.readUInt32LE(at + 4) !== shape >>> 0 || b.readUInt16LE(at + 12) !== limit || b[at + 16] !== name.length) return false;
    for (let k = 0, p = at + HEAD; k < name.length; k++, p++) if (b[p] !== name.charCodeAt(k)) return false;
    return true;
  }

  /** Appends a copy of the entry at `at` (in the oldest quarter, and hit) and points slot `i` at it. */
  private refresh(i: number, at: number): number {
    const len = this.entryLength(at);
    const abs = this.reserve(len);
    const to = abs % this.bytes;
    // When the room just made overlaps the old copy (it was the oldest entry), copyWithin still copies it whole (memmove).
    this.buf.copyWithin(to, at, at + len);
    this.buf.writeUInt32LE((this.appended - 1) >>> 0, to + 18);
    this.positions[i] = abs;
    return to;
  }

  private entryLength(at: number): number {
    const b = this.buf;
    return HEAD + b[at + 16]! + b[at + 17]! + b.readUInt16LE(at + 14);
  }

  /** Room for `len` bytes at the write position (wrapping to the start when the end is too near); its absolute position. */
  private reserve(len: number): number {
    let at = this.written % this.bytes;
    if (at + len > this.bytes) {
      this.written += this.bytes - at;
      at = 0;
    }
    const abs = this.written;
    this.written += len;
    this.starts[this.appended % this.maxEntries] = abs;
    this.appended++;
    return abs;
  }

  /**
   * Stores `value` for (name, shape, limit) with hash `h`, replacing any entry
   * for the same key; `extra` is kept beside it (found with extraAt()).
   * Names longer than 255 bytes, values over MAX_VALUE or a third of the
   * store, and extras over 255 bytes are not kept.
   */
  put(h: number, name: Name, shape: number, limit: number, zone: Name, value: Buffer, extra?: Buffer): void {
    const extraLen = extra?.length ?? 0;
    const len = HEAD + name.length + extraLen + value.length;
    if (name.length > 255 || extraLen > 255 || value.length > MAX_VALUE || len > this.bytes / 3) return;
    if (this.buf.length === 0) this.allocate();
    const abs = this.reserve(len);
    const at = abs % this.bytes;
    const b = this.buf;
    b.writeUInt32LE(h, at);
    b.writeUInt32LE(shape >>> 0, at + 4);
    b.writeUInt32LE(this.zoneNumber(zone), at + 8);
    b.writeUInt16LE(limit, at + 12);
    b.writeUInt16LE(value.length, at + 14);
    b[at + 16] = name.length;
    b[at + 17] = extraLen;
    b.writeUInt32LE((this.appended - 1) >>> 0, at + 18);
    b.write(name, at + HEAD, 'latin1');
    if (extra) extra.copy(b, at + HEAD + name.length);
    value.copy(b, at + HEAD + name.length + extraLen);
    this.index(h, name, shape, limit, abs);
  }

  private index(h: number, name: Name, shape: number, limit: number, abs: number): void {
    const floor = this.floor();
    let reuse = -1;
    let i = h & this.mask;
    for (; ; i = (i + 1) & this.mask) {
      const sh = this.hashes[i]!;
      if (sh === 0) break;
      const p = this.positions[i]!;
      if (p < floor) {
        if (reuse < 0) reuse = i;
        continue;
      }
      // The same key stored before (its new copy may lie where a stale one was): the slot moves to the new copy.
      if (sh === h && p !== abs && this.matches(p % this.bytes, name, shape, limit)) {
        this.positions[i] = abs;
        return;
      }
    }
    if (reuse < 0) {
      reuse = i;
      this.occupied++;
    }
    this.hashes[reuse] = h;
    this.positions[reuse] = abs;
    if (this.occupied > (this.mask + 1) * 0.75) this.sweep();
  }

  /** Empties stale slots by rebuilding the index from the live ones. */
  private sweep(): void {
    const floor = this.floor();
    const hashes = this.hashes.slice();
    const positions = this.positions.slice();
    this.hashes.fill(0);
    this.occupied = 0;
    for (let s = 0; s < hashes.length; s++) {
      const h = hashes[s]!;
      if (h === 0 || positions[s]! < floor) continue;
      let i = h & this.mask;
      while (this.hashes[i] !== 0) i = (i + 1) & this.mask;
      this.hashes[i] = h;
      this.positions[i] = positions[s]!;
      this.occupied++;
    }
  }

  private zoneNumber(zone: Name): number {
    let n = this.zoneIndex.get(zone);
    if (n === undefined) {
      n = this.zones.length;
      this.zones.push(zone);
      this.zoneIndex.set(zone, n);
    }
    return n;
  }

  /** The served zone the entry at `at` came from. */
  zone(at: number): Name {
    return this.zones[this.buf.readUInt32LE(at + 8)]!;
  }

  valueLength(at: number): number {
    return this.buf.readUInt16LE(at + 14);
  }

  /** Copies the entry's value into `out` (at least valueLength long) from its start; byte by byte, which makes no garbage. */
  copyValue(at: number, out: Buffer): void {
    const b = this.buf;
    const start = at + HEAD + b[at + 16]! + b[at + 17]!;
    const len = b.readUInt16LE(at + 14);
    for (let k = 0; k < len; k++) out[k] = b[start + k]!;
  }

  /** Offset in the store's buffer of the entry's extra bytes (read them with extraBuffer()). */
  extraAt(at: number): number {
    return at + HEAD + this.buf[at + 16]!;
  }

  /** The buffer extraAt() points into; read only. */
  get extraBuffer(): Buffer {
    return this.buf;
  }

  clear(): void {
    this.hashes.fill(0);
    this.occupied = 0;
    this.appended = 0;
    this.written = 0;
    this.starts.fill(0);
  }

  /** Live entries (one per key): a walk over the index, for tests and metrics, not the query path. */
  get size(): number {
    let n = 0;
    const floor = this.floor();
    for (let i = 0; i <= this.mask; i++) if (this.hashes[i] !== 0 && this.positions[i]! >= floor) n++;
    return n;
  }

  /** The names with a live entry. */
  names(): Name[] {
    const out = new Set<Name>();
    const floor = this.floor();
    for (let i = 0; i <= this.mask; i++) {
      if (this.hashes[i] === 0 || this.positions[i]! < floor) continue;
      const at = this.positions[i]! % this.bytes;
      out.add(this.buf.toString('latin1', at + HEAD, at + HEAD + this.buf[at + 16]!));
    }
    return [...out];
  }
}
