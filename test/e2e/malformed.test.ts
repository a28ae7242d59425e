// Hostile input against a real pulsedns process: thousands of random and
// crafted datagrams, abusive TCP framing and connection patterns. Whatever
// comes back must be a well-formed answer with the query's ID and one of the
// expected rcodes; responses (QR=1) and runts must get no answer; the process
// must survive and still answer promptly afterwards.
//
// The generator is seeded: a failure prints the seed, and
// PULSEDNS_FUZZ_SEED=N replays the same packets.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { startPulse, type Spawned } from '../support/server.js';
import { buildQuery, encodeName, parseMessage, type Message, type QueryOptions } from '../support/dnsmsg.js';
import type { Target } from '../support/client.js';
import { makeRng } from '../support/rng.js';

const ZONES = fileURLToPath(new URL('../../../zones', import.meta.url));

const UDP_PACKETS = 5000;
const UDP_BATCH = 50;
const TCP_CONNECTIONS = 300;
const TCP_PARALLEL = 8;
const TCP_CAP = 20;

const NOERROR = 0;
const FORMERR = 1;
const NXDOMAIN = 3;
const NOTIMP = 4;
const REFUSED = 5;
const BADVERS = 16;
const ALLOWED_RCODES: ReadonlySet<number> = new Set([NOERROR, FORMERR, NXDOMAIN, NOTIMP, REFUSED, BADVERS]);
const RCODE_NAMES = new Map([[0, 'NOERROR'], [1, 'FORMERR'], [2, 'SERVFAIL'], [3, 'NXDOMAIN'], [4, 'NOTIMP'], [5, 'REFUSED'], [16, 'BADVERS']]);
const rcodeName = (r: number): string => RCODE_NAMES.get(r) ?? `RCODE${r}`;

const SEED = process.env.PULSEDNS_FUZZ_SEED ? Number(process.env.PULSEDNS_FUZZ_SEED) : (Date.now() ^ (process.pid << 8)) >>> 0;

// ---------------------------------------------------------------- randomness

const rng = makeRng(SEED);
const int = (lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
const randomBytes = (n: number): Buffer => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rng() * 256);
  return b;
};

// ---------------------------------------------------------------- packets

interface Case {
  kind: string;
  bytes: Buffer;
  /** Rcodes this particular packet may get; undefined means any allowed one. */
  expect?: readonly number[];
}

/** Whether the server must stay silent: too short to be a message, or a response. */
function isSilent(bytes: Buffer): boolean {
  return bytes.length < 12 || (bytes[2]! & 0x80) !== 0;
}

function withId(bytes: Buffer, id: number): Buffer {
  const b = Buffer.from(bytes);
  if (b.length >= 2) b.writeUInt16BE(id, 0);
  return b;
}

function header(fields: { flags?: number; qd?: number; an?: number; ns?: number; ar?: number }): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(fields.flags ?? 0, 2);
  h.writeUInt16BE(fields.qd ?? 0, 4);
  h.writeUInt16BE(fields.an ?? 0, 6);
  h.writeUInt16BE(fields.ns ?? 0, 8);
  h.writeUInt16BE(fields.ar ?? 0, 10);
  return h;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/** RR fixed part after the owner name: type, class, TTL, RDLENGTH. */
function rrTail(type: number, cls: number, ttl: number, rdlen: number): Buffer {
  const b = Buffer.alloc(10);
  b.writeUInt16BE(type, 0);
  b.writeUInt16BE(cls, 2);
  b.writeUInt32BE(ttl >>> 0, 4);
  b.writeUInt16BE(rdlen, 8);
  return b;
}

const OPT_RR = Buffer.concat([Buffer.from([0]), rrTail(41, 1232, 0, 0)]);
const WWW_QUESTION = Buffer.concat([encodeName('www.example.com'), u16(1), u16(1)]);

interface Valid {
  name: string;
  type: string | number;
  expect: readonly number[];
}

// Questions the sample zones answer in different ways.
const VALID: readonly Valid[] = [
  { name: 'www.example.com', type: 'A', expect: [NOERROR] },
  { name: 'WwW.ExAmPlE.cOm', type: 'A', expect: [NOERROR] },
  { name: 'example.com', type: 'MX', expect: [NOERROR] },
  { name: 'example.com', type: 'SOA', expect: [NOERROR] },
  { name: 'example.com', type: 'ANY', expect: [NOERROR] },
  { name: 'blog.example.com', type: 'A', expect: [NOERROR] },
  { name: 'nope.example.com', type: 'A', expect: [NXDOMAIN] },
  { name: 'x.y.z.example.com', type: 'AAAA', expect: [NXDOMAIN] },
  { name: 'foo.apps.example.com', type: 'A', expect: [NOERROR] },
  { name: 'host.lab.example.com', type: 'A', expect: [NOERROR] },
  { name: '_sip._tcp.example.com', type: 'SRV', expect: [NOERROR] },
  { name: 'www.example.com', type: 'TXT', expect: [NOERROR] },
  { name: '10.2.0.192.in-addr.arpa', type: 'PTR', expect: [NOERROR] },
  { name: 'example.org', type: 'A', expect: [REFUSED] },
  { name: 'example.com', type: 'AXFR', expect: [REFUSED] },
  { name: 'example.com', type: 65000, expect: [NOERROR] },
];

