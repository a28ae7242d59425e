// What is running, for the start-up line and pulsedns_build_info.
import { readFileSync } from 'node:fs';

function packageVersion(): string {
  try {
    // dist/server/runtime/version.js -> package.json at the root (shipped in every install and image).
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export const VERSION = packageVersion();
export const NODE_VERSION = process.version;
