/**
 * Proleptic Gregorian calendar arithmetic on day numbers (days since 1970-01-01), so the cron engine's hot
 * path needs no `Date` objects. Exact for every date `Date` can hold (and far beyond).
 */

/** Milliseconds in a civil day (Unix time has no leap seconds). */
export const DAY_MS = 86_400_000;

/** The day number of a civil date (`month` 1-12, `day` 1-31). */
export function daysFromCivil(year: number, month: number, day: number): number {
  // Count from March 1 of a 400-year era, so that the leap day is the last day of its counted year.
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const monthFromMarch = month > 2 ? month - 3 : month + 9;
  const dayOfYear = Math.floor((153 * monthFromMarch + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  // 719 468 days from 0000-03-01 to 1970-01-01.
  return era * 146_097 + dayOfEra - 719_468;
}

/**
 * The civil date of a day number, packed in one number as `year * 512 + month * 32 + day` (no object to
 * allocate). Unpack with civilYear, civilMonth and civilDay.
 */
export function civilFromDays(days: number): number {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return year * 512 + month * 32 + day;
}

/** The year of a packed civil date. */
export function civilYear(packed: number): number {
  return Math.floor(packed / 512);
}

/** The month (1-12) of a packed civil date. */
export function civilMonth(packed: number): number {
  return (packed >> 5) & 15;
}

/** The day of month (1-31) of a packed civil date. */
export function civilDay(packed: number): number {
  return packed & 31;
}

/** The calendar year (UTC) of an instant. */
export function utcYear(ms: number): number {
  return civilYear(civilFromDays(Math.floor(ms / DAY_MS)));
}

/** The epoch ms of January 1, 00:00 UTC, of `year`. */
export function yearStartMs(year: number): number {
  return daysFromCivil(year, 1, 1) * DAY_MS;
}

/** Gregorian leap year: divisible by 4, and by 400 if by 100. */
export function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

/** Days in `month` (1-12) of `year`. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Weekday of a day number, 0 = Sunday (1970-01-01 was a Thursday). */
export function weekdayOfDays(days: number): number {
  return (((days + 4) % 7) + 7) % 7;
}
