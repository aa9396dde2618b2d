/**
 * Errors of the SQL stores (SQLite and PostgreSQL) as the scheduler and the logs see them: a driver error that means "the
 * database cannot be reached right now" becomes STORE_UNAVAILABLE (the loop retries with backoff), and
 * Tickwork's own errors pass through; plus the fields a store's log lines carry about a failure.
 */
import { StoreUnavailableError, TickworkError } from '../core/errors.js';

/** A record the database refuses this many times (one try per write) is dropped, with one error line. */
export const REFUSALS_BEFORE_DROP = 5;

/**
 * Wraps a driver error: STORE_UNAVAILABLE with `message` when `unavailable` says the database cannot be
 * reached, Tickwork's own errors as they are, anything else as an Error.
 */
export function toStoreError(error: unknown, unavailable: (error: unknown) => boolean, message: () => string): Error {
  if (error instanceof TickworkError) return error;
  if (unavailable(error)) return new StoreUnavailableError(message(), error);
  return error instanceof Error ? error : new Error(String(error));
}

/** `{ code?, message }` of a failure for a log line: no stack, no driver internals. */
export function errorLog(error: unknown): { code?: string; message: string } {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? { code, message } : { message };
}

/** ISO text of a time for a log line, or the value as text when it is no time at all. */
export function logTime(time: number | null): string | null {
  if (time === null) return null;
  return Number.isFinite(time) && Math.abs(time) <= 8.64e15 ? new Date(time).toISOString() : String(time);
}
