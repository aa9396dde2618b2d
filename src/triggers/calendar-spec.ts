/**
 * Validation of a calendar-interval trigger spec: which fields, their ranges, and the start and end dates
 * (`YYYY-MM-DD` as a day in the trigger's zone, or an instant), each error naming the field.
 */
import { daysFromCivil, daysInMonth } from '../core/calendar.js';
import { InvalidTriggerError } from '../core/errors.js';
import { describeType, truncate } from '../core/format.js';
import type { TimeZone } from '../cron/zone.js';
import { CalendarIntervalTrigger } from './calendar-interval.js';
import { localDayOf } from './civil-time.js';
import { parseDateInput } from './date-input.js';

/** The spec fields besides `type`. */
export const CALENDAR_INTERVAL_FIELDS = ['years', 'months', 'weeks', 'days', 'hour', 'minute', 'second', 'timezone', 'startDate', 'endDate'] as const;

/** Largest value of each unit: about 1000 years either way, far beyond any schedule. */
const UNIT_MAX = { years: 1000, months: 12_000, weeks: 52_000, days: 365_000 } as const;
const TIME_MAX = { hour: 23, minute: 59, second: 59 } as const;

const DAY_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A calendar-interval trigger from its (object) spec; `nowMs` is "today" when there is no startDate. */
export function createCalendarInterval(s: Record<string, unknown>, zone: TimeZone, nowMs: number, path: string): CalendarIntervalTrigger {
  const years = whole(s.years, `${path}.years`, UNIT_MAX.years);
  const months = whole(s.months, `${path}.months`, UNIT_MAX.months);
  const weeks = whole(s.weeks, `${path}.weeks`, UNIT_MAX.weeks);
  const days = whole(s.days, `${path}.days`, UNIT_MAX.days);
  if (years + months + weeks + days === 0) {
    throw new InvalidTriggerError(`${path} needs a period: set at least one of years, months, weeks or days to a positive whole number.`, {
      path: `${path}.days`,
    });
  }
  const hour = whole(s.hour, `${path}.hour`, TIME_MAX.hour);
  const minute = whole(s.minute, `${path}.minute`, TIME_MAX.minute);
  const second = whole(s.second, `${path}.second`, TIME_MAX.second);

  const startDay = s.startDate === undefined ? localDayOf(zone, nowMs) : dayOf(s.startDate, zone, `${path}.startDate`);
  let endMs: number | null = null;
  let endDay: number | null = null;
  if (s.endDate !== undefined && s.endDate !== null) {
    const day = dayOnly(s.endDate, `${path}.endDate`);
    if (day === null) endMs = parseDateInput(s.endDate, `${path}.endDate`);
    else endDay = day;
    const lastDay = endDay ?? localDayOf(zone, endMs as number);
    if (lastDay < startDay) {
      throw new InvalidTriggerError(`${path}.endDate is before the start day; the start must come first.`, { path: `${path}.startDate` });
    }
  }
  return new CalendarIntervalTrigger({ years, months, weeks, days, hour, minute, second }, zone, startDay, endMs, endDay);
}

/** An optional whole number from 0 to `max`, default 0. */
function whole(value: unknown, path: string, max: number): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new InvalidTriggerError(`${path} must be a whole number from 0 to ${max}, got ${typeof value === 'number' ? String(value) : describeType(value)}.`, {
      path,
    });
  }
  return value;
}

/** The local day of a start date: `YYYY-MM-DD` as it is, an instant as its day in `zone`. */
function dayOf(value: unknown, zone: TimeZone, path: string): number {
  return dayOnly(value, path) ?? localDayOf(zone, parseDateInput(value, path));
}

/** The day number of a `YYYY-MM-DD` string, null when `value` is not of that form (it may be an instant). */
function dayOnly(value: unknown, path: string): number | null {
  if (typeof value !== 'string') return null;
  const match = DAY_ONLY.exec(value);
  if (match === null) return null;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw new InvalidTriggerError(`${path} "${truncate(value)}" is not a real date (YYYY-MM-DD).`, { path });
  }
  return daysFromCivil(year, month, day);
}
