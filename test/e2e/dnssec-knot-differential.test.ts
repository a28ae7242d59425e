// pulsedns's signed answers against Knot DNS with mod-onlinesign (issue 11:
// "the behaviour oracle where RFCs leave room"). Both serve the differential
// test's diff.test zone, signed with the SAME key (made by createKey,
// imported into Knot with keymgr; ECDSA P-256 and Ed25519 in turn), on
// 127.0.0.1. Every query of the corpus goes to both with DO set; each answer
// is reduced to its shape (rcode, AA, TC, per section the RRsets with TTL and
// data, which ones carry an RRSIG and that RRSIG's covered type, algorithm,
// labels, original TTL, signer and key tag, and NSEC next names and type
// bitmaps; never signature bytes or validity times) and the shapes must be
// equal once the documented differences below are taken out. Anything else
// fails with a diff naming the section and the lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type, typeName } from '../../server/wire/constants.js';
import { nameFromText, nameToText } from '../../server/wire/names.js';
import { createKey } from '../../server/dnssec/keys.js';
import { parseRrsig } from '../../server/dnssec/sign.js';
import { parseNsecRdata } from '../../server/dnssec/denial.js';
import { needTool } from '../support/tools.js';
import { startPulse } from '../support/server.js';
import { query, type Target } from '../support/client.js';
import { rawRdata, type Message, type RR } from '../support/dnsmsg.js';
import { exportZones } from '../support/nsd.js';
import { freePort } from '../support/ports.js';
import { importKeyIntoKnot, startKnot, writeKnotConf } from '../support/knot.js';

const FIXTURES = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'diff');
const ORIGIN = 'diff.test';
const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];
const SECTIONS = ['answer', 'authority', 'additional'] as const;
type Section = (typeof SECTIONS)[number];

/** An answer reduced to what must agree: one sorted line per RRset, RRSIG and NSEC. */
interface Shape {
  header: string;
  answer: string[];
  authority: string[];
  additional: string[];
}

function rrsetLines(rrs: RR[]): string[] {
  const lines: string[] = [];
  const sets = new Map<string, RR[]>();
  for (const rr of rrs) {
    if (rr.type === 46) {
      const f = parseRrsig(rawRdata(rr));
      lines.push(`${rr.name} RRSIG(${typeName(f.typeCovered)}) ttl=${rr.ttl} alg=${f.algorithm} labels=${f.labels} orig=${f.originalTtl} signer=${nameToText(f.signer)} tag=${f.keyTag}`);
    } else if (rr.type === 47) {
      const n = parseNsecRdata(rawRdata(rr));
      lines.push(`${rr.name} NSEC ttl=${rr.ttl} next=${nameToText(n.next).toLowerCase()} types=${n.types.map(typeName).join(' ')}`);
    } else {
      const k = `${rr.name} ${typeName(rr.type)}`;
      sets.set(k, [...(sets.get(k) ?? []), rr]);
    }
  }
  for (const [k, set] of sets) {
    const ttls = [...new Set(set.map((r) => r.ttl))].join(',');
    lines.push(`${k} ttl=${ttls} ${set.map((r) => r.data).sort().join(' | ')}`);
  }
  return lines.sort();
}

function shapeOf(m: Message): Shape {
  return {
    header: `rcode=${RCODES[m.rcode] ?? m.rcode} aa=${Number(m.aa)} tc=${Number(m.tc)}`,
    answer: rrsetLines(m.answer),
    authority: rrsetLines(m.authority),
    additional: rrsetLines(m.additional),
  };
}

interface Query {
  name: string;
  type: string;
  /** Smaller EDNS payload than the default 1232 (truncation cases). */
  payload?: number;
  tcp?: boolean;
  /** Sets the Compact Answers OK flag (RFC 9824). */
  co?: boolean;
}

type DiffId = keyof typeof DIFFERENCES;

interface Case extends Query {
  why: string;
  /** Documented differences this answer is expected to show (each must still be needed). */
  allow?: DiffId[];
}

