// The pure diff behind `pulsedns plan`: two compiled zone sets (and, when
// known, the servers' current health) -> what answers change and what looks
// risky. No I/O here: the command (server/commands/plan.ts) reads the revisions and
// the status, format.ts prints, and tests can build a Plan from anything.
import { compareNamesCanonical } from '../zones/export.js';
import { Type, typeName } from '../wire/constants.js';
import { type Name, nameToText } from '../wire/names.js';
import type { RRset, Zone } from '../zones/compile.js';
import type { AllDown, CheckSpec, Pool, PoolMember, PoolSet } from '../pools/model.js';
import type { StatusReport } from '../../checks/status.js';
import { selectMembers, type HealthLookup } from '../pools/select.js';
import { tierIndex } from '../../checks/tier.js';
import { signingWarnings, type SigningChange } from './signing.js';

export type ChangeKind = 'added' | 'removed' | 'changed';

/** One side of a zone set: what a load of a revision produced. */
export interface ZoneSetView {
  zones: readonly Zone[];
  pools: PoolSet;
}

export interface RRsetState {
  ttl: number;
  /** Canonical presentation text, sorted. */
  values: string[];
}

/** A static RRset (no pool on either side) added, removed or changed. */
export interface RecordChange {
  /** Absolute owner name. */
  name: string;
  type: string;
  kind: ChangeKind;
  before?: RRsetState;
  after?: RRsetState;
  /** Values only in `after` / only in `before`. */
  added: string[];
  removed: string[];
  /** Only the SOA serial moved (a number written in the file): bookkeeping, not counted as churn. */
  serialOnly?: boolean;
}

/** Where a name's A/AAAA answers come from on one side: a pool, or static values. */
export interface AnswerSource {
  pool?: string;
  ttl: number;
  /** Addresses: the static values, or every configured member of the family. */
  values: string[];
}

/** What a pool-backed name would answer right now under the servers' health. */
export interface HealthAnswer {
  /** Addresses answers are drawn from (before max_answers trims and shuffles them). */
  addresses: string[];
  /** Tier answering; -1 when nothing is healthy enough and on_all_down decides. */
  tier: number;
  servfail: boolean;
  onAllDown: AllDown;
  maxAnswers: number;
  down: string[];
  drained: string[];
  /** Members the servers do not know yet: they count as healthy until probed. */
  unprobed: string[];
}

/** A name whose answers come from a pool on at least one side. */
export interface PooledChange {
  name: string;
  type: string;
  kind: ChangeKind;
  before?: AnswerSource;
  after?: AnswerSource;
  /** Addresses gained / lost by the name. */
  added: string[];
  removed: string[];
  /** The zone file changed this name (pool switched, static <-> pool, added, removed). */
  inZoneFile: boolean;
  /** The definition of the pool it answers from changed (members, policy, check, ...). */
  poolChanged: boolean;
  /** Present when health is known and the name is pool-backed at --to. */
  now?: HealthAnswer;
}

export interface ZonePlan {
  zone: string;
  kind: ChangeKind;
  /** Set when the SOA serial differs; `auto` when --to writes `serial: auto`. */
  serial?: { before: number; after: number; auto: boolean };
  /** Set when signing (`dnssec:`) is turned on or off in a zone present on both sides. */
  signing?: SigningChange;
  records: RecordChange[];
  pooled: PooledChange[];
  rrsets: { before: number; after: number };
  /** Share of the --from RRsets this change removes or rewrites in the zone file (0..1). */
  churn: number;
}

export interface MemberRef {
  address: string;
  /** Tier index from 0; -1 for the `backup` list. */
  tier: number;
}

export interface SettingChange {
  field: string;
  before: string;
  after: string;
}

export interface PoolSummary {
  policy: string;
  check: string | null;
  tiers: string[][];
  backup: string[];
}

export interface PoolChange {
  pool: string;
  kind: ChangeKind;
  before?: PoolSummary;
  after?: PoolSummary;
  membersAdded: MemberRef[];
  membersRemoved: MemberRef[];
  membersMoved: Array<{ address: string; fromTier: number; toTier: number }>;
  settings: SettingChange[];
  /** "www.example.com. A" for each name answering from it (at --to; at --from when removed). */
  usedBy: string[];
}

export type WarningCode =
  | 'zone-removed'
  | 'apex-ns'
  | 'apex-soa'
  | 'serial-decrease'
  | 'mass-change'
  | 'single-member'
  | 'none-healthy'
  | 'signing-off-serial'
  | 'signing-off-ds'
  | 'signing-on'
  | 'signing-algorithm'
  | 'from-invalid'
  | 'skipped-file'
  | 'health-unavailable';

