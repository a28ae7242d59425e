// Differential test: pulsedns and NSD (the oracle) serve the same zones
// (test/fixtures/diff, exported for NSD with `pulsedns export`) and get the
// same queries. Both answers are decoded with names in RDATA expanded, and
// compared field by field: rcode, flags, and each section as a set of
// (owner lowercased, type, class, TTL, data).
//
// Two parts: a hand-written corpus (each case says what it exercises), then
// a sweep asking every fixture type at every name over TCP.
//
// Where the protocol leaves a choice and NSD makes a different one, the case
// says so and asserts only what is not a matter of taste; each such choice
// is listed in docs/differences-from-nsd.md. Keep the two in step. Known
// pulsedns bugs keep their assertion but run as TODO (field `bug`).
//
// PULSEDNS_DIFF_VERBOSE=1 prints both answers for every corpus case.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildQuery, parseMessage, readName, type Message, type QueryOptions, type RR } from '../support/dnsmsg.js';
import { tcpExchange, udpExchange, type Target } from '../support/client.js';
import { startPulse, type Spawned } from '../support/server.js';
import { exportZones, startNsd, type NsdServer } from '../support/nsd.js';
import { needTool } from '../support/tools.js';

/** The fixtures are not compiled: from dist/test/ go back to the source tree. */
function fixturesDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    resolve(here, '..', '..', '..', 'test', 'fixtures', 'diff'), // dist/test/e2e/differential.test.js
    resolve(here, '..', 'fixtures', 'diff'), // run from source (ts loaders)
    resolve(process.cwd(), 'test', 'fixtures', 'diff'),
  ];
  const found = candidates.find((d) => existsSync(join(d, 'diff.test.yaml')));
  if (!found) throw new Error(`differential fixtures not found; looked in:\n${candidates.join('\n')}`);
  return found;
}

const ZONE_APEXES = new Set(['diff.test.', 'other.test.']);

const T = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, HINFO: 13, MX: 15, TXT: 16, AAAA: 28, SRV: 33, NAPTR: 35, DS: 43, SSHFP: 44, DNSKEY: 48, TLSA: 52, SVCB: 64, HTTPS: 65, ANY: 255, URI: 256, CAA: 257, UNKNOWN: 65280 } as const;
const RCODE = { NOERROR: 0, FORMERR: 1, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, BADVERS: 16 } as const;
const OPCODE_STATUS = 2;
const OPCODE_NOTIFY = 4;
const CLASS_CH = 3;
const CLASS_ANY = 255;

/**
 * How a case is compared.
 * - full: everything (after the NSD authority-NS normalisation, see nsdNormal).
 * - truncated: the answer does not fit; both must set TC and agree on rcode
 *   and AA. What is left in a truncated message is taste.
 * - fullAny: ANY over TCP at a name with data. pulsedns gives every RRset;
 *   NSD (since 4.1.27) gives one RRset on every transport and no additional
 *   data (RFC 8482 allows both). The oracle is the union of NSD's answers to
 *   one query per type at that name; NSD's own ANY RRset must be among ours.
 *   The additional section must equal NSD's (empty: no NS/MX/SRV addresses).
 * - minimalAny: ANY over UDP. Both give one RRset (RFC 8482 section 4.1), but
 *   which one is taste (we take the lowest type, NSD e.g. SOA at the apex).
 *   The RRset we give must be whole and equal to NSD's for that type.
 * - partialGlue: a referral whose glue does not all fit. Neither server sets
 *   TC (RFC 2181 9: additional data may be dropped); which glue to keep is
 *   taste (we keep A and AAAA per server in order, NSD every A first). All
 *   but the additional section must match, and ours must be real glue.
 * - chainPrefix: a CNAME chain longer than we follow (12 hops). How far to
 *   chase is taste (RFC 1034 4.3.2 lets the resolver restart); our answer
 *   must be the start of NSD's, in one piece, with no negative SOA (we have
 *   not looked at the end of the chain).
 * - rcodeOnly: error answers where NSD's extras (copied question, OPT, AA
 *   bit) are taste: compare rcode and QR only.
 * - silent: neither server may answer (a response sent as a query).
 */
type Mode = 'full' | 'truncated' | 'fullAny' | 'minimalAny' | 'partialGlue' | 'chainPrefix' | 'rcodeOnly' | 'silent';

interface Case {
  qname: string;
  qtype: string | number;
  why: string;
  tcp?: boolean;
  edns?: NonNullable<QueryOptions['edns']>;
  rd?: boolean;
  cd?: boolean;
  opcode?: number;
  /** Hand-made message bytes instead of buildQuery (qname/qtype then only label the case). */
  raw?: (id: number) => Buffer;
  qclass?: number;
  mode?: Mode;
  /** Expected rcode, asserted on both servers (a guard against the two agreeing on nonsense). */
  rcode?: number;
  /** NSD's rcode where it differs from ours by design (then `rcode` is only ours). */
  nsdRcode?: number;
  /** Check pulsedns echoes the question name, and answer owners equal to it, in the case sent. */
  checkCase?: boolean;
  /** Known pulsedns bug: keep the assertion, but mark the subtest TODO so the suite stays green. */
  bug?: string;
}

const EDNS = { payload: 1232 } as const;
const DO = { payload: 1232, dnssecOk: true } as const;

/** Known pulsedns bug, see docs/differences-from-nsd.md. Remove `bug:` from the cases once fixed. */

