/**
 * The logger interface Tickwork writes to: the subset of pino it uses, so any pino-compatible logger fits.
 */
import { pino } from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** pino's call shapes: `(obj, msg?)` or `(msg)`. */
type LogMethod = (objOrMsg: Record<string, unknown> | string, msg?: string) => void;

export interface Logger {
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
  /** A logger that adds `bindings` to every line (used for the per-run `ctx.logger`). */
  child?(bindings: Record<string, unknown>): Logger;
  /** Lets the scheduler skip building payloads nobody will read. Assumed true when absent. */
  isLevelEnabled?(level: string): boolean;
}

/** The default: pino writing JSON lines to stdout at `info`. */
export function createDefaultLogger(level: LogLevel = 'info'): Logger {
  return pino({ level, base: { name: 'tickwork' } });
}