function validQuery(v: Valid, opts: QueryOptions = {}): Buffer {
  return buildQuery(v.name, v.type, { id: 0, ...opts });
}

function randomValid(): { v: Valid; bytes: Buffer } {
  const v = pick(VALID);
  const opts: QueryOptions = { rd: rng() < 0.5, cd: rng() < 0.2 };
  if (rng() < 0.5) opts.edns = { payload: pick([0, 512, 1232, 4096, 65535]), dnssecOk: rng() < 0.3 };
  return { v, bytes: validQuery(v, opts) };
}

/** A message that is valid up to the question, followed by `rest` with the given counts. */
function withSections(rest: Buffer, counts: { an?: number; ns?: number; ar?: number }): Buffer {
  return Buffer.concat([header({ qd: 1, ...counts }), WWW_QUESTION, rest]);
}

/**
 * Additional section whose first RR carries, in its RDATA, a chain of
 * `hops` compression pointers each aiming at the one before, ending at a root
 * label; then `followers` RRs whose owner names point at the end of the chain.
 * A decoder without a hop limit walks the whole chain once per follower.
 */
function pointerChain(hops: number, followers: number): Buffer {
  const base = 12 + WWW_QUESTION.length + 11; // start of RR1's RDATA
  const rdata = Buffer.alloc(1 + 2 * hops);
  rdata[0] = 0; // root label at `base`
  let prev = base;
  for (let i = 0; i < hops; i++) {
    const at = base + 1 + 2 * i;
    if (at + 1 > 0x3fff) throw new Error('chain would leave pointer range');
    rdata.writeUInt16BE(0xc000 | prev, 1 + 2 * i);
    prev = at;
  }
  const rr1 = Buffer.concat([Buffer.from([0]), rrTail(0xff00, 1, 0, rdata.length), rdata]);
  const follower = Buffer.concat([u16(0xc000 | prev), rrTail(0xff01, 1, 0, 0)]);
  const parts: Buffer[] = [rr1];
  for (let i = 0; i < followers; i++) parts.push(follower);
  return withSections(Buffer.concat(parts), { ar: 1 + followers });
}

/** The biggest chain-of-pointers message one TCP frame can carry (65535 bytes). */
function pointerBomb(): Buffer {
  const questionEnd = 12 + WWW_QUESTION.length;
  const base = questionEnd + 11;
  const hops = Math.floor((0x3fff - 1 - base - 1) / 2);
  const used = base + 1 + 2 * hops;
  const followers = Math.floor((65535 - used) / 12);
  const msg = pointerChain(hops, followers);
  assert.ok(msg.length <= 65535 && msg.length > 65000, `pointer bomb is ${msg.length} bytes`);
  return msg;
}

/**
 * A name under example.com exactly `wireLength` bytes long on the wire (root
 * byte included): 255 is the most RFC 1035 section 2.3.4 allows.
 */
function longName(wireLength: number): Buffer {
  const suffix = encodeName('example.com');
  let room = wireLength - suffix.length;
  const parts: Buffer[] = [];
  while (room > 0) {
    const len = Math.min(63, room - 1);
    parts.push(Buffer.from([len]), Buffer.alloc(len, 0x61 + parts.length));
    room -= len + 1;
  }
  const name = Buffer.concat([...parts, suffix]);
  assert.equal(name.length, wireLength);
  return name;
}

type Gen = () => Case;

