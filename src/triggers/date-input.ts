/**
 * Parsing of the dates in trigger specs: ISO 8601 with `Z` or an explicit offset, or a valid Date.
 * A date without a zone is rejected: "02:30" means a different instant on every replica's machine.
 */
import { InvalidTriggerError } from '../core/errors.js';
import { describeType, truncate } from '../core/format.js';
import type { DateInput } from '../core/trigger.js';

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** Parses a spec date to epoch milliseconds; `path` names the field in the error. */
export function parseDateInput(value: unknown, path: string): number {
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw new InvalidTriggerError(`${path} is an invalid Date.`, { path });
    return ms;
  }
  if (typeof value !== 'string') {
    throw new InvalidTriggerError(`${path} must be an ISO 8601 string with a zone (e.g. "2026-11-28T02:30:00Z") or a Date, got ${describeType(value)}.`, {
      path,
    });
  }
  if (!ISO_WITH_ZONE.test(value)) {
    throw new InvalidTriggerError(
      `${path} "${truncate(value)}" must be ISO 8601 with "Z" or an offset, e.g. "2026-11-28T02:30:00Z" or "2026-11-28T02:30:00+01:00"; a date without a zone is ambiguous.`,
      { path },
    );
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidTriggerError(`${path} "${truncate(value)}" is not a real date.`, { path });
  return ms;
}

/** Like {@link parseDateInput} for an optional field. */
export function parseOptionalDate(value: DateInput | undefined | null, path: string): number | null {
  return value === undefined || value === null ? null : parseDateInput(value, path);
}
