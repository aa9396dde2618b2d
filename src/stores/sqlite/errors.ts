/**
 * SQLite's errors as the scheduler sees them: result codes that mean "unavailable for now" (busy, full,
 * read-only, I/O) become STORE_UNAVAILABLE, so the loop retries with backoff; anything else is the data's.
 */
import { StoreUnavailableError } from '../../core/errors.js';
import { toStoreError } from '../store-errors.js';

/** SQLite result codes that mean "the store is unavailable for now", not "your input was wrong". */
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|FULL|READONLY|IOERR|CANTOPEN|NOTADB|CORRUPT|PROTOCOL|PERM)/;

function hasUnavailableCode(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && UNAVAILABLE.test(code);
}

/** The database cannot be written now, whatever is written (so a record is not to blame). */
export function isUnavailable(error: unknown): boolean {
  return error instanceof StoreUnavailableError || hasUnavailableCode(error);
}

/** Wraps driver errors: unavailability becomes STORE_UNAVAILABLE; our own errors pass through. */
export function storeError(action: string, error: unknown): Error {
  return toStoreError(
    error,
    hasUnavailableCode,
    () => `SQLite store: ${action} failed (${String((error as { code?: unknown }).code)}: ${(error as Error).message})`,
  );
}
