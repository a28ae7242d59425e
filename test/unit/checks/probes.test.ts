// Health probes against real backends on loopback: HTTP(S) servers, a TCP
// banner/echo service and a hand-written UDP DNS responder, each bound to its
// own 127.0.0.x address (or ::1) so a probe can only reach the one meant.
import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { skipOrFail } from '../../support/tools.js';
import type { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import type { CheckSpec, Probe, ProbeResult } from '../../../checks/model.js';
import { dnsProbe } from '../../../checks/probes/dns.js';
import { httpProbe } from '../../../checks/probes/http.js';
import { probes, runProbe } from '../../../checks/probes/index.js';
import { tcpProbe } from '../../../checks/probes/tcp.js';

const run = promisify(execFile);
const V4 = '127.0.0.2';
const TLS4 = '127.0.0.3';
const V6 = '::1';
const LIMIT = { timeout: 5000 };

function spec(over: Partial<CheckSpec> & Pick<CheckSpec, 'type' | 'port'>): CheckSpec {
  return { name: 'probe-test', intervalMs: 1000, timeoutMs: 2000, fall: 3, rise: 2, ...over };
}

function probe(p: Probe, address: string, check: CheckSpec, signal = new AbortController().signal): Promise<ProbeResult> {
  return p(address, check, signal);
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function listen(server: net.Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve((server.address() as net.AddressInfo).port));
  });
}

function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

function connections(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.getConnections((_err, n) => resolve(n)));
}

/** A port nothing listens on: bound once to be sure it is ours, then released. */
async function closedPort(host: string): Promise<number> {
  const s = net.createServer();
  const port = await listen(s, host);
  await close(s);
  return port;
}

// ---------------------------------------------------------------- backends

interface Seen {
  path: string;
  host: string | undefined;
  headers: http.IncomingHttpHeaders;
  servername: string | false | null | undefined;
}
const seen: Seen[] = [];

function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
  const path = req.url ?? '/';
  const socket = req.socket as Partial<TLSSocket>;
  seen.push({ path, host: req.headers.host, headers: req.headers, servername: socket.servername });
  const route = path.split('?')[0];
  if (route === '/' || route === '/ok') res.end('service ok');
  else if (route === '/down') res.writeHead(503).end('down');
  else if (route === '/moved') res.writeHead(302, { Location: '/ok?after-redirect' }).end();
  else if (route === '/big') res.end('x'.repeat(100 * 1024) + 'needle');
  else if (route === '/slow') return; // never answers: the probe must give up on its own
  else res.writeHead(404).end();
}

let dir = '';
let httpV4: http.Server;
let httpV6: http.Server | undefined;
let httpsGood: https.Server;
let httpsOld: https.Server;
let tcpServer: net.Server;
let tcpClosing: net.Server;
const tcpReceived: string[] = [];
let dnsV4: dgram.Socket;
let dnsV6: dgram.Socket | undefined;
const dnsQueries: string[] = [];
const ports = { http4: 0, http6: 0, https: 0, httpsOld: 0, tcp: 0, tcpClosing: 0, dns4: 0, dns6: 0 };
let ipv6 = true;

/** IPv6 loopback missing: fail in CI (nothing skips there), skip loudly elsewhere. */
function noIpv6(t: TestContext): void {
  skipOrFail(t, 'no IPv6 loopback (::1)');
}

function openssl(args: string[]): Promise<unknown> {
  return run('openssl', args, { cwd: dir, timeout: 5000 });
}

/** A self-signed certificate for probe.test and 127.0.0.3, plus one that expired in 2020. */
async function makeCertificates(): Promise<void> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(['req', '-x509', ...ec, '-keyout', 'good.key', '-out', 'good.pem', '-days', '2',
    '-subj', '/CN=probe.test', '-addext', `subjectAltName=DNS:probe.test,IP:${TLS4}`]);
  // `req -x509` cannot backdate with OpenSSL 3.0; `ca -selfsign` takes explicit dates.
  writeFileSync(join(dir, 'ca.cnf'), [
    '[ca]', 'default_ca = d', '[d]', 'database = index.txt', 'new_certs_dir = .', 'serial = serial',
    'default_md = sha256', 'policy = p', 'copy_extensions = copy', 'unique_subject = no',
    '[p]', 'commonName = supplied', '',
  ].join('\n'));
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '01\n');
  await openssl(['req', '-new', ...ec, '-keyout', 'old.key', '-out', 'old.csr',
    '-subj', '/CN=old.test', '-addext', 'subjectAltName=DNS:old.test']);
  await openssl(['ca', '-batch', '-config', 'ca.cnf', '-selfsign', '-keyfile', 'old.key', '-in', 'old.csr',
    '-out', 'old.pem', '-startdate', '20200101000000Z', '-enddate', '20200102000000Z']);
  writeFileSync(join(dir, 'trusted.pem'), readFileSync(join(dir, 'good.pem'), 'utf8') + readFileSync(join(dir, 'old.pem'), 'utf8'));
}

