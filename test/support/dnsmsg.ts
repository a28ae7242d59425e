// A small, independent DNS message codec for tests: builds queries and
// decodes any response fully (names in RDATA expanded), so two servers that
// compress differently can be compared record by record.
import { parseTypeName } from '../../server/wire/constants.js';

export interface QueryOptions {
  id?: number;
  qclass?: number;
  opcode?: number;
  rd?: boolean;
  cd?: boolean;
  /** Adds an OPT record. */
  edns?: { payload?: number; version?: number; dnssecOk?: boolean; compactOk?: boolean; nsid?: boolean };
}

export function encodeName(name: string): Buffer {
  const parts: Buffer[] = [];
  for (const label of name.replace(/\.$/, '').split('.')) {
    if (label === '') continue;
    const b = Buffer.from(label, 'latin1');
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

export function buildQuery(name: string, type: string | number, opts: QueryOptions = {}): Buffer {
  const qtype = typeof type === 'number' ? type : type === 'ANY' ? 255 : type === 'AXFR' ? 252 : parseTypeName(type);
  if (qtype === undefined) throw new Error(`unknown type ${type}`);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(opts.id ?? Math.floor(Math.random() * 65536), 0);
  let flags = (opts.opcode ?? 0) << 11;
  if (opts.rd) flags |= 0x0100;
  if (opts.cd) flags |= 0x0010;
  header.writeUInt16BE(flags, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(opts.edns ? 1 : 0, 10);
  const q = Buffer.alloc(4);
  q.writeUInt16BE(qtype, 0);
  q.writeUInt16BE(opts.qclass ?? 1, 2);
  const parts = [header, encodeName(name), q];
  if (opts.edns) {
    const opt = Buffer.alloc(opts.edns.nsid ? 15 : 11);
    opt.writeUInt16BE(41, 1);
    opt.writeUInt16BE(opts.edns.payload ?? 1232, 3);
    opt[6] = opts.edns.version ?? 0;
    opt.writeUInt16BE((opts.edns.dnssecOk ? 0x8000 : 0) | (opts.edns.compactOk ? 0x4000 : 0), 7);
    if (opts.edns.nsid) {
      opt.writeUInt16BE(4, 9);
      opt.writeUInt16BE(3, 11); // NSID, empty (RFC 5001)
    }
    parts.push(opt);
  }
  return Buffer.concat(parts);
}

export interface RR {
  name: string; // lowercase, with trailing dot
  type: number;
  class: number;
  ttl: number;
  /** Presentation-ish RDATA with names expanded and lowercased. */
  data: string;
}

export interface Message {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  cd: boolean;
  rcode: number;
  question: { name: string; rawName: string; type: number; class: number } | null;
  answer: RR[];
  authority: RR[];
  additional: RR[];
  opt: { payload: number; extRcode: number; version: number; dnssecOk: boolean } | null;
  /** OPT header flags (DO 0x8000, CO 0x4000) and options; 0 and [] without OPT. */
  ednsFlags: number;
  ednsOptions: { code: number; data: Buffer }[];
  size: number;
}

/** The RDATA bytes of a record parsed by parseMessage whose text is the generic `\\# len hex` form. */
export function rawRdata(rr: RR): Buffer {
  const m = /^\\# \d+ ?([0-9a-f]*)$/.exec(rr.data);
  if (!m) throw new Error(`not generic rdata: ${rr.data}`);
  return Buffer.from(m[1]!, 'hex');
}

/** A name as spelled on the wire (case kept; parseMessage lowercases its own copy). */
export function readName(buf: Buffer, start: number): { name: string; end: number } {
  let pos = start;
  let end = -1;
  let name = '';
  for (let hops = 0; hops < 64; ) {
    const len = buf[pos];
    if (len === undefined) throw new Error('name runs past the end');
    if (len === 0) {
      if (end < 0) end = pos + 1;
      return { name: name || '.', end };
    }
    if ((len & 0xc0) === 0xc0) {
      if (end < 0) end = pos + 2;
      pos = ((len & 0x3f) << 8) | buf[pos + 1]!;
      hops++;
      continue;
    }
    name += buf.toString('latin1', pos + 1, pos + 1 + len) + '.';
    pos += 1 + len;
  }
  throw new Error('compression loop');
}

function rdataText(buf: Buffer, type: number, off: number, len: number): string {
  const n = (o: number): { name: string; end: number } => {
    const r = readName(buf, o);
    return { name: r.name.toLowerCase(), end: r.end };
  };
  switch (type) {
    case 1:
      return [...buf.subarray(off, off + 4)].join('.');
    case 28: {
      const g: string[] = [];
      for (let i = 0; i < 16; i += 2) g.push(buf.readUInt16BE(off + i).toString(16));
      return g.join(':');
    }
    case 2:
    case 5:
    case 12:
      return n(off).name;
    case 15:
      return `${buf.readUInt16BE(off)} ${n(off + 2).name}`;
    case 33:
      return `${buf.readUInt16BE(off)} ${buf.readUInt16BE(off + 2)} ${buf.readUInt16BE(off + 4)} ${n(off + 6).name}`;
    case 6: {
      const m = n(off);
      const r = n(m.end);
      const nums = [0, 4, 8, 12, 16].map((i) => buf.readUInt32BE(r.end + i));
      return `${m.name} ${r.name} ${nums.join(' ')}`;
    }
    case 16: {
      const strs: string[] = [];
      let p = off;
      while (p < off + len) {
        const l = buf[p]!;
        strs.push(JSON.stringify(buf.toString('latin1', p + 1, p + 1 + l)));
        p += 1 + l;
      }
      return strs.join(' ');
    }
    default:
      return `\\# ${len} ${buf.toString('hex', off, off + len)}`;
  }
}

export function parseMessage(buf: Buffer): Message {
  const flags = buf.readUInt16BE(2);
  const counts = [4, 6, 8, 10].map((o) => buf.readUInt16BE(o));
  let pos = 12;
  let question: Message['question'] = null;
  for (let i = 0; i < counts[0]!; i++) {
    const r = readName(buf, pos);
    question = { name: r.name.toLowerCase(), rawName: r.name, type: buf.readUInt16BE(r.end), class: buf.readUInt16BE(r.end + 2) };
    pos = r.end + 4;
  }
  const sections: RR[][] = [[], [], []];
  let opt: Message['opt'] = null;
  let ednsFlags = 0;
  const ednsOptions: Message['ednsOptions'] = [];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]!; i++) {
      const r = readName(buf, pos);
      const type = buf.readUInt16BE(r.end);
      const cls = buf.readUInt16BE(r.end + 2);
      const ttl = buf.readUInt32BE(r.end + 4);
      const len = buf.readUInt16BE(r.end + 8);
      const off = r.end + 10;
      if (type === 41) {
        opt = { payload: cls, extRcode: ttl >>> 24, version: (ttl >>> 16) & 0xff, dnssecOk: (ttl & 0x8000) !== 0 };
        ednsFlags = ttl & 0xffff;
        for (let p = off; p + 4 <= off + len; p += 4 + buf.readUInt16BE(p + 2)) {
          ednsOptions.push({ code: buf.readUInt16BE(p), data: Buffer.from(buf.subarray(p + 4, p + 4 + buf.readUInt16BE(p + 2))) });
        }
      } else {
        sections[s]!.push({ name: r.name.toLowerCase(), type, class: cls, ttl, data: rdataText(buf, type, off, len) });
      }
      pos = off + len;
    }
  }
  return {
    id: buf.readUInt16BE(0),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    cd: (flags & 0x0010) !== 0,
    rcode: (flags & 0xf) | ((opt?.extRcode ?? 0) << 4),
    question,
    answer: sections[0]!,
    authority: sections[1]!,
    additional: sections[2]!,
    opt,
    ednsFlags,
    ednsOptions,
    size: buf.length,
  };
}
