// The floor for any Node DNS server on this machine: a bare dgram server that
// copies the question and appends one fixed A record, with no parsing, no
// lookup and no bookkeeping. The bench runs it beside pulsedns so the report
// says how much of the gap to NSD is Node's own per-packet cost.
// Usage: node dist/bench/floor.js PORT
import dgram from 'node:dgram';

const port = Number(process.argv[2]);
const answer = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 192, 0, 2, 10]);
const socket = dgram.createSocket('udp4');
socket.on('message', (msg, rinfo) => {
  if (msg.length < 12) return;
  const out = Buffer.allocUnsafe(msg.length + answer.length);
  msg.copy(out);
  out[2] = out[2]! | 0x84;
  out[7] = 1;
  answer.copy(out, msg.length);
  socket.send(out, rinfo.port, rinfo.address);
});
socket.on('error', () => undefined);
socket.bind(port, '127.0.0.1', () => process.stdout.write('{"msg":"ready"}\n'));
// Bounded like every bench process: it stops by itself.
setTimeout(() => process.exit(0), 10 * 60_000).unref();