/**
 * Answers by name: ok.test has an A record (other types get no data),
 * nx.test does not exist, silent.test never answers, garbage.test gets
 * unreadable answers and echo.test gets its own query back.
 */
function dnsResponder(socket: dgram.Socket): void {
  socket.on('message', (msg, rinfo) => {
    if (msg.length < 17) return;
    let at = 12;
    const labels: string[] = [];
    while (at < msg.length && msg[at] !== 0) {
      labels.push(msg.subarray(at + 1, at + 1 + msg[at]).toString());
      at += 1 + msg[at];
    }
    const questionEnd = at + 5;
    const qname = labels.join('.').toLowerCase();
    const qtype = msg.readUInt16BE(at + 1);
    dnsQueries.push(qname);
    if (qname === 'silent.test') return;
    if (qname === 'echo.test') {
      socket.send(msg, rinfo.port, rinfo.address);
      return;
    }
    if (qname === 'garbage.test') {
      socket.send(Buffer.concat([msg.subarray(0, 2), Buffer.from([0x81, 0x80, 0, 1, 0, 9, 0, 0, 0, 0, 0xc0, 0xff])]), rinfo.port, rinfo.address);
      return;
    }
    const rcode = qname === 'nx.test' ? 3 : 0;
    const answer = qname === 'ok.test' && qtype === 1;
    const header = Buffer.alloc(12);
    header.writeUInt16BE(msg.readUInt16BE(0), 0);
    header.writeUInt16BE(0x8400 | (msg[2] & 0x01) << 8 | rcode, 2); // QR, AA, copied RD
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answer ? 1 : 0, 6);
    const parts = [header, msg.subarray(12, questionEnd)];
    if (answer) {
      const rr = Buffer.alloc(16);
      rr.writeUInt16BE(0xc00c, 0); // pointer to the question name
      rr.writeUInt16BE(1, 2);
      rr.writeUInt16BE(1, 4);
      rr.writeUInt32BE(60, 6);
      rr.writeUInt16BE(4, 10);
      Buffer.from([192, 0, 2, 1]).copy(rr, 12);
      parts.push(rr);
    }
    socket.send(Buffer.concat(parts), rinfo.port, rinfo.address);
  });
}

function bindUdp(type: 'udp4' | 'udp6', host: string): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket(type);
    s.once('error', reject);
    s.bind(0, host, () => resolve(s));
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pulse-probes-'));
  await makeCertificates();

  httpV4 = http.createServer(handle);
  ports.http4 = await listen(httpV4, V4);
  try {
    httpV6 = http.createServer(handle);
    ports.http6 = await listen(httpV6, V6);
    dnsV6 = await bindUdp('udp6', V6);
    dnsResponder(dnsV6);
    ports.dns6 = dnsV6.address().port;
  } catch {
    ipv6 = false;
  }

  httpsGood = https.createServer({ key: readFileSync(join(dir, 'good.key')), cert: readFileSync(join(dir, 'good.pem')) }, handle);
  ports.https = await listen(httpsGood, TLS4);
  httpsOld = https.createServer({ key: readFileSync(join(dir, 'old.key')), cert: readFileSync(join(dir, 'old.pem')) }, handle);
  ports.httpsOld = await listen(httpsOld, TLS4);

  tcpServer = net.createServer((sock) => {
    sock.on('error', () => {});
    sock.write('220 probe-test ready\r\n');
    sock.on('data', (d: Buffer) => {
      tcpReceived.push(d.toString());
      if (d.includes('PING')) sock.write('PONG\r\n');
    });
  });
  ports.tcp = await listen(tcpServer, V4);
  tcpClosing = net.createServer((sock) => {
    sock.on('error', () => {});
    sock.end('bye\r\n');
  });
  ports.tcpClosing = await listen(tcpClosing, V4);

  dnsV4 = await bindUdp('udp4', V4);
  dnsResponder(dnsV4);
  ports.dns4 = dnsV4.address().port;
});

