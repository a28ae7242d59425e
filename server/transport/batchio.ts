// The batched UDP path (native/udpbatch.c): up to 64 datagrams read with one
// recvmmsg, answered in one call into JavaScript, and sent with one sendmmsg.
// It takes over reading from a socket node:dgram has bound (so cluster
// sharing, binding errors and close stay Node's), through a dup of its
// descriptor. Where the addon is not built, or PULSEDNS_UDP_IO=dgram, the
// caller stays on node:dgram (udp.ts).
import type dgram from 'node:dgram';
import { createRequire } from 'node:module';

interface Addon {
  open(fd: number, slot: number, input: Buffer, addrs: Buffer, lens: Buffer, out: Buffer, replies: Buffer, counters: Buffer, onBatch: (count: number) => number): object;
  flush(handle: object, count: number): void;
  close(handle: object): void;
  readonly batch: number;
  readonly addressSize: number;
  readonly counters: number;
}

/** Largest datagram read whole; longer ones (no DNS query is) get silence, counted as cut. */
export const SLOT = 4096;
/** Longest datagram read through a view kept for its slot and length (see readBatches). */
const VIEWED = 512;
/** Replies packed per sendmmsg at most; UDP answers are at most 1232 bytes (engine/answer.ts). */
const OUT_BYTES = 128 * 1024;

let addon: Addon | null = null;
let unavailable: string | null = null;
try {
  addon = createRequire(import.meta.url)('./native/udpbatch.node') as Addon;
} catch (e) {
  unavailable = `the addon is not built (${(e as NodeJS.ErrnoException).code ?? 'load failed'}; run npm run build with a C compiler)`;
}

/** Why the batched path cannot be used here, or null when it can. */
export function batchUnavailable(): string | null {
  if (process.env['PULSEDNS_UDP_IO'] === 'dgram') return 'PULSEDNS_UDP_IO=dgram';
  return unavailable;
}

/** The source of the datagram being answered; its address is decoded only when asked (RRL). */
export class Peer {
  index = 0;
  constructor(private readonly addrs: Buffer) {}

  get address(): string {
    return peerAddress(this.addrs, this.index * addon!.addressSize);
  }
}

/** Text form of a Linux sockaddr_in / sockaddr_in6 (family is host-order, little-endian here). */
export function peerAddress(buf: Buffer, at: number): string {
  if (buf.readUInt16LE(at) === 2) return `${buf[at + 4]}.${buf[at + 5]}.${buf[at + 6]}.${buf[at + 7]}`;
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) groups.push(buf.readUInt16BE(at + 8 + 2 * i).toString(16));
  // Shortest form (RFC 5952): the longest run of two or more zero groups becomes "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** What the batched path counts by itself; udp.ts moves the increases into Stats. */
export interface BatchCounters {
  received: number;
  sent: number;
  sendErrors: number;
  cut: number;
}

export interface BatchReader {
  /** The addon's counts, written into `into` (read once per batch: no object made for it). */
  counters(into: BatchCounters): void;
  close(): void;
}

/** The descriptor of a bound dgram socket, and its own reading stopped; null when Node's internals differ. */
function takeOver(socket: dgram.Socket): number | null {
  const state = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  if (!state) return null;
  const handle = (socket as unknown as Record<symbol, { handle?: { fd?: unknown; recvStop?: () => number } } | undefined>)[state]?.handle;
  if (typeof handle?.fd !== 'number' || handle.fd < 0 || typeof handle.recvStop !== 'function') return null;
  handle.recvStop();
  return handle.fd;
}

/**
 * Answers every datagram on `socket` with `answer` (null: no reply) from now
 * on, in batches. Null when the batched path is unavailable or the socket's
 * descriptor cannot be reached; the caller then reads with node:dgram.
 */
export function readBatches(socket: dgram.Socket, answer: (msg: Buffer, peer: Peer) => Buffer | null): BatchReader | null {
  if (batchUnavailable() || !addon) return null;
  const a = addon;
  const fd = takeOver(socket);
  if (fd === null) return null;
  const input = Buffer.alloc(SLOT * a.batch);
  const addrs = Buffer.alloc(a.addressSize * a.batch);
  // Typed views need aligned offsets: Buffer.alloc above the pool size gets its own ArrayBuffer.
  const lens = new Int32Array(a.batch);
  const out = Buffer.alloc(OUT_BYTES);
  const replies = new Int32Array(3 * a.batch);
  const counters = new Float64Array(a.counters);
  const peer = new Peer(addrs);
  // Views of `input` by slot and length, made on first use: a view made per
  // datagram was the largest share of the batch loop's garbage. Lengths up to
  // VIEWED cover every ordinary query; longer ones get a view of their own.
  const views: (Buffer | undefined)[] = new Array<Buffer | undefined>(a.batch * VIEWED).fill(undefined);
  const viewOf = (i: number, len: number): Buffer => {
    if (len > VIEWED || len === 0) return input.subarray(i * SLOT, i * SLOT + len);
    const at = i * VIEWED + len - 1;
    return (views[at] ??= input.subarray(i * SLOT, i * SLOT + len));
  };
  let handle: object | null = null;
  const onBatch = (count: number): number => {
    let packed = 0;
    let at = 0;
    for (let i = 0; i < count; i++) {
      const len = lens[i]!;
      if (len < 0) continue;
      peer.index = i;
      const reply = answer(viewOf(i, len), peer);
      if (reply === null) continue;
      if (at + reply.length > OUT_BYTES) {
        a.flush(handle!, packed);
        packed = 0;
        at = 0;
      }
      reply.copy(out, at);
      replies[3 * packed] = at;
      replies[3 * packed + 1] = reply.length;
      replies[3 * packed + 2] = i;
      packed++;
      at += reply.length;
    }
    return packed;
  };
  const view = (t: Int32Array | Float64Array): Buffer => Buffer.from(t.buffer, t.byteOffset, t.byteLength);
  handle = a.open(fd, SLOT, input, addrs, view(lens), out, view(replies), view(counters), onBatch);
  let open = true;
  return {
    counters: (into) => {
      into.received = counters[0]!;
      into.sent = counters[1]!;
      into.sendErrors = counters[2]!;
      into.cut = counters[3]!;
    },
    close: () => {
      if (!open) return;
      open = false;
      a.close(handle!);
    },
  };
}