/** A header with the given flags and counts, for malformed queries. */
function header(id: number, flags: number, qd: number, an = 0, ns = 0, ar = 0): Buffer {
  const b = Buffer.alloc(12);
  [id, flags, qd, an, ns, ar].forEach((v, i) => b.writeUInt16BE(v, i * 2));
  return b;
}
/** Question www.diff.test A IN, without header. */
const WWW_Q = buildQuery('www.diff.test', 'A').subarray(12);
/** OPT: payload 1232, given TTL field (ext rcode, version, DO, Z), given options. */
function optRR(ttl: number, options: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(11);
  b.writeUInt16BE(41, 1);
  b.writeUInt16BE(1232, 3);
  b.writeUInt32BE(ttl, 5);
  b.writeUInt16BE(options.length, 9);
  return Buffer.concat([b, options]);
}
/** EDNS COOKIE option (RFC 7873) with an 8-byte client cookie. */
const COOKIE = Buffer.from('000a00080102030405060708', 'hex');
/** An A record for www.diff.test (compressed owner), to put where a query has no business carrying one. */
const STRAY_A = Buffer.from('c00c000100010000000a0004c0000201', 'hex');
const CORPUS: Case[] = [
  // Apex: every type, present and absent.
  { qname: 'diff.test', qtype: 'SOA', why: 'apex SOA', rcode: RCODE.NOERROR },
  { qname: 'diff.test', qtype: 'NS', why: 'apex NS, in-zone targets in additional' },
  { qname: 'diff.test', qtype: 'A', why: 'apex A' },
  { qname: 'diff.test', qtype: 'AAAA', why: 'apex AAAA' },
  { qname: 'diff.test', qtype: 'MX', why: 'apex MX, in-zone exchange in additional' },
  { qname: 'diff.test', qtype: 'TXT', why: 'apex TXT, multi-string and empty string' },
  { qname: 'diff.test', qtype: 'CAA', why: 'apex CAA' },
  { qname: 'diff.test', qtype: 'TYPE65280', why: 'apex unknown type' },
  { qname: 'diff.test', qtype: 'SRV', why: 'apex NODATA', rcode: RCODE.NOERROR },
  { qname: 'diff.test', qtype: 'PTR', why: 'apex NODATA PTR' },
  { qname: 'diff.test', qtype: 'CNAME', why: 'apex NODATA CNAME' },
  // Ordinary names.
  { qname: 'ns1.diff.test', qtype: 'A', why: 'A' },
  { qname: 'ns1.diff.test', qtype: 'AAAA', why: 'AAAA' },
  { qname: 'ns2.diff.test', qtype: 'A', why: 'A with its own TTL' },
  { qname: 'ns1.diff.test', qtype: 'MX', why: 'NODATA' },
  { qname: 'www.diff.test', qtype: 'A', why: 'two A records' },
  { qname: 'www.diff.test', qtype: 'AAAA', why: 'AAAA' },
  { qname: 'www.diff.test', qtype: 'TXT', why: 'NODATA' },
  { qname: 'www.diff.test', qtype: 'CNAME', why: 'NODATA for CNAME' },
  { qname: 'mail.diff.test', qtype: 'A', why: 'A' },
  { qname: '_sip._tcp.diff.test', qtype: 'SRV', why: 'SRV, in-zone target in additional' },
  { qname: '_tcp.diff.test', qtype: 'SRV', why: 'ENT above an SRV owner' },
  { qname: '_sip._udp.diff.test', qtype: 'SRV', why: 'NXDOMAIN beside an ENT', rcode: RCODE.NXDOMAIN },
  { qname: 'sip.diff.test', qtype: 'A', why: 'A' },
  { qname: 'ptr.diff.test', qtype: 'PTR', why: 'PTR' },
  { qname: 'txt.diff.test', qtype: 'TXT', why: 'multi-string, >255-byte, escaped and UTF-8 TXT', edns: EDNS },
  { qname: 'emptytxt.diff.test', qtype: 'TXT', why: 'TXT holding one empty string' },
  { qname: 'unk.diff.test', qtype: 'TYPE65280', why: 'unknown type, incl. empty RDATA' },
  { qname: 'unk.diff.test', qtype: 65281, why: 'another unknown type: NODATA' },
  { qname: 'unk.diff.test', qtype: 'A', why: 'NODATA at a name with only an unknown type' },
  // NXDOMAIN.
  { qname: 'nope.diff.test', qtype: 'A', why: 'NXDOMAIN', rcode: RCODE.NXDOMAIN },
  { qname: 'a.b.nope.diff.test', qtype: 'MX', why: 'NXDOMAIN deep' },
  { qname: 'nope.diff.test', qtype: 'TYPE65280', why: 'NXDOMAIN unknown type' },
  // CNAME chains.
  { qname: 'c1.diff.test', qtype: 'A', why: '3-hop chain to www' },
  { qname: 'c1.diff.test', qtype: 'CNAME', why: 'qtype CNAME: no chasing' },
  { qname: 'c2.diff.test', qtype: 'AAAA', why: '2-hop chain' },
  { qname: 'c3.diff.test', qtype: 'TXT', why: 'chain ending in NODATA' },
  { qname: 'cother.diff.test', qtype: 'A', why: 'chain into the second served zone' },
  { qname: 'cback.diff.test', qtype: 'A', why: 'chain into other.test and back into diff.test' },
  { qname: 'cout.diff.test', qtype: 'A', why: 'chain leaving our data' },
  { qname: 'cnx1.diff.test', qtype: 'A', why: 'chain ending in NXDOMAIN (RFC 6604)', rcode: RCODE.NXDOMAIN },
  { qname: 'cnodata.diff.test', qtype: 'TXT', why: 'chain ending in NODATA' },
  { qname: 'cdeleg.diff.test', qtype: 'A', why: 'chain ending below a delegation' },
  { qname: 'cent.diff.test', qtype: 'A', why: 'chain ending at an ENT' },
  { qname: 'cwild.diff.test', qtype: 'A', why: 'chain ending in a wildcard' },
  { qname: 'loop-a.diff.test', qtype: 'A', why: 'CNAME loop a -> b -> a' },
  { qname: 'self.diff.test', qtype: 'A', why: 'CNAME to itself' },
  // Empty non-terminals.
  { qname: 'ent.diff.test', qtype: 'A', why: 'ENT: NODATA, not NXDOMAIN', rcode: RCODE.NOERROR },
  { qname: 'b.ent.diff.test', qtype: 'A', why: 'ENT one level down' },
  { qname: 'a.b.ent.diff.test', qtype: 'A', why: 'the name that makes the ENTs' },
  { qname: 'c.ent.diff.test', qtype: 'A', why: 'NXDOMAIN below an ENT', rcode: RCODE.NXDOMAIN },
  { qname: 'x.b.ent.diff.test', qtype: 'A', why: 'NXDOMAIN below a deeper ENT' },
  // Wildcards at several depths (RFC 4592).
  { qname: 'foo.w.diff.test', qtype: 'A', why: 'wildcard *.w' },
  { qname: 'foo.w.diff.test', qtype: 'TXT', why: 'wildcard, second type' },
  { qname: 'foo.w.diff.test', qtype: 'MX', why: 'wildcard NODATA' },
  { qname: 'bar.baz.w.diff.test', qtype: 'A', why: 'wildcard two labels below its parent' },
  { qname: 'host.w.diff.test', qtype: 'A', why: 'existing name: wildcard does not apply, NODATA', rcode: RCODE.NOERROR },
  { qname: 'host.w.diff.test', qtype: 'MX', why: 'existing name, its own data' },
  { qname: 'sub.w.diff.test', qtype: 'A', why: 'ENT holding a wildcard: NODATA' },
  { qname: 'x.sub.w.diff.test', qtype: 'A', why: 'wildcard *.sub.w' },
  { qname: 'y.x.sub.w.diff.test', qtype: 'A', why: 'deeper match of *.sub.w' },
  { qname: 'deep.w.diff.test', qtype: 'A', why: 'ENT under a wildcard parent: NODATA' },
  { qname: 'x.deep.w.diff.test', qtype: 'A', why: 'closest encloser is an ENT without *: NXDOMAIN, *.w does not apply', rcode: RCODE.NXDOMAIN },
  { qname: 'a.deep.w.diff.test', qtype: 'A', why: 'real name under the ENT' },
  { qname: '*.w.diff.test', qtype: 'A', why: 'the wildcard owner asked for literally' },
  { qname: 'x.l3.l2.l1.diff.test', qtype: 'AAAA', why: 'wildcard below three ENTs' },
  { qname: 'x.l3.l2.l1.diff.test', qtype: 'A', why: 'wildcard NODATA below ENTs' },
  { qname: 'l2.l1.diff.test', qtype: 'AAAA', why: 'ENT above a wildcard' },
  { qname: 'x.l2.l1.diff.test', qtype: 'AAAA', why: 'NXDOMAIN beside a wildcard ENT' },
  { qname: 'q.a.diff.test', qtype: 'A', why: '*.a synthesises' },
  { qname: 'q.r.a.diff.test', qtype: 'A', why: '*.a two labels down' },
  { qname: 'a.diff.test', qtype: 'A', why: 'parent of *.a is an ENT: NODATA' },
  { qname: 'c.a.diff.test', qtype: 'A', why: 'RFC 4592 2.2.1: c.a is an ENT, *.a does not apply: NODATA', rcode: RCODE.NOERROR },
  { qname: 'x.c.a.diff.test', qtype: 'A', why: 'RFC 4592 2.2.1: closest encloser c.a (ENT) has no *: NXDOMAIN', rcode: RCODE.NXDOMAIN },
  { qname: 'b.c.a.diff.test', qtype: 'TXT', why: 'real name below the ENT' },
  { qname: 'b.c.a.diff.test', qtype: 'A', why: 'real name: NODATA, *.a does not apply' },
  { qname: 'foo.wc.diff.test', qtype: 'A', why: 'wildcard CNAME into a chain' },
  { qname: 'foo.wc.diff.test', qtype: 'CNAME', why: 'wildcard CNAME, qtype CNAME' },
  { qname: 'foo.wmx.diff.test', qtype: 'MX', why: 'wildcard MX, target in additional' },
  { qname: 'foo.wdeleg.diff.test', qtype: 'A', why: 'wildcard beside a delegation' },
  { qname: 'y.x.wdeleg.diff.test', qtype: 'A', why: 'below a cut: referral, no synthesis' },
  // Types beyond RFC 1035.
  { qname: 'svc.diff.test', qtype: T.HTTPS, why: 'HTTPS: ServiceMode params sorted by key, alpn escaping, ech, generic key' },
  { qname: 'svc.diff.test', qtype: T.SVCB, why: 'SVCB with a relative target' },
  { qname: 'alias-svc.diff.test', qtype: T.HTTPS, why: 'HTTPS AliasMode (priority 0)' },
  { qname: 'svc.diff.test', qtype: T.HINFO, why: 'HINFO, structured, with a quote' },
  { qname: 'hinfo.diff.test', qtype: T.HINFO, why: 'HINFO, presentation form' },
  { qname: 'svc.diff.test', qtype: T.URI, why: 'URI' },
  { qname: 'svc.diff.test', qtype: T.SSHFP, why: 'SSHFP, SHA-256 and SHA-1' },
  { qname: 'svc.diff.test', qtype: T.NAPTR, why: 'NAPTR with replacement, NAPTR with regexp' },
  { qname: 'svc.diff.test', qtype: T.DNSKEY, why: 'DNSKEY' },
  { qname: '_443._tcp.svc.diff.test', qtype: T.TLSA, why: 'TLSA' },
  { qname: 'svc.diff.test', qtype: 'ANY', why: 'ANY over TCP at a name holding every new type', tcp: true, mode: 'fullAny' },
  { qname: 'signed.diff.test', qtype: T.DS, why: 'DS at a delegation: the parent answers it, AA set' },
  { qname: 'signed.diff.test', qtype: 'A', why: 'referral to a signed child' },
  { qname: 'x.signed.diff.test', qtype: 'A', why: 'referral below a signed cut, with DO', edns: DO },
  { qname: 'x.signed.diff.test', qtype: T.DS, why: 'DS below the cut: referral' },
  { qname: 'alias-svc.diff.test', qtype: T.SVCB, why: 'NODATA beside an HTTPS record' },
  // ANY leaves additional data out.
  { qname: 'diff.test', qtype: 'ANY', why: 'apex ANY over TCP: no NS/MX target addresses in additional', tcp: true, mode: 'fullAny', edns: EDNS },
  // Delegations.
  { qname: 'deleg.diff.test', qtype: 'NS', why: 'referral at the cut, glue in additional' },
  { qname: 'deleg.diff.test', qtype: 'A', why: 'referral at the cut' },
  { qname: 'www.deleg.diff.test', qtype: 'A', why: 'referral below the cut' },
  { qname: 'a.b.deleg.diff.test', qtype: 'MX', why: 'referral deep below the cut' },
  { qname: 'ns1.deleg.diff.test', qtype: 'A', why: 'glue name: referral, not an answer' },
  { qname: 'deleg.diff.test', qtype: T.DS, why: 'DS at the cut is the parent\'s: NODATA' },
  { qname: 'outdeleg.diff.test', qtype: 'A', why: 'referral to out-of-zone servers, no glue' },
  { qname: 'x.outdeleg.diff.test', qtype: 'TXT', why: 'referral below an out-of-zone delegation' },
  { qname: 'mixdeleg.diff.test', qtype: 'A', why: 'referral with glue and an in-zone, non-glue NS' },
  { qname: 'x.wdeleg.diff.test', qtype: 'NS', why: 'delegation under a wildcard parent' },
  // The second zone.
  { qname: 'other.test', qtype: 'SOA', why: 'second zone apex' },
  { qname: 'other.test', qtype: 'NS', why: 'second zone NS, one out of zone' },
  { qname: 'www.other.test', qtype: 'A', why: 'second zone A' },
  { qname: 'back.other.test', qtype: 'A', why: 'chain from other.test into diff.test' },
  { qname: 'nope.other.test', qtype: 'A', why: 'NXDOMAIN in the second zone' },
  // Not ours.
  { qname: 'example.com', qtype: 'A', why: 'out of zone: REFUSED', mode: 'rcodeOnly', rcode: RCODE.REFUSED },
  { qname: 'test', qtype: 'NS', why: 'parent of our zones: REFUSED', mode: 'rcodeOnly', rcode: RCODE.REFUSED },
  { qname: '.', qtype: 'NS', why: 'root: REFUSED', mode: 'rcodeOnly', rcode: RCODE.REFUSED },
  { qname: 'diff.test.example.com', qtype: 'A', why: 'our name as a prefix: REFUSED', mode: 'rcodeOnly', rcode: RCODE.REFUSED },
  // Case preservation: the question and owners equal to it come back as asked.
  { qname: 'WwW.DiFf.TeSt', qtype: 'A', why: 'mixed case', checkCase: true },
  { qname: 'C1.DIFF.test', qtype: 'A', why: 'mixed case through a chain', checkCase: true },
  { qname: 'FoO.w.Diff.Test', qtype: 'TXT', why: 'mixed case wildcard', checkCase: true },
  { qname: 'NoPe.DIFF.TEST', qtype: 'A', why: 'mixed case NXDOMAIN', checkCase: true },
  { qname: 'DIFF.TEST', qtype: 'NS', why: 'mixed case apex', checkCase: true },
  // EDNS, DO, RD.
  { qname: 'www.diff.test', qtype: 'A', why: 'EDNS', edns: EDNS },
  { qname: 'diff.test', qtype: 'MX', why: 'EDNS with DO on an unsigned zone', edns: DO },
  { qname: 'nope.diff.test', qtype: 'A', why: 'NXDOMAIN with DO', edns: DO },
  { qname: 'www.deleg.diff.test', qtype: 'A', why: 'referral with EDNS', edns: EDNS },
  { qname: 'www.diff.test', qtype: 'A', why: 'RD copied, RA clear', rd: true },
  { qname: 'www.diff.test', qtype: 'A', why: 'EDNS payload below 512 counts as 512', edns: { payload: 100 } },
  // Size: mid fits 1232 but not 512; big needs TCP.
  { qname: 'mid.diff.test', qtype: 'A', why: 'over 512 without EDNS: TC', mode: 'truncated' },
  { qname: 'mid.diff.test', qtype: 'A', why: 'fits with EDNS 1232', edns: EDNS },
  { qname: 'mid.diff.test', qtype: 'A', why: 'EDNS payload 512: TC', edns: { payload: 512 }, mode: 'truncated' },
  { qname: 'mid.diff.test', qtype: 'A', why: 'over TCP', tcp: true },
  { qname: 'big.diff.test', qtype: 'TXT', why: 'over 512 without EDNS: TC', mode: 'truncated' },
  { qname: 'big.diff.test', qtype: 'TXT', why: 'over 1232 with EDNS: TC', edns: EDNS, mode: 'truncated' },
  { qname: 'big.diff.test', qtype: 'TXT', why: 'over 4096 payload still over our 1232 cap', edns: { payload: 4096 }, mode: 'truncated' },
  { qname: 'big.diff.test', qtype: 'TXT', why: 'over TCP: all 40 records', tcp: true },
  { qname: 'big.diff.test', qtype: 'TXT', why: 'over TCP with EDNS', tcp: true, edns: EDNS },
  // ANY: over TCP we give every RRset, NSD one; over UDP both give one (RFC 8482).
  { qname: 'diff.test', qtype: 'ANY', why: 'apex ANY over TCP', tcp: true, mode: 'fullAny' },
  { qname: 'www.diff.test', qtype: 'ANY', why: 'ANY over TCP', tcp: true, mode: 'fullAny' },
  { qname: 'foo.w.diff.test', qtype: 'ANY', why: 'ANY at a wildcard over TCP', tcp: true, mode: 'fullAny' },
  { qname: 'unk.diff.test', qtype: 'ANY', why: 'ANY at a name with an unknown type', tcp: true, mode: 'fullAny' },
  { qname: 'c1.diff.test', qtype: 'ANY', why: 'ANY at a CNAME over TCP: the CNAME only, ANY matches CNAME (RFC 1034 4.3.2 3a)', tcp: true, mode: 'fullAny' },
  { qname: 'c1.diff.test', qtype: 'ANY', why: 'ANY at a CNAME over UDP: the CNAME only', mode: 'minimalAny' },
  { qname: 'foo.wc.diff.test', qtype: 'ANY', why: 'ANY at a wildcard CNAME: the synthesised CNAME only', tcp: true, mode: 'fullAny' },
  { qname: 'ent.diff.test', qtype: 'ANY', why: 'ANY at an ENT: NODATA', tcp: true },
  { qname: 'nope.diff.test', qtype: 'ANY', why: 'ANY at a missing name: NXDOMAIN', tcp: true },
  { qname: 'www.deleg.diff.test', qtype: 'ANY', why: 'ANY below a cut: referral', tcp: true },
  { qname: 'deleg.diff.test', qtype: 'ANY', why: 'ANY at a cut: referral', tcp: true },
  { qname: 'diff.test', qtype: 'ANY', why: 'apex ANY over UDP', mode: 'minimalAny', edns: EDNS },
  { qname: 'www.diff.test', qtype: 'ANY', why: 'ANY over UDP', mode: 'minimalAny' },
  { qname: 'foo.w.diff.test', qtype: 'ANY', why: 'ANY at a wildcard over UDP', mode: 'minimalAny' },
  // Glue and long chains.
  { qname: 'x.bigdeleg.diff.test', qtype: 'A', why: 'referral whose glue overflows 512 bytes', mode: 'partialGlue' },
  { qname: 'x.bigdeleg.diff.test', qtype: 'A', why: 'the same referral with room for all glue', edns: EDNS },
  { qname: 'mxglue.diff.test', qtype: 'MX', why: 'MX whose exchange is glue below a cut: no additional from occluded data' },
  { qname: 'srvglue.diff.test', qtype: 'SRV', why: 'SRV whose target is glue below a cut: no additional from occluded data' },
  { qname: 'h1.diff.test', qtype: 'A', why: '14-hop chain: followed to the end (we follow up to 16)', mode: 'chainPrefix', edns: EDNS },
  { qname: 'h4.diff.test', qtype: 'A', why: '11-hop chain: followed to the end', edns: EDNS },
  { qname: 'x.c1.diff.test', qtype: 'A', why: 'below a CNAME owner: NXDOMAIN', rcode: RCODE.NXDOMAIN },
  { qname: 'x.*.w.diff.test', qtype: 'A', why: 'below the wildcard owner itself: NXDOMAIN (no *.*.w)', rcode: RCODE.NXDOMAIN },
  { qname: 'www.deleg.diff.test', qtype: T.DS, why: 'DS below a cut: referral' },
  { qname: 'ns2.deleg.diff.test', qtype: 'AAAA', why: 'glue AAAA: referral' },
  // Header bits and malformed messages.
  { qname: 'www.diff.test', qtype: 'A', why: 'CD and RD copied', cd: true, rd: true },
  { qname: 'www.diff.test', qtype: 'A', why: 'TC set in the query is ignored', raw: (id) => Buffer.concat([header(id, 0x0200, 1), WWW_Q]) },
  { qname: 'www.diff.test', qtype: 'A', why: 'Z header bit set in the query is ignored', raw: (id) => Buffer.concat([header(id, 0x0040, 1), WWW_Q]) },
  { qname: 'www.diff.test', qtype: 'A', why: 'unknown EDNS option (COOKIE, unsupported by both) ignored', raw: (id) => Buffer.concat([header(id, 0, 1, 0, 0, 1), WWW_Q, optRR(0, COOKIE)]) },
  { qname: 'www.diff.test', qtype: 'A', why: 'EDNS Z flags set: ignored, not echoed', raw: (id) => Buffer.concat([header(id, 0, 1, 0, 0, 1), WWW_Q, optRR(0x0000407f)]) },
  { qname: '(none)', qtype: 'A', why: 'QDCOUNT 0: FORMERR', raw: (id) => header(id, 0, 0), mode: 'rcodeOnly', rcode: RCODE.FORMERR },
  { qname: 'www.diff.test', qtype: 'A', why: 'QDCOUNT 2: FORMERR', raw: (id) => Buffer.concat([header(id, 0, 2), WWW_Q, WWW_Q]), mode: 'rcodeOnly', rcode: RCODE.FORMERR },
  { qname: 'www.diff.test', qtype: 'A', why: 'question cut short: FORMERR', raw: (id) => Buffer.concat([header(id, 0, 1), WWW_Q.subarray(0, 6)]), mode: 'rcodeOnly', rcode: RCODE.FORMERR },
  { qname: 'www.diff.test', qtype: 'A', why: 'two OPT records: FORMERR (RFC 6891 6.1.1)', raw: (id) => Buffer.concat([header(id, 0, 1, 0, 0, 2), WWW_Q, optRR(0), optRR(0)]), mode: 'rcodeOnly', rcode: RCODE.FORMERR },
  { qname: 'www.diff.test', qtype: 'A', why: 'QR set: a response is never answered', raw: (id) => Buffer.concat([header(id, 0x8000, 1), WWW_Q]), mode: 'silent' },
  // A query carrying an answer record: NSD calls it FORMERR, we ignore the record (RFC 1035 does not forbid it).
  { qname: 'www.diff.test', qtype: 'A', why: 'ANCOUNT 1 in a query: answered (NSD: FORMERR)', raw: (id) => Buffer.concat([header(id, 0, 1, 1), WWW_Q, STRAY_A]), mode: 'rcodeOnly', rcode: RCODE.NOERROR, nsdRcode: RCODE.FORMERR },
  // Opcodes, classes, EDNS versions, transfers.
  { qname: 'diff.test', qtype: 'SOA', why: 'opcode STATUS: NOTIMP', opcode: OPCODE_STATUS, mode: 'rcodeOnly', rcode: RCODE.NOTIMP },
  { qname: 'diff.test', qtype: 'SOA', why: 'opcode 3 (unassigned): NOTIMP', opcode: 3, mode: 'rcodeOnly', rcode: RCODE.NOTIMP },
  // NOTIFY: we implement no secondary side, so NOTIMP; NSD, primary here with no allow-notify, says REFUSED.
  { qname: 'diff.test', qtype: 'SOA', why: 'opcode NOTIFY: NOTIMP (NSD: REFUSED)', opcode: OPCODE_NOTIFY, mode: 'rcodeOnly', rcode: RCODE.NOTIMP, nsdRcode: RCODE.REFUSED },
  { qname: 'diff.test', qtype: 'SOA', why: 'class CH: REFUSED', qclass: CLASS_CH, mode: 'rcodeOnly', rcode: RCODE.REFUSED },
  { qname: 'version.bind', qtype: 'TXT', why: 'CH version.bind: REFUSED (NSD with hide-version)', qclass: CLASS_CH, mode: 'rcodeOnly', rcode: RCODE.REFUSED },
  { qname: 'www.diff.test', qtype: 'A', why: 'EDNS version 1: BADVERS', edns: { payload: 1232, version: 1 }, mode: 'rcodeOnly', rcode: RCODE.BADVERS },
  { qname: 'diff.test', qtype: 'AXFR', why: 'AXFR over TCP without transfer rights: REFUSED', tcp: true, mode: 'rcodeOnly', rcode: RCODE.REFUSED },
  // QCLASS * (RFC 1035 3.2.5): NSD answers from its IN data with AA clear; we refuse (policy, IN only).
  { qname: 'www.diff.test', qtype: 'A', why: 'QCLASS ANY: REFUSED (NSD: non-authoritative IN answer)', qclass: CLASS_ANY, mode: 'rcodeOnly', rcode: RCODE.REFUSED, nsdRcode: RCODE.NOERROR },
];