after(async () => {
  for (const s of [httpV4, httpV6, httpsGood, httpsOld]) s?.closeAllConnections();
  await Promise.all([httpV4, httpV6, httpsGood, httpsOld, tcpServer, tcpClosing].map((s) => (s ? close(s) : undefined)));
  dnsV4?.close();
  dnsV6?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function lastSeen(path: string): Seen {
  const hit = seen.filter((s) => s.path === path).at(-1);
  assert.ok(hit, `server saw no request for ${path}`);
  return hit;
}

// ---------------------------------------------------------------- HTTP

test('http: 200 is healthy and ms is measured', LIMIT, async () => {
  const r = await probe(httpProbe, V4, spec({ type: 'http', port: ports.http4, path: '/ok?t=200' }));
  assert.equal(r.ok, true, r.reason);
  assert.equal(r.reason, undefined);
  assert.ok(r.ms >= 0 && r.ms < 2000, `ms ${r.ms}`);
  await waitFor('server connections to close', async () => (await connections(httpV4)) === 0);
});

test('http: path defaults to /', LIMIT, async () => {
  const before = seen.filter((s) => s.path === '/').length;
  const r = await probe(httpProbe, V4, spec({ type: 'http', port: ports.http4 }));
  assert.equal(r.ok, true, r.reason);
  assert.equal(seen.filter((s) => s.path === '/').length, before + 1);
});

test('http: 503 fails with the status and the accepted ranges', LIMIT, async () => {
  const r = await probe(httpProbe, V4, spec({ type: 'http', port: ports.http4, path: '/down' }));
  assert.deepEqual([r.ok, r.reason], [false, 'HTTP 503 (expected 200-399)']);
  const accepted = await probe(httpProbe, V4, spec({ type: 'http', port: ports.http4, path: '/down', expectStatus: [[200, 204], [503, 503]] }));
  assert.equal(accepted.ok, true, accepted.reason);
});

test('http: a redirect is judged by its own status and not followed', LIMIT, async () => {
  const r = await probe(httpProbe, V4, spec({ type: 'http', port: ports.http4, path: '/moved' }));
  assert.equal(r.ok, true, r.reason);
  const strict = await probe(httpProbe, V4, spec({ type: 'http', port: ports.http4, path: '/moved', expectStatus: [[200, 200]] }));
  assert.deepEqual([strict.ok, strict.reason], [false, 'HTTP 302 (expected 200)']);
  assert.equal(seen.filter((s) => s.path === '/ok?after-redirect').length, 0);
});

test('http: body must contain the configured substring', LIMIT, async () => {
  const hit = await probe(httpProbe, V4, spec({ type: 'http', port: ports.http4, path: '/ok', bodyContains: 'ok' }));
  assert.equal(hit.ok, true, hit.reason);
  const miss = await probe(httpProbe, V4, spec({ type: 'http', port: ports.http4, path: '/ok', bodyContains: 'healthy' }));
  assert.deepEqual([miss.ok, miss.reason], [false, 'body does not contain "healthy"']);
});

test('http: only the first 64 KiB of the body is searched', LIMIT, async () => {
  const r = await probe(httpProbe, V4, spec({ type: 'http', port: ports.http4, path: '/big', bodyContains: 'needle' }));
  assert.equal(r.ok, false);
  assert.equal(r.reason, 'body does not contain "needle" in its first 65536 bytes');
  await waitFor('server connections to close', async () => (await connections(httpV4)) === 0);
});

test('http: Host header is check.host, or the address and port by default; extra headers are sent', LIMIT, async () => {
  await probe(httpProbe, V4, spec({ type: 'http', port: ports.http4, path: '/ok?h=1', host: 'www.example.test', headers: { 'X-Probe': 'pulsedns', host: 'ignored' } }));
  const named = lastSeen('/ok?h=1');
  assert.equal(named.host, 'www.example.test');
  assert.equal(named.headers['x-probe'], 'pulsedns');

  await probe(httpProbe, V4, spec({ type: 'http', port: ports.http4, path: '/ok?h=2' }));
  assert.equal(lastSeen('/ok?h=2').host, `${V4}:${ports.http4}`);
});

test('http: IPv6 member', LIMIT, async (t) => {
  if (!ipv6) return noIpv6(t);
  const r = await probe(httpProbe, V6, spec({ type: 'http', port: ports.http6, path: '/ok?v6' }));
  assert.equal(r.ok, true, r.reason);
  assert.equal(lastSeen('/ok?v6').host, `[::1]:${ports.http6}`);
});

test('http: a refused connection says so', LIMIT, async () => {
  const r = await probe(httpProbe, V4, spec({ type: 'http', port: await closedPort(V4) }));
  assert.deepEqual([r.ok, r.reason], [false, 'connect ECONNREFUSED']);
});

test('http: a server that never answers times out and the connection is closed', LIMIT, async () => {
  const started = Date.now();
  const r = await probe(httpProbe, V4, spec({ type: 'http', port: ports.http4, path: '/slow', timeoutMs: 300 }));
  assert.deepEqual([r.ok, r.reason], [false, 'timeout after 300 ms']);
  assert.ok(Date.now() - started < 1500, 'probe outlived its timeout');
  assert.ok(r.ms >= 290, `ms ${r.ms}`);
  await waitFor('server connections to close', async () => (await connections(httpV4)) === 0);
});

// ---------------------------------------------------------------- HTTPS

test('https: self-signed certificate passes without verifyCert, with SNI and Host from check.host', LIMIT, async () => {
  const r = await probe(httpProbe, TLS4, spec({ type: 'https', port: ports.https, path: '/ok?sni', host: 'probe.test', bodyContains: 'service' }));
  assert.equal(r.ok, true, r.reason);
  const s = lastSeen('/ok?sni');
  assert.equal(s.servername, 'probe.test');
  assert.equal(s.host, 'probe.test');
});

test('https: no SNI when check.host is absent or an address', LIMIT, async () => {
  const r = await probe(httpProbe, TLS4, spec({ type: 'https', port: ports.https, path: '/ok?nosni' }));
  assert.equal(r.ok, true, r.reason);
  assert.equal(lastSeen('/ok?nosni').servername, false);
  await probe(httpProbe, TLS4, spec({ type: 'https', port: ports.https, path: '/ok?ipsni', host: TLS4 }));
  assert.equal(lastSeen('/ok?ipsni').servername, false);
});

test('https: verifyCert rejects an untrusted certificate before sending the request', LIMIT, async () => {
  const r = await probe(httpProbe, TLS4, spec({ type: 'https', port: ports.https, path: '/ok?verify', host: 'probe.test', verifyCert: true }));
  assert.deepEqual([r.ok, r.reason], [false, 'self-signed certificate']);
  assert.equal(seen.filter((s) => s.path === '/ok?verify').length, 0);
});

test('https: verifyCert with a trusted certificate passes, and fails on a wrong name or an expired one', { timeout: 10000 }, async () => {
  // The trust store is fixed at process start, so the trusting probe runs in a child.
  const jobs: Array<[string, CheckSpec]> = [
    [TLS4, spec({ type: 'https', port: ports.https, host: 'probe.test', verifyCert: true })],
    [TLS4, spec({ type: 'https', port: ports.https, verifyCert: true })],
    [TLS4, spec({ type: 'https', port: ports.https, host: 'other.test', verifyCert: true })],
    [TLS4, spec({ type: 'https', port: ports.httpsOld, host: 'old.test', verifyCert: true })],
    [TLS4, spec({ type: 'https', port: ports.httpsOld, host: 'old.test', verifyCert: false })],
  ];
  const script = `
    const { httpProbe } = await import(process.argv[1]);
    const out = [];
    for (const [address, check] of JSON.parse(process.argv[2])) out.push(await httpProbe(address, check, new AbortController().signal));
    process.stdout.write(JSON.stringify(out));`;
  const module = new URL('../../../checks/probes/http.js', import.meta.url).href;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script, module, JSON.stringify(jobs)], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, 'trusted.pem') },
    timeout: 8000,
  });
  const [byName, byAddress, wrongName, expired, expiredUnverified] = JSON.parse(stdout) as ProbeResult[];
  assert.equal(byName.ok, true, byName.reason);
  assert.equal(byAddress.ok, true, byAddress.reason);
  assert.equal(wrongName.ok, false);
  assert.match(wrongName.reason ?? '', /other\.test/);
  assert.deepEqual([expired.ok, expired.reason], [false, 'certificate has expired']);
  assert.equal(expiredUnverified.ok, true, expiredUnverified.reason);
});

