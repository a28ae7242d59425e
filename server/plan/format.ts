// A Plan as people read it: `text` for a terminal, `markdown` for a pull
// request comment (summary first, details folded, so a big change stays
// reviewable). Nothing is computed here that the Plan does not already say.
import { formatError, type ZoneError } from '../zones/model.js';
import {
  allDownOutcome,
  type AnswerSource,
  type HealthAnswer,
  type MemberRef,
  type Plan,
  type PlanWarning,
  type PoolChange,
  type PooledChange,
  type RecordChange,
  type ZonePlan,
} from './plan.js';
import type { SigningChange } from './signing.js';

export type PlanFormat = 'text' | 'markdown';

export function formatPlan(plan: Plan, format: PlanFormat): string {
  return format === 'markdown' ? markdownPlan(plan) : textPlan(plan);
}

/** The --to revision failed validation: every error as file:line:col, nothing else. */
export function formatInvalid(to: string, errors: readonly ZoneError[], format: PlanFormat): string {
  const lines = errors.map(formatError);
  const head = `${to} does not validate: ${errors.length} error${errors.length === 1 ? '' : 's'}`;
  if (format === 'text') return `${lines.join('\n')}\npulsedns plan: ${head}\n`;
  const body = lines.join('\n');
  const f = fence(body);
  return `## pulsedns plan: ${code(to)} does not validate\n\n${errors.length} error${errors.length === 1 ? '' : 's'}; nothing would be served from this revision (servers keep the previous zones).\n\n${f}\n${body}\n${f}\n`;
}

// ---------------------------------------------------------------- text

function textPlan(plan: Plan): string {
  const out: string[] = [];
  out.push(`pulsedns plan: ${plan.from} -> ${plan.to}`);
  out.push(summaryLine(plan));
  out.push(`health: ${healthLine(plan)}`);
  if (plan.warnings.length) {
    out.push('');
    out.push(`WARNINGS (${plan.warnings.length})`);
    for (const w of plan.warnings) out.push(`  ! ${w.message}`);
  }
  if (plan.zones.length === 0 && plan.pools.length === 0) {
    out.push('');
    out.push('no changes: every answer stays the same');
  }
  for (const z of plan.zones) {
    out.push('');
    out.push(`zone ${z.zone} (${zoneHeadline(z)})`);
    if (z.serial) out.push(`  serial ${z.serial.before} -> ${z.serial.after}${z.serial.auto ? ' (auto)' : ''}`);
    if (z.signing) out.push(`  signing ${signingText(z.signing)}`);
    for (const r of z.records) {
      out.push(`  ${mark(r.kind)} ${r.name} ${r.type} ${ttlText(r.before?.ttl, r.after?.ttl)}${r.serialOnly ? ' (serial only)' : ''}`);
      for (const [m, v] of valueLines(r.before?.values ?? [], r.after?.values ?? [], r.kind)) out.push(`      ${m} ${v}`);
    }
    if (z.pooled.length) out.push('  pool-backed names:');
    for (const p of z.pooled) {
      out.push(`  ${mark(p.kind)} ${p.name} ${p.type}: ${pooledHeadline(p)}`);
      for (const [m, v] of valueLines(p.before?.values ?? [], p.after?.values ?? [], p.kind)) out.push(`      ${m} ${v}`);
      if (p.after?.pool) out.push(`      under current health: ${healthText(plan, p.now)}`);
    }
  }
  if (plan.pools.length) {
    out.push('');
    out.push('pools:');
    for (const p of plan.pools) {
      out.push(`  ${mark(p.kind)} pool ${p.pool} (${p.kind})${p.usedBy.length ? `, ${p.kind === 'removed' ? 'was used' : 'used'} by ${p.usedBy.join(', ')}` : ', used by no name'}`);
      for (const line of poolLines(p)) out.push(`      ${line}`);
    }
  }
  return out.join('\n') + '\n';
}

/** "on -> off": whether the zone is served signed, before and after. */
function signingText(s: SigningChange): string {
  const word = (on: boolean): string => (on ? 'on' : 'off');
  return `${word(s.before)} -> ${word(s.after)}`;
}

function mark(kind: 'added' | 'removed' | 'changed'): string {
  return kind === 'added' ? '+' : kind === 'removed' ? '-' : '~';
}

