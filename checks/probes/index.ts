// The probe for each check type, and one entry point the scheduler calls.
import type { CheckSpec, CheckType, Probe, ProbeResult } from '../model.js';
import { dnsProbe } from './dns.js';
import { httpProbe } from './http.js';
import { tcpProbe } from './tcp.js';

export const probes: Record<CheckType, Probe> = {
  http: httpProbe,
  https: httpProbe,
  tcp: tcpProbe,
  dns: dnsProbe,
};

/**
 * Runs the probe for `check.type`. The probes never throw by contract; this
 * still turns a broken contract or an unknown type (a pools file newer than
 * this code) into a failed result, because one bad check must not stop the scheduler.
 */
export async function runProbe(address: string, check: CheckSpec, signal: AbortSignal): Promise<ProbeResult> {
  const probe: Probe | undefined = Object.hasOwn(probes, check.type) ? probes[check.type] : undefined;
  if (probe === undefined) return { ok: false, ms: 0, reason: `unknown check type ${JSON.stringify(check.type)}` };
  try {
    return await probe(address, check, signal);
  } catch (err) {
    return { ok: false, ms: 0, reason: `probe failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}
