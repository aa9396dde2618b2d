/**
 * Exclusions: named calendars of dates on which no job naming them fires, a job's own excluded dates, and
 * one-off skips of single fires. The shapes and their validation live here; the judging of a fire (which
 * needs time zones) is in scheduler/exclusions.ts.
 */
import { InvalidArgumentError } from './errors.js';
import { describeType } from './format.js';

/** An inclusive range of local dates, `YYYY-MM-DD`. */
export interface DateRange {
  readonly from: string;
  readonly to: string;
}

/** A named calendar of excluded local dates, read in `timezone`. */
export interface CalendarSpec {
  readonly dates: readonly string[];
  readonly ranges: readonly DateRange[];
  /** IANA zone the dates are read in. Default: the scheduler's timezone. */
  readonly timezone: string;
}

/** What a calendar takes as input: every field optional but at least one date or range. */
export interface CalendarInput {
  dates?: string[];
  ranges?: { from: string; to: string }[];
  timezone?: string;
}

/** A job's exclusions as the caller gives them (`options.exclude`). */
export interface JobExcludeInput {
  calendars?: string[];
  dates?: string[];
  /** One-off skips: future fire times of the job (ISO instants or epoch ms); normally set by skipFire. */
  skip?: (string | number)[];
  /** The zone of `dates`; default: the job's (its trigger's zone, else the scheduler's). */
  timezone?: string;
}

/** A job's exclusions as kept in its policy (and stored with it). */
export interface JobExclusion {
  readonly calendars: readonly string[];
  readonly dates: readonly string[];
  readonly timezone: string;
  /** One-off skips, epoch ms ascending; dropped once passed. */
  readonly skip: readonly number[];
}

/** Why a fire is excluded, as preview and the run record say it. */
export type ExclusionReason = `calendar ${string}` | 'date' | 'skip';

/** Calendar names: as job ids, so they fit a URL path segment. */
export const CALENDAR_NAME_PATTERN = /^[A-Za-z0-9._:-]{1,200}$/;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
/** Bounds on list lengths: a calendar is a holiday list, not a table of every day. */
export const MAX_CALENDAR_ENTRIES = 10_000;
export const MAX_JOB_EXCLUDE_ENTRIES = 1_000;

export function validateCalendarName(name: unknown, path = 'name'): string {
  if (typeof name !== 'string' || !CALENDAR_NAME_PATTERN.test(name)) {
    throw InvalidArgumentError.field(path, `must be 1-200 characters of A-Z a-z 0-9 . _ : -, got ${describeType(name)}.`);
  }
  return name;
}

/** A real calendar date written `YYYY-MM-DD` (2026-02-30 is refused). */
export function validateLocalDate(value: unknown, path: string): string {
  const m = typeof value === 'string' ? DATE_PATTERN.exec(value) : null;
  if (m !== null) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const date = new Date(Date.UTC(y, mo - 1, d));
    if (date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d) return value as string;
  }
  throw InvalidArgumentError.field(
    path,
    `must be a calendar date written YYYY-MM-DD (e.g. "2026-12-25"), got ${typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : describeType(value)}.`,
  );
}

/** An IANA zone the platform knows. */
export function validateZone(value: unknown, path: string): string {
  let ok = typeof value === 'string' && value.length > 0 && value.length <= 64;
  if (ok) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: value as string });
    } catch {
      // RangeError: not a zone the platform knows.
      ok = false;
    }
  }
  if (!ok) throw InvalidArgumentError.field(path, `must be an IANA time zone such as "Europe/Berlin" or "UTC", got ${describeType(value)}.`);
  return value as string;
}

function list(value: unknown, path: string, max: number): unknown[] {
  if (!Array.isArray(value)) throw InvalidArgumentError.field(path, `must be an array, got ${describeType(value)}.`);
  if (value.length > max) throw InvalidArgumentError.field(path, `must hold at most ${max} entries, got ${value.length}.`);
  return value;
}

function onlyKeys(value: unknown, path: string, allowed: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw InvalidArgumentError.field(path, `must be an object { ${allowed.join(', ')} }, got ${describeType(value)}.`);
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw InvalidArgumentError.field(`${path}.${key}`, `is not a field here; allowed: ${allowed.join(', ')}.`);
  }
  return value as Record<string, unknown>;
}

