// One pino logger per process. JSON lines on stdout by default (what log
// shippers read); `--log-format pretty` for people reading a terminal.
// Levels are written as names ("level":"warn"): a number means nothing to
// someone grepping a log or writing a Loki query. Every line passes
// redactText (redact.ts) on its way out, in either format, so no secret the
// process knows is ever logged.
import { pino, type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';
import type { LogOptions } from './log-options.js';
import { redactText } from './redact.js';

/** A level name alone (the operator commands' quiet logger) or level and format; env fills what is missing. */
export function createLogger(opts: LogOptions | string = {}): Logger {
  const o = typeof opts === 'string' ? { level: opts } : opts;
  const level = o.level ?? process.env.PULSEDNS_LOG_LEVEL ?? 'info';
  const format = o.format ?? process.env.PULSEDNS_LOG_FORMAT ?? 'json';
  const base: LoggerOptions = {
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    // On the serialized JSON line, before the pretty stream (if any) parses it.
    hooks: { streamWrite: redactText },
  };
  if (format !== 'pretty') return pino(base);
  // In-process and synchronous (no transport thread): a line printed just
  // before a fatal exit must still reach the terminal.
  const stream = pretty({ sync: true, singleLine: true, colorize: Boolean(process.stdout.isTTY), translateTime: 'SYS:HH:MM:ss.l' });
  return pino(base, stream);
}