// ---------------------------------------------------------------------------
// Comparison

interface View {
  qr: boolean;
  opcode: number;
  rcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  cd: boolean;
  question: string | null;
  answer: string[];
  authority: string[];
  additional: string[];
  opt: string | null;
}

const rrKey = (r: RR): string => `${r.name} ${r.class === 1 ? 'IN' : `CLASS${r.class}`} ${typeLabel(r.type)} ${r.ttl} ${r.data}`;
const setOf = (rrs: RR[]): string[] => rrs.map(rrKey).sort();

function typeLabel(t: number): string {
  const name = Object.entries(T).find(([, v]) => v === t)?.[0];
  return name && name !== 'UNKNOWN' ? name : `TYPE${t}`;
}

function view(m: Message): View {
  return {
    qr: m.qr,
    opcode: m.opcode,
    rcode: m.rcode,
    aa: m.aa,
    tc: m.tc,
    rd: m.rd,
    ra: m.ra,
    cd: m.cd,
    question: m.question ? `${m.question.name} ${m.question.class} ${typeLabel(m.question.type)}` : null,
    answer: setOf(m.answer),
    authority: setOf(m.authority),
    additional: setOf(m.additional),
    // The payload each side advertises is its own business; version and DO echo are not.
    opt: m.opt ? `version=${m.opt.version} do=${m.opt.dnssecOk}` : null,
  };
}