const GENERATORS: ReadonlyArray<[number, Gen]> = [
  [2, () => ({ kind: 'empty', bytes: Buffer.alloc(0) })],
  [6, () => ({ kind: 'runt', bytes: randomBytes(int(1, 11)) })],
  [4, () => ({ kind: 'header-only', bytes: header({ flags: int(0, 0x7fff), qd: int(0, 3), an: int(0, 3), ns: int(0, 3), ar: int(0, 3) }), expect: [FORMERR, NOTIMP] })],
  [3, () => ({ kind: 'qdcount-0', bytes: Buffer.concat([header({ qd: 0 }), WWW_QUESTION]), expect: [FORMERR] })],
  [5, () => {
    const qd = rng() < 0.3 ? 2 : int(2, 65535);
    const body = rng() < 0.5 ? Buffer.concat([WWW_QUESTION, WWW_QUESTION]) : WWW_QUESTION;
    return { kind: 'qdcount-many', bytes: Buffer.concat([header({ qd }), body]), expect: [FORMERR] };
  }],
  [5, () => {
    const counts = { an: rng() < 0.6 ? int(1, 65535) : 0, ns: rng() < 0.6 ? int(1, 65535) : 0, ar: rng() < 0.6 ? int(1000, 65535) : 1 };
    if (counts.an + counts.ns < 100) counts.ar = int(1000, 65535);
    return { kind: 'huge-counts', bytes: withSections(Buffer.concat([OPT_RR, randomBytes(int(0, 40))]), counts), expect: [FORMERR] };
  }],
  [4, () => {
    const len = int(64, 191); // 0x40..0xBF: not a plain label, not a pointer
    const name = Buffer.concat([Buffer.from([3]), Buffer.from('www'), Buffer.from([len]), randomBytes(int(0, 80)), Buffer.from([0])]);
    return { kind: 'label>63', bytes: Buffer.concat([header({ qd: 1 }), name, u16(1), u16(1)]), expect: [FORMERR] };
  }],
  [4, () => {
    // 256+ bytes on the wire: four 63-byte labels plus the root.
    const labels = int(4, 8);
    const parts: Buffer[] = [];
    for (let i = 0; i < labels; i++) parts.push(Buffer.from([63]), Buffer.alloc(63, 0x61 + i));
    parts.push(encodeName('example.com'));
    return { kind: 'name>255', bytes: Buffer.concat([header({ qd: 1 }), ...parts, u16(1), u16(1)]), expect: [FORMERR] };
  }],
  [2, () => ({ kind: 'name=255', bytes: Buffer.concat([header({ qd: 1 }), longName(255), u16(1), u16(1)]), expect: [NXDOMAIN] })],
  [5, () => {
    const name = pick([
      Buffer.from([0xc0, 0x0c]),
      Buffer.from([0xc0, 0x00]),
      Buffer.concat([Buffer.from([3]), Buffer.from('www'), Buffer.from([0xc0, 0x0c])]),
      Buffer.concat([Buffer.from([3]), Buffer.from('www'), Buffer.from([0xc0, 0x10])]),
      Buffer.concat([Buffer.from([3]), Buffer.from('www'), Buffer.from([0xff, 0xff])]),
    ]);
    return { kind: 'pointer-in-question', bytes: Buffer.concat([header({ qd: 1 }), name, u16(1), u16(1)]), expect: [FORMERR] };
  }],
  [4, () => {
    // An additional RR whose owner is a pointer to itself.
    const at = 12 + WWW_QUESTION.length;
    const rr = Buffer.concat([u16(0xc000 | at), rrTail(1, 1, 0, 0)]);
    const section = pick(['an', 'ns', 'ar'] as const);
    return { kind: `self-pointer-${section}`, bytes: withSections(rr, { [section]: 1 }), expect: [FORMERR] };
  }],
  [3, () => {
    // Two names pointing at each other: RR1's RDATA -> RR2's owner -> RR1's RDATA.
    const rr1At = 12 + WWW_QUESTION.length;
    const rdataAt = rr1At + 1 + 10;
    const rr2At = rdataAt + 2;
    const rr1 = Buffer.concat([Buffer.from([0]), rrTail(5, 1, 0, 2), u16(0xc000 | rr2At)]);
    const rr2 = Buffer.concat([u16(0xc000 | rdataAt), rrTail(1, 1, 0, 0)]);
    return { kind: 'pointer-loop', bytes: withSections(Buffer.concat([rr1, rr2]), { ar: 2 }), expect: [FORMERR] };
  }],
  [3, () => {
    // Forward pointer into the message (points past itself).
    const at = 12 + WWW_QUESTION.length;
    const rr = Buffer.concat([u16(0xc000 | (at + 20)), rrTail(1, 1, 0, 0), randomBytes(20)]);
    return { kind: 'forward-pointer', bytes: withSections(rr, { ar: 1 }) };
  }],
  [4, () => ({ kind: 'pointer-chain', bytes: pointerChain(int(17, 600), int(1, 40)), expect: [FORMERR] })],
  [1, () => ({ kind: 'pointer-chain-16', bytes: pointerChain(int(1, 16), int(1, 5)), expect: [NOERROR, FORMERR] })],
  [5, () => {
    const full = validQuery(pick(VALID));
    return { kind: 'truncated-question', bytes: full.subarray(0, int(12, full.length - 1)), expect: [FORMERR] };
  }],
  [4, () => {
    const full = validQuery(VALID[0]!, { edns: { payload: 1232 } });
    return { kind: 'truncated-opt', bytes: full.subarray(0, full.length - int(1, 10)), expect: [FORMERR] };
  }],
  [3, () => {
    const full = Buffer.from(validQuery(VALID[0]!));
    full.writeUInt16BE(1, 10);
    const rdata = randomBytes(int(1, 30));
    const opt = Buffer.concat([Buffer.from([0]), rrTail(41, 1232, 0, rdata.length + int(1, 50)), rdata]);
    return { kind: 'opt-rdlen-overrun', bytes: Buffer.concat([full, opt]), expect: [FORMERR] };
  }],
  [3, () => ({ kind: 'two-opts', bytes: withSections(Buffer.concat([OPT_RR, OPT_RR]), { ar: 2 }), expect: [FORMERR] })],
  [3, () => {
    const owner = pick([encodeName('a'), encodeName('example.com'), Buffer.from([0xc0, 0x0c])]);
    return { kind: 'opt-non-root', bytes: withSections(Buffer.concat([owner, rrTail(41, 1232, 0, 0)]), { ar: 1 }), expect: [FORMERR] };
  }],
  [3, () => ({ kind: 'opt-in-answer', bytes: withSections(OPT_RR, { an: 1 }) })],
  [4, () => {
    const { bytes } = randomValid();
    const b = Buffer.from(bytes);
    b[2] = b[2]! | 0x80;
    if (rng() < 0.5) b[3] = Math.floor(rng() * 256);
    return { kind: 'qr=1', bytes: b };
  }],
  [5, () => {
    const opcode = int(0, 15);
    const v = VALID[0]!;
    return { kind: `opcode-${opcode}`, bytes: validQuery(v, { opcode, rd: rng() < 0.5 }), expect: opcode === 0 ? v.expect : [NOTIMP, REFUSED, FORMERR] };
  }],
  [3, () => ({ kind: 'edns-version', bytes: validQuery(pick(VALID), { edns: { version: int(1, 255) } }), expect: [BADVERS] })],
  [2, () => ({ kind: 'class-ch', bytes: validQuery(VALID[0]!, { qclass: pick([3, 4, 254, 255]) }), expect: [REFUSED, NOTIMP] })],
  [2, () => ({ kind: 'qtype-opt', bytes: validQuery({ name: 'www.example.com', type: 41, expect: [] }), expect: [FORMERR, NOERROR] })],
  [8, () => {
    const { v, bytes } = randomValid();
    return { kind: 'valid', bytes, expect: v.expect };
  }],
  [12, () => ({ kind: 'random', bytes: randomBytes(int(12, pick([40, 120, 600]))) })],
  [4, () => {
    // Random flags and counts in front of a real question.
    const h = randomBytes(12);
    h[2] = h[2]! & 0x7f;
    return { kind: 'random-header', bytes: Buffer.concat([h, WWW_QUESTION, randomBytes(int(0, 60))]) };
  }],
  [16, () => {
    const { bytes } = randomValid();
    const b = Buffer.from(bytes);
    const flips = int(1, 6);
    for (let i = 0; i < flips; i++) {
      const bit = int(16, b.length * 8 - 1); // leave the ID alone
      b[bit >> 3] = b[bit >> 3]! ^ (0x80 >> (bit & 7));
    }
    return { kind: 'bit-flips', bytes: b };
  }],
  [2, () => {
    const { bytes } = randomValid();
    return { kind: 'trailing-garbage', bytes: Buffer.concat([bytes, randomBytes(int(1, 64))]) };
  }],
];

