// Builds responses into one reusable scratch buffer. RDATA arrives already
// encoded (from zone load); the writer only lays bytes down, compressing
// names against what it has written, starting with the question. Because an
// answer owned by the question name becomes a pointer to offset 12, the
// client's own spelling of the name is what it sees (case echoed as asked).
import { Class, Type } from './constants.js';
import type { Name } from './names.js';
import { NameTable } from './compression.js';

/** One record's RDATA as the writer lays it down: pre-encoded parts, names compressible or not (zones/rdata.ts builds these). */
export interface WireRdata {
  parts: ReadonlyArray<Buffer | Name>;
  compressible: boolean;
  wire: Buffer;
}

/** What the writer needs of an RRset; zones/compile.ts's RRset is one. */
export interface WireRRset {
  type: number;
  ttl: number;
  rdata: readonly WireRdata[];
}

export const SECTION_ANSWER = 0;
export const SECTION_AUTHORITY = 1;
export const SECTION_ADDITIONAL = 2;

const SCRATCH_SIZE = 65535;

export class ResponseWriter {
  readonly buf = Buffer.allocUnsafe(SCRATCH_SIZE);
  private pos = 0;
  private limit = 512;
  private counts = [0, 0, 0];
  private readonly names = new NameTable();
  truncated = false;

  /** Starts a response: header copied from the query, question copied verbatim. */
  begin(query: Buffer, questionEnd: number, qname: Name | null, limit: number): void {
    this.limit = Math.min(limit, SCRATCH_SIZE);
    this.counts[0] = this.counts[1] = this.counts[2] = 0;
    this.truncated = false;
    this.names.clear();
    // Byte by byte: Buffer#copy of part of a buffer makes a typed array for the part, per response.
    for (let i = 0; i < questionEnd; i++) this.buf[i] = query[i]!;
    this.buf.writeUInt16BE(questionEnd > 12 ? 1 : 0, 4);
    this.buf.fill(0, 6, 12);
    this.pos = questionEnd;
    if (qname) this.remember(qname, 12);
  }

  /** Sets QR, keeps opcode/RD/CD from the query, sets AA and rcode. */
  setFlags(queryFlags: number, aa: boolean, rcode: number): void {
    let f = 0x8000 | (queryFlags & 0x7800) | (queryFlags & 0x0100) | (queryFlags & 0x0010);
    if (aa) f |= 0x0400;
    if (this.truncated) f |= 0x0200;
    f |= rcode & 0xf;
    this.buf.writeUInt16BE(f, 2);
  }

  /** Room kept free at the end, e.g. for the OPT record. */
  reserve(bytes: number): void {
    this.limit -= bytes;
  }

  release(bytes: number): void {
    this.limit += bytes;
  }

  /** Registers the suffixes of `name` written at `offset` (those starting before `stop`). */
  private remember(name: Name, offset: number, stop = name.length): void {
    let i = 0;
    // Only suffixes writeName just looked up and missed (or the question's, first of all).
    while (i < stop && name.charCodeAt(i) !== 0 && offset + i < 0x4000) {
      this.names.add(name, i, offset + i);
      i += name.charCodeAt(i) + 1;
    }
  }

  /** Writes a name, compressed when `compress`; returns false if out of room. */
  private writeName(name: Name, compress: boolean): boolean {
    const buf = this.buf;
    if (!compress) {
      if (this.pos + name.length > SCRATCH_SIZE) return false;
      buf.write(name, this.pos, 'latin1');
      this.pos += name.length;
      return true;
    }
    let i = 0;
    while (name.charCodeAt(i) !== 0) {
      const ptr = this.names.find(name, i);
      if (ptr >= 0) {
        if (this.pos + i + 2 > SCRATCH_SIZE) return false;
        const start = this.pos;
        if (i > 0) buf.write(name.slice(0, i), this.pos, 'latin1');
        this.pos += i;
        buf[this.pos++] = 0xc0 | (ptr >> 8);
        buf[this.pos++] = ptr & 0xff;
        if (i > 0) this.remember(name, start, i);
        return true;
      }
      i += name.charCodeAt(i) + 1;
    }
    if (this.pos + name.length > SCRATCH_SIZE) return false;
    const start = this.pos;
    buf.write(name, this.pos, 'latin1');
    this.pos += name.length;
    this.remember(name, start);
    return true;
  }