/** Every value of a set, marked: "+" new, "-" gone, " " kept. */
function valueLines(before: string[], after: string[], kind: 'added' | 'removed' | 'changed'): Array<[string, string]> {
  if (kind === 'added') return after.map((v) => ['+', v]);
  if (kind === 'removed') return before.map((v) => ['-', v]);
  const b = new Set(before);
  const a = new Set(after);
  return [...before.filter((v) => !a.has(v)).map((v): [string, string] => ['-', v]), ...after.map((v): [string, string] => [b.has(v) ? ' ' : '+', v])];
}

function ttlText(before: number | undefined, after: number | undefined): string {
  if (before !== undefined && after !== undefined && before !== after) return `TTL ${before} -> ${after}`;
  return `TTL ${after ?? before}`;
}

function zoneHeadline(z: ZonePlan): string {
  if (z.kind === 'added') return `added, ${z.rrsets.after} RRsets`;
  if (z.kind === 'removed') return `REMOVED, ${z.rrsets.before} RRsets`;
  const counts = countKinds(z);
  return `changed: ${counts.added} added, ${counts.removed} removed, ${counts.changed} changed of ${z.rrsets.before} RRsets${counts.pooled ? `, ${counts.pooled} pool-backed name${counts.pooled === 1 ? '' : 's'}` : ''}`;
}

function countKinds(z: ZonePlan): { added: number; removed: number; changed: number; pooled: number } {
  const c = { added: 0, removed: 0, changed: 0, pooled: z.pooled.length };
  for (const r of z.records) c[r.kind]++;
  return c;
}

function sourceText(s: AnswerSource): string {
  return s.pool ? `pool ${s.pool}` : `static`;
}

function pooledHeadline(p: PooledChange): string {
  if (p.kind === 'added') return `${sourceText(p.after!)} (TTL ${p.after!.ttl})`;
  if (p.kind === 'removed') return `was ${sourceText(p.before!)}`;
  const b = p.before!;
  const a = p.after!;
  const parts: string[] = [];
  if (p.inZoneFile) parts.push(`${sourceText(b)} -> ${sourceText(a)}`);
  else parts.push(`pool ${a.pool}${p.poolChanged ? ' (pool definition changed, see pools)' : ''}`);
  parts.push(ttlText(b.ttl, a.ttl));
  return parts.join(', ');
}

function healthLine(plan: Plan): string {
  return plan.health.kind === 'known' ? `from ${plan.health.source} at ${plan.health.generatedAt}` : `unknown (${plan.health.reason})`;
}

function healthText(plan: Plan, h: HealthAnswer | undefined): string {
  if (!h) return plan.health.kind === 'unknown' ? `unknown (${plan.health.reason})` : 'unknown';
  const notes: string[] = [];
  if (h.down.length) notes.push(`down: ${h.down.join(', ')}`);
  if (h.drained.length) notes.push(`drained: ${h.drained.join(', ')}`);
  if (h.unprobed.length) notes.push(`not probed yet, counted healthy: ${h.unprobed.join(', ')}`);
  const what = h.tier === -1 ? `NOTHING HEALTHY, answers ${allDownOutcome(h)}` : `${h.addresses.join(', ')}${h.tier > 0 ? ` (failed over to tier ${h.tier + 1})` : ''}`;
  const limit = h.tier !== -1 && h.addresses.length > h.maxAnswers ? `; at most ${h.maxAnswers} per answer` : '';
  return `${what}${limit}${notes.length ? ` [${notes.join('; ')}]` : ''}`;
}

function tierText(p: PoolChange, tier: number): string {
  if (tier === -1) return ' (backup list)';
  const failover = p.after?.policy === 'failover' || p.before?.policy === 'failover';
  return failover ? ` (tier ${tier + 1})` : '';
}

