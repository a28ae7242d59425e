// A zone's records as a few typed arrays and one byte buffer: what the
// compiler keeps between reading a file and writing the image (issue 8).
// A record costs about 30 bytes plus its RDATA here, against some 460 bytes
// as RecordSource objects, and the garbage collector has a handful of
// objects to trace instead of millions. Owners are numbered once, in order
// of first appearance; validation (validate.ts) and the image builder
// (image/build.ts) work on these numbers.
import { Buffer } from 'node:buffer';
import { Type } from '../wire/constants.js';
import type { Name } from '../wire/names.js';
import type { PoolRef, SourcePos, ZoneSource } from './model.js';
import type { DnssecOption } from './dnssec-option.js';

/**
 * The fewest records a table starts with. Small: at 1,024 each table took about
 * 48 KB whatever its file held (small typed arrays are zeroed, so touched), and
 * 10,000 zone files of a few records cost the compile a 592 MB peak.
 */
const FIRST = 16;

/**
 * The shortest a record's line is in practice (`  h1: { type: A, value: 10.0.0.1 }` is 36
 * bytes): a file of N bytes sizes its table for N / 24 records at once. Growing by doubling
 * instead copies every array at each step and, for a moment, holds both (issue 8: the
 * compile's peak is the reload's). Pages not written to cost no memory, so guessing high
 * is free; a file denser than that still grows.
 */
const MIN_LINE_BYTES = 24;
/** RDATA bytes per text byte to start with (an A record: 4 bytes from a 36-byte line; names about 1:1). */
const DATA_PER_TEXT = 0.5;

/** The four bytes addIPv4 hands to add(), which copies them at once. */
const IPV4_SCRATCH = new Uint8Array(4);

export class RecordTable {
  /** Owner names by id, in order of first appearance (names added by ownerId() alone have no records). */
  readonly names: Name[] = [];
  /**
   * The name -> id index: open addressing over `names` (slot = id + 1, 0 = empty), FNV-1a of
   * the name, at most half full. Not a Map: a Map of a million strings was 15% of a 1M-record
   * compile (growing by rehashing, tracing by the collector) and about 30 MB; this is one
   * typed array the collector never walks, sized from the file once.
   */
  private slots: Int32Array;
  private mask: number;
  count = 0;
  owner: Uint32Array;
  type: Uint16Array;
  ttl: Uint32Array;
  dataOff: Uint32Array;
  dataLen: Uint16Array;
  line: Uint32Array;
  col: Uint32Array;
  data: Uint8Array;
  dataUsed = 0;
  /** NS targets by record index: the glue check is the only reader of a target. */
  readonly nsTargets = new Map<number, Name>();

  /** `textBytes`: the size of the file the records come from, to size the arrays once. */
  constructor(textBytes = 0) {
    const n = Math.max(FIRST, Math.ceil(textBytes / MIN_LINE_BYTES));
    this.owner = new Uint32Array(n);
    this.type = new Uint16Array(n);
    this.ttl = new Uint32Array(n);
    this.dataOff = new Uint32Array(n);
    this.dataLen = new Uint16Array(n);
    this.line = new Uint32Array(n);
    this.col = new Uint32Array(n);
    this.data = new Uint8Array(Math.max(FIRST * 16, Math.ceil(textBytes * DATA_PER_TEXT)));
    // Twice the records the file can hold, so the index never grows while it is read (an owner per record at most).
    let size = FIRST * 2;
    while (size < n * 2) size *= 2;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
  }

