// One pino logger per process, JSON on stdout. Every line is passed through
// redactText on its way out, so no secret the process knows is ever logged.
import { pino, type Logger } from 'pino';
import { redactText } from './redact.js';

export function createLogger(level = process.env.PULSEDNS_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime, hooks: { streamWrite: redactText } });
}