/**
 * NSD (minimal-responses: no, its default) puts the zone's apex NS RRset in
 * the authority section of positive answers and their addresses in the
 * additional section. RFC 1034 4.3.2 allows but does not require it;
 * pulsedns leaves it out. Drop exactly that from NSD's answer: the apex NS
 * RRset from authority when the answer section is non-empty, and additional
 * addresses of those NS targets that nothing else left in the message points to.
 */
function nsdNormal(m: Message): Message {
  if (m.answer.length === 0) return m;
  const isApexNs = (r: RR): boolean => r.type === T.NS && ZONE_APEXES.has(r.name);
  const dropped = m.authority.filter(isApexNs);
  if (dropped.length === 0) return m;
  const authority = m.authority.filter((r) => !isApexNs(r));
  const stillWanted = new Set<string>();
  for (const r of [...m.answer, ...authority]) {
    const target = targetOf(r);
    if (target) stillWanted.add(target);
  }
  const droppedTargets = new Set(dropped.map((r) => r.data));
  const additional = m.additional.filter((r) => !(droppedTargets.has(r.name) && !stillWanted.has(r.name) && (r.type === T.A || r.type === T.AAAA)));
  return { ...m, authority, additional };
}

function targetOf(r: RR): string | undefined {
  if (r.type === T.NS) return r.data;
  if (r.type === T.MX) return r.data.split(' ')[1];
  if (r.type === T.SRV) return r.data.split(' ')[3];
  return undefined;
}

