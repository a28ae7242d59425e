// Durations as people write them, in zone TTLs, master files and pool
// settings alike: a number of seconds, or units combined as BIND takes them
// ("5m", "1h30m", "2d", "1w"), plus "ms" and decimals for health-check timing
// ("500ms", "1.5s"). One parser, so `ttl: 5m` and `interval: 5m` mean the same.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|[smhdw])?)+$/i;
const PART = /(\d+(?:\.\d+)?)(ms|[smhdw])?/gi;

/** "1h30m" -> 5400000; a bare number is seconds. Undefined when it is not a duration. */
export function durationMs(text: string): number | undefined {
  const t = text.trim();
  if (!WHOLE.test(t)) return undefined;
  let total = 0;
  for (const m of t.matchAll(PART)) total += Number(m[1]) * UNIT_MS[(m[2] ?? 's').toLowerCase()]!;
  return Math.round(total);
}

/** Pool settings: a YAML number is seconds, a string a duration. Milliseconds out. */
export function parseDuration(v: unknown): number | undefined {
  if (typeof v === 'number') return v >= 0 ? Math.round(v * 1000) : undefined;
  return typeof v === 'string' ? durationMs(v) : undefined;
}

/** TTLs and SOA timers: a duration that comes to whole seconds, in seconds. */
export function durationSeconds(text: string): number | undefined {
  const ms = durationMs(text);
  return ms !== undefined && ms % 1000 === 0 ? ms / 1000 : undefined;
}