/** Rewrites one side's shape; `q` is the query both were asked. */
type Rewrite = (s: Shape, q: Query) => Shape;

const mapLines = (s: Shape, f: (line: string, section: Section) => string | null): Shape => {
  const out: Shape = { header: s.header, answer: [], authority: [], additional: [] };
  for (const sec of SECTIONS) out[sec] = s[sec].flatMap((l) => f(l, sec) ?? []).sort();
  return out;
};

/**
 * The type Knot is told to add to every NSEC it makes (its nsec-bitmap,
 * default A AAAA): one no zone here holds, so the padding can be told apart
 * from the types a name really has.
 */
const KNOT_PAD = 'NULL';
const KNOT_PAD_SHOWN = typeName(10); // how the shape spells NULL

/** The same rewrite for both servers' answers. */
const bothSides = (f: Rewrite): { pulse: Rewrite; knot: Rewrite } => ({ pulse: f, knot: f });

const withTypes = (line: string, keep: (type: string) => boolean): string =>
  line.replace(/types=(.*)$/, (_m, ts: string) => `types=${ts.split(' ').filter(keep).join(' ')}`);

/**
 * Where pulsedns and Knot 3.2.6 mod-onlinesign legitimately differ (each
 * checked against what both actually answer; docs/dnssec.md "Compared with
 * Knot mod-onlinesign" lists the same). `always` entries apply to every case;
 * the others only to cases that name them, and such a case fails when the
 * difference is gone (so the table cannot keep stale entries).
 */
