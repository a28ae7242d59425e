// UDP replies held back to the end of the event-loop turn and sent together,
// when making them was slow.
//
// libuv reads a burst of datagrams (up to 32) in one poll and Node emits
// 'message' for each before anything else runs. Sending each reply at once
// costs a wake-up of the client for every datagram when answering is slow
// (a fresh signature per answer: about 40 us): measured on loopback here, a
// 40 us handler that sends at once spends 60-70 us per send, and the same
// handler sending its replies at the end of the turn answers twice as many
// queries per second. A batch is flushed in setImmediate, i.e. right after the
// poll phase that read the datagrams; more than MAX_PENDING replies are sent
// at once anyway.
//
// Quick replies (every cached or unsigned answer) are not held: holding them
// raised the p99 at half of NSD's one-core rate from about 2 to 6-8 ms in
// `npm run bench -- --only dns`, for a few percent of peak throughput. While
// a batch is pending, a quick reply joins it, so replies leave in order.
import type dgram from 'node:dgram';

const MAX_PENDING = 64;

/** A reply that took this long to make (ms) is worth holding for its burst. */
export const SLOW_REPLY_MS = 0.02;

export class SendBatch {
  private bufs: Buffer[] = [];
  private ports: number[] = [];
  private addrs: string[] = [];
  private scheduled = false;
  private readonly flushBound = (): void => this.flush();

  constructor(private readonly socket: dgram.Socket) {}

  /** Replies held for the end of this turn. */
  get pending(): number {
    return this.bufs.length;
  }

  /** Sends or queues one reply; a failed send surfaces as the socket's 'error' event (no callback per packet). */
  send(buf: Buffer, port: number, address: string, slow = true): void {
    if (!slow && this.bufs.length === 0) {
      try {
        this.socket.send(buf, port, address);
      } catch {
        // The socket closed (shutdown): this reply goes unanswered, as a held one would.
      }
      return;
    }
    this.bufs.push(buf);
    this.ports.push(port);
    this.addrs.push(address);
    if (this.bufs.length >= MAX_PENDING) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushBound);
    }
  }

  flush(): void {
    this.scheduled = false;
    const { bufs, ports, addrs } = this;
    if (bufs.length === 0) return;
    this.bufs = [];
    this.ports = [];
    this.addrs = [];
    try {
      for (let i = 0; i < bufs.length; i++) this.socket.send(bufs[i]!, ports[i]!, addrs[i]!);
    } catch {
      // The socket closed (shutdown) before the turn ended: the rest of the burst goes unanswered, as it would have a moment later.
    }
  }
}