function render(label: string, raw: Buffer): string {
  const m = parseMessage(raw);
  const v = view(m);
  const lines = [
    `${label}: rcode=${v.rcode} opcode=${v.opcode} flags=${['qr', 'aa', 'tc', 'rd', 'ra', 'cd'].filter((f) => v[f as 'qr']).join(',')} opt=${v.opt} size=${m.size}`,
    `  question: ${v.question}`,
    ...(['answer', 'authority', 'additional'] as const).flatMap((s) => v[s].map((r) => `  ${s}: ${r}`)),
  ];
  return lines.join('\n');
}

/** The question name and every answer owner, as spelled on the wire. */
function spelledNames(buf: Buffer): { question: string; answerOwners: string[] } {
  const q = readName(buf, 12);
  let pos = q.end + 4;
  const owners: string[] = [];
  for (let i = 0; i < buf.readUInt16BE(6); i++) {
    const o = readName(buf, pos);
    owners.push(o.name);
    pos = o.end + 8;
    pos += 2 + buf.readUInt16BE(pos);
  }
  return { question: q.name, answerOwners: owners };
}

/** Types present anywhere in the fixtures; the per-type oracle for ANY asks each. */
const FIXTURE_TYPES = [T.A, T.NS, T.CNAME, T.SOA, T.PTR, T.HINFO, T.MX, T.TXT, T.AAAA, T.SRV, T.NAPTR, T.DS, T.SSHFP, T.DNSKEY, T.TLSA, T.SVCB, T.HTTPS, T.URI, T.CAA, T.UNKNOWN];