const DIFFERENCES = {
  'served-serial': {
    always: true,
    why: 'pulsedns serves a signed zone with its SOA serial ahead of the file\'s (docs/dnssec.md "The served serial of a signed zone") so secondaries refetch before signatures expire; Knot onlinesign serves the file\'s serial',
    ...bothSides((s) => mapLines(s, (l) => l.replace(/^(\S+ SOA ttl=\d+ \S+ \S+) \d+/, '$1 <serial>'))),
  },
  'negative-soa-rrsig-ttl': {
    always: true,
    why: 'in negative answers both send the SOA with TTL min(SOA TTL, MINIMUM) (RFC 2308, RFC 9077); pulsedns signs that SOA as sent, Knot sends the zone SOA\'s RRSIG (TTL and original TTL 7200) next to it, against RFC 4034 section 3 ("The TTL value of an RRSIG RR MUST match the TTL value of the RRset it covers"). Both validate; Knot\'s is rewritten to the TTL of the SOA it sent',
    knot: (s: Shape) => {
      const soa = s.authority.map((l) => /^(\S+) SOA ttl=(\d+) /.exec(l)).find((m) => m);
      if (!soa) return s;
      return mapLines(s, (l, sec) => (sec === 'authority' && l.startsWith(`${soa[1]} RRSIG(SOA) `) ? l.replace(/ttl=\d+/, `ttl=${soa[2]}`).replace(/orig=\d+/, `orig=${soa[2]}`) : l));
    },
  },
  'knot-bitmap-padding': {
    always: true,
    why: `Knot adds the types of its nsec-bitmap option (default A AAAA; ${KNOT_PAD} in this test), minus the type asked, to every NSEC it makes, NODATA and empty non-terminals included; pulsedns lists only the types the name has (RFC 9824). Knot's padding type is dropped`,
    knot: (s: Shape) => mapLines(s, (l) => (/ NSEC /.test(l) ? withTypes(l, (t) => t !== KNOT_PAD_SHOWN) : l)),
  },
  'nxname': {
    why: 'a name that does not exist: both answer NOERROR with an NSEC at the name (Knot\'s "black lies"); pulsedns adds the NXNAME type of RFC 9824 to its bitmap, Knot 3.2 (older than RFC 9824) does not',
    pulse: (s: Shape) => mapLines(s, (l) => (/ NSEC .* types=RRSIG NSEC NXNAME$/.test(l) ? withTypes(l, (t) => t !== 'NXNAME') : l)),
  },
  'co-nxdomain': {
    why: 'with the CO flag (RFC 9824 section 5) pulsedns restores the NXDOMAIN rcode for a missing name; Knot 3.2 does not know CO and answers NOERROR',
    pulse: (s: Shape) => ({ ...s, header: s.header.replace('rcode=NXDOMAIN', 'rcode=NOERROR') }),
  },
  'referral-ds': {
    why: 'a referral to a signed child: pulsedns puts the DS RRset and its RRSIG in the authority section (RFC 4035 section 3.1.4); Knot 3.2 onlinesign sends an NSEC at the cut whose bitmap says DS exists instead, so a validator has to ask for the DS separately',
    pulse: (s: Shape) => mapLines(s, (l, sec) => (sec !== 'authority' ? l : / DS ttl=/.test(l) ? l.replace(/ DS .*$/, ' <DS of a signed child>') : / RRSIG\(DS\) /.test(l) ? null : l)),
    knot: (s: Shape) => mapLines(s, (l, sec) => (sec !== 'authority' ? l : / NSEC .* types=NS DS RRSIG NSEC$/.test(l) ? l.replace(/ NSEC .*$/, ' <DS of a signed child>') : / RRSIG\(NSEC\) /.test(l) ? null : l)),
  },
  'glue-tc': {
    why: 'a referral whose in-domain glue does not all fit over UDP: Knot sets TC as RFC 9471 requires, pulsedns (like NSD 4.6) drops glue with TC=0 (docs/differences-from-nsd.md, "Both differ from a newer RFC"); which glue is kept is each server\'s choice (RFC 2181 section 9). Knot\'s TC and both additional sections are left out; the NS and the no-DS proof must agree',
    pulse: (s: Shape) => ({ ...s, additional: [] }),
    knot: (s: Shape) => ({ ...s, header: s.header.replace('tc=1', 'tc=0'), additional: [] }),
  },
  'cds-ttl': {
    why: 'both publish CDS and CDNSKEY for the shared key (RFC 7344, RFC 8078; Knot told to with cds-cdnskey-publish: always) with the same data; Knot gives them TTL 0, pulsedns the DNSKEY TTL. The TTLs are left out',
    ...bothSides((s) => mapLines(s, (l) => (/ (CDS|CDNSKEY|RRSIG\((CDS|CDNSKEY)\)) ttl=/.test(l) ? l.replace(/ttl=\d+/, 'ttl=<cds>').replace(/orig=\d+/, 'orig=<cds>') : l))),
  },
  'apex-bitmap-cds': {
    why: 'Knot serves CDS and CDNSKEY at the apex but leaves them out of the apex NSEC bitmap; pulsedns lists every type the apex has (RFC 4034 section 4.1.2). They are dropped from pulsedns\'s apex bitmap',
    pulse: (s: Shape) => mapLines(s, (l) => (l.startsWith(`${ORIGIN}. NSEC `) ? withTypes(l, (t) => t !== 'CDS' && t !== 'CDNSKEY') : l)),
  },
} satisfies Record<string, { always?: boolean; why: string; pulse?: Rewrite; knot?: Rewrite }>;