  /** The id of `name`, numbering it if it is new. */
  ownerId(name: Name): number {
    const at = this.slotOf(name);
    const found = this.slots[at]!;
    if (found !== 0) return found - 1;
    const id = this.names.length;
    this.names.push(name);
    this.slots[at] = id + 1;
    if (this.names.length * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    return id;
  }

  idOf(name: Name): number | undefined {
    const found = this.slots[this.slotOf(name)]!;
    return found === 0 ? undefined : found - 1;
  }

  /** The slot holding `name`, or the empty one where it would go. */
  private slotOf(name: Name): number {
    if (this.mask < 0) throw new Error('RecordTable: the name index was released (releaseForWrite)');
    let h = 0x811c9dc5;
    for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
    const mask = this.mask;
    for (let at = h & mask; ; at = (at + 1) & mask) {
      const v = this.slots[at]!;
      if (v === 0 || this.names[v - 1] === name) return at;
    }
  }

  private rehash(size: number): void {
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    const names = this.names;
    for (let id = 0; id < names.length; id++) this.slots[this.slotOf(names[id]!)] = id + 1;
  }

  /**
   * Drops what only reading and validating need, once the image builder has
   * planned the zone: the name -> id index (16 MB at a million records) and
   * the records' lines and columns (8 MB). The write pass needs only the
   * numbers. After it ownerId() and idOf() throw and pos() says line 0.
   */
  releaseForWrite(): void {
    this.slots = new Int32Array(0);
    this.mask = -1;
    this.line = new Uint32Array(0);
    this.col = new Uint32Array(0);
  }

  /** add() of an A record whose address is `word` (rdata.ts ipv4Word): no RDATA buffer made for it. */
  addIPv4(owner: number, ttl: number, word: number, line: number, col: number): void {
    const b = IPV4_SCRATCH;
    b[0] = word >>> 24;
    b[1] = (word >>> 16) & 0xff;
    b[2] = (word >>> 8) & 0xff;
    b[3] = word & 0xff;
    this.add(owner, Type.A, ttl, b, line, col);
  }

  private growData(more: number): void {
    const data = new Uint8Array(Math.max(this.data.length * 2, this.dataUsed + more));
    data.set(this.data.subarray(0, this.dataUsed));
    this.data = data;
  }

  add(owner: number, type: number, ttl: number, wire: Uint8Array, line: number, col: number, target?: Name): void {
    const i = this.count;
    if (i === this.owner.length) this.grow();
    if (this.dataUsed + wire.length > this.data.length) this.growData(wire.length);
    this.owner[i] = owner;
    this.type[i] = type;
    this.ttl[i] = ttl;
    this.dataOff[i] = this.dataUsed;
    this.dataLen[i] = wire.length;
    this.line[i] = line;
    this.col[i] = col;
    this.data.set(wire, this.dataUsed);
    this.dataUsed += wire.length;
    if (type === Type.NS && target !== undefined) this.nsTargets.set(i, target);
    this.count = i + 1;
  }

  /** The RDATA of record `i` (a view into the table: copy it to keep it). */
  wire(i: number): Uint8Array {
    const off = this.dataOff[i]!;
    return this.data.subarray(off, off + this.dataLen[i]!);
  }

  /** The RDATA of record `i` as a Buffer over the same bytes. */
  wireBuffer(i: number): Buffer {
    return Buffer.from(this.data.buffer, this.data.byteOffset + this.dataOff[i]!, this.dataLen[i]!);
  }

  pos(i: number, file: string): SourcePos {
    return { file, line: this.line[i] ?? 0, col: this.col[i] ?? 0 };
  }

  private grow(): void {
    const n = this.owner.length * 2;
    const more = <T extends Uint32Array | Uint16Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.owner = more(this.owner, (k) => new Uint32Array(k));
    this.type = more(this.type, (k) => new Uint16Array(k));
    this.ttl = more(this.ttl, (k) => new Uint32Array(k));
    this.dataOff = more(this.dataOff, (k) => new Uint32Array(k));
    this.dataLen = more(this.dataLen, (k) => new Uint16Array(k));
    this.line = more(this.line, (k) => new Uint32Array(k));
    this.col = more(this.col, (k) => new Uint32Array(k));
  }
}

/** ZoneSource with its records in a RecordTable. */
export interface CompactZone {
  origin: Name;
  file: string;
  defaultTtl: number;
  serialAuto: boolean;
  records: RecordTable;
  poolRefs: PoolRef[];
  dnssec?: DnssecOption;
}

/** The compact form of a parsed zone (the full parser's output, or a test's). */
export function compactFromSource(src: ZoneSource): CompactZone {
  const t = new RecordTable();
  for (const r of src.records) t.add(t.ownerId(r.owner), r.type, r.ttl, r.rdata.wire, r.pos.line, r.pos.col, r.rdata.target);
  return { origin: src.origin, file: src.file, defaultTtl: src.defaultTtl, serialAuto: src.serialAuto, records: t, poolRefs: src.poolRefs, ...(src.dnssec ? { dnssec: src.dnssec } : {}) };
}

/** Writes `serial` into the zone's SOA record(s), as serial.ts's setSerial does for a ZoneSource. */
export function setTableSerial(zone: CompactZone, serial: number): void {
  const t = zone.records;
  for (let i = 0; i < t.count; i++) {
    if (t.type[i] !== Type.SOA) continue;
    const end = t.dataOff[i]! + t.dataLen[i]!;
    new DataView(t.data.buffer, t.data.byteOffset).setUint32(end - 20, serial >>> 0);
  }
}

/** The records as serial.ts's contentFingerprint reads them (built only for a zone with `serial: auto`). */
export function fingerprintRecords(zone: CompactZone): Array<{ owner: Name; type: number; ttl: number; rdata: { wire: Buffer } }> {
  const t = zone.records;
  const out = new Array<{ owner: Name; type: number; ttl: number; rdata: { wire: Buffer } }>(t.count);
  for (let i = 0; i < t.count; i++) out[i] = { owner: t.names[t.owner[i]!]!, type: t.type[i]!, ttl: t.ttl[i]!, rdata: { wire: t.wireBuffer(i) } };
  return out;
}