// ---------------------------------------------------------------- TCP

test('tcp: an open port is healthy, the connection is closed afterwards', LIMIT, async () => {
  const r = await probe(tcpProbe, V4, spec({ type: 'tcp', port: ports.tcp }));
  assert.equal(r.ok, true, r.reason);
  await waitFor('server connections to close', async () => (await connections(tcpServer)) === 0);
});

test('tcp: a closed port fails with ECONNREFUSED', LIMIT, async () => {
  const r = await probe(tcpProbe, V4, spec({ type: 'tcp', port: await closedPort(V4) }));
  assert.deepEqual([r.ok, r.reason], [false, 'connect ECONNREFUSED']);
});

test('tcp: banner and send/expect', LIMIT, async () => {
  const banner = await probe(tcpProbe, V4, spec({ type: 'tcp', port: ports.tcp, expect: '220 probe-test' }));
  assert.equal(banner.ok, true, banner.reason);
  const echo = await probe(tcpProbe, V4, spec({ type: 'tcp', port: ports.tcp, send: 'PING\r\n', expect: 'PONG' }));
  assert.equal(echo.ok, true, echo.reason);
});

test('tcp: send without expect is delivered before the connection closes', LIMIT, async () => {
  const r = await probe(tcpProbe, V4, spec({ type: 'tcp', port: ports.tcp, send: 'QUIT-marker\r\n' }));
  assert.equal(r.ok, true, r.reason);
  await waitFor('the sent bytes to arrive', () => tcpReceived.some((d) => d.includes('QUIT-marker')));
});

