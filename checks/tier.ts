// Tier numbers as everything outside the query path shows them (status, the
// /status JSON, metrics, webhooks, logs): 1 is the first (primary) tier, 2 the
// next, and 0 none of them: the `backup` list answering, or nothing healthy.
// Inside, a tier is an index into Pool.tiers and -1 means none; the shared
// store's failover latch keeps the index, so servers of mixed versions agree.

export function tierNumber(index: number): number {
  return index < 0 ? 0 : index + 1;
}

export function tierIndex(num: number): number {
  return num <= 0 ? -1 : num - 1;
}
