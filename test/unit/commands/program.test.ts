// The command line's error path and shared value parsers, in-process.
import { test } from 'node:test';
import { InvalidArgumentError } from 'commander';
import assert from 'node:assert/strict';
import { reportError, runCli } from '../../../server/commands/program.js';
import { CommandFailed, UsageError } from '../../../server/commands/errors.js';
import { logOptions, parseAdminListen, parseAdminUrl, parseDurationArg, parseRedisUrl } from '../../../server/commands/options.js';

function capture(e: unknown, debug = false): { code: number; err: string } {
  let err = '';
  const code = reportError(e, { out: () => undefined, err: (s) => void (err += s) }, debug);
  return { code, err };
}

test('errors: usage 2, failure 1, a bug one line with a hint, the stack only with --debug', () => {
  assert.deepEqual(capture(new UsageError('bad flag')), { code: 2, err: 'pulsedns: error: bad flag\n' });
  assert.deepEqual(capture(new CommandFailed('server unreachable')), { code: 1, err: 'pulsedns: error: server unreachable\n' });
  const bug = capture(new TypeError("Cannot read properties of undefined (reading 'x')"));
  assert.equal(bug.code, 1);
  assert.match(bug.err, /^pulsedns: internal error: Cannot read properties of undefined \(reading 'x'\) \(a bug; rerun with --debug or PULSEDNS_DEBUG=1 for the stack trace\)\n$/);
  const debug = capture(new TypeError('boom'), true);
  assert.match(debug.err, /^pulsedns: internal error: TypeError: boom\n\s+at /);
});

test('--admin: one address in every form', () => {
  for (const text of ['127.0.0.1:9153', 'http://127.0.0.1:9153', 'http://127.0.0.1:9153/']) assert.equal(parseAdminUrl(text), 'http://127.0.0.1:9153');
  assert.equal(parseAdminUrl('[::1]:9153'), 'http://[::1]:9153');
  assert.equal(parseAdminUrl('https://dns.example/admin/'), 'https://dns.example/admin', 'a path prefix is kept');
  for (const text of ['127.0.0.1:9153', 'http://127.0.0.1:9153']) assert.deepEqual(parseAdminListen(text), { host: '127.0.0.1', port: 9153 });
  assert.deepEqual(parseAdminListen('[::1]:9153'), { host: '::1', port: 9153 });
  assert.equal(parseAdminListen('off'), null);
  for (const bad of ['ftp://127.0.0.1:9153', 'http://127.0.0.1', 'https://127.0.0.1:9153', 'example.com:9153', '127.0.0.1:9153/x']) {
    assert.throws(() => parseAdminListen(bad), InvalidArgumentError, bad);
  }
});

test('--redis: redis:// or rediss://, a host, a valid port, an optional database number', () => {
  for (const ok of ['redis://127.0.0.1:6379', 'rediss://user:pw@cache.example:6380/2', 'redis://redis']) assert.equal(parseRedisUrl(ok), ok);
  for (const bad of ['notaurl', 'http://127.0.0.1:6379', 'redis://', 'redis://h:0', 'redis://h:70000', 'redis://h/db']) assert.throws(() => parseRedisUrl(bad), InvalidArgumentError, bad);
});

test('durations: one parser for every flag', () => {
  assert.equal(parseDurationArg('2h'), 7_200_000);
  assert.equal(parseDurationArg('30s'), 30_000);
  assert.equal(parseDurationArg('10'), 10_000, 'plain seconds');
  assert.equal(parseDurationArg('1h30m'), 5_400_000, 'units combined, as in zone files (zones/duration.ts)');
  for (const bad of ['soon', '0', '-5s', '']) assert.throws(() => parseDurationArg(bad), InvalidArgumentError, bad);
});

test('every command shows the flags it takes in its help (logging, webhooks, secrets from files, file limits)', async () => {
  const webhooks = ['--webhook', '--webhook-file', '--webhook-secret', '--webhook-secret-file'];
  const expected: Record<string, string[]> = {
    serve: ['--log-level', '--log-format', ...webhooks, '--max-zone-file-size', '--redis', '--redis-file', '--zones-git-file', '--admin-token-file', '--admin-allow-host'],
    probe: ['--log-level', '--log-format', ...webhooks, '--max-zone-file-size', '--redis', '--redis-file'],
    check: ['--max-zone-file-size'],
    import: ['--include-dir', '--max-zone-file-size'],
    drain: ['--admin-token-file', '--redis-file'],
    failback: ['--admin-token-file', '--redis-file'],
    status: ['--admin-token-file'],
    reload: ['--admin-token-file'],
    plan: ['--admin-token-file'],
  };
  for (const [cmd, flags] of Object.entries(expected)) {
    let out = '';
    const code = await runCli([cmd, '--help'], { out: (s) => void (out += s), err: () => undefined });
    assert.equal(code, 0);
    for (const flag of flags) assert.match(out, new RegExp(`${flag} <`), `${cmd} --help shows ${flag}`);
  }
});

test('a bad secret value is a usage error that does not repeat it', async () => {
  let err = '';
  const code = await runCli(['serve', '--redis', 'redis://:hunter2secret@127.0.0.1:notaport/', '--admin', 'off'], { out: () => undefined, err: (s) => void (err += s) });
  assert.equal(code, 2);
  assert.match(err, /^pulsedns: error: --redis: Invalid URL/);
  assert.ok(!err.includes('hunter2secret'), err);
});

test('log options: a bad value from a flag or from the environment is a usage error', (t) => {
  t.after(() => {
    delete process.env.PULSEDNS_LOG_LEVEL;
    delete process.env.PULSEDNS_LOG_FORMAT;
  });
  assert.deepEqual(logOptions({ logLevel: 'debug', logFormat: 'pretty' }), { level: 'debug', format: 'pretty' });
  assert.throws(() => logOptions({ logFormat: 'xml' }), (e: unknown) => e instanceof UsageError && /--log-format must be json or pretty/.test(e.message));
  process.env.PULSEDNS_LOG_LEVEL = 'loud';
  assert.throws(() => logOptions({}), UsageError);
  assert.equal(logOptions({ logLevel: 'warn' }).level, 'warn', 'the flag wins over the environment');
});