test('tcp: an unmet expectation times out and closes the connection', LIMIT, async () => {
  const r = await probe(tcpProbe, V4, spec({ type: 'tcp', port: ports.tcp, send: 'HELLO\r\n', expect: 'NOPE', timeoutMs: 300 }));
  assert.deepEqual([r.ok, r.reason], [false, 'timeout after 300 ms']);
  await waitFor('server connections to close', async () => (await connections(tcpServer)) === 0);
});

test('tcp: the peer closing before the expectation is met fails at once', LIMIT, async () => {
  const r = await probe(tcpProbe, V4, spec({ type: 'tcp', port: ports.tcpClosing, expect: 'NOPE', timeoutMs: 3000 }));
  assert.deepEqual([r.ok, r.reason], [false, 'connection closed before "NOPE" was received']);
  assert.ok(r.ms < 1000);
});

test('tcp: IPv6 member', LIMIT, async (t) => {
  if (!ipv6) return noIpv6(t);
  const r = await probe(tcpProbe, V6, spec({ type: 'tcp', port: ports.http6 }));
  assert.equal(r.ok, true, r.reason);
});

// ---------------------------------------------------------------- DNS

test('dns: NOERROR with an answer is healthy', LIMIT, async () => {
  const r = await probe(dnsProbe, V4, spec({ type: 'dns', port: ports.dns4, query: 'ok.test' }));
  assert.equal(r.ok, true, r.reason);
});

test('dns: IPv6 member, given in a non-canonical form', LIMIT, async (t) => {
  if (!ipv6) return noIpv6(t);
  const r = await probe(dnsProbe, V6, spec({ type: 'dns', port: ports.dns6, query: 'ok.test' }));
  assert.equal(r.ok, true, r.reason);
  const longForm = await probe(dnsProbe, '0:0:0:0:0:0:0:1', spec({ type: 'dns', port: ports.dns6, query: 'ok.test' }));
  assert.equal(longForm.ok, true, longForm.reason);
});

test('dns: NXDOMAIN and NODATA fail, naming why', LIMIT, async () => {
  const nx = await probe(dnsProbe, V4, spec({ type: 'dns', port: ports.dns4, query: 'nx.test' }));
  assert.deepEqual([nx.ok, nx.reason], [false, 'rcode NXDOMAIN']);
  const nodata = await probe(dnsProbe, V4, spec({ type: 'dns', port: ports.dns4, query: 'ok.test', queryType: 'aaaa' }));
  assert.deepEqual([nodata.ok, nodata.reason], [false, 'NOERROR with no answers']);
});