const CORPUS: Case[] = [
  // Apex and positive answers.
  { name: ORIGIN, type: 'SOA', why: 'apex SOA' },
  { name: ORIGIN, type: 'NS', why: 'apex NS, in-zone server addresses as additional data' },
  { name: ORIGIN, type: 'DNSKEY', why: 'the shared key' },
  { name: ORIGIN, type: 'CDS', why: 'CDS at the apex', allow: ['cds-ttl'] },
  { name: ORIGIN, type: 'CDNSKEY', why: 'CDNSKEY at the apex', allow: ['cds-ttl'] },
  { name: 'www.diff.test', type: 'A', why: 'plain A, two records' },
  { name: 'www.diff.test', type: 'AAAA', why: 'plain AAAA' },
  { name: ORIGIN, type: 'MX', why: 'MX with an in-zone exchange' },
  { name: 'txt.diff.test', type: 'TXT', why: 'TXT with several strings and one over 255 bytes' },
  { name: 'unk.diff.test', type: 'TYPE65280', why: 'an unknown type' },
  { name: 'svc.diff.test', type: 'DNSKEY', why: 'a DNSKEY below the apex (zone data, not a zone key)' },
  { name: 'www.diff.test', type: 'ANY', why: 'ANY' },
  // CNAME chains and wildcards.
  { name: 'c1.diff.test', type: 'A', why: 'CNAME chain c1 -> c2 -> c3 -> www' },
  { name: 'c1.diff.test', type: 'CNAME', why: 'CNAME asked for itself' },
  { name: 'cnx1.diff.test', type: 'A', why: 'CNAME chain ending at a missing name', allow: ['nxname'] },
  { name: 'x.w.diff.test', type: 'A', why: 'wildcard match, signed as the query name' },
  { name: 'a.b.sub.w.diff.test', type: 'A', why: 'wildcard below an ENT, two labels deep' },
  { name: 'x.wc.diff.test', type: 'A', why: 'wildcard CNAME into a chain' },
  { name: 'cwild.diff.test', type: 'A', why: 'CNAME into a wildcard' },
  { name: 'q.wmx.diff.test', type: 'MX', why: 'wildcard MX with in-zone exchange (additional data)' },
  { name: '*.w.diff.test', type: 'A', why: 'the wildcard owner asked literally' },
  // Negative answers.
  { name: 'www.diff.test', type: 'TXT', why: 'NODATA at an existing name' },
  { name: 'host.w.diff.test', type: 'A', why: 'NODATA at a name holding only MX' },
  { name: ORIGIN, type: 'SRV', why: 'NODATA at the apex', allow: ['apex-bitmap-cds'] },
  { name: 'ent.diff.test', type: 'A', why: 'NODATA at an empty non-terminal' },
  { name: 'deep.w.diff.test', type: 'A', why: 'an ENT under a wildcard owner' },
  { name: 'x.w.diff.test', type: 'AAAA', why: 'wildcard NODATA' },
  { name: 'nothing.diff.test', type: 'A', why: 'a name that does not exist', allow: ['nxname'] },
  { name: 'a.b.nothing.diff.test', type: 'TXT', why: 'a missing name further down', allow: ['nxname'] },
  { name: 'x.y.www.diff.test', type: 'A', why: 'below an existing leaf', allow: ['nxname'] },
  { name: 'nothing.diff.test', type: 'A', co: true, why: 'a missing name asked with CO', allow: ['nxname', 'co-nxdomain'] },
  // Referrals and DS.
  { name: 'host.signed.diff.test', type: 'A', why: 'referral to a signed child (DS at the cut)', allow: ['referral-ds'] },
  { name: 'host.outdeleg.diff.test', type: 'A', why: 'referral to an insecure child: proof of no DS' },
  { name: 'host.deleg.diff.test', type: 'A', why: 'insecure referral with glue' },
  { name: 'mixdeleg.diff.test', type: 'A', why: 'referral with in-zone and in-bailiwick servers' },
  { name: 'bigdeleg.diff.test', type: 'A', why: 'referral whose glue needs room' },
  { name: 'bigdeleg.diff.test', type: 'A', payload: 512, why: 'referral whose glue does not fit 512 bytes', allow: ['glue-tc'] },
  { name: 'signed.diff.test', type: 'DS', why: 'DS query at a cut, answered by the parent' },
  { name: 'host.signed.diff.test', type: 'DS', why: 'DS below a cut: a referral', allow: ['referral-ds'] },
  { name: 'outdeleg.diff.test', type: 'DS', why: 'DS query at an insecure cut: NODATA' },
  { name: 'mail.diff.test', type: 'DS', why: 'DS query at a name that is no cut: NODATA' },
  { name: ORIGIN, type: 'DS', why: 'DS at our own apex: the parent\'s data, not ours', allow: ['apex-bitmap-cds'] },
  // The NSEC at a name is answered as data (a NODATA for it could not be proven).
  { name: 'nothing.diff.test', type: 'NSEC', why: 'NSEC asked at a missing name', allow: ['nxname'] },
  { name: 'www.diff.test', type: 'NSEC', why: 'NSEC asked at an existing name' },
  { name: 'ent.diff.test', type: 'NSEC', why: 'NSEC asked at an empty non-terminal' },
  { name: 'c1.diff.test', type: 'NSEC', why: 'NSEC asked at a CNAME owner: the owner\'s NSEC, no chase (RFC 4035 2.5)' },
  { name: 'www.diff.test', type: 'TYPE46', why: 'RRSIG (type 46) asked directly: refused (signatures are made per RRset)' },
  { name: 'c1.diff.test', type: 'TYPE46', why: 'RRSIG (type 46) asked at a CNAME owner' },
  // Size: truncation over UDP, the whole answer over TCP.
  { name: 'big.diff.test', type: 'TXT', payload: 1232, why: 'a large RRset over UDP: truncated' },
  { name: 'mid.diff.test', type: 'A', payload: 512, why: '40 addresses over UDP with EDNS 512: truncated' },
  { name: 'mid.diff.test', type: 'A', tcp: true, why: 'the same 40 addresses over TCP, whole and signed' },
  { name: 'big.diff.test', type: 'TXT', tcp: true, why: 'the large TXT over TCP' },
];