export interface PlanWarning {
  code: WarningCode;
  zone?: string;
  pool?: string;
  message: string;
}

export type HealthInput = { kind: 'unknown'; reason: string } | { kind: 'known'; source: string; status: StatusReport };

export interface Plan {
  from: string;
  to: string;
  health: { kind: 'known'; source: string; generatedAt: string } | { kind: 'unknown'; reason: string };
  /** Only zones with a change, in name order. */
  zones: ZonePlan[];
  pools: PoolChange[];
  warnings: PlanWarning[];
  summary: {
    zonesAdded: number;
    zonesRemoved: number;
    zonesChanged: number;
    zonesUnchanged: number;
    recordsAdded: number;
    recordsRemoved: number;
    recordsChanged: number;
    pooledNames: number;
    poolsChanged: number;
  };
}

export interface PlanOptions {
  from: string;
  to: string;
  health?: HealthInput;
  /** Seconds since 1970; where a signed zone's served serial is depends on it (plan/signing.ts). */
  now?: number;
}

/** Above this share of a zone's RRsets removed or rewritten, the change is flagged for a second look. */
export const MASS_CHANGE_SHARE = 0.3;

export function buildPlan(before: ZoneSetView, after: ZoneSetView, opts: PlanOptions): Plan {
  const health: HealthInput = opts.health ?? { kind: 'unknown', reason: 'no --admin' };
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const warnings: PlanWarning[] = [];
  const pools = diffPools(before, after);
  const changedPools = new Set(pools.filter((p) => p.kind !== 'removed').map((p) => p.pool));

  const beforeZones = new Map(before.zones.map((z) => [z.origin, z]));
  const afterZones = new Map(after.zones.map((z) => [z.origin, z]));
  const origins = [...new Set([...beforeZones.keys(), ...afterZones.keys()])].sort(nameOrder);
  const zones: ZonePlan[] = [];
  let unchanged = 0;
  for (const origin of origins) {
    const zp = diffZone(beforeZones.get(origin), afterZones.get(origin), changedPools, health, warnings, now);
    if (zp) zones.push(zp);
    else unchanged++;
  }

  // Pools: a member count falling to one leaves nothing to fail over to.
  for (const pc of pools) {
    if (pc.kind === 'removed') continue;
    const pool = after.pools.pools.get(pc.pool)!;
    const old = before.pools.pools.get(pc.pool);
    for (const family of familiesUsing(after.zones, pc.pool)) {
      const now = pool.tiers.flat().filter((m) => m.family === family);
      const was = old ? old.tiers.flat().filter((m) => m.family === family).length : 0;
      if (now.length === 1 && was !== 1) {
        warnings.push({
          code: 'single-member',
          pool: pc.pool,
          message: `pool ${pc.pool} ${was > 1 ? `is left with one IPv${family} member (${now[0]!.address}, was ${was})` : `has only one IPv${family} member (${now[0]!.address})`}: if it fails there is nothing to fail over to (${usersText(pc.usedBy, family)})`,
        });
      }
    }
  }

  // Pools with nothing healthy right now: the change would ship straight into on_all_down.
  const seenDown = new Set<string>();
  for (const zp of zones) {
    for (const pc of zp.pooled) {
      if (!pc.now || pc.now.tier !== -1 || !pc.after?.pool) continue;
      const key = `${pc.after.pool}|${pc.type}`;
      if (seenDown.has(key)) continue;
      seenDown.add(key);
      warnings.push({
        code: 'none-healthy',
        pool: pc.after.pool,
        message: `pool ${pc.after.pool} has no healthy ${pc.type === 'A' ? 'IPv4' : 'IPv6'} member under current health: ${pc.name} ${pc.type} would answer ${allDownOutcome(pc.now)}`,
      });
    }
  }

  const summary: Plan['summary'] = {
    zonesAdded: zones.filter((z) => z.kind === 'added').length,
    zonesRemoved: zones.filter((z) => z.kind === 'removed').length,
    zonesChanged: zones.filter((z) => z.kind === 'changed').length,
    zonesUnchanged: unchanged,
    recordsAdded: 0,
    recordsRemoved: 0,
    recordsChanged: 0,
    pooledNames: 0,
    poolsChanged: pools.length,
  };
  for (const z of zones) {
    for (const r of z.records) {
      if (r.kind === 'added') summary.recordsAdded++;
      else if (r.kind === 'removed') summary.recordsRemoved++;
      else summary.recordsChanged++;
    }
    summary.pooledNames += z.pooled.length;
  }
  return {
    from: opts.from,
    to: opts.to,
    health: health.kind === 'known' ? { kind: 'known', source: health.source, generatedAt: health.status.generatedAt } : health,
    zones,
    pools,
    warnings,
    summary,
  };
}

