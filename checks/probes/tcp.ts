// TCP health probe: the port accepts a connection and, when configured, the
// service answers a sent line with an expected substring.
import net from 'node:net';
import { sourceFor, type CheckSpec, type Probe } from '../model.js';
import { describeError, guarded, type Finish } from './guard.js';

/** Most a probe reads while waiting for `expect`, so a chatty service cannot grow memory. */
const READ_LIMIT = 64 * 1024;


export const tcpProbe: Probe = (address, check, signal) =>
  guarded(check, signal, (finish) => {
    const source = sourceFor(address, check);
    const socket = net.connect({ host: address, port: check.port, ...(source ? { localAddress: source } : {}) });
    // Stays attached after the probe settles: destroy can still surface an
    // error, and an unhandled one would crash the process.
    socket.on('error', (err) => finish(describeError(err)));
    socket.on('connect', () => converse(socket, check, finish));
    return () => socket.destroy();
  });

function converse(socket: net.Socket, check: CheckSpec, finish: Finish): void {
  const expect = check.expect;
  if (expect === undefined || expect === '') {
    // Waits for the write so a service that acts on the bytes (a QUIT, say)
    // sees them before the connection is torn down.
    if (check.send) socket.write(check.send, (err) => finish(err ? describeError(err) : undefined));
    else finish();
    return;
  }

  const want = Buffer.from(expect, 'utf8');
  let seen = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    const part = chunk.subarray(0, READ_LIMIT - seen.length);
    const searchFrom = Math.max(0, seen.length - want.length + 1);
    seen = Buffer.concat([seen, part]);
    if (seen.indexOf(want, searchFrom) >= 0) finish();
    else if (seen.length >= READ_LIMIT) {
      finish(`${JSON.stringify(expect)} not found in the first ${READ_LIMIT} bytes`);
    }
  });
  socket.on('end', () => finish(`connection closed before ${JSON.stringify(expect)} was received`));
  if (check.send) socket.write(check.send);
}

