// Webhook URLs that can never work are refused when the process starts (exit
// 2, one line, no secret), a redirect is not followed (the event would be
// re-posted to whatever host the receiver names), errors that cannot heal are
// not retried and the transient ones are; logs show scheme://host/… only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Webhooks } from '../../../checks/webhooks.js';
import { MemoryStore } from '../../../checks/store/memory.js';
import { CLI } from '../../support/server.js';
import { freePort } from '../../support/ports.js';
import { needTool } from '../../support/tools.js';

async function listen(handler: (status: { hits: number }) => [number, Record<string, string>?]): Promise<{ server: Server; url: string; hits: () => number }> {
  const state = { hits: 0 };
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      state.hits++;
      const [status, headers] = handler(state);
      res.writeHead(status, headers ?? {});
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook/path-secret-1234`, hits: () => state.hits };
}

function close(s: Server): Promise<void> {
  s.closeAllConnections();
  return new Promise((r) => s.close(() => r()));
}

function capture(): { log: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

const EVENT = { type: 'member.down' as const, id: 'down:x:1', at: 0 };

test('a 307 is not followed and not retried; the log names scheme and host only', async () => {
  const elsewhere = await listen(() => [200]);
  const rx = await listen(() => [307, { location: elsewhere.url }]);
  const { log, lines } = capture();
  const hooks = new Webhooks({ urls: [rx.url], store: new MemoryStore(), log, source: 't', firstBackoffMs: 5 });
  try {
    hooks.send({ ...EVENT });
    await hooks.flush();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(rx.hits(), 1, 'one attempt');
    assert.equal(elsewhere.hits(), 0, 'the Location was not visited');
    const text = lines.join('\n');
    assert.match(text, /HTTP 307: a redirect/);
    assert.ok(!text.includes('path-secret-1234'), text);
    assert.match(text, /"url":"http:\/\/127\.0\.0\.1:\d+\/…"/);
  } finally {
    await close(rx.server);
    await close(elsewhere.server);
  }
});

test('408 and a refused connection are retried; 401 is not', async () => {
  const timeoutFirst = await listen((s) => [s.hits === 1 ? 408 : 200]);
  const unauthorized = await listen(() => [401]);
  const closedPort = `http://127.0.0.1:${await freePort()}/hook`;
  const { log, lines } = capture();
  const hooks = new Webhooks({ urls: [timeoutFirst.url, unauthorized.url, closedPort], store: new MemoryStore(), log, source: 't', firstBackoffMs: 5, attempts: 3 });
  try {
    hooks.send({ ...EVENT });
    await hooks.flush();
    assert.equal(timeoutFirst.hits(), 2);
    assert.equal(unauthorized.hits(), 1);
    assert.equal(lines.filter((l) => /will retry/.test(l) && /ECONNREFUSED/.test(l)).length, 2, lines.join('\n'));
    assert.ok(lines.some((l) => /given up after retries/.test(l)));
  } finally {
    await close(timeoutFirst.server);
    await close(unauthorized.server);
  }
});

test('a certificate that does not verify is not retried: it will fail the same way next time', async (t) => {
  const openssl = needTool(t, 'openssl');
  if (!openssl) return;
  const dir = mkdtempSync(join(tmpdir(), 'pulse-hook-tls-'));
  try {
    execFileSync(openssl, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-days', '1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    let requests = 0;
    const server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => {
      requests++;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { log, lines } = capture();
    const hooks = new Webhooks({ urls: [`https://127.0.0.1:${(server.address() as AddressInfo).port}/hook`], store: new MemoryStore(), log, source: 't', firstBackoffMs: 5, attempts: 3 });
    try {
      hooks.send({ ...EVENT });
      await hooks.flush();
      assert.equal(requests, 0);
      assert.equal(lines.filter((l) => /will retry/.test(l)).length, 0, lines.join('\n'));
      assert.match(lines.join('\n'), /TLS certificate: DEPTH_ZERO_SELF_SIGNED_CERT.*failed for good/);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad webhook URLs are refused at start: exit 2, one line, no credentials', () => {
  const cases: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
    [['serve', '--webhook', 'file:///etc/passwd'], {}, /only http:\/\/ and https:\/\//],
    [['serve', '--webhook', 'http://user:hunter2secret@hooks.example/x'], {}, /user:password in the URL is not supported/],
    [['serve', '--webhook', 'not a url'], {}, /not a URL/],
    [['serve'], { PULSEDNS_WEBHOOK: 'gopher://hooks.example/x' }, /only http/],
    [['probe', '--redis', 'redis://127.0.0.1:1', '--webhook', 'ftp://hooks.example/x'], {}, /only http/],
  ];
  for (const [args, env, why] of cases) {
    const r = spawnSync(process.execPath, [CLI, ...args, '--zones', '/nonexistent'], { encoding: 'utf8', timeout: 15_000, env: { ...process.env, ...env } });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^pulsedns: error: --webhook[: ][^\n]*\n$/, r.stderr);
    assert.match(r.stderr, why);
    assert.ok(!r.stderr.includes('hunter2secret'));
  }
});
