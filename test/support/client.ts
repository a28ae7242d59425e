// Sends raw DNS messages over real UDP and TCP sockets.
import dgram from 'node:dgram';
import net from 'node:net';
import { buildQuery, parseMessage, type Message, type QueryOptions } from './dnsmsg.js';

export interface Target {
  host: string;
  port: number;
}

export function udpExchange(t: Target, msg: Buffer, timeoutMs = 2000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(t.host.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error(`no UDP answer from ${t.host}:${t.port} within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('message', (m) => {
      clearTimeout(timer);
      sock.close();
      resolve(m);
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      sock.close();
      reject(e);
    });
    sock.send(msg, t.port, t.host);
  });
}

/** Sends every message on one connection and collects as many framed answers. */
export function tcpExchange(t: Target, msgs: Buffer[], timeoutMs = 3000): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(t.port, t.host);
    const out: Buffer[] = [];
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`TCP: got ${out.length} of ${msgs.length} answers within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('connect', () => {
      for (const m of msgs) {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(m.length);
        sock.write(Buffer.concat([len, m]));
      }
    });
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const l = buf.readUInt16BE(0);
        out.push(buf.subarray(2, 2 + l));
        buf = buf.subarray(2 + l);
      }
      if (out.length >= msgs.length) {
        clearTimeout(timer);
        sock.end();
        resolve(out);
      }
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

export async function query(t: Target, name: string, type: string | number, opts: QueryOptions & { tcp?: boolean } = {}): Promise<Message> {
  const msg = buildQuery(name, type, opts);
  const raw = opts.tcp ? (await tcpExchange(t, [msg]))[0]! : await udpExchange(t, msg);
  return parseMessage(raw);
}
