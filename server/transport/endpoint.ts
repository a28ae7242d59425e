// HOST:PORT and [IPv6]:PORT as the command line and the options write them.
// On its own (no sockets, no logging) so the command line can parse without
// loading the server.
import type { Endpoint } from './udp.js';

export function parseEndpoint(text: string): Endpoint {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  if (!m) throw new Error(`listen address "${text}" must look like 127.0.0.1:5353 or [::1]:5353`);
  const port = Number(m[2]);
  if (port > 65535) throw new Error(`port ${port} out of range`);
  return { host: m[1]!, port };
}