/**
 * Every RRset NSD holds at `qname` (what a full ANY answer must hold), from
 * one TCP query per type: keep records owned by qname of the type asked.
 */
async function rrsetsAt(nsd: Target, qname: string): Promise<{ answer: RR[] }> {
  const msgs = FIXTURE_TYPES.map((t, i) => buildQuery(qname, t, { id: 7000 + i }));
  const replies = (await tcpExchange(nsd, msgs)).map(parseMessage);
  const owner = (qname.endsWith('.') ? qname : qname + '.').toLowerCase();
  const answer: RR[] = [];
  replies.forEach((m, i) => {
    answer.push(...m.answer.filter((r) => r.name === owner && r.type === FIXTURE_TYPES[i]));
  });
  return { answer };
}

async function exchange(target: Target, c: Case, id: number): Promise<Buffer> {
  if (c.raw) return udpExchange(target, c.raw(id));
  const opts: QueryOptions = { id };
  if (c.edns) opts.edns = c.edns;
  if (c.rd) opts.rd = true;
  if (c.cd) opts.cd = true;
  if (c.opcode !== undefined) opts.opcode = c.opcode;
  if (c.qclass !== undefined) opts.qclass = c.qclass;
  const msg = buildQuery(c.qname, c.qtype, opts);
  return c.tcp ? (await tcpExchange(target, [msg]))[0]! : udpExchange(target, msg);
}