const TOTAL_WEIGHT = GENERATORS.reduce((s, [w]) => s + w, 0);

function randomCase(): Case {
  let r = rng() * TOTAL_WEIGHT;
  for (const [w, gen] of GENERATORS) {
    r -= w;
    if (r < 0) return gen();
  }
  return GENERATORS[GENERATORS.length - 1]![1]();
}

// ---------------------------------------------------------------- checking

class Problems {
  readonly list: string[] = [];
  count = 0;

  add(text: string): void {
    this.count++;
    if (this.list.length < 25) this.list.push(text);
  }

  assertNone(what: string): void {
    if (this.count === 0) return;
    assert.fail(`${what}: ${this.count} problem(s) (seed ${SEED}; replay with PULSEDNS_FUZZ_SEED=${SEED}):\n  ${this.list.join('\n  ')}`);
  }
}

const hex = (b: Buffer, max = 160): string => b.subarray(0, max).toString('hex') + (b.length > max ? `...(${b.length} bytes)` : '');

/** Checks one answer against the packet it answers; returns the parsed message or undefined. */
function checkAnswer(c: Case, sent: Buffer, raw: Buffer, problems: Problems, via: string): Message | undefined {
  const where = `${via} ${c.kind} query=${hex(sent)}`;
  if (isSilent(sent)) {
    problems.add(`${where}: got an answer to a message that must be ignored: ${hex(raw)}`);
    return undefined;
  }
  let m: Message;
  try {
    m = parseMessage(raw);
  } catch (e) {
    problems.add(`${where}: answer does not parse (${(e as Error).message}): ${hex(raw)}`);
    return undefined;
  }
  if (m.id !== sent.readUInt16BE(0)) problems.add(`${where}: answer ID ${m.id} != query ID ${sent.readUInt16BE(0)}`);
  if (!m.qr) problems.add(`${where}: answer has QR=0`);
  if (!ALLOWED_RCODES.has(m.rcode)) problems.add(`${where}: rcode ${rcodeName(m.rcode)}: ${hex(raw)}`);
  else if (c.expect && !c.expect.includes(m.rcode)) {
    problems.add(`${where}: rcode ${rcodeName(m.rcode)}, expected ${c.expect.map(rcodeName).join('/')}: ${hex(raw)}`);
  }
  if ((m.rcode === NOERROR || m.rcode === NXDOMAIN) && !m.question) problems.add(`${where}: ${rcodeName(m.rcode)} without a question`);
  return m;
}

function assertAlive(srv: Spawned): void {
  assert.equal(srv.proc.exitCode, null, `pulsedns exited with ${srv.proc.exitCode}:\n${srv.output.slice(-20).join('\n')}`);
  assert.equal(srv.proc.signalCode, null, `pulsedns was killed by ${srv.proc.signalCode}`);
}

// ---------------------------------------------------------------- UDP

interface UdpProbe {
  sock: dgram.Socket;
  /** Answers by ID, in arrival order. */
  answers: Map<number, Buffer[]>;
  stray: Buffer[];
  onAnswer: (() => void) | null;
}

function openUdp(): Promise<UdpProbe> {
  const sock = dgram.createSocket('udp4');
  const probe: UdpProbe = { sock, answers: new Map(), stray: [], onAnswer: null };
  sock.on('message', (m) => {
    if (m.length < 2) {
      probe.stray.push(m);
    } else {
      const id = m.readUInt16BE(0);
      const list = probe.answers.get(id);
      if (list) list.push(m);
      else probe.answers.set(id, [m]);
    }
    probe.onAnswer?.();
  });
  return new Promise((resolve) => sock.bind(0, '127.0.0.1', () => resolve(probe)));
}

