// Checks signed responses the way a validator would, without one: every
// RRset of a response with the RRSIG that covers it, verified against the
// zone's DNSKEY (server/dnssec/sign.ts verifyRRset). Used by the engine's unit
// tests; delv is the oracle in the e2e tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '../../server/wire/constants.js';
import type { Name } from '../../server/wire/names.js';
import { parseRrsig, verifyRRset } from '../../server/dnssec/sign.js';
import { createKey, type Algorithm } from '../../server/dnssec/keys.js';
import { SigCache } from '../../server/dnssec/cache.js';
import { Catalog } from '../../server/engine/catalog.js';
import { buildSigners } from '../../server/runtime/signers.js';
import type { Zone } from '../../server/zones/compile.js';
import type { PoolSet } from '../../server/pools/model.js';
import { encodeName, readName } from './dnsmsg.js';

export interface RawRR {
  owner: Name;
  type: number;
  ttl: number;
  /** Uncompressed rdata (names inside expanded, as signed). */
  rdata: Buffer;
}

function wireName(buf: Buffer, at: number): { name: Buffer; end: number } {
  const r = readName(buf, at);
  return { name: encodeName(r.name.toLowerCase()), end: r.end };
}

/** The records of each section (OPT left out), with rdata names expanded. */
export function rawSections(buf: Buffer): RawRR[][] {
  const counts = [4, 6, 8, 10].map((o) => buf.readUInt16BE(o));
  let pos = 12;
  for (let i = 0; i < counts[0]!; i++) pos = readName(buf, pos).end + 4;
  const out: RawRR[][] = [[], [], []];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]!; i++) {
      const o = wireName(buf, pos);
      const type = buf.readUInt16BE(o.end);
      const ttl = buf.readUInt32BE(o.end + 4);
      const len = buf.readUInt16BE(o.end + 8);
      const off = o.end + 10;
      pos = off + len;
      if (type === Type.OPT) continue;
      let rdata: Buffer = Buffer.from(buf.subarray(off, off + len));
      if (type === Type.NS || type === Type.CNAME || type === Type.PTR) rdata = wireName(buf, off).name;
      else if (type === Type.MX) rdata = Buffer.concat([buf.subarray(off, off + 2), wireName(buf, off + 2).name]);
      else if (type === Type.SOA) {
        const m = wireName(buf, off);
        const r = wireName(buf, m.end);
        rdata = Buffer.concat([m.name, r.name, buf.subarray(r.end, r.end + 20)]);
      }
      out[s]!.push({ owner: o.name.toString('latin1'), type, ttl, rdata });
    }
  }
  return out;
}

/**
 * Problems with the signatures of a section: an RRset without a valid RRSIG
 * by `dnskey` (unless `unsigned` says it may be), an RRSIG whose TTL differs
 * from its RRset's, or an RRSIG covering nothing. Empty means all good.
 */
export function signatureProblems(records: RawRR[], dnskey: Buffer, unsigned: (rr: RawRR) => boolean = () => false): string[] {
  const problems: string[] = [];
  const sets = new Map<string, RawRR[]>();
  const sigs: RawRR[] = [];
  for (const r of records) {
    if (r.type === Type.RRSIG) sigs.push(r);
    else {
      const k = `${r.owner}/${r.type}`;
      sets.set(k, [...(sets.get(k) ?? []), r]);
    }
  }
  for (const [k, set] of sets) {
    const first = set[0]!;
    const mine = sigs.filter((s) => s.owner === first.owner && parseRrsig(s.rdata).typeCovered === first.type);
    if (mine.length === 0) {
      if (!unsigned(first)) problems.push(`${k}: no RRSIG`);
      continue;
    }
    for (const s of mine) {
      const v = verifyRRset(dnskey, first.owner, first.type, set.map((r) => r.rdata), s.rdata);
      if (!v.valid) problems.push(`${k}: ${v.reason}`);
      if (s.ttl !== first.ttl) problems.push(`${k}: RRSIG TTL ${s.ttl} differs from ${first.ttl}`);
    }
  }
  for (const s of sigs) {
    const t = parseRrsig(s.rdata).typeCovered;
    if (!sets.has(`${s.owner}/${t}`)) problems.push(`${s.owner}/${t}: RRSIG without its RRset`);
  }
  return problems;
}

/**
 * A catalog of `zones` with signers from keys made now in a fresh directory; returns the DNSKEY rdata per zone too.
 * The signers hold the keys once built, so the directory (private keys in it) is removed before returning.
 */
export function signedCatalog(zones: Zone[], algorithm: Algorithm = 13, pools?: PoolSet): { catalog: Catalog; dnskeys: Map<Name, Buffer> } {
  const keysDir = mkdtempSync(join(tmpdir(), 'pulsedns-keys-'));
  try {
    const dnskeys = new Map<Name, Buffer>();
    for (const z of zones) if (z.dnssec) dnskeys.set(z.origin, createKey(keysDir, z.origin, algorithm).dnskey);
    const built = buildSigners(zones, { keysDir, cache: new SigCache() });
    if (built.errors.length) throw new Error(built.errors.map((e) => e.message).join('\n'));
    return { catalog: new Catalog(zones, pools, built.signers), dnskeys };
  } finally {
    rmSync(keysDir, { recursive: true, force: true });
  }
}