function label(c: Case): string {
  const how = [c.raw ? 'raw' : '', c.tcp ? 'tcp' : 'udp', c.edns ? `edns${c.edns.version ? `v${c.edns.version}` : ''}/${c.edns.payload ?? 1232}${c.edns.dnssecOk ? '+do' : ''}` : '', c.rd ? 'rd' : '', c.cd ? 'cd' : '', c.opcode !== undefined ? `opcode=${c.opcode}` : '', c.qclass !== undefined ? `class=${c.qclass}` : ''].filter(Boolean).join(' ');
  return `${c.qname} ${c.qtype} [${how}]: ${c.why}`;
}

async function runCase(t: TestContext, c: Case, pulse: Target, nsd: Target, id: number): Promise<void> {
  if (c.mode === 'silent') {
    const silent = (target: Target): Promise<boolean> => udpExchange(target, c.raw!(id), 300).then(() => false, () => true);
    const [ourSilence, theirSilence] = await Promise.all([silent(pulse), silent(nsd)]);
    assert.ok(theirSilence, 'NSD does not answer');
    assert.ok(ourSilence, 'pulsedns does not answer');
    return;
  }
  const [oursRaw, theirsRaw] = await Promise.all([exchange(pulse, c, id), exchange(nsd, c, id)]);
  await compare(t, c, oursRaw, theirsRaw, nsd, id);
}

/** Asserts the two answers to case `c` agree (as far as `c.mode` says they must). */
async function compare(t: TestContext, c: Case, oursRaw: Buffer, theirsRaw: Buffer, nsd: Target, id: number): Promise<void> {
  const ours = parseMessage(oursRaw);
  const theirs = parseMessage(theirsRaw);
  const context = `\n${render('pulsedns', oursRaw)}\n${render('nsd', theirsRaw)}`;
  if (process.env.PULSEDNS_DIFF_VERBOSE) t.diagnostic(context);
  const mode = c.mode ?? 'full';

  assert.equal(ours.id, id, 'pulsedns echoes the ID');
  assert.equal(ours.qr, true, 'pulsedns sets QR');
  assert.equal(theirs.qr, true, 'NSD sets QR');
  if (c.nsdRcode !== undefined) {
    assert.equal(theirs.rcode, c.nsdRcode, `NSD rcode${context}`);
    assert.equal(ours.rcode, c.rcode, `pulsedns rcode${context}`);
  } else {
    assert.equal(ours.rcode, theirs.rcode, `rcode differs${context}`);
    if (c.rcode !== undefined) assert.equal(ours.rcode, c.rcode, `expected rcode ${c.rcode}${context}`);
  }

  if (c.checkCase) {
    const asked = c.qname.endsWith('.') ? c.qname : c.qname + '.';
    const spelled = spelledNames(oursRaw);
    assert.equal(spelled.question, asked, 'question name echoed in the case asked');
    const owned = spelled.answerOwners.filter((o) => o.toLowerCase() === asked.toLowerCase());
    if (ours.answer.some((r) => r.name === asked.toLowerCase())) assert.ok(owned.length > 0, 'some answer is owned by the query name');
    for (const o of owned) assert.equal(o, asked, `answer owner spelled as asked${context}`);
  }

  if (mode === 'rcodeOnly') return;

  // RFC 4035 section 3: a name server MUST copy CD from the query. NSD 4.6 clears it, so
  // this is checked against the query, not against NSD.
  assert.equal(ours.cd, Boolean(c.cd), `pulsedns copies CD${context}`);

  const o = view(ours);
  if (mode === 'truncated') {
    // What is left in a truncated message is taste (RFC 2181 9; today both
    // send no records at all). TC and the rest of the header are not.
    assert.equal(o.tc, true, `pulsedns sets TC${context}`);
    assert.equal(theirs.tc, true, `NSD sets TC (fixture no longer too big?)${context}`);
    assert.equal(o.aa, theirs.aa, `AA differs${context}`);
    assert.equal(o.question, view(theirs).question, `question differs${context}`);
    assert.equal(o.opt, view(theirs).opt, `OPT differs${context}`);
    assert.ok(ours.size <= (c.edns ? Math.max(512, Math.min(c.edns.payload ?? 512, 1232)) : 512), `pulsedns answer fits the UDP limit (${ours.size} bytes)`);
    return;
  }

  if (mode === 'fullAny' || mode === 'minimalAny') {
    const oracle = await rrsetsAt(nsd, c.qname);
    assert.equal(o.aa, theirs.aa, `AA differs${context}`);
    assert.equal(o.tc, false, `ANY answer fits${context}`);
    assert.deepEqual(o.authority, view(theirs).authority, `authority differs${context}`);
    if (mode === 'minimalAny') {
      // Which RRset is taste; that it is one whole RRset of the name is not.
      const kinds = new Set(ours.answer.map((r) => `${r.name} ${r.type}`));
      assert.equal(kinds.size, 1, `pulsedns answers exactly one RRset to ANY over UDP${context}`);
      const first = ours.answer[0]!;
      const want = oracle.answer.filter((r) => r.name === first.name && r.type === first.type);
      assert.deepEqual(o.answer, setOf(want), `the RRset is whole and matches NSD's answer for that type${context}`);
    } else {
      assert.deepEqual(o.answer, setOf(oracle.answer), `ANY over TCP gives every RRset NSD holds at the name${context}\noracle (NSD, one query per type):\n${setOf(oracle.answer).join('\n')}`);
      const mine = new Set(o.answer);
      for (const r of view(theirs).answer) assert.ok(mine.has(r), `NSD's ANY RRset is among ours: ${r}`);
    }
    // No additional data for ANY: NSD, Knot and BIND send none there.
    assert.deepEqual(o.additional, view(theirs).additional, `additional section of ANY${context}`);
    return;
  }

  if (mode === 'partialGlue') {
    const n = view(theirs);
    assert.deepEqual([o.aa, o.tc, o.answer, o.authority], [n.aa, n.tc, n.answer, n.authority], `all but additional match${context}`);
    const all = parseMessage((await tcpExchange(nsd, [buildQuery(c.qname, c.qtype, { id })]))[0]!);
    const glue = new Set(view(all).additional);
    assert.ok(o.additional.length > 0, 'some glue fits');
    for (const r of o.additional) assert.ok(glue.has(r), `additional ${r} is glue NSD gives over TCP${context}`);
    return;
  }

  if (mode === 'chainPrefix') {
    const n = view(theirs);
    assert.deepEqual([o.aa, o.tc, o.authority], [n.aa, n.tc, []], `header and authority${context}`);
    // We follow at most 12 CNAMEs and then stop without looking at the last target.
    assert.ok(ours.answer.length >= Math.min(12, theirs.answer.length), `we follow at least 12 hops${context}`);
    // In chain order: each CNAME's owner is the previous one's target, starting at the query name.
    let owner = ours.question!.name;
    for (const r of ours.answer) {
      assert.equal(r.name, owner, `chain is unbroken${context}`);
      assert.ok(n.answer.includes(rrKey(r)), `${rrKey(r)} is in NSD's chain`);
      owner = r.data;
    }
    return;
  }

  const n = view(nsdNormal(theirs));
  assert.deepEqual(
    { aa: o.aa, tc: o.tc, rd: o.rd, ra: o.ra, opcode: o.opcode, question: o.question, opt: o.opt },
    { aa: n.aa, tc: n.tc, rd: n.rd, ra: n.ra, opcode: n.opcode, question: n.question, opt: n.opt },
    `header differs${context}`,
  );
  assert.deepEqual(o.answer, n.answer, `answer section differs${context}`);
  assert.deepEqual(o.authority, n.authority, `authority section differs${context}`);
  assert.deepEqual(o.additional, n.additional, `additional section differs${context}`);
}

