// The `dnssec:` key of a zone file: whether and how the zone is signed when
// served. Shared by parse.ts and fastparse.ts so both read it alike; takes the
// value as plain data (what YAML made of it) and says what is wrong in words.
import { parseAlgorithm } from '../dnssec/keys.js';

export type DenialMode = 'compact' | 'nsec';

export interface DnssecOption {
  /** 13 ECDSA P-256/SHA-256 (default), 15 Ed25519. */
  algorithm: 13 | 15;
  /** compact (RFC 9824, default) or a classic NSEC chain. */
  denial: DenialMode;
}

export const DNSSEC_DEFAULTS: DnssecOption = { algorithm: 13, denial: 'compact' };

const USAGE = 'dnssec is true, false, or a mapping with algorithm (ecdsap256sha256 | ed25519) and denial (compact | nsec)';

/** The option for `value`, undefined for "not signed", or an error message. */
export function dnssecOption(value: unknown): { option?: DnssecOption; error?: string } {
  if (value === false || value === null) return {};
  if (value === true) return { option: { ...DNSSEC_DEFAULTS } };
  if (typeof value !== 'object' || Array.isArray(value)) return { error: USAGE };
  const out: DnssecOption = { ...DNSSEC_DEFAULTS };
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k === 'algorithm') {
      const a = typeof v === 'string' || typeof v === 'number' ? parseAlgorithm(String(v)) : undefined;
      if (a === undefined) return { error: `dnssec algorithm "${String(v)}": pulsedns signs with ecdsap256sha256 (13) or ed25519 (15)` };
      out.algorithm = a;
    } else if (k === 'denial') {
      if (v !== 'compact' && v !== 'nsec') return { error: `dnssec denial "${String(v)}": compact (RFC 9824) or nsec (a classic chain)` };
      out.denial = v;
    } else {
      return { error: `unknown dnssec key "${k}" (expected algorithm, denial)` };
    }
  }
  return { option: out };
}
