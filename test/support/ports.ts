// A port free for both UDP and TCP on a loopback address, since the server
// binds both on the same number.
import dgram from 'node:dgram';
import net from 'node:net';

async function tryPort(host: string, port: number): Promise<boolean> {
  const tcpOk = await new Promise<boolean>((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
  if (!tcpOk) return false;
  return new Promise<boolean>((resolve) => {
    const u = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    u.once('error', () => resolve(false));
    u.bind(port, host, () => u.close(() => resolve(true)));
  });
}

// Below Linux's ephemeral range (32768-60999): a port picked there can be
// taken between our probe and the server's bind by any outgoing connection
// another test opens (Redis clients, HTTP checks, dig).
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 10000 + Math.floor(Math.random() * 22000);
    if (await tryPort(host, port)) return port;
  }
  throw new Error('no free port found');
}
