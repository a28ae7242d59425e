// System tools some tests need (nsd, dig, redis-server). In CI, or with
// PULSEDNS_REQUIRE_TOOLS=1, a missing tool fails the test; elsewhere the test
// is skipped with a loud message so nobody mistakes a skip for a pass.
import { execFileSync } from 'node:child_process';
import type { TestContext } from 'node:test';

export const REQUIRE_TOOLS = Boolean(process.env.CI || process.env.PULSEDNS_REQUIRE_TOOLS);

export function findTool(name: string): string | undefined {
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin']) {
    try {
      execFileSync('test', ['-x', `${dir}/${name}`]);
      return `${dir}/${name}`;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Path of the tool, or undefined after marking the test skipped (or throwing in CI). */
export function needTool(t: TestContext, name: string, pkg = name): string | undefined {
  const path = findTool(name);
  if (path) return path;
  skipOrFail(t, `${name} is not installed (apt-get install -y ${pkg})`);
  return undefined;
}

/** A test this machine cannot run: fails in CI (nothing skips there), skips loudly elsewhere. */
export function skipOrFail(t: TestContext, why: string): void {
  if (REQUIRE_TOOLS) throw new Error(`${why}; required because CI or PULSEDNS_REQUIRE_TOOLS is set`);
  console.error(`\n!!! SKIPPING "${t.name}": ${why} !!!\n`);
  t.skip(why);
}