/** Sorted, without duplicates: lookups and the stored form do not depend on the order given. */
function uniqueSorted(values: string[]): string[] {
  return [...new Set(values)].sort();
}

/** A calendar spec from input; `defaultZone` when it names none. */
export function validateCalendarSpec(input: unknown, defaultZone: string, path = 'calendar'): CalendarSpec {
  const v = onlyKeys(input, path, ['dates', 'ranges', 'timezone']);
  const dates = v.dates === undefined ? [] : list(v.dates, `${path}.dates`, MAX_CALENDAR_ENTRIES).map((d, i) => validateLocalDate(d, `${path}.dates[${i}]`));
  const ranges =
    v.ranges === undefined
      ? []
      : list(v.ranges, `${path}.ranges`, MAX_CALENDAR_ENTRIES).map((r, i) => {
          const at = `${path}.ranges[${i}]`;
          const range = onlyKeys(r, at, ['from', 'to']);
          const from = validateLocalDate(range.from, `${at}.from`);
          const to = validateLocalDate(range.to, `${at}.to`);
          if (to < from) throw InvalidArgumentError.field(`${at}.to`, `must be on or after from (${from}), got ${to}.`);
          return Object.freeze({ from, to });
        });
  if (dates.length === 0 && ranges.length === 0) {
    throw InvalidArgumentError.field(path, 'must exclude something: give dates (["2026-12-25"]) or ranges ([{ "from": "2026-12-24", "to": "2026-12-31" }]).');
  }
  const timezone = v.timezone === undefined ? defaultZone : validateZone(v.timezone, `${path}.timezone`);
  ranges.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  return Object.freeze({ dates: Object.freeze(uniqueSorted(dates)), ranges: Object.freeze(ranges), timezone });
}

/** An instant as epoch ms from an ISO string or a number; NaN when it is neither. */
function instant(value: unknown): number {
  if (typeof value === 'number') return Number.isInteger(value) ? value : Number.NaN;
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value)) return Date.parse(value);
  return Number.NaN;
}

/**
 * A job's exclusions from input (`options.exclude`, or a stored policy's). Calendar names are checked for
 * shape only: whether they exist is the scheduler's check. `timezone` must be given (the job factory fills
 * in the job's zone).
 */
export function validateJobExclusion(input: unknown, path: string): JobExclusion {
  const v = onlyKeys(input, path, ['calendars', 'dates', 'skip', 'timezone']);
  const calendars =
    v.calendars === undefined
      ? []
      : list(v.calendars, `${path}.calendars`, MAX_JOB_EXCLUDE_ENTRIES).map((c, i) => validateCalendarName(c, `${path}.calendars[${i}]`));
  const dates = v.dates === undefined ? [] : list(v.dates, `${path}.dates`, MAX_JOB_EXCLUDE_ENTRIES).map((d, i) => validateLocalDate(d, `${path}.dates[${i}]`));
  const skip =
    v.skip === undefined
      ? []
      : list(v.skip, `${path}.skip`, MAX_JOB_EXCLUDE_ENTRIES).map((s, i) => {
          const ms = instant(s);
          if (Number.isNaN(ms))
            throw InvalidArgumentError.field(`${path}.skip[${i}]`, `must be an ISO 8601 instant or epoch milliseconds, got ${describeType(s)}.`);
          return ms;
        });
  const timezone = validateZone(v.timezone, `${path}.timezone`);
  return Object.freeze({
    calendars: Object.freeze([...new Set(calendars)]),
    dates: Object.freeze(uniqueSorted(dates)),
    timezone,
    skip: Object.freeze([...new Set(skip)].sort((a, b) => a - b)),
  });
}

/** The exclusion as JobInfo and the HTTP API show it: skips as ISO instants. */
export interface JobExclusionInfo {
  calendars: string[];
  dates: string[];
  timezone: string;
  skip: string[];
}

export function exclusionInfo(exclusion: JobExclusion): JobExclusionInfo {
  return {
    calendars: [...exclusion.calendars],
    dates: [...exclusion.dates],
    timezone: exclusion.timezone,
    skip: exclusion.skip.map((ms) => new Date(ms).toISOString()),
  };
}