function poolLines(p: PoolChange): string[] {
  const out: string[] = [];
  const refs = (sign: string, list: MemberRef[]): string[] => list.map((m) => `${sign}${m.address}${tierText(p, m.tier)}`);
  if (p.kind === 'added') {
    const a = p.after!;
    out.push(`policy ${a.policy}, check ${a.check ?? 'none'}`);
    out.push(`members: ${refs('+', p.membersAdded).join(', ')}`);
    return out;
  }
  if (p.kind === 'removed') {
    out.push(`members: ${refs('-', p.membersRemoved).join(', ')}`);
    return out;
  }
  const moved = p.membersMoved.map((m) => `${m.address} ${m.fromTier === -1 ? 'backup list' : `tier ${m.fromTier + 1}`} -> ${m.toTier === -1 ? 'backup list' : `tier ${m.toTier + 1}`}`);
  const members = [...refs('+', p.membersAdded), ...refs('-', p.membersRemoved), ...moved];
  if (members.length) out.push(`members: ${members.join(', ')}`);
  out.push(`now: ${memberListText(p)}`);
  for (const s of p.settings) out.push(`${s.field}: ${s.before} -> ${s.after}`);
  return out;
}

function memberListText(p: PoolChange): string {
  const a = p.after!;
  const tiers = a.tiers.length > 1 ? a.tiers.map((t, i) => `tier ${i + 1}: ${t.join(', ') || '(empty)'}`).join('; ') : (a.tiers[0] ?? []).join(', ');
  return `${tiers}${a.backup.length ? `; backup list: ${a.backup.join(', ')}` : ''}`;
}

function summaryLine(plan: Plan): string {
  const s = plan.summary;
  return (
    `zones: ${s.zonesAdded} added, ${s.zonesRemoved} removed, ${s.zonesChanged} changed, ${s.zonesUnchanged} unchanged; ` +
    `RRsets: ${s.recordsAdded} added, ${s.recordsRemoved} removed, ${s.recordsChanged} changed; ` +
    `pool-backed names: ${s.pooledNames}; pools changed: ${s.poolsChanged}; warnings: ${plan.warnings.length}`
  );
}

// ---------------------------------------------------------------- markdown