/** Differences whose rewrite changed some answer in this run (an `always` entry never used is stale). */
const used = new Set<DiffId>();

function rewrite(s: Shape, q: Query, ids: DiffId[], side: 'pulse' | 'knot'): Shape {
  let out = s;
  for (const id of ids) {
    const d: { pulse?: Rewrite; knot?: Rewrite } = DIFFERENCES[id];
    const f = d[side];
    if (!f) continue;
    const next = f(out, q);
    if (JSON.stringify(next) !== JSON.stringify(out)) used.add(id);
    out = next;
  }
  return out;
}

/** Lines only one side has, per part of the shape; empty when the shapes agree. */
function diffShapes(p: Shape, k: Shape): string[] {
  const out: string[] = [];
  if (p.header !== k.header) out.push(`  header: pulsedns ${p.header} | knot ${k.header}`);
  for (const sec of SECTIONS) {
    const onlyP = p[sec].filter((l) => !k[sec].includes(l));
    const onlyK = k[sec].filter((l) => !p[sec].includes(l));
    if (onlyP.length || onlyK.length) out.push(`  ${sec}:`, ...onlyP.map((l) => `    - pulsedns: ${l}`), ...onlyK.map((l) => `    + knot:     ${l}`));
  }
  return out;
}

const ALWAYS = (Object.keys(DIFFERENCES) as DiffId[]).filter((id) => (DIFFERENCES[id] as { always?: boolean }).always);

async function ask(t: Target, q: Query): Promise<Shape> {
  // The test codec knows the DNSSEC types only by number.
  const numbered: Record<string, number> = { CDS: Type.CDS, CDNSKEY: Type.CDNSKEY, NSEC: Type.NSEC };
  const type = numbered[q.type] ?? q.type;
  return shapeOf(await query(t, q.name, type, { tcp: q.tcp, edns: { dnssecOk: true, payload: q.payload ?? 1232, compactOk: q.co } }));
}

