/**
 * Parsing of the dates in trigger specs: ISO 8601 with `Z` or an explicit offset, or a valid Date.
 * A date without a zone is rejected: "02:30" means a different instant on every replica's machine.
 */
import { civilDay, civilFromDays, civilMonth, civilYear } from '../cron/calendar.js';
import { InvalidTriggerError } from '../scheduler/errors.js';
import type { DateInput } from './trigger.js';

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** Parses a spec date to epoch milliseconds; `path` names the field in the error. */
export function parseDateInput(value: unknown, path: string): number {
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw new InvalidTriggerError(`${path} is an invalid Date.`, { path });
    return ms;
  }
  if (typeof value !== 'string') {
    throw new InvalidTriggerError(`${path} must be an ISO 8601 string with a zone (e.g. "2026-11-28T02:30:00Z") or a Date, got ${describeType(value)}.`, { path });
  }
  if (!ISO_WITH_ZONE.test(value)) {
    throw new InvalidTriggerError(`${path} "${truncate(value)}" must be ISO 8601 with "Z" or an offset, e.g. "2026-11-28T02:30:00Z" or "2026-11-28T02:30:00+01:00"; a date without a zone is ambiguous.`, { path });
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidTriggerError(`${path} "${truncate(value)}" is not a real date.`, { path });
  return ms;
}

/** Like {@link parseDateInput} for an optional field. */
export function parseOptionalDate(value: DateInput | undefined | null, path: string): number | null {
  return value === undefined || value === null ? null : parseDateInput(value, path);
}

/**
 * `new Date(ms).toISOString()` for years 0-9999, in plain arithmetic: about 3x faster than the built-in,
 * which matters when a million jobs are added and each JobInfo shows its dates.
 */
export function iso(ms: number): string {
  // Jobs added together share their dates (an interval anchored at now + period): remember the last one.
  if (ms === lastIsoMs) return lastIso;
  const text = isoUncached(ms);
  lastIsoMs = ms;
  lastIso = text;
  return text;
}

let lastIsoMs = Number.NaN;
let lastIso = '';

function isoUncached(ms: number): string {
  if (!(ms >= -62_167_219_200_000 && ms < 253_402_300_800_000)) return new Date(ms).toISOString();
  const t = Math.floor(ms);
  const days = Math.floor(t / 86_400_000);
  let rest = t - days * 86_400_000;
  const civil = civilFromDays(days);
  const year = civilYear(civil);
  const month = civilMonth(civil);
  const day = civilDay(civil);
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  const milli = rest - second * 1000;
  return `${pad4(year)}-${pad2(month)}-${pad2(day)}T${pad2(hour)}:${pad2(minute)}:${pad2(second)}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

function pad4(n: number): string {
  return n < 10 ? `000${n}` : n < 100 ? `00${n}` : n < 1000 ? `0${n}` : `${n}`;
}

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? `"${truncate(value)}"` : typeof value;
}

export function truncate(text: string, max = 60): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