function markdownPlan(plan: Plan): string {
  const out: string[] = [];
  out.push(`## pulsedns plan: ${code(plan.from)} → ${code(plan.to)}`);
  out.push('');
  if (plan.warnings.length) {
    out.push('> [!WARNING]');
    out.push(`> **${plan.warnings.length} risk warning${plan.warnings.length === 1 ? '' : 's'}**`);
    for (const w of plan.warnings) out.push(`> - ${warningMd(w)}`);
    out.push('');
  }
  if (plan.zones.length === 0 && plan.pools.length === 0) {
    out.push(`No changes: every answer stays the same (${plan.summary.zonesUnchanged} zone${plan.summary.zonesUnchanged === 1 ? '' : 's'}).`);
    out.push('');
    return out.join('\n');
  }
  out.push('| zone | change | RRsets | added | removed | changed | pool-backed names | warnings |');
  out.push('|---|---|---|---:|---:|---:|---:|---:|');
  for (const z of plan.zones) {
    const c = countKinds(z);
    const warns = plan.warnings.filter((w) => w.zone === z.zone).length;
    const rrsets = z.kind === 'added' ? String(z.rrsets.after) : z.kind === 'removed' ? String(z.rrsets.before) : `${z.rrsets.before} → ${z.rrsets.after}`;
    out.push(`| ${code(z.zone)} | ${z.kind === 'removed' ? '**removed**' : z.kind} | ${rrsets} | ${c.added} | ${c.removed} | ${c.changed} | ${c.pooled} | ${warns ? `⚠️ ${warns}` : '0'} |`);
  }
  out.push('');
  const s = plan.summary;
  out.push(`${s.zonesUnchanged} zone${s.zonesUnchanged === 1 ? '' : 's'} unchanged; ${s.poolsChanged} pool${s.poolsChanged === 1 ? '' : 's'} changed. Health: ${escapeMd(healthLine(plan))}.`);
  out.push('');
  for (const z of plan.zones) {
    out.push(`<details${z.kind === 'removed' ? '' : ' open'}><summary><b>${escapeHtml(z.zone)}</b>: ${escapeHtml(zoneHeadline(z))}</summary>`);
    out.push('');
    if (z.serial) out.push(`Serial ${z.serial.before} → ${z.serial.after}${z.serial.auto ? ' (auto)' : ''}.`, '');
    if (z.signing) out.push(`Signing (\`dnssec:\`) ${signingText(z.signing).replace('->', '→')}.`, '');
    if (z.records.length) {
      out.push('| | name | type | TTL | before | after |');
      out.push('|---|---|---|---|---|---|');
      for (const r of z.records) out.push(recordRow(r));
      out.push('');
    }
    if (z.pooled.length) {
      out.push('Pool-backed names:');
      out.push('');
      out.push('| | name | type | before | after | addresses | under current health |');
      out.push('|---|---|---|---|---|---|---|');
      for (const p of z.pooled) out.push(pooledRow(plan, p));
      out.push('');
    }
    out.push('</details>');
    out.push('');
  }
  if (plan.pools.length) {
    out.push('### Pools');
    out.push('');
    out.push('| | pool | members | settings | used by |');
    out.push('|---|---|---|---|---|');
    for (const p of plan.pools) {
      const members = p.kind === 'added' ? p.membersAdded.map((m) => `+${m.address}${tierText(p, m.tier)}`) : p.kind === 'removed' ? p.membersRemoved.map((m) => `−${m.address}${tierText(p, m.tier)}`) : memberCell(p);
      const settings = p.kind === 'added' ? [`policy ${p.after!.policy}, check ${p.after!.check ?? 'none'}`] : p.settings.map((x) => `${x.field}: ${x.before} → ${x.after}`);
      out.push(`| ${mark(p.kind)} | ${code(p.pool)} ${p.kind} | ${cell(members)} | ${cell(settings)} | ${cell(p.usedBy)} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

function memberCell(p: PoolChange): string[] {
  const out = [
    ...p.membersAdded.map((m) => `+${m.address}${tierText(p, m.tier)}`),
    ...p.membersRemoved.map((m) => `−${m.address}${tierText(p, m.tier)}`),
    ...p.membersMoved.map((m) => `${m.address}: ${m.fromTier === -1 ? 'backup list' : `tier ${m.fromTier + 1}`} → ${m.toTier === -1 ? 'backup list' : `tier ${m.toTier + 1}`}`),
  ];
  out.push(`now: ${memberListText(p)}`);
  return out;
}

function recordRow(r: RecordChange): string {
  const ttl = r.before && r.after && r.before.ttl !== r.after.ttl ? `${r.before.ttl} → ${r.after.ttl}` : String((r.after ?? r.before)!.ttl);
  const side = (values: string[] | undefined, other: string[] | undefined, sign: string): string => {
    if (!values) return '';
    const o = new Set(other ?? []);
    return values.map((v) => (other && !o.has(v) ? `**${sign}** ${code(v)}` : code(v))).join('<br>');
  };
  return `| ${mark(r.kind)} | ${code(r.name)} | ${r.type} | ${ttl}${r.serialOnly ? ' (serial only)' : ''} | ${side(r.before?.values, r.after?.values, '−')} | ${side(r.after?.values, r.before?.values, '+')} |`;
}

function pooledRow(plan: Plan, p: PooledChange): string {
  const src = (s: AnswerSource | undefined): string => (s ? `${s.pool ? `pool ${code(s.pool)}` : `static ${s.values.map(code).join(', ')}`} (TTL ${s.ttl})` : '');
  const addrs = [...p.added.map((a) => `+${a}`), ...p.removed.map((a) => `−${a}`)];
  const addrCell = addrs.length ? cell(addrs) : !p.inZoneFile && p.poolChanged ? 'pool definition changed' : 'same addresses';
  const health = p.after?.pool ? escapeMd(healthText(plan, p.now)) : '';
  return `| ${mark(p.kind)} | ${code(p.name)} | ${p.type} | ${src(p.before)} | ${src(p.after)} | ${addrCell} | ${health} |`;
}

function warningMd(w: PlanWarning): string {
  return escapeMd(w.message);
}

/** Several lines in one table cell. */
function cell(lines: string[]): string {
  return lines.map(escapeMd).join('<br>');
}

/** Inline code safe inside a table cell: pipes escaped, backticks fenced around. */
function code(s: string): string {
  const ticks = s.includes('`') ? '``' : '`';
  const pad = s.startsWith('`') || s.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${s.replace(/\|/g, '\\|')}${pad}${ticks}`;
}

/** Plain text in markdown: characters that would format, link or break a table are escaped. */
function escapeMd(s: string): string {
  return escapeHtml(s).replace(/([\\`*_[\]|])/g, '\\$1');
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A code fence longer than any run of backticks inside. */
function fence(body: string): string {
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((m) => m.length));
  return '`'.repeat(Math.max(3, longest + 1));
}
