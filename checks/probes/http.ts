// HTTP and HTTPS health probe: one GET over a fresh connection, judged by
// status (and optionally a body substring), never following redirects.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { sourceFor, type CheckSpec, type Probe } from '../model.js';
import { describeError, guarded, type Finish } from './guard.js';

/** Most body a probe reads: enough for any status page, bounded against huge or endless responses. */
const BODY_LIMIT = 64 * 1024;
const DEFAULT_STATUS: Array<[number, number]> = [[200, 399]];
/**
 * A certificate that expires within this many days fails a verifyCert check.
 * OpenSSL already rejects certificates past notAfter; this is where an early
 * warning margin goes, and it also catches a certificate expiring during the handshake.
 */
const CERT_MIN_VALID_DAYS = 0;
const DAY_MS = 24 * 60 * 60 * 1000;


export const httpProbe: Probe = (address, check, signal) =>
  guarded(check, signal, (finish) => {
    const req = request(address, check);
    // Both listeners stay attached after the probe settles: destroying the
    // request can still emit 'error', and an unhandled one would crash the process.
    req.on('error', (err) => finish(describeError(err)));
    req.on('response', (res) => judge(res, check, finish));
    req.end();
    return () => req.destroy();
  });

function request(address: string, check: CheckSpec): http.ClientRequest {
  const secure = check.type === 'https';
  const options: https.RequestOptions = {
    host: address,
    port: check.port,
    method: 'GET',
    path: check.path ?? '/',
    headers: withHost(check.headers, check.host ?? defaultHost(address, check.port, secure)),
    // A pooled connection would hide a member that stopped accepting new ones.
    agent: false,
  };
  const source = sourceFor(address, check);
  if (source) options.localAddress = source;
  if (!secure) return http.request(options);

  const sni = serverName(check.host);
  if (sni !== undefined) options.servername = sni;
  options.rejectUnauthorized = check.verifyCert === true;
  if (check.verifyCert === true) {
    // Runs during the handshake, only once OpenSSL accepted the chain, so an
    // error here closes the connection before the request is sent.
    options.checkServerIdentity = (host, cert) => tls.checkServerIdentity(host, cert) ?? expiryError(cert);
  }
  return https.request(options);
}

function judge(res: http.IncomingMessage, check: CheckSpec, finish: Finish): void {
  res.on('error', (err) => finish(describeError(err)));
  const status = res.statusCode ?? 0;
  const ranges = check.expectStatus ?? DEFAULT_STATUS;
  if (!ranges.some(([lo, hi]) => status >= lo && status <= hi)) {
    finish(`HTTP ${status} (expected ${formatRanges(ranges)})`);
    return;
  }
  const needle = check.bodyContains;
  if (needle === undefined || needle === '') {
    finish();
    return;
  }

  // Compared as bytes so a multi-byte character split across chunks still matches.
  const want = Buffer.from(needle, 'utf8');
  let body = Buffer.alloc(0);
  res.on('data', (chunk: Buffer) => {
    const part = chunk.subarray(0, BODY_LIMIT - body.length);
    const searchFrom = Math.max(0, body.length - want.length + 1);
    body = Buffer.concat([body, part]);
    if (body.indexOf(want, searchFrom) >= 0) finish();
    else if (body.length >= BODY_LIMIT) {
      finish(`body does not contain ${JSON.stringify(needle)} in its first ${BODY_LIMIT} bytes`);
    }
  });
  res.on('end', () => finish(`body does not contain ${JSON.stringify(needle)}`));
}

function expiryError(cert: tls.PeerCertificate): Error | undefined {
  const expires = new Date(cert.valid_to);
  if (Number.isNaN(expires.getTime())) return new Error(`certificate has an unreadable expiry "${cert.valid_to}"`);
  if (expires.getTime() - Date.now() > CERT_MIN_VALID_DAYS * DAY_MS) return undefined;
  return expires.getTime() <= Date.now()
    ? new Error(`certificate expired on ${expires.toISOString()}`)
    : new Error(`certificate expires on ${expires.toISOString()} (within ${CERT_MIN_VALID_DAYS} days)`);
}

/** What a browser would send for this URL: brackets around IPv6, port only when not the scheme's default. */
function defaultHost(address: string, port: number, secure: boolean): string {
  const host = net.isIPv6(address) ? `[${address}]` : address;
  return port === (secure ? 443 : 80) ? host : `${host}:${port}`;
}

function withHost(extra: Record<string, string> | undefined, host: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(extra ?? {})) {
    // check.host is the one place the Host is configured; a second Host header would be ambiguous.
    if (name.toLowerCase() !== 'host') headers[name] = value;
  }
  headers.Host = host;
  return headers;
}

/** SNI carries only DNS names (RFC 6066 §3): no port, no trailing dot, never an address. */
function serverName(host: string | undefined): string | undefined {
  if (host === undefined || host.startsWith('[')) return undefined;
  const name = host.replace(/:\d+$/, '').replace(/\.$/, '');
  return name === '' || net.isIP(name) !== 0 ? undefined : name;
}

function formatRanges(ranges: Array<[number, number]>): string {
  return ranges.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(', ');
}

