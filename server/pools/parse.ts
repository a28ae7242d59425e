// `_pools.yaml` -> checks and pools, with file:line:col errors like zone files.
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Node as YNode, type YAMLMap } from 'yaml';
import { parseIPv4, parseIPv6, formatIPv6, rdataFromTokens } from '../zones/rdata.js';
import { Type } from '../wire/constants.js';
import { parseDuration } from '../zones/duration.js';
import { yamlSyntaxErrors } from '../zones/yaml-errors.js';
import { ttlFromValue } from '../zones/values.js';
import { ROOT } from '../wire/names.js';
import type { SourcePos, ZoneError } from '../zones/model.js';
import { CHECK_DEFAULTS, POOL_DEFAULTS, memberKey, type AllDown, type CheckSpec, type CheckType, type Policy, type Pool, type PoolMember, type PoolSet } from './model.js';

type Err = (node: YNode | null | undefined, message: string) => void;

const CHECK_KEYS = new Set(['type', 'port', 'interval', 'timeout', 'fall', 'rise', 'path', 'host', 'headers', 'expect_status', 'body_contains', 'verify_cert', 'send', 'expect', 'query', 'query_type']);
const POOL_KEYS = new Set(['check', 'policy', 'members', 'tiers', 'backup', 'max_answers', 'min_healthy', 'on_all_down', 'failback', 'ttl', 'degraded_ttl']);
const DEFAULT_PORTS: Record<CheckType, number> = { http: 80, https: 443, tcp: 0, dns: 53 };

export function parsePoolsYaml(text: string, file: string): { pools: PoolSet; errors: ZoneError[] } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const errors: ZoneError[] = [];
  const pos = (node: YNode | null | undefined): SourcePos => {
    const p = lc.linePos(node?.range ? node.range[0] : 0);
    return { file, line: p.line, col: p.col };
  };
  const err: Err = (node, message) => errors.push({ ...pos(node), message });
  const result: PoolSet = { pools: new Map(), checks: new Map() };
  errors.push(...yamlSyntaxErrors(doc.errors, lc, text, file));
  if (errors.length) return { pools: result, errors };
  const root = doc.contents;
  if (root === null) return { pools: result, errors };
  if (!isMap(root)) {
    err(root, 'the pools file is a mapping with "checks:" and "pools:"');
    return { pools: result, errors };
  }
  const checksNode = root.get('checks', true) as YNode | undefined;
  const poolsNode = root.get('pools', true) as YNode | undefined;
  for (const p of root.items) {
    const k = isScalar(p.key) ? String(p.key.value) : '';
    if (k !== 'checks' && k !== 'pools') err(p.key as YNode, `unknown key "${k}" (expected checks, pools)`);
  }
  if (checksNode !== undefined && checksNode !== null) {
    if (!isMap(checksNode)) err(checksNode, '"checks" maps check names to their settings');
    else for (const p of checksNode.items) {
      const name = isScalar(p.key) ? String(p.key.value) : '';
      const c = parseCheck(name, p.value as YNode, err);
      if (c) result.checks.set(name, c);
    }
  }
  if (poolsNode !== undefined && poolsNode !== null) {
    if (!isMap(poolsNode)) err(poolsNode, '"pools" maps pool names to their settings');
    else for (const p of poolsNode.items) {
      const name = isScalar(p.key) ? String(p.key.value) : '';
      if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) {
        err(p.key as YNode, `pool name "${name}" may hold letters, digits, "_", "." and "-"`);
        continue;
      }
      const pool = parsePool(name, p.value as YNode, result.checks, err, pos);
      if (pool) result.pools.set(name, pool);
    }
  }
  return { pools: result, errors };
}

// One duration syntax for pools and zones; re-exported for the callers that import it from here.
export { parseDuration };

function scalar(node: YNode | null | undefined): unknown {
  return isScalar(node) ? node.value : undefined;
}

function intIn(node: YNode | null | undefined, min: number, max: number, what: string, err: Err): number | undefined {
  const v = scalar(node);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    err(node, `${what} must be a whole number from ${min} to ${max}, got ${JSON.stringify(v ?? null)}`);
    return undefined;
  }
  return v;
}