/** Resolves when `done()` holds or after `ms`, re-checking on every answer. */
function waitUntil(probe: UdpProbe, done: () => boolean, ms: number): Promise<boolean> {
  if (done()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      probe.onAnswer = null;
      resolve(done());
    }, ms);
    probe.onAnswer = () => {
      if (done()) {
        clearTimeout(timer);
        probe.onAnswer = null;
        resolve(true);
      }
    };
  });
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- TCP

/** One client connection that collects framed answers and notices the close. */
class TcpConn {
  readonly frames: Buffer[] = [];
  closed = false;
  connected = false;
  error: Error | null = null;
  private buf = Buffer.alloc(0);
  private listeners = new Set<() => void>();

  constructor(readonly sock: net.Socket) {
    sock.setNoDelay(true);
    sock.on('connect', () => {
      this.connected = true;
      this.poke();
    });
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 2 && this.buf.length >= 2 + this.buf.readUInt16BE(0)) {
        const len = this.buf.readUInt16BE(0);
        this.frames.push(Buffer.from(this.buf.subarray(2, 2 + len)));
        this.buf = this.buf.subarray(2 + len);
      }
      this.poke();
    });
    sock.on('error', (e) => {
      this.error = e;
    });
    sock.on('close', () => {
      this.closed = true;
      this.poke();
    });
  }

  static open(t: Target): TcpConn {
    return new TcpConn(net.connect(t.port, t.host));
  }

  private poke(): void {
    for (const l of [...this.listeners]) l();
  }

  /** Resolves true once `pred` holds, false after `ms`. */
  waitFor(pred: () => boolean, ms: number): Promise<boolean> {
    if (pred()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = (): void => {
        if (!pred()) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        resolve(pred());
      }, ms);
      this.listeners.add(check);
    });
  }

  waitConnected(ms: number): Promise<boolean> {
    return this.waitFor(() => this.connected || this.closed, ms).then(() => this.connected && !this.closed);
  }

  write(b: Buffer): void {
    if (!this.closed && !this.sock.destroyed) this.sock.write(b);
  }

  destroy(): void {
    this.sock.destroy();
  }
}

function frame(msg: Buffer): Buffer {
  return Buffer.concat([u16(msg.length), msg]);
}

// ---------------------------------------------------------------- the tests

let srv: Spawned;

before(async () => {
  // No admin endpoint: its fixed default port would collide with other servers on this machine.
  srv = await startPulse(ZONES, ['--tcp-idle-timeout', '1', '--tcp-max-connections', String(TCP_CAP), '--admin', 'off']);
  console.log(`malformed: fuzz seed ${SEED} (replay with PULSEDNS_FUZZ_SEED=${SEED})`);
});

after(async () => {
  await srv?.stop();
});