/** What a name answers when on_all_down takes over, in words. */
export function allDownOutcome(h: HealthAnswer): string {
  if (h.servfail) return 'SERVFAIL (on_all_down: servfail)';
  if (h.addresses.length === 0) return 'no addresses (on_all_down: empty)';
  return `${h.addresses.join(', ')} (on_all_down: ${h.onAllDown})`;
}

interface Entry {
  owner: Name;
  type: number;
  set: RRset;
}

function entriesOf(zone: Zone | undefined): Map<string, Entry> {
  const out = new Map<string, Entry>();
  if (!zone) return out;
  for (const [owner, node] of zone.nodes) {
    // The type first: a label may hold any byte, so the owner cannot lead a key.
    for (const [type, set] of node.rrsets) out.set(`${type}/${owner}`, { owner, type, set });
  }
  return out;
}

function diffZone(
  before: Zone | undefined,
  after: Zone | undefined,
  changedPools: Set<string>,
  health: HealthInput,
  warnings: PlanWarning[],
  now: number,
): ZonePlan | undefined {
  const zone = nameToText((after ?? before)!.origin);
  const origin = (after ?? before)!.origin;
  const b = entriesOf(before);
  const a = entriesOf(after);
  // Sorted up front so the changes come out in zone order, apex SOA and NS first.
  const keys = [...new Set([...b.keys(), ...a.keys()])].sort((x, y) => {
    const ex = (a.get(x) ?? b.get(x))!;
    const ey = (a.get(y) ?? b.get(y))!;
    return nameOrder(ex.owner, ey.owner) || typeOrder(ex.type, ey.type);
  });
  const records: RecordChange[] = [];
  const pooled: PooledChange[] = [];
  let serial: ZonePlan['serial'];
  let churn = 0;

  for (const key of keys) {
    const eb = b.get(key);
    const ea = a.get(key);
    const { owner, type } = (ea ?? eb)!;
    const name = nameToText(owner);
    const tname = typeName(type);
    if (eb?.set.pool || ea?.set.pool) {
      const pc = diffPooled(name, tname, eb?.set, ea?.set, changedPools);
      if (!pc) continue;
      if (ea?.set.pool && health.kind === 'known') pc.now = answerNow(ea.set.pool, type === Type.A ? 4 : 6, health.status);
      if (pc.inZoneFile && pc.kind !== 'added') churn++;
      pooled.push(pc);
      continue;
    }
    const sb = eb ? stateOf(eb.set) : undefined;
    const sa = ea ? stateOf(ea.set) : undefined;
    let serialOnly = false;
    if (type === Type.SOA && before && after && sb && sa) {
      // The serial is compared on its own: `auto` moves it on every commit.
      const fieldsSame = sb.ttl === sa.ttl && maskSerial(sb.values[0]!) === maskSerial(sa.values[0]!);
      if (before.serial !== after.serial) {
        serial = { before: before.serial, after: after.serial, auto: after.source.serialAuto };
        if (!serialGrows(before.serial, after.serial)) {
          warnings.push({
            code: 'serial-decrease',
            zone,
            message: `${zone}: SOA serial goes from ${before.serial} to ${after.serial}, which is not an increase (RFC 1982): secondaries will not transfer the new zone`,
          });
        }
      }
      if (fieldsSame && (before.serial === after.serial || after.source.serialAuto)) continue;
      if (fieldsSame) serialOnly = true;
      else {
        warnings.push({
          code: 'apex-soa',
          zone,
          message: `${zone}: apex SOA changes (${soaChanges(sb, sa)}): secondaries and negative caching follow these values`,
        });
      }
    }
    const rc = diffStatic(name, tname, sb, sa);
    if (!rc) continue;
    if (serialOnly) rc.serialOnly = true;
    else if (rc.kind !== 'added') churn++;
    records.push(rc);
    if (type === Type.NS && owner === origin && before && after) {
      const what = [...rc.removed.map((v) => `-${v}`), ...rc.added.map((v) => `+${v}`)].join(' ') || `TTL ${sb?.ttl} -> ${sa?.ttl}`;
      warnings.push({
        code: 'apex-ns',
        zone,
        message: `${zone}: apex NS changes (${what}): the delegation in the parent zone must match, and every listed server must serve the zone`,
      });
    }
  }

  const kind: ChangeKind = !before ? 'added' : !after ? 'removed' : 'changed';
  const signing: SigningChange | undefined = before && after && !before.dnssec !== !after.dnssec ? { before: !!before.dnssec, after: !!after.dnssec } : undefined;
  warnings.push(...signingWarnings(before, after, now));
  if (kind === 'changed' && records.length === 0 && pooled.length === 0 && !serial && !signing) return undefined;
  const share = b.size ? churn / b.size : 0;
  if (kind === 'removed') {
    warnings.push({ code: 'zone-removed', zone, message: `${zone}: the zone is removed entirely (${b.size} RRsets): every name in it will get REFUSED` });
  } else if (kind === 'changed' && share > MASS_CHANGE_SHARE) {
    warnings.push({
      code: 'mass-change',
      zone,
      message: `${zone}: ${churn} of ${b.size} RRsets (${Math.round(share * 100)}%) are removed or changed, more than ${MASS_CHANGE_SHARE * 100}%`,
    });
  }
  const plan: ZonePlan = { zone, kind, records, pooled, rrsets: { before: b.size, after: a.size }, churn: share };
  if (serial) plan.serial = serial;
  if (signing) plan.signing = signing;
  return plan;
}

