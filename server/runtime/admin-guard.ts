// Who may talk to the admin endpoint. A browser is the danger: any page the
// operator opens can send a "simple" cross-origin POST to 127.0.0.1, and a
// page whose name is rebound to 127.0.0.1 (DNS rebinding) even counts as
// same-origin. So, before anything else:
// - Host must be an IP address, "localhost", the bind name or an allowed
//   name: a rebinding attack always arrives with the attacker's name in Host;
// - an Origin header, when present, must be the endpoint's own;
// - changes must be sent as application/json (a browser cannot send that
//   cross-origin without a preflight, which we never grant) and carry the
//   token (configured, or the one in the local token file).
import type { IncomingMessage } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { AdminToken } from './admin-token.js';

export interface GuardOptions {
  /** The address the endpoint listens on. */
  bindHost: string;
  /** Extra names accepted in Host (--admin-allow-host), e.g. the name Prometheus scrapes. */
  allowHosts: string[];
  /** Needed for GET /status and /metrics too when configured (not when generated). */
  readToken?: string;
  /** Needed for every change. */
  changeToken: AdminToken;
}

export type Verdict = { ok: true; by?: string } | { ok: false; status: number; error: string };

/** The host part of a Host header, lower-case, without port or trailing dot. */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  const name = h.startsWith('[') ? h.slice(1, h.indexOf(']')) : h.replace(/:\d*$/, '');
  return name.replace(/\.$/, '');
}

function hostAllowed(header: string | undefined, o: GuardOptions): boolean {
  if (!header) return false;
  const name = hostName(header);
  return isIP(name) !== 0 || name === 'localhost' || name === o.bindHost.toLowerCase() || o.allowHosts.some((a) => a.toLowerCase() === name);
}

/** The bearer token of a request (the scheme is case-insensitive, RFC 7235 section 2.1). */
export function bearer(req: IncomingMessage): string | undefined {
  const m = /^bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}

function same(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const h = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(a), h(b));
}

const READS = new Set(['GET', 'HEAD']);

/** Checks one request; `by` names who made an accepted change ("local-cli@127.0.0.1"). */
export function checkRequest(req: IncomingMessage, path: string, o: GuardOptions): Verdict {
  // Liveness and readiness answer anyone who reaches the socket (load balancers, kubelets).
  if (path === '/healthz' || path === '/readyz') return { ok: true };
  if (!hostAllowed(req.headers.host, o)) {
    return { ok: false, status: 403, error: 'Host header not allowed (use 127.0.0.1, localhost, or a name given with --admin-allow-host)' };
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin.toLowerCase() !== `http://${req.headers.host!.toLowerCase()}`) {
    return { ok: false, status: 403, error: 'cross-origin requests are refused' };
  }
  const token = bearer(req);
  if (READS.has(req.method ?? 'GET')) {
    if (o.readToken !== undefined && !same(token, o.readToken)) return { ok: false, status: 401, error: 'missing or wrong bearer token' };
    return { ok: true };
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') return { ok: false, status: 415, error: 'changes must be sent with Content-Type: application/json' };
  if (!same(token, o.changeToken.value)) {
    return { ok: false, status: 401, error: 'changes need the admin token: pulsedns reads it from the token file on this host, or pass --admin-token' };
  }
  return { ok: true, by: `${o.changeToken.name}@${req.socket.remoteAddress ?? 'unknown'}` };
}
