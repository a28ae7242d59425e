// DNS health probe: one UDP query to the member, healthy on NOERROR with at
// least one answer.
//
// The query goes through dns2's UDP client, which is wrapped rather than
// trusted, because of how it behaves (dns2 3.0.0):
// - it opens an IPv4 socket unless told otherwise, and sending to an IPv6
//   member from it fails with EINVAL, so the socket type follows the address;
// - it cannot be cancelled and owns its socket, so the probe settles on its own
//   deadline or abort and leaves the socket to dns2's timer, which is set to
//   the check's timeout so the socket never outlives it;
// - on a truncated reply it retries over TCP with no timeout and a socket no
//   one can close, so that retry is off: a truncated NOERROR reply carrying
//   answers already shows the member is serving;
// - it only accepts replies whose sender string equals the address it was
//   given, so IPv6 members are passed in canonical form or every reply to
//   "0:0::1" from "::1" would be dropped;
// - an unknown type name silently becomes type 0 and the query just times out,
//   so the name is checked first;
// - some inputs throw synchronously (an invalid socket type) and others reject
//   (an over-long label), so every outcome is funnelled into one promise;
// - its parser never rejects a reply: records it cannot decode are dropped and
//   the QR bit is not looked at, so the judgement checks both itself.
import DNS from 'dns2';
import net from 'node:net';
import type { Probe } from '../model.js';
import { describeError, guarded } from './guard.js';

type QueryType = keyof typeof DNS.Packet.TYPE;

const RCODE_NAMES: Record<number, string> = {
  0: 'NOERROR',
  1: 'FORMERR',
  2: 'SERVFAIL',
  3: 'NXDOMAIN',
  4: 'NOTIMP',
  5: 'REFUSED',
  9: 'NOTAUTH',
};

export const dnsProbe: Probe = (address, check, signal) =>
  guarded(check, signal, (finish) => {
    const name = check.query;
    if (name === undefined || name === '') {
      finish('no query name configured');
      return undefined;
    }
    const type = (check.queryType ?? 'A').toUpperCase();
    if (!isQueryType(type)) {
      finish(`unsupported query type ${type}`);
      return undefined;
    }
    const ipv6 = net.isIPv6(address);
    Promise.resolve()
      .then(() => {
        const resolve = DNS.UDPClient({
          dns: ipv6 ? canonicalIPv6(address) : address,
          port: check.port || 53,
          socketType: ipv6 ? 'udp6' : 'udp4',
          timeout: Math.max(1, check.timeoutMs),
          retryOverTCP: false,
        });
        // RD set: an authoritative server ignores it, and a resolver member
        // would otherwise answer only from its cache.
        return resolve(name, type, DNS.Packet.CLASS.IN, { recursive: true });
      })
      .then(
        (reply) => finish(judge(reply)),
        (err: unknown) => finish(isDns2Timeout(err) ? `timeout after ${check.timeoutMs} ms` : describeError(err)),
      );
    // Nothing to release here: dns2 closes its own socket (see above).
    return undefined;
  });

function judge(reply: DNS.Packet): string | undefined {
  const { qr, rcode, ancount, tc } = reply.header;
  if (qr !== 1) return 'reply is a query, not a response (QR bit clear)';
  if (rcode !== 0) return `rcode ${RCODE_NAMES[rcode] ?? rcode}`;
  if (reply.answers.length > 0) return undefined;
  if (ancount > 0) return `malformed reply: ${ancount} answers announced, none readable`;
  return tc ? 'truncated reply with no answers' : 'NOERROR with no answers';
}

function isQueryType(type: string): type is QueryType {
  return Object.hasOwn(DNS.Packet.TYPE, type);
}

function canonicalIPv6(address: string): string {
  // A zone id ("fe80::1%eth0") is not valid in a URL; pass it through untouched.
  if (address.includes('%')) return address;
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

function isDns2Timeout(err: unknown): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === 'ETIMEDOUT';
}