function stateOf(set: RRset): RRsetState {
  return { ttl: set.ttl, values: set.rdata.map((r) => r.text).sort(valueOrder) };
}

function diffStatic(name: string, type: string, before: RRsetState | undefined, after: RRsetState | undefined): RecordChange | undefined {
  const { added, removed } = setDiff(before?.values ?? [], after?.values ?? []);
  if (before && after && before.ttl === after.ttl && added.length === 0 && removed.length === 0) return undefined;
  const rc: RecordChange = { name, type, kind: !before ? 'added' : !after ? 'removed' : 'changed', added, removed };
  if (before) rc.before = before;
  if (after) rc.after = after;
  return rc;
}

function sourceOf(set: RRset): AnswerSource {
  const s: AnswerSource = { ttl: set.ttl, values: set.rdata.map((r) => r.text).sort(valueOrder) };
  if (set.pool) s.pool = set.pool.name;
  return s;
}

function diffPooled(name: string, type: string, before: RRset | undefined, after: RRset | undefined, changedPools: Set<string>): PooledChange | undefined {
  const sb = before ? sourceOf(before) : undefined;
  const sa = after ? sourceOf(after) : undefined;
  const { added, removed } = setDiff(sb?.values ?? [], sa?.values ?? []);
  // Both sides on the same pool: the file did not touch the name; only the pool can have changed.
  const inZoneFile = !sb || !sa || sb.pool !== sa.pool;
  const poolChanged = sa?.pool !== undefined && changedPools.has(sa.pool);
  if (!inZoneFile && !poolChanged && added.length === 0 && removed.length === 0) return undefined;
  const pc: PooledChange = { name, type, kind: !sb ? 'added' : !sa ? 'removed' : 'changed', added, removed, inZoneFile, poolChanged };
  if (sb) pc.before = sb;
  if (sa) pc.after = sa;
  return pc;
}

/** Members the servers' status marks down or drained leave the answer; the rest follow select.ts. */
export function answerNow(pool: Pool, family: 4 | 6, status: StatusReport): HealthAnswer {
  const ps = status.pools.find((p) => p.name === pool.name);
  const known = new Map((ps?.members ?? []).map((m) => [m.address, m.state]));
  const lookup: HealthLookup = {
    // A member the servers have never probed counts as healthy, as it will on a cold start.
    state: (_p, m) => known.get(m.address) ?? 'up',
    // Status numbers tiers from 1; select.ts indexes them from 0.
    latchedTier: () => (ps?.latched ? tierIndex(ps.latched.tier) : undefined),
  };
  // Lift max_answers so the whole candidate set shows, not one random draw of it.
  const sel = selectMembers({ ...pool, maxAnswers: Number.MAX_SAFE_INTEGER }, family, lookup, () => 0.5);
  const members = [...pool.tiers.flat(), ...pool.backup].filter((m) => m.family === family);
  const pick = (f: (m: PoolMember) => boolean): string[] => members.filter(f).map((m) => m.address).sort(valueOrder);
  return {
    addresses: sel.rdata.map((r) => r.text).sort(valueOrder),
    tier: sel.tier,
    servfail: sel.servfail,
    onAllDown: pool.onAllDown,
    maxAnswers: pool.maxAnswers,
    down: pick((m) => known.get(m.address) === 'down'),
    drained: pick((m) => known.get(m.address) === 'drain'),
    unprobed: pick((m) => !known.has(m.address)),
  };
}