  /**
   * Appends a whole RRset under `owner` (which differs from rrset.owner for
   * wildcard answers), followed by its RRSIGs when `sigs` is given: the two
   * are one unit. Returns false, leaving nothing behind, when it does not
   * fit: RRsets are never split, nor parted from their signatures.
   */
  addRRset(section: number, owner: Name, rrset: WireRRset, rdataList: readonly WireRdata[] = rrset.rdata, offsets?: number[], sigs?: readonly WireRdata[]): boolean {
    const mark = this.pos;
    const saved = this.names.size;
    if (!this.writeRecords(owner, rrset.type, rrset.ttl, rdataList, offsets)) return this.rollback(mark, saved);
    // RRSIG TTL = the covered RRset's TTL (RFC 4035 2.2); signatures are never compressed (RFC 3597).
    if (sigs && !this.writeRecords(owner, Type.RRSIG, rrset.ttl, sigs)) return this.rollback(mark, saved);
    this.counts[section]! += rdataList.length + (sigs?.length ?? 0);
    return true;
  }

  private writeRecords(owner: Name, type: number, ttl: number, rdataList: readonly WireRdata[], offsets?: number[]): boolean {
    const buf = this.buf;
    for (const rd of rdataList) {
      if (!this.writeName(owner, true) || this.pos + 10 > SCRATCH_SIZE) return false;
      buf.writeUInt16BE(type, this.pos);
      buf.writeUInt16BE(Class.IN, this.pos + 2);
      buf.writeUInt32BE(ttl, this.pos + 4);
      const lenAt = this.pos + 8;
      this.pos += 10;
      if (rd.compressible) {
        for (const part of rd.parts) {
          if (typeof part === 'string') {
            if (!this.writeName(part, true)) return false;
          } else {
            if (this.pos + part.length > SCRATCH_SIZE) return false;
            part.copy(buf, this.pos);
            this.pos += part.length;
          }
        }
      } else {
        if (this.pos + rd.wire.length > SCRATCH_SIZE) return false;
        offsets?.push(this.pos);
        rd.wire.copy(buf, this.pos);
        this.pos += rd.wire.length;
      }
      buf.writeUInt16BE(this.pos - lenAt - 2, lenAt);
      if (this.pos > this.limit) return false;
    }
    return true;
  }

  private rollback(mark: number, savedNames: number): false {
    this.pos = mark;
    // Forget names registered inside the rolled-back bytes.
    this.names.truncate(savedNames, mark);
    return false;
  }

  /**
   * OPT pseudo-RR (RFC 6891): our payload size, extended rcode bits, the
   * EDNS flags to echo (`true` for just DO, or the flags word: DO, CO), and
   * options already encoded (NSID).
   */
  addOpt(payload: number, extRcode: number, flags: boolean | number, options?: Buffer): void {
    if (typeof flags === 'boolean') flags = flags ? 0x8000 : 0;
    const b = this.buf;
    b[this.pos] = 0;
    b.writeUInt16BE(Type.OPT, this.pos + 1);
    b.writeUInt16BE(payload, this.pos + 3);
    b[this.pos + 5] = extRcode;
    b[this.pos + 6] = 0; // version
    b.writeUInt16BE(flags & 0xffff, this.pos + 7);
    b.writeUInt16BE(options?.length ?? 0, this.pos + 9);
    this.pos += 11;
    if (options) {
      options.copy(b, this.pos);
      this.pos += options.length;
    }
    this.counts[SECTION_ADDITIONAL]!++;
  }

  /** Copies the finished message out of the scratch buffer. */
  finish(): Buffer {
    this.buf.writeUInt16BE(this.counts[0]!, 6);
    this.buf.writeUInt16BE(this.counts[1]!, 8);
    this.buf.writeUInt16BE(this.counts[2]!, 10);
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}