test(`UDP: ${UDP_PACKETS} random and crafted datagrams`, async () => {
  const probe = await openUdp();
  const problems = new Problems();
  const sent = new Map<number, { c: Case; bytes: Buffer }>();
  const kinds = new Map<string, number>();
  const deadline = Date.now() + 15_000;
  let nextId = 0;
  try {
    for (let start = 0; start < UDP_PACKETS && Date.now() < deadline; start += UDP_BATCH) {
      const expecting: number[] = [];
      for (let i = start; i < Math.min(start + UDP_BATCH, UDP_PACKETS); i++) {
        const c = randomCase();
        const id = nextId++;
        const bytes = withId(c.bytes, id);
        sent.set(id, { c, bytes });
        kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
        if (bytes.length >= 2 && !isSilent(bytes)) expecting.push(id);
        probe.sock.send(bytes, srv.port, srv.host);
      }
      await waitUntil(probe, () => expecting.every((id) => probe.answers.has(id)), 1000);
    }
    assert.equal(nextId, UDP_PACKETS, `only ${nextId} of ${UDP_PACKETS} datagrams sent within 15 s: the server is too slow`);

    // Give a datagram that was lost on the way (or answered late) one more chance.
    const missing = [...sent].filter(([id, s]) => s.bytes.length >= 12 && !isSilent(s.bytes) && !probe.answers.has(id));
    for (const [, s] of missing) probe.sock.send(s.bytes, srv.port, srv.host);
    await waitUntil(probe, () => missing.every(([id]) => probe.answers.has(id)), 1000);
    await delay(200); // stragglers for messages that must stay unanswered
    for (const [id, s] of missing) {
      if (!probe.answers.has(id)) problems.add(`UDP ${s.c.kind}: no answer (even when sent twice) to query=${hex(s.bytes)}`);
    }

    for (const [id, list] of probe.answers) {
      const s = sent.get(id);
      if (!s) {
        problems.add(`UDP: answer with an ID nobody sent (${id}): ${hex(list[0]!)}`);
        continue;
      }
      for (const raw of list) checkAnswer(s.c, s.bytes, raw, problems, 'UDP');
    }
    for (const raw of probe.stray) problems.add(`UDP: stray ${raw.length}-byte datagram ${hex(raw)}`);
    const summary = [...kinds].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}=${n}`).join(' ');
    console.log(`malformed: UDP sent ${nextId} (${summary}); answered ${probe.answers.size}`);
    problems.assertNone('UDP fuzz');
    assertAlive(srv);
  } finally {
    probe.sock.close();
  }
});

test('UDP: a 1400-byte chain of compression pointers is rejected quickly', async () => {
  const probe = await openUdp();
  try {
    const bytes = withId(pointerChain(600, 10), 4242);
    assert.ok(bytes.length < 1500);
    const t0 = performance.now();
    probe.sock.send(bytes, srv.port, srv.host);
    assert.ok(await waitUntil(probe, () => probe.answers.has(4242), 1000), 'no answer within 1 s');
    const ms = performance.now() - t0;
    const m = parseMessage(probe.answers.get(4242)![0]!);
    assert.equal(m.rcode, FORMERR);
    assert.ok(ms < 500, `took ${ms.toFixed(0)} ms`);
  } finally {
    probe.sock.close();
  }
});

// The root byte counts toward the 255-byte limit (RFC 1035 3.1); this once slipped.
test('UDP: names of 256 bytes (one over the limit) get FORMERR', async () => {
  const probe = await openUdp();
  try {
    const inQuestion = withId(Buffer.concat([header({ qd: 1 }), longName(256), u16(1), u16(1)]), 4301);
    const inAdditional = withId(withSections(Buffer.concat([longName(256), rrTail(1, 1, 0, 0)]), { ar: 1 }), 4302);
    const boundary = withId(Buffer.concat([header({ qd: 1 }), longName(255), u16(1), u16(1)]), 4303);
    for (const b of [inQuestion, inAdditional, boundary]) probe.sock.send(b, srv.port, srv.host);
    assert.ok(await waitUntil(probe, () => [4301, 4302, 4303].every((id) => probe.answers.has(id)), 1000), 'missing answers');
    const rcodes = [4301, 4302, 4303].map((id) => rcodeName(parseMessage(probe.answers.get(id)![0]!).rcode));
    assert.deepEqual(rcodes, ['FORMERR', 'FORMERR', 'NXDOMAIN'], `256 in question, 256 in additional, 255 in question`);
  } finally {
    probe.sock.close();
  }
});

test(`TCP: ${TCP_CONNECTIONS} connections carrying crafted and random messages`, async () => {
  const t: Target = { host: srv.host, port: srv.port };
  const problems = new Problems();
  const deadline = Date.now() + 10_000;
  let done = 0;
  let answered = 0;

  const one = async (n: number): Promise<void> => {
    const cases: Array<{ c: Case; bytes: Buffer }> = [];
    const count = int(1, 10);
    for (let i = 0; i < count; i++) {
      const c = randomCase();
      cases.push({ c, bytes: withId(c.bytes, (n * 16 + i) & 0xffff) });
    }
    // A normal query at the end: everything before it must have been answered (or ignored) in order.
    const sentinelId = (n * 16 + 15) & 0xffff;
    const sentinel = buildQuery('www.example.com', 'A', { id: sentinelId });
    const expected = cases.filter((s) => !isSilent(s.bytes));
    const conn = TcpConn.open(t);
    try {
      if (!(await conn.waitConnected(2000))) {
        problems.add(`TCP conn ${n}: could not connect (${conn.error?.message ?? 'closed'})`);
        return;
      }
      conn.write(Buffer.concat([...cases.map((s) => frame(s.bytes)), frame(sentinel)]));
      const want = expected.length + 1;
      const got = await conn.waitFor(() => conn.frames.length >= want || conn.closed, 2000);
      if (!got || conn.frames.length < want) {
        problems.add(`TCP conn ${n}: ${conn.frames.length} of ${want} answers (closed=${conn.closed}) for ${cases.map((s) => `${s.c.kind}:${hex(s.bytes, 64)}`).join(', ')}`);
        return;
      }
      const frames = conn.frames;
      if (frames.length !== want) problems.add(`TCP conn ${n}: ${frames.length} answers, expected ${want}`);
      for (let i = 0; i < expected.length && i < frames.length; i++) {
        const m = checkAnswer(expected[i]!.c, expected[i]!.bytes, frames[i]!, problems, `TCP conn ${n}`);
        if (m && m.id !== expected[i]!.bytes.readUInt16BE(0)) problems.add(`TCP conn ${n}: answer ${i} out of order`);
      }
      const last = parseMessage(frames[frames.length - 1]!);
      if (last.id !== sentinelId || last.rcode !== NOERROR || last.answer.length !== 3) {
        problems.add(`TCP conn ${n}: the closing www.example.com A came back as id=${last.id} ${rcodeName(last.rcode)} with ${last.answer.length} answers`);
      }
      answered += frames.length;
    } finally {
      conn.sock.end();
      await conn.waitFor(() => conn.closed, 500);
      conn.destroy();
      done++;
    }
  };

  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < TCP_CONNECTIONS && Date.now() < deadline) await one(next++);
  };
  await Promise.all(Array.from({ length: TCP_PARALLEL }, worker));
  console.log(`malformed: TCP ${done} connections, ${answered} answers`);
  assert.equal(done, TCP_CONNECTIONS, `only ${done} of ${TCP_CONNECTIONS} connections finished within 10 s`);
  problems.assertNone('TCP fuzz');
  assertAlive(srv);
});

test('TCP: a 64 KB message of chained compression pointers is rejected quickly', async () => {
  const conn = TcpConn.open({ host: srv.host, port: srv.port });
  try {
    assert.ok(await conn.waitConnected(2000), 'could not connect');
    const bomb = withId(pointerBomb(), 777);
    const t0 = performance.now();
    conn.write(frame(bomb));
    assert.ok(await conn.waitFor(() => conn.frames.length >= 1 || conn.closed, 900), 'no answer to the pointer bomb within 900 ms');
    const ms = performance.now() - t0;
    assert.equal(conn.frames.length, 1, 'connection closed without an answer');
    const m = parseMessage(conn.frames[0]!);
    assert.equal(m.id, 777);
    assert.equal(m.rcode, FORMERR);
    assert.ok(ms < 500, `FORMERR took ${ms.toFixed(0)} ms`);
    // And the connection still serves.
    conn.write(frame(buildQuery('www.example.com', 'A', { id: 778 })));
    assert.ok(await conn.waitFor(() => conn.frames.length >= 2, 900), 'no answer after the bomb');
    assert.equal(parseMessage(conn.frames[1]!).id, 778);
  } finally {
    conn.destroy();
  }
});

test('TCP: frames split byte by byte are reassembled', async () => {
  const conn = TcpConn.open({ host: srv.host, port: srv.port });
  try {
    assert.ok(await conn.waitConnected(2000), 'could not connect');
    const qs = [
      buildQuery('www.example.com', 'A', { id: 11 }),
      buildQuery('nope.example.com', 'A', { id: 12 }),
      buildQuery('example.com', 'MX', { id: 13, edns: { payload: 1232 } }),
    ];
    const bytes = Buffer.concat(qs.map(frame));
    for (let i = 0; i < bytes.length; i++) {
      conn.write(bytes.subarray(i, i + 1));
      await delay(1);
    }
    assert.ok(await conn.waitFor(() => conn.frames.length >= 3, 900), `got ${conn.frames.length} of 3 answers`);
    const ms = conn.frames.map((f) => parseMessage(f));
    assert.deepEqual(ms.map((m) => m.id), [11, 12, 13]);
    assert.deepEqual(ms.map((m) => m.rcode), [NOERROR, NXDOMAIN, NOERROR]);
    assert.equal(ms[0]!.answer.length, 3);
    assert.ok(ms[2]!.opt, 'EDNS answer lost its OPT');
  } finally {
    conn.destroy();
  }
});

test('TCP: zero-length and runt frames are skipped, the next query is answered', async () => {
  const conn = TcpConn.open({ host: srv.host, port: srv.port });
  try {
    assert.ok(await conn.waitConnected(2000), 'could not connect');
    conn.write(Buffer.concat([u16(0), frame(Buffer.from([1, 2, 3, 4, 5])), frame(buildQuery('www.example.com', 'A', { id: 21 }))]));
    // The server may answer the valid query or give up on the connection, but not sit there.
    assert.ok(await conn.waitFor(() => conn.frames.length >= 1 || conn.closed, 900), 'neither an answer nor a close within 900 ms');
    if (conn.frames.length) {
      assert.equal(conn.frames.length, 1, 'the zero-length or runt frame got an answer');
      const m = parseMessage(conn.frames[0]!);
      assert.equal(m.id, 21);
      assert.equal(m.rcode, NOERROR);
    }
  } finally {
    conn.destroy();
  }
  assertAlive(srv);
});

test('TCP: a length prefix longer than what follows, then close', async () => {
  const conn = TcpConn.open({ host: srv.host, port: srv.port });
  assert.ok(await conn.waitConnected(2000), 'could not connect');
  const q = buildQuery('www.example.com', 'A', { id: 31 });
  conn.write(Buffer.concat([u16(q.length + 200), q]));
  conn.sock.end();
  assert.ok(await conn.waitFor(() => conn.closed, 900), 'connection not closed within 900 ms of our FIN');
  assert.equal(conn.frames.length, 0, 'an incomplete frame was answered');
  conn.destroy();
  assertAlive(srv);
});

test('TCP: a client that never finishes its frame is cut off by the idle timeout', async () => {
  const partial = TcpConn.open({ host: srv.host, port: srv.port });
  const silent = TcpConn.open({ host: srv.host, port: srv.port });
  try {
    assert.ok(await partial.waitConnected(2000), 'could not connect');
    assert.ok(await silent.waitConnected(2000), 'could not connect');
    const t0 = performance.now();
    partial.write(Buffer.concat([u16(60), Buffer.from([0, 1, 0, 0, 0])]));
    // Both should be closed by the server about 1 s after their last byte.
    const closed = await partial.waitFor(() => partial.closed, 3000);
    const ms = performance.now() - t0;
    assert.ok(closed, 'the server kept a stalled connection open for 3 s with --tcp-idle-timeout 1');
    assert.ok(ms > 700, `closed after ${ms.toFixed(0)} ms: sooner than the 1 s idle timeout`);
    assert.ok(await silent.waitFor(() => silent.closed, 1000), 'a connection that sent nothing was not closed');
    assert.equal(partial.frames.length + silent.frames.length, 0);
  } finally {
    partial.destroy();
    silent.destroy();
  }
  assertAlive(srv);
});

test(`TCP: connections beyond --tcp-max-connections ${TCP_CAP} are refused, service goes on`, async () => {
  const t: Target = { host: srv.host, port: srv.port };
  const conns = Array.from({ length: TCP_CAP * 3 }, () => TcpConn.open(t));
  try {
    await Promise.all(conns.map((c) => c.waitFor(() => c.connected || c.closed, 2000)));
    await delay(200); // let the server close the ones over the cap
    const open = conns.filter((c) => c.connected && !c.closed);
    assert.ok(open.length <= TCP_CAP, `${open.length} connections held open, cap is ${TCP_CAP}`);
    assert.ok(open.length >= 1, 'no connection was accepted at all');

    // UDP is unaffected while TCP is full.
    const t0 = performance.now();
    const m = await udpQuery(t, 'www.example.com', 51);
    assert.equal(m.rcode, NOERROR);
    assert.ok(performance.now() - t0 < 1000);

    // The accepted connections serve.
    open.forEach((c, i) => c.write(frame(buildQuery('www.example.com', 'A', { id: 100 + i }))));
    const served = await Promise.all(open.map((c) => c.waitFor(() => c.frames.length >= 1, 900)));
    assert.ok(served.every(Boolean), `${served.filter((x) => !x).length} accepted connections did not answer`);
    open.forEach((c, i) => assert.equal(parseMessage(c.frames[0]!).id, 100 + i));
  } finally {
    for (const c of conns) c.destroy();
  }

  // Once they are gone, new connections are accepted again.
  const until = Date.now() + 2000;
  let ok = false;
  while (!ok && Date.now() < until) {
    const c = TcpConn.open(t);
    try {
      if (await c.waitConnected(500)) {
        c.write(frame(buildQuery('www.example.com', 'A', { id: 61 })));
        ok = await c.waitFor(() => c.frames.length >= 1, 500);
      }
    } finally {
      c.destroy();
    }
    if (!ok) await delay(50);
  }
  assert.ok(ok, 'no TCP answer within 2 s after the connection flood ended');
  assertAlive(srv);
});

test('TCP: 100 pipelined queries in one write are answered in order', async () => {
  const conn = TcpConn.open({ host: srv.host, port: srv.port });
  try {
    assert.ok(await conn.waitConnected(2000), 'could not connect');
    const qs: Array<{ id: number; nx: boolean }> = [];
    const frames: Buffer[] = [];
    for (let i = 0; i < 100; i++) {
      const nx = i % 3 === 1;
      const id = 5000 + i;
      qs.push({ id, nx });
      frames.push(frame(buildQuery(nx ? `n${i}.example.com` : i % 3 === 0 ? 'www.example.com' : 'example.com', nx ? 'A' : i % 3 === 0 ? 'A' : 'MX', { id })));
    }
    conn.write(Buffer.concat(frames));
    assert.ok(await conn.waitFor(() => conn.frames.length >= 100, 2000), `got ${conn.frames.length} of 100 answers`);
    const ms = conn.frames.map((f) => parseMessage(f));
    assert.deepEqual(ms.map((m) => m.id), qs.map((q) => q.id));
    assert.deepEqual(ms.map((m) => m.rcode), qs.map((q) => (q.nx ? NXDOMAIN : NOERROR)));
  } finally {
    conn.destroy();
  }
});

async function udpQuery(t: Target, name: string, id: number): Promise<Message> {
  const probe = await openUdp();
  try {
    probe.sock.send(buildQuery(name, 'A', { id }), t.port, t.host);
    assert.ok(await waitUntil(probe, () => probe.answers.has(id), 1000), `no UDP answer for ${name} within 1 s`);
    return parseMessage(probe.answers.get(id)![0]!);
  } finally {
    probe.sock.close();
  }
}

test('afterwards: alive, no internal errors, normal queries answered within 1 s', async () => {
  assertAlive(srv);
  const t: Target = { host: srv.host, port: srv.port };

  const t0 = performance.now();
  const u = await udpQuery(t, 'www.example.com', 9001);
  const udpMs = performance.now() - t0;
  assert.equal(u.rcode, NOERROR);
  assert.deepEqual(u.answer.map((r) => r.data).sort(), ['192.0.2.10', '192.0.2.11', '192.0.2.12']);
  assert.ok(udpMs < 1000, `UDP answer took ${udpMs.toFixed(0)} ms`);

  const t1 = performance.now();
  const conn = TcpConn.open(t);
  try {
    assert.ok(await conn.waitConnected(1000), 'could not connect');
    conn.write(frame(buildQuery('www.example.com', 'A', { id: 9002 })));
    assert.ok(await conn.waitFor(() => conn.frames.length >= 1, 1000), 'no TCP answer within 1 s');
  } finally {
    conn.destroy();
  }
  const tcpMs = performance.now() - t1;
  const m = parseMessage(conn.frames[0]!);
  assert.equal(m.id, 9002);
  assert.equal(m.rcode, NOERROR);
  assert.equal(m.answer.length, 3);
  assert.ok(tcpMs < 1000, `TCP answer took ${tcpMs.toFixed(0)} ms`);

  const internal = srv.output.filter((l) => /query handling failed|"level":(50|60)/.test(l));
  assert.deepEqual(internal, [], 'the server logged errors while being fuzzed');
  assertAlive(srv);
});