function summarize(p: Pool): PoolSummary {
  return { policy: p.policy, check: p.check?.name ?? null, tiers: p.tiers.map((t) => t.map((m) => m.address)), backup: p.backup.map((m) => m.address) };
}

function memberMap(p: Pool): Map<string, { tier: number; weight: number }> {
  const out = new Map<string, { tier: number; weight: number }>();
  p.tiers.forEach((t, i) => t.forEach((m) => out.set(m.address, { tier: i, weight: m.weight })));
  p.backup.forEach((m) => out.set(m.address, { tier: -1, weight: m.weight }));
  return out;
}

function diffPools(before: ZoneSetView, after: ZoneSetView): PoolChange[] {
  const names = [...new Set([...before.pools.pools.keys(), ...after.pools.pools.keys()])].sort();
  const out: PoolChange[] = [];
  for (const name of names) {
    const pb = before.pools.pools.get(name);
    const pa = after.pools.pools.get(name);
    const usedBy = usersOf(pa ? after.zones : before.zones, name);
    const mb = pb ? memberMap(pb) : new Map<string, { tier: number; weight: number }>();
    const ma = pa ? memberMap(pa) : new Map<string, { tier: number; weight: number }>();
    const pc: PoolChange = { pool: name, kind: !pb ? 'added' : !pa ? 'removed' : 'changed', membersAdded: [], membersRemoved: [], membersMoved: [], settings: [], usedBy };
    if (pb) pc.before = summarize(pb);
    if (pa) pc.after = summarize(pa);
    for (const [address, m] of ma) {
      const old = mb.get(address);
      if (!old) pc.membersAdded.push({ address, tier: m.tier });
      else if (old.tier !== m.tier) pc.membersMoved.push({ address, fromTier: old.tier, toTier: m.tier });
    }
    for (const [address, m] of mb) if (!ma.has(address)) pc.membersRemoved.push({ address, tier: m.tier });
    if (pb && pa) {
      pc.settings = poolSettings(pb, pa);
      for (const [address, m] of ma) {
        const old = mb.get(address);
        if (old && old.weight !== m.weight && (pa.policy === 'weighted' || pb.policy === 'weighted')) {
          pc.settings.push({ field: `weight of ${address}`, before: String(old.weight), after: String(m.weight) });
        }
      }
      if (pc.membersAdded.length + pc.membersRemoved.length + pc.membersMoved.length + pc.settings.length === 0) continue;
    }
    const byAddr = (x: { address: string }, y: { address: string }): number => valueOrder(x.address, y.address);
    pc.membersAdded.sort(byAddr);
    pc.membersRemoved.sort(byAddr);
    pc.membersMoved.sort(byAddr);
    out.push(pc);
  }
  return out;
}

function minHealthyText(p: Pool): string {
  if (p.minHealthy.count !== undefined) return String(p.minHealthy.count);
  if (p.minHealthy.fraction !== undefined) return `${Math.round(p.minHealthy.fraction * 1000) / 10}%`;
  return '1 (default)';
}

function poolSettings(b: Pool, a: Pool): SettingChange[] {
  const out: SettingChange[] = [];
  const cmp = (field: string, x: string, y: string): void => {
    if (x !== y) out.push({ field, before: x, after: y });
  };
  cmp('policy', b.policy, a.policy);
  cmp('check', b.check?.name ?? 'none', a.check?.name ?? 'none');
  if (b.check && a.check && b.check.name === a.check.name) out.push(...checkSettings(b.check, a.check));
  cmp('max_answers', String(b.maxAnswers), String(a.maxAnswers));
  cmp('min_healthy', minHealthyText(b), minHealthyText(a));
  cmp('on_all_down', b.onAllDown, a.onAllDown);
  cmp('failback', b.failback, a.failback);
  cmp('ttl', String(b.ttl), String(a.ttl));
  cmp('degraded_ttl', String(b.degradedTtl), String(a.degradedTtl));
  return out;
}