test('dns: a silent server times out on time', LIMIT, async () => {
  const started = Date.now();
  const r = await probe(dnsProbe, V4, spec({ type: 'dns', port: ports.dns4, query: 'silent.test', timeoutMs: 300 }));
  assert.deepEqual([r.ok, r.reason], [false, 'timeout after 300 ms']);
  assert.ok(Date.now() - started < 1500, 'probe outlived its timeout');
  assert.ok(dnsQueries.includes('silent.test'), 'the query never reached the server');
});

test('dns: odd replies fail with a reason instead of passing or throwing', LIMIT, async () => {
  const garbage = await probe(dnsProbe, V4, spec({ type: 'dns', port: ports.dns4, query: 'garbage.test' }));
  assert.deepEqual([garbage.ok, garbage.reason], [false, 'malformed reply: 9 answers announced, none readable']);
  const echo = await probe(dnsProbe, V4, spec({ type: 'dns', port: ports.dns4, query: 'echo.test' }));
  assert.deepEqual([echo.ok, echo.reason], [false, 'reply is a query, not a response (QR bit clear)']);
});

test('dns: bad configuration fails without sending anything', LIMIT, async () => {
  const count = dnsQueries.length;
  const badType = await probe(dnsProbe, V4, spec({ type: 'dns', port: ports.dns4, query: 'ok.test', queryType: 'BOGUS' }));
  assert.deepEqual([badType.ok, badType.reason], [false, 'unsupported query type BOGUS']);
  const noName = await probe(dnsProbe, V4, spec({ type: 'dns', port: ports.dns4 }));
  assert.deepEqual([noName.ok, noName.reason], [false, 'no query name configured']);
  const longLabel = await probe(dnsProbe, V4, spec({ type: 'dns', port: ports.dns4, query: `${'a'.repeat(70)}.test` }));
  assert.equal(longLabel.ok, false);
  assert.match(longLabel.reason ?? '', /70 octets/);
  assert.equal(dnsQueries.length, count);
});

// ---------------------------------------------------------------- abort and dispatch

test('abort: an aborted signal stops each probe promptly', LIMIT, async () => {
  const cases: Array<[string, CheckSpec]> = [
    [V4, spec({ type: 'http', port: ports.http4, path: '/slow', timeoutMs: 4000 })],
    [V4, spec({ type: 'tcp', port: ports.tcp, expect: 'NOPE', timeoutMs: 4000 })],
    // Short timeout: dns2 keeps its socket until then (see checks/probes/dns.ts).
    [V4, spec({ type: 'dns', port: ports.dns4, query: 'silent.test', timeoutMs: 800 })],
  ];
  for (const [address, check] of cases) {
    const ac = new AbortController();
    const started = Date.now();
    setTimeout(() => ac.abort(), 100);
    const r = await runProbe(address, check, ac.signal);
    const took = Date.now() - started;
    assert.deepEqual([r.ok, r.reason], [false, 'aborted'], check.type);
    assert.ok(took < 1500, `${check.type}: abort took ${took} ms`);
  }
  await waitFor('server connections to close', async () => (await connections(httpV4)) === 0 && (await connections(tcpServer)) === 0);
});

test('abort: an already aborted signal never connects', LIMIT, async () => {
  const ac = new AbortController();
  ac.abort();
  const before = seen.length;
  for (const check of [
    spec({ type: 'http', port: ports.http4, path: '/ok?pre-aborted' }),
    spec({ type: 'tcp', port: ports.tcp }),
    spec({ type: 'dns', port: ports.dns4, query: 'ok.test' }),
  ]) {
    const r = await runProbe(V4, check, ac.signal);
    assert.deepEqual([r.ok, r.reason], [false, 'aborted'], check.type);
    assert.ok(r.ms < 5, `${check.type}: ms ${r.ms}`);
  }
  assert.equal(seen.length, before);
});

test('runProbe dispatches by type and never throws on an unknown one', LIMIT, async () => {
  assert.equal(probes.http, httpProbe);
  assert.equal(probes.https, httpProbe);
  assert.equal(probes.tcp, tcpProbe);
  assert.equal(probes.dns, dnsProbe);
  const ok = await runProbe(V4, spec({ type: 'tcp', port: ports.tcp }), new AbortController().signal);
  assert.equal(ok.ok, true, ok.reason);
  const check = { ...spec({ type: 'tcp', port: ports.tcp }), type: 'smtp' } as unknown as CheckSpec;
  const unknown = await runProbe(V4, check, new AbortController().signal);
  assert.deepEqual(unknown, { ok: false, ms: 0, reason: 'unknown check type "smtp"' });
});
