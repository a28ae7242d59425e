// Shape checks for health data read from outside the process (Redis, the
// state file on disk): anything that does not match is skipped by the
// caller, never trusted.
import type { FailoverLatch, Override, OverrideMode, VantageReport } from './types.js';

const OVERRIDE_MODES: ReadonlySet<OverrideMode> = new Set<OverrideMode>(['drain', 'force-up', 'force-down']);

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optional(v: unknown, type: 'string' | 'number'): boolean {
  return v === undefined || typeof v === type;
}

export function isVantageReport(v: unknown): v is VantageReport {
  return isRecord(v)
    && typeof v.vantage === 'string'
    && typeof v.up === 'boolean'
    && typeof v.at === 'number'
    && typeof v.intervalMs === 'number'
    && typeof v.since === 'number'
    && optional(v.reason, 'string');
}

export function isOverride(v: unknown): v is Override {
  return isRecord(v)
    && typeof v.pool === 'string'
    && typeof v.address === 'string'
    && typeof v.mode === 'string' && OVERRIDE_MODES.has(v.mode as OverrideMode)
    && typeof v.reason === 'string'
    && typeof v.by === 'string'
    && typeof v.at === 'number'
    && optional(v.until, 'number');
}

export function isLatch(v: unknown): v is FailoverLatch {
  return isRecord(v) && typeof v.pool === 'string' && typeof v.tier === 'number' && typeof v.since === 'number';
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The field name of an override in the overrides hash (and in maps keyed like it). */
export function overrideField(pool: string, address: string): string {
  return `${pool}|${address}`;
}
