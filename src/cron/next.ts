/**
 * Next fire time of a cron pattern in a zone, with cronie's (Vixie cron's) DST policy:
 *
 * - Time is cut into segments of constant UTC offset; inside one, local time is monotonic in UTC, so the
 *   search finds the next matching local time and maps it back with the segment's offset.
 * - Wildcard jobs (minute or hour field starts with `*`) fire at every real instant whose local time
 *   matches: local times skipped by a spring-forward gap have no fire, and local times repeated by a
 *   fall-back fire twice (the second marked "repeated").
 * - Fixed-time jobs (`30 2 * * *`) fire once per matching local time: one that falls in a gap fires at the
 *   first instant after the gap (the transition; marked "shifted"); one that repeats fires only at its
 *   first occurrence.
 *
 * Results are whole seconds, strictly after `afterMs`, so feeding each result back in never loops.
 */
import type { CronPattern } from './pattern.js';
import type { TimeZone } from './zone.js';

export interface CronFire {
  /** Epoch ms (a whole second). */
  at: number;
  /** Set when DST moved or repeated this fire. */
  dst?: 'shifted' | 'repeated';
}

/** Give up after this long without a match (`0 0 29 2 1` style patterns match at least every 8 years). */
const HORIZON_MS = 10 * 366 * 86_400_000;

export function nextCronTime(pattern: CronPattern, zone: TimeZone, afterMs: number): number | null {
  return nextCronFire(pattern, zone, afterMs)?.at ?? null;
}

export function nextCronFire(pattern: CronPattern, zone: TimeZone, afterMs: number): CronFire | null {
  let from = Math.floor(afterMs / 1000) * 1000 + 1000;
  const limit = from + HORIZON_MS;
  // The segment holding the instant just before `from`: a gap whose transition is exactly `from` is then
  // seen from its old side, so a fixed-time job in it still fires at the transition.
  let offset = zone.offsetAt(from - 1);
  let segmentEnd = zone.nextTransition(from - 1) ?? Number.POSITIVE_INFINITY;
  // Local times below this were already lived once, before a fall-back that started this segment.
  let repeatedUntil = Number.NEGATIVE_INFINITY;
  const previous = zone.previousTransition(from - 1);
  if (previous !== null) {
    const before = zone.offsetAt(previous - 1);
    if (before > offset) repeatedUntil = previous + before;
  }
  for (;;) {
    if (from > limit) return null;
    let local = from + offset;
    if (pattern.fixedTime && local < repeatedUntil) local = repeatedUntil;
    const match = nextLocalMatch(pattern, local, limit + offset);
    if (match === null) return null;
    const at = match - offset;
    if (at < segmentEnd) {
      return !pattern.fixedTime && match < repeatedUntil ? { at, dst: 'repeated' } : { at };
    }
    // The match lies beyond this segment: look at the transition that ends it.
    const nextOffset = zone.offsetAt(segmentEnd);
    if (pattern.fixedTime && nextOffset > offset && match < segmentEnd + nextOffset) {
      // The matching local time does not exist (spring-forward gap): fire once, when the gap ends.
      return { at: segmentEnd, dst: 'shifted' };
    }
    repeatedUntil = nextOffset < offset ? segmentEnd + offset : Number.NEGATIVE_INFINITY;
    from = segmentEnd;
    offset = nextOffset;
    segmentEnd = zone.nextTransition(segmentEnd) ?? Number.POSITIVE_INFINITY;
  }
}

// --- The calendar search, on "local ms": wall-clock fields encoded as if they were UTC. ---

/** Lowest set bit of `mask` at or above `from` (0-31), or -1. */
function nextBit(mask: number, from: number): number {
  if (from > 31) return -1;
  // For from = 31, (1 << 31) - 1 wraps to 0x7fffffff under int32 conversion: the mask keeps bit 31 only.
  const m = mask & ~((1 << from) - 1);
  if (m === 0) return -1;
  return 31 - Math.clz32(m & -m);
}

/** Same for a 60-value field split into two 30-bit halves. */
function nextBit60(lo: number, hi: number, from: number): number {
  if (from < 30) {
    const b = nextBit(lo, from);
    if (b >= 0) return b;
    const h = nextBit(hi, 0);
    return h >= 0 ? h + 30 : -1;
  }
  const h = nextBit(hi, from - 30);
  return h >= 0 ? h + 30 : -1;
}

const MONTH_DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return MONTH_DAYS[month] as number;
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
}

/** Weekday (0 = Sunday) of a civil date, by arithmetic (Sakamoto's method): no Date per call. */
const SAKAMOTO = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
function weekday(year: number, month: number, day: number): number {
  const y = month < 3 ? year - 1 : year;
  return (y + Math.floor(y / 4) - Math.floor(y / 100) + Math.floor(y / 400) + (SAKAMOTO[month - 1] as number) + day) % 7;
}

function dayMatches(p: CronPattern, year: number, month: number, day: number): boolean {
  const dom = (p.days & (1 << day)) !== 0;
  const dow = (p.weekdays & (1 << weekday(year, month, day))) !== 0;
  // Vixie cron: when both fields are restricted a day matches if either does; otherwise the
  // unrestricted one matches every day and this is an AND.
  return p.domRestricted && p.dowRestricted ? dom || dow : dom && dow;
}

/** The smallest local time >= `localMs` (rounded up to a second) matching the pattern, or null past `limitLocal`. */
export function nextLocalMatch(p: CronPattern, localMs: number, limitLocal: number): number | null {
  const d0 = new Date(Math.ceil(localMs / 1000) * 1000);
  let year = d0.getUTCFullYear();
  let month = d0.getUTCMonth() + 1;
  let day = d0.getUTCDate();
  let hour = d0.getUTCHours();
  let minute = d0.getUTCMinutes();
  let second = d0.getUTCSeconds();
  const limitYear = new Date(limitLocal).getUTCFullYear();
  for (;;) {
    if (year > limitYear) return null;
    const m = nextBit(p.months, month);
    if (m !== month) {
      if (m < 0) {
        year++;
        month = nextBit(p.months, 1);
      } else {
        month = m;
      }
      day = 1; hour = 0; minute = 0; second = 0;
      continue;
    }
    if (day > daysInMonth(year, month)) {
      month++;
      if (month > 12) { month = 1; year++; }
      day = 1; hour = 0; minute = 0; second = 0;
      continue;
    }
    if (!dayMatches(p, year, month, day)) {
      // Only day-of-month restricts the day: jump to its next allowed day instead of walking.
      const next = p.dowRestricted ? day + 1 : nextBit(p.days, day + 1);
      day = next < 0 ? 32 : next;
      hour = 0; minute = 0; second = 0;
      continue;
    }
    const h = nextBit(p.hours, hour);
    if (h !== hour) {
      if (h < 0) { day++; hour = 0; } else { hour = h; }
      minute = 0; second = 0;
      continue;
    }
    const mi = nextBit60(p.minLo, p.minHi, minute);
    if (mi !== minute) {
      if (mi < 0) { hour++; minute = 0; } else { minute = mi; }
      second = 0;
      if (hour > 23) { hour = 0; day++; }
      continue;
    }
    const s = nextBit60(p.secLo, p.secHi, second);
    if (s !== second) {
      if (s < 0) {
        second = 0; minute++;
        if (minute > 59) { minute = 0; hour++; }
        if (hour > 23) { hour = 0; day++; }
      } else {
        second = s;
      }
      continue;
    }
    const result = Date.UTC(year, month - 1, day, hour, minute, second);
    return result > limitLocal ? null : result;
  }
}