function parseCheck(name: string, node: YNode | null, err: Err): CheckSpec | undefined {
  if (!isMap(node)) {
    err(node, `check "${name}" must be a mapping such as {type: http, path: /healthz}`);
    return undefined;
  }
  const m = node as YAMLMap;
  for (const p of m.items) {
    const k = isScalar(p.key) ? String(p.key.value) : '';
    if (!CHECK_KEYS.has(k)) err(p.key as YNode, `unknown check key "${k}" (expected one of: ${[...CHECK_KEYS].join(', ')})`);
  }
  const get = (k: string): YNode | undefined => m.get(k, true) as YNode | undefined;
  const type = scalar(get('type'));
  if (type !== 'http' && type !== 'https' && type !== 'tcp' && type !== 'dns') {
    err(get('type') ?? node, `check "${name}": type must be http, https, tcp or dns`);
    return undefined;
  }
  const spec: CheckSpec = { name, type, port: DEFAULT_PORTS[type], ...CHECK_DEFAULTS };
  if (get('port') !== undefined) spec.port = intIn(get('port'), 1, 65535, 'port', err) ?? spec.port;
  if (type === 'tcp' && get('port') === undefined) err(node, `check "${name}": a tcp check needs a port`);
  for (const [key, field] of [['interval', 'intervalMs'], ['timeout', 'timeoutMs']] as const) {
    const n = get(key);
    if (n === undefined) continue;
    const ms = parseDuration(scalar(n));
    if (ms === undefined || ms < 100) err(n, `${key} must be a duration such as 10s or 500ms (at least 100ms)`);
    else spec[field] = ms;
  }
  if (spec.timeoutMs >= spec.intervalMs) {
    err(get('timeout') ?? get('interval') ?? node, `check "${name}": timeout (${spec.timeoutMs} ms) must be shorter than the interval (${spec.intervalMs} ms)`);
  }
  if (get('fall') !== undefined) spec.fall = intIn(get('fall'), 1, 100, 'fall', err) ?? spec.fall;
  if (get('rise') !== undefined) spec.rise = intIn(get('rise'), 1, 100, 'rise', err) ?? spec.rise;
  for (const [key, field] of [['path', 'path'], ['host', 'host'], ['body_contains', 'bodyContains'], ['send', 'send'], ['expect', 'expect'], ['query', 'query'], ['query_type', 'queryType']] as const) {
    const n = get(key);
    if (n === undefined) continue;
    const v = scalar(n);
    if (typeof v !== 'string' || v === '') err(n, `${key} must be text`);
    else spec[field] = v;
  }
  if (spec.path !== undefined && !spec.path.startsWith('/')) err(get('path'), 'path must start with "/"');
  const vc = get('verify_cert');
  if (vc !== undefined) {
    if (typeof scalar(vc) !== 'boolean') err(vc, 'verify_cert must be true or false');
    else spec.verifyCert = scalar(vc) as boolean;
  }
  const hn = get('headers');
  if (hn !== undefined) {
    if (!isMap(hn)) err(hn, 'headers maps header names to values');
    else {
      spec.headers = {};
      for (const p of hn.items) spec.headers[String(scalar(p.key as YNode))] = String(scalar(p.value as YNode) ?? '');
    }
  }
  const es = get('expect_status');
  if (es !== undefined) {
    const items = isSeq(es) ? (es.items as YNode[]) : [es];
    const ranges: Array<[number, number]> = [];
    for (const it of items) {
      const m2 = /^(\d{3})(?:-(\d{3}))?$/.exec(String(scalar(it) ?? ''));
      if (!m2) err(it, 'expect_status entries are codes or ranges: 200, 200-299');
      else ranges.push([Number(m2[1]), Number(m2[2] ?? m2[1])]);
    }
    spec.expectStatus = ranges;
  }
  if (type === 'dns' && !spec.query) err(node, `check "${name}": a dns check needs "query" (the name to ask for)`);
  return spec;
}