// ---------------------------------------------------------------------------
// Sweep: every fixture type at every name (owners, the empty non-terminals
// above them, a name under each wildcard, one missing name per zone), over
// TCP so size never gets in the way.

/** (name, type) pairs the sweep leaves to the corpus cases that mark them as known bugs. */
const SWEEP_KNOWN_BUGS = new Map<string, string>([]);
/** Chains longer than we follow; compared with chainPrefix (except qtype CNAME). */
const LONG_CHAINS = new Set<string>([]);

/** Names to sweep, from the fixture files themselves (not from pulsedns' loader). */
function sweepNames(dir: string): string[] {
  const names = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
    const apex = file.replace(/\.yaml$/, '') + '.';
    const doc = parseYaml(readFileSync(join(dir, file), 'utf8')) as { records?: Record<string, unknown> };
    names.add(apex);
    names.add(`nx-sweep.${apex}`);
    for (const owner of Object.keys(doc.records ?? {})) {
      let name = owner === '@' ? apex : `${owner.toLowerCase()}.${apex}`;
      if (name.startsWith('*.')) names.add(`sweep${name.slice(1)}`);
      while (name !== apex) {
        names.add(name);
        name = name.slice(name.indexOf('.') + 1);
      }
    }
  }
  return [...names].sort();
}

async function sweepName(t: TestContext, name: string, pulse: Target, nsd: Target, firstId: number): Promise<void> {
  const cases: Case[] = FIXTURE_TYPES.filter((type) => !SWEEP_KNOWN_BUGS.has(`${name} ${type}`)).map((type) => ({
    qname: name,
    qtype: type,
    why: 'sweep',
    tcp: true,
    mode: LONG_CHAINS.has(name) && type !== T.CNAME ? 'chainPrefix' : 'full',
  }));
  const msgs = cases.map((c, i) => buildQuery(c.qname, c.qtype, { id: firstId + i }));
  // Servers may answer pipelined TCP queries in any order (RFC 7766): match by ID.
  const byId = (answers: Buffer[]): Map<number, Buffer> => new Map(answers.map((a) => [a.readUInt16BE(0), a]));
  const [ours, theirs] = await Promise.all([tcpExchange(pulse, msgs).then(byId), tcpExchange(nsd, msgs).then(byId)]);
  const failures: string[] = [];
  for (const [i, c] of cases.entries()) {
    try {
      await compare(t, c, ours.get(firstId + i)!, theirs.get(firstId + i)!, nsd, firstId + i);
    } catch (e) {
      failures.push(`${name} ${typeLabel(Number(c.qtype))}: ${(e as Error).message}`);
    }
  }
  if (failures.length) throw new Error(failures.join('\n\n'));
}

// ---------------------------------------------------------------------------

test('pulsedns answers like NSD on the differential corpus', { timeout: 50_000 }, async (t) => {
  const nsdPath = needTool(t, 'nsd');
  if (!nsdPath) return;
  const zones = fixturesDir();
  assert.ok(CORPUS.length >= 60, 'corpus has at least 60 queries');

  let pulse: Spawned | undefined;
  let nsd: NsdServer | undefined;
  try {
    [pulse, nsd] = await Promise.all([startPulse(zones), startNsd(exportZones(zones), { nsdPath })]);
    const ours: Target = { host: pulse.host, port: pulse.port };
    const theirs: Target = { host: nsd.host, port: nsd.port };
    let id = 1000;
    for (const c of CORPUS) {
      const caseId = id++;
      await t.test(label(c), c.bug ? { todo: c.bug } : {}, (st) => runCase(st, c, ours, theirs, caseId));
    }
    const names = sweepNames(zones);
    await t.test(`sweep: ${FIXTURE_TYPES.length} types at each of ${names.length} names over TCP`, async (st) => {
      let sweepId = 20000;
      for (const name of names) {
        const first = sweepId;
        sweepId += FIXTURE_TYPES.length;
        await st.test(name, (nt) => sweepName(nt, name, ours, theirs, first));
      }
    });
  } finally {
    await Promise.all([pulse?.stop(), nsd?.stop()]);
  }
});