/** Fields of a check as written in _pools.yaml, with how to show each value. */
const CHECK_FIELDS: ReadonlyArray<[keyof CheckSpec, string]> = [
  ['type', 'type'],
  ['port', 'port'],
  ['path', 'path'],
  ['host', 'host'],
  ['headers', 'headers'],
  ['expectStatus', 'expect_status'],
  ['bodyContains', 'body_contains'],
  ['verifyCert', 'verify_cert'],
  ['send', 'send'],
  ['expect', 'expect'],
  ['query', 'query'],
  ['queryType', 'query_type'],
  ['intervalMs', 'interval'],
  ['timeoutMs', 'timeout'],
  ['fall', 'fall'],
  ['rise', 'rise'],
];

function checkValueText(key: keyof CheckSpec, v: CheckSpec[keyof CheckSpec]): string {
  if (v === undefined) return '(unset)';
  if ((key === 'intervalMs' || key === 'timeoutMs') && typeof v === 'number') return v % 1000 === 0 ? `${v / 1000}s` : `${v}ms`;
  if (key === 'expectStatus' && Array.isArray(v)) return v.map(([lo, hi]) => (lo === hi ? String(lo) : `${lo}-${hi}`)).join(', ');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function checkSettings(b: CheckSpec, a: CheckSpec): SettingChange[] {
  const out: SettingChange[] = [];
  for (const [key, label] of CHECK_FIELDS) {
    const x = checkValueText(key, b[key]);
    const y = checkValueText(key, a[key]);
    if (x !== y) out.push({ field: `check ${a.name}: ${label}`, before: x, after: y });
  }
  return out;
}

function usersOf(zones: readonly Zone[], pool: string): string[] {
  const out: Array<{ name: Name; type: number }> = [];
  for (const z of zones) {
    for (const [owner, node] of z.nodes) {
      for (const [type, set] of node.rrsets) if (set.pool?.name === pool) out.push({ name: owner, type });
    }
  }
  out.sort((x, y) => nameOrder(x.name, y.name) || x.type - y.type);
  return out.map((u) => `${nameToText(u.name)} ${typeName(u.type)}`);
}

function familiesUsing(zones: readonly Zone[], pool: string): Array<4 | 6> {
  const fams = new Set<4 | 6>();
  for (const u of usersOf(zones, pool)) fams.add(u.endsWith(' AAAA') ? 6 : 4);
  return [...fams].sort();
}

function usersText(usedBy: string[], family: 4 | 6): string {
  const list = usedBy.filter((u) => u.endsWith(family === 4 ? ' A' : ' AAAA'));
  return list.length > 3 ? `${list.slice(0, 3).join(', ')} and ${list.length - 3} more` : list.join(', ');
}

const SOA_FIELDS = ['mname', 'rname', 'serial', 'refresh', 'retry', 'expire', 'minimum'];

/** "refresh 7200 -> 3600, TTL 3600 -> 600": the SOA fields other than the serial that differ. */
function soaChanges(b: RRsetState, a: RRsetState): string {
  const fb = b.values[0]!.split(' ');
  const fa = a.values[0]!.split(' ');
  const out = SOA_FIELDS.flatMap((f, i) => (f !== 'serial' && fb[i] !== fa[i] ? [`${f} ${fb[i]} -> ${fa[i]}`] : []));
  if (b.ttl !== a.ttl) out.push(`TTL ${b.ttl} -> ${a.ttl}`);
  return out.join(', ');
}

/** SOA text with the serial (third field) blanked. */
function maskSerial(text: string): string {
  const f = text.split(' ');
  f[2] = '*';
  return f.join(' ');
}

/** RFC 1982 serial number arithmetic: is `b` greater than `a`? */
export function serialGrows(a: number, b: number): boolean {
  const d = (b - a + 0x1_0000_0000) % 0x1_0000_0000;
  return d !== 0 && d < 0x8000_0000;
}

function setDiff(before: string[], after: string[]): { added: string[]; removed: string[] } {
  const b = new Set(before);
  const a = new Set(after);
  return { added: after.filter((v) => !b.has(v)), removed: before.filter((v) => !a.has(v)) };
}

/** Numbers inside values compare as numbers, so 192.0.2.9 sorts before 192.0.2.10. */
export function valueOrder(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** DNSSEC canonical order (RFC 4034 section 6.1), shared with export. */
export const nameOrder = compareNamesCanonical;

/** SOA and NS first at any name, since they are what reviewers look for at the apex. */
function typeOrder(a: number, b: number): number {
  const rank = (t: number): number => (t === Type.SOA ? 0 : t === Type.NS ? 1 : 2);
  return rank(a) - rank(b) || a - b;
}