function parsePool(name: string, node: YNode | null, checks: Map<string, CheckSpec>, err: Err, pos: (n: YNode | null | undefined) => SourcePos): Pool | undefined {
  if (!isMap(node)) {
    err(node, `pool "${name}" must be a mapping with members (or tiers) and a check`);
    return undefined;
  }
  const m = node as YAMLMap;
  for (const p of m.items) {
    const k = isScalar(p.key) ? String(p.key.value) : '';
    if (!POOL_KEYS.has(k)) err(p.key as YNode, `unknown pool key "${k}" (expected one of: ${[...POOL_KEYS].join(', ')})`);
  }
  const get = (k: string): YNode | undefined => m.get(k, true) as YNode | undefined;
  let check: CheckSpec | undefined;
  const cn = get('check');
  if (cn !== undefined) {
    check = checks.get(String(scalar(cn)));
    if (!check) err(cn, `pool "${name}": no check named "${String(scalar(cn))}" under "checks:"`);
  }
  const policyV = scalar(get('policy')) ?? 'all';
  if (policyV !== 'all' && policyV !== 'failover' && policyV !== 'weighted') {
    err(get('policy'), 'policy must be all, failover or weighted');
    return undefined;
  }
  const policy = policyV as Policy;
  const checkName = check?.name ?? '-';
  const seen = new Set<string>();
  const members = (list: YNode | undefined, what: string): PoolMember[] => {
    if (list === undefined) return [];
    if (!isSeq(list)) {
      err(list, `${what} is a list of addresses`);
      return [];
    }
    const out: PoolMember[] = [];
    for (const it of list.items as YNode[]) {
      let addrText: unknown;
      let weight = 1;
      if (isMap(it)) {
        addrText = scalar(it.get('address', true) as YNode);
        const w = it.get('weight', true) as YNode | undefined;
        if (w !== undefined) weight = intIn(w, 0, 1_000_000, 'weight', err) ?? 1;
      } else addrText = scalar(it);
      const text = String(addrText ?? '');
      const v4 = parseIPv4(text);
      const v6 = v4 ? undefined : parseIPv6(text);
      if (!v4 && !v6) {
        err(it, `"${text}" is not an IPv4 or IPv6 address`);
        continue;
      }
      const address = v4 ? text : formatIPv6(v6!);
      if (seen.has(address)) {
        err(it, `${address} is listed twice in pool "${name}"`);
        continue;
      }
      seen.add(address);
      const rdata = rdataFromTokens(v4 ? Type.A : Type.AAAA, [address], ROOT);
      out.push({ address, family: v4 ? 4 : 6, weight, rdata, key: memberKey(checkName, address) });
    }
    return out;
  };
  let tiers: PoolMember[][];
  if (policy === 'failover') {
    const tn = get('tiers');
    if (!isSeq(tn) || tn.items.length < 1) {
      err(tn ?? node, `pool "${name}": a failover pool lists "tiers": [[primary addresses], [backup addresses], ...]`);
      return undefined;
    }
    tiers = (tn.items as YNode[]).map((t, i) => members(t, `tier ${i + 1}`));
    if (get('members') !== undefined) err(get('members'), 'a failover pool uses "tiers", not "members"');
  } else {
    if (get('tiers') !== undefined) err(get('tiers'), `"tiers" belong to failover pools; this pool's policy is ${policy}`);
    tiers = [members(get('members'), 'members')];
  }
  if (tiers.every((t) => t.length === 0)) err(node, `pool "${name}" has no members`);
  const backup = members(get('backup'), 'backup');
  const onAllDown = (scalar(get('on_all_down')) ?? 'all') as AllDown;
  if (!['all', 'backup', 'empty', 'servfail'].includes(onAllDown)) err(get('on_all_down'), 'on_all_down must be all, backup, empty or servfail');
  if (onAllDown === 'backup' && backup.length === 0) err(get('on_all_down'), `pool "${name}": on_all_down: backup needs a "backup:" list`);
  const failback = (scalar(get('failback')) ?? 'auto') as 'auto' | 'manual';
  if (failback !== 'auto' && failback !== 'manual') err(get('failback'), 'failback must be auto or manual');
  const minHealthy: Pool['minHealthy'] = {};
  const mh = get('min_healthy');
  if (mh !== undefined) {
    const v = scalar(mh);
    const pct = typeof v === 'string' ? /^(\d+(?:\.\d+)?)%$/.exec(v) : null;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 1) minHealthy.count = v;
    else if (typeof v === 'number' && v > 0 && v < 1) minHealthy.fraction = v;
    else if (pct && Number(pct[1]) > 0 && Number(pct[1]) <= 100) minHealthy.fraction = Number(pct[1]) / 100;
    else err(mh, 'min_healthy is a count (2) or a fraction (0.5 or "50%")');
  }
  const ttlOf = (k: string, dflt: number): number => {
    const n = get(k);
    if (n === undefined) return dflt;
    // The same TTL syntax as zone files: seconds or a duration (30s, 5m).
    const r = ttlFromValue(scalar(n));
    if ('error' in r) {
      err(n, `${k}: ${r.error}`);
      return dflt;
    }
    return Math.max(POOL_DEFAULTS.minTtl, r.ttl);
  };
  const maxN = get('max_answers');
  const maxAnswers = maxN !== undefined ? intIn(maxN, 1, 64, 'max_answers', err) ?? POOL_DEFAULTS.maxAnswers : policy === 'weighted' ? POOL_DEFAULTS.weightedMaxAnswers : POOL_DEFAULTS.maxAnswers;
  return {
    name,
    policy,
    tiers,
    backup,
    check,
    maxAnswers,
    minHealthy,
    onAllDown,
    failback,
    ttl: ttlOf('ttl', POOL_DEFAULTS.ttl),
    degradedTtl: ttlOf('degraded_ttl', POOL_DEFAULTS.degradedTtl),
    pos: pos(node),
  };
}
