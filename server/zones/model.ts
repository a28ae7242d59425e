// The shapes a zone passes through: source (what the file says, with
// positions for error messages) and errors. Compiled form lives in compile.ts.
import type { Name } from '../wire/names.js';
import type { Rdata } from './rdata.js';
import type { DnssecOption } from './dnssec-option.js';

export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

export interface ZoneError extends SourcePos {
  message: string;
}

export interface RecordSource {
  owner: Name;
  type: number;
  ttl: number;
  rdata: Rdata;
  pos: SourcePos;
}

/** A name whose A or AAAA answers come from a health-checked pool. */
export interface PoolRef {
  owner: Name;
  type: number;
  pool: string;
  pos: SourcePos;
}

export interface ZoneSource {
  origin: Name;
  file: string;
  defaultTtl: number;
  /** Serial written as `auto`: filled in by the loader (see serial.ts). */
  serialAuto: boolean;
  records: RecordSource[];
  poolRefs: PoolRef[];
  /** Present when the zone file asks for online signing (`dnssec:`). */
  dnssec?: DnssecOption;
}

export const MAX_TTL = 2147483647; // RFC 2181 section 8
export const DEFAULT_TTL = 3600;

export function formatError(e: ZoneError): string {
  return `${e.file}:${e.line}:${e.col}: ${e.message}`;
}
