// One pino logger per process, JSON on stdout.
import { pino, type Logger } from 'pino';

export function createLogger(level = process.env.PULSEDNS_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}
