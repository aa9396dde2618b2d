/**
 * Civil (wall-clock) time in a zone to an instant, with the fixed-time DST policy the cron engine uses
 * for fixed-time jobs: a local time in a spring-forward gap maps to the first instant after the gap (the
 * transition), and a local time repeated by a fall-back maps to its first occurrence.
 */
import { DAY_MS, civilFromDays } from '../core/calendar.js';
import type { TimeZone } from '../cron/zone.js';

/**
 * The instant of local time `localMs` (wall-clock ms since 1970-01-01T00:00 local) in `zone`. Assumes at
 * most one transition within a day of it, as TimeZone does (no zone has two within a week).
 */
export function instantOfLocal(zone: TimeZone, localMs: number): number {
  // The offsets in force a day before and a day after cover both sides of any transition near localMs.
  const before = zone.offsetAt(localMs - DAY_MS);
  const after = zone.offsetAt(localMs + DAY_MS);
  const early = localMs - before;
  if (before === after) return early;
  const late = localMs - after;
  const earlyValid = zone.offsetAt(early) === before;
  const lateValid = zone.offsetAt(late) === after;
  // In an overlap both are valid: the first occurrence is the smaller instant.
  if (earlyValid && lateValid) return Math.min(early, late);
  if (earlyValid) return early;
  if (lateValid) return late;
  // In a gap neither is (early falls after the transition, late before it): the transition itself.
  return zone.nextTransition(Math.min(early, late)) ?? early;
}

/** The local day number (days since 1970-01-01 in the zone's wall clock) of an instant. */
export function localDayOf(zone: TimeZone, utcMs: number): number {
  return Math.floor((utcMs + zone.offsetAt(utcMs)) / DAY_MS);
}

/** `YYYY-MM-DD` of a day number. */
export function isoDay(days: number): string {
  const packed = civilFromDays(days);
  const year = Math.floor(packed / 512);
  const month = (packed >> 5) & 15;
  const day = packed & 31;
  const y = year >= 0 && year <= 9999 ? String(year).padStart(4, '0') : String(year);
  return `${y}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}
