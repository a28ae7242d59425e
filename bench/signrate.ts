// The raw ECDSA P-256 signing rate of node:crypto on this machine: the
// ceiling for any answer that needs a fresh signature (bench/dnssec.ts runs
// this pinned to the server's core and prints it next to the flood figures).
// The same call form as server/dnssec/sign.ts: a pre-made KeyObject, the
// one-shot crypto.sign, r|s encoding, on about the size of a compact NXDOMAIN's
// signed data. Prints signatures per second.
import { generateKeyPairSync, sign } from 'node:crypto';

export function signRate(seconds: number): number {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const key = { key: privateKey, dsaEncoding: 'ieee-p1363' as const };
  const data = Buffer.alloc(120, 0x5a);
  for (let i = 0; i < 2000; i++) sign('sha256', data, key);
  let n = 0;
  const start = process.hrtime.bigint();
  const until = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  while (now < until) {
    for (let i = 0; i < 500; i++) sign('sha256', data, key);
    n += 500;
    now = process.hrtime.bigint();
  }
  return Math.round(n / (Number(now - start) / 1e9));
}

if (process.argv[1]?.endsWith('signrate.js')) process.stdout.write(`${signRate(Number(process.argv[2] ?? 3))}\n`);
