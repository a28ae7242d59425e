// The log settings a command line takes (--log-level, --log-format) and their
// check, apart from the logger itself: the command line checks them without
// loading pino, so `--help` and a bad value answer at once.

export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export interface LogOptions {
  level?: string | undefined;
  format?: string | undefined;
}

/** Why a log option is unusable, or undefined when it is fine (flags and env alike). */
export function logOptionError(o: LogOptions): string | undefined {
  if (o.level !== undefined && !(LOG_LEVELS as readonly string[]).includes(o.level)) return `--log-level must be one of ${LOG_LEVELS.join(', ')} (got "${o.level}")`;
  if (o.format !== undefined && !(LOG_FORMATS as readonly string[]).includes(o.format)) return `--log-format must be json or pretty (got "${o.format}")`;
  return undefined;
}