// ECDSA P-256 (the default) and Ed25519: the same corpus, the same table.
for (const [algorithm, dnssec] of [[13, 'true'], [15, '{ algorithm: ed25519 }']] as const) {
  test(`pulsedns and Knot mod-onlinesign give the same signed answers, apart from documented differences (algorithm ${algorithm})`, async (t) => {
    const knotd = needTool(t, 'knotd', 'knot');
    const keymgr = knotd && needTool(t, 'keymgr', 'knot');
    if (!knotd || !keymgr) return;
    const dir = mkdtempSync(join(tmpdir(), 'pulsedns-knotdiff-'));
    const zones = join(dir, 'zones');
    mkdirSync(zones);
    writeFileSync(join(zones, `${ORIGIN}.yaml`), `dnssec: ${dnssec}\n${readFileSync(join(FIXTURES, `${ORIGIN}.yaml`), 'utf8')}`);
    const key = createKey(join(dir, 'keys'), nameFromText(`${ORIGIN}.`), algorithm);
    // Knot gets the master file pulsedns exports (no DNSSEC records in it) and the same key.
    const zoneFile = join(dir, `${ORIGIN}.zone`);
    writeFileSync(zoneFile, exportZones(zones).get(ORIGIN)!);
    const kasp = join(dir, 'kasp');
    importKeyIntoKnot(keymgr, kasp, ORIGIN, `${key.base}.key`, key.tag);
    const knotPort = await freePort();
    writeKnotConf({ dir: join(dir, 'knot'), port: knotPort, origin: ORIGIN, zoneFile, kaspDir: kasp, nsecBitmap: [KNOT_PAD] });
    const [pulse, knot] = await Promise.all([startPulse(zones, ['--keys', join(dir, 'keys')]), startKnot(knotd, join(dir, 'knot'), knotPort, ORIGIN)]);
    try {
      const failures: string[] = [];
    used.clear();
      let sample: { p: Shape; k: Shape } | undefined;
      for (const c of CORPUS) {
        const label = `${c.name} ${c.type}${c.tcp ? ' TCP' : ''}${c.payload ? ` EDNS ${c.payload}` : ''}${c.co ? ' CO' : ''} (${c.why})`;
        const [p, k] = await Promise.all([ask(pulse, c), ask({ host: '127.0.0.1', port: knotPort }, c)]);
        // Sanity: both really signed with the shared key, or the comparison proves nothing.
        const tags = [...p.answer, ...p.authority, ...k.answer, ...k.authority].filter((l) => / RRSIG\(/.test(l)).map((l) => /tag=(\d+)/.exec(l)![1]);
        if (tags.some((tag) => tag !== String(key.tag))) failures.push(`${label}: an RRSIG not made by key ${key.tag}`);
        const compare = (ids: DiffId[]): string[] => diffShapes(rewrite(p, c, [...ALWAYS, ...ids], 'pulse'), rewrite(k, c, [...ALWAYS, ...ids], 'knot'));
        const allow = c.allow ?? [];
        const diff = compare(allow);
        if (diff.length) failures.push(`${label}: differs beyond the documented differences${allow.length ? ` (${allow.join(', ')})` : ''}\n${diff.join('\n')}`);
        for (const id of allow) {
          if (compare(allow.filter((x) => x !== id)).length === 0) failures.push(`${label}: allowed difference ${id} no longer seen: drop it from the case`);
        }
        if (c.name === 'www.diff.test' && c.type === 'A') sample = { p, k };
      }
      for (const id of ALWAYS) if (!used.has(id)) failures.push(`documented difference ${id} changed no answer: drop it from the table`);
      // The comparison bites: a signature missing, or one with another original TTL, is a difference.
      assert.ok(sample, 'www.diff.test A was asked');
      const unsigned = { ...sample.p, answer: sample.p.answer.filter((l) => !/ RRSIG\(/.test(l)) };
      const otherTtl = { ...sample.p, answer: sample.p.answer.map((l) => l.replace(/orig=\d+/, 'orig=1')) };
      for (const bad of [unsigned, otherTtl]) assert.notDeepEqual(diffShapes(rewrite(bad, CORPUS[0]!, ALWAYS, 'pulse'), rewrite(sample.k, CORPUS[0]!, ALWAYS, 'knot')), []);
      assert.deepEqual(failures, [], `\n${failures.join('\n\n')}`);
    } finally {
      await Promise.all([pulse.stop(), knot.stop()]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
