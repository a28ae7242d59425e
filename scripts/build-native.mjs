// Compiles the batched-UDP addon (server/transport/native/udpbatch.c) into
// dist/. It needs only a C compiler and the Node headers that come with Node;
// no node-gyp, no download. When either is missing the server still works
// (on node:dgram, at about half the per-core rate) and this prints why; with
// PULSEDNS_REQUIRE_TOOLS=1 (the test suite, CI) a failed build is an error.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'server/transport/native/udpbatch.c');
const out = join(root, 'dist/server/transport/native/udpbatch.node');
const required = process.env.PULSEDNS_REQUIRE_TOOLS === '1';

function give(reason) {
  const line = `native UDP batching not built (${reason}); pulsedns will use node:dgram`;
  if (required) {
    process.stderr.write(`build-native: ${line}\n`);
    process.exit(1);
  }
  process.stderr.write(`note: ${line}\n`);
  process.exit(0);
}

if (process.platform !== 'linux') give('recvmmsg/sendmmsg are Linux system calls');
if (existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs) process.exit(0);

const prefix = process.config.variables.node_prefix ?? '/usr';
const include = [join(prefix, 'include/node'), join(dirname(process.execPath), '../include/node'), '/usr/include/node', '/usr/local/include/node']
  .find((d) => existsSync(join(d, 'node_api.h')));
if (!include) give('the Node headers (node_api.h) are not installed');
const cc = process.env.CC || 'cc';
mkdirSync(dirname(out), { recursive: true });
const r = spawnSync(cc, ['-O2', '-Wall', '-Wextra', '-Werror', '-shared', '-fPIC', '-DNODE_GYP_MODULE_NAME=udpbatch', `-I${include}`, '-o', out, src], { encoding: 'utf8' });
if (r.error) give(`no C compiler: ${cc} ${r.error.code ?? r.error.message}`);
if (r.status !== 0) give(`${cc} failed:\n${r.stderr.trim()}`);
