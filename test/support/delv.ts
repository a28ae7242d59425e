// BIND's validator as the DNSSEC oracle: `delv` asks one server and validates
// the answer from the zone's own key (a static trust anchor at the zone), so
// no chain from the root is needed. It says "; fully validated" for a good
// positive answer and "; negative response, fully validated" for a proven
// NXDOMAIN or NODATA; anything else is a failure to look at.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDnskeyRdata } from '../../server/dnssec/dnskey.js';

export interface DelvTarget {
  delvPath: string;
  host: string;
  port: number;
  /** The zone the trust anchor is for, e.g. "example.com". */
  zone: string;
  /** Anchor file written by writeAnchorFile. */
  anchorFile: string;
}

/** A delv/BIND 9.18 trust-anchors file holding the key (DNSKEY rdata) as a static key for `zone`. */
export function writeAnchorFile(dir: string, zone: string, dnskey: Buffer): string {
  const k = parseDnskeyRdata(dnskey);
  const file = join(dir, 'anchor.conf');
  const owner = zone.endsWith('.') ? zone : `${zone}.`;
  writeFileSync(file, `trust-anchors {\n  "${owner}" static-key ${k.flags} ${k.protocol} ${k.algorithm} "${k.publicKey.toString('base64')}";\n};\n`);
  return file;
}

export interface DelvResult {
  /** stdout and stderr together: delv writes its verdict lines to both. */
  output: string;
  fullyValidated: boolean;
  negativeValidated: boolean;
}

export function delv(t: DelvTarget, name: string, type: string): Promise<DelvResult> {
  const args = [`@${t.host}`, '-p', String(t.port), '-a', t.anchorFile, `+root=${t.zone}`, name, type];
  return new Promise((resolve) => {
    execFile(t.delvPath, args, { encoding: 'utf8', timeout: 15_000 }, (err, stdout, stderr) => {
      // delv exits non-zero for a failed resolution; the verdict lines are what count.
      const output = `${stdout}${stderr}${err && err.killed ? '\n(delv timed out)' : ''}`;
      resolve({
        output,
        fullyValidated: /^; fully validated$/m.test(output),
        negativeValidated: /^; negative response, fully validated$/m.test(output),
      });
    });
  });
}

/** Runs delv for each question, a few at a time (it spends most of its time starting up). */
export async function delvAll(t: DelvTarget, questions: readonly (readonly [string, string])[], parallel = 4): Promise<DelvResult[]> {
  const out: DelvResult[] = [];
  for (let i = 0; i < questions.length; i += parallel) {
    out.push(...(await Promise.all(questions.slice(i, i + parallel).map(([n, ty]) => delv(t, n, ty)))));
  }
  return out;
}
