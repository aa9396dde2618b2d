/**
 * Next fire time of a cron pattern in a zone, with cronie's (Vixie cron's) DST policy:
 *
 * - Time is cut into segments of constant UTC offset; inside one, local time is monotonic in UTC, so the
 *   search finds the next matching local time and maps it back with the segment's offset.
 * - Wildcard jobs (minute or hour field starts with `*`) fire at every real instant whose local time
 *   matches: local times skipped by a spring-forward gap have no fire, and local times repeated by a
 *   fall-back fire twice (the second marked "repeated").
 * - Fixed-time jobs (`30 2 * * *`) fire once per matching local time: one that falls in a gap fires at the
 *   first instant after the gap (the transition; marked "shifted"), however many matching times the gap
 *   swallowed; one that repeats fires only at its first occurrence.
 *
 * Fires are whole seconds strictly after `afterMs`, so feeding each result back in gives a strictly
 * increasing sequence and never loops. The search allocates nothing (nextCronFire's result aside): the
 * calendar is arithmetic on day numbers, days are found month by month with bit masks, and the zone
 * answers from its cached segment.
 */
import { DAY_MS, civilDay, civilFromDays, civilMonth, civilYear, daysFromCivil, daysInMonth, weekdayOfDays } from '../core/calendar.js';
import { monthDayRuleDays, weekdayRuleDays } from './day-rules.js';
import type { CronPattern } from './pattern.js';
import type { TimeZone } from './zone.js';

/** One fire of a cron pattern. */
export interface CronFire {
  /** Epoch ms (a whole second). */
  at: number;
  /** Set when DST moved this fire out of a gap (`shifted`) or it is a local time's second occurrence (`repeated`). */
  dst?: 'shifted' | 'repeated';
}

/** Give up after this long without a match. */
const HORIZON_MS = 10 * 366 * DAY_MS;
/**
 * When the zone sees no transition ahead (it looks 2-3 years), the segment is taken to last this long and
 * the zone is asked again there: a pseudo-boundary where the offset does not change.
 */
const RECHECK_MS = 366 * DAY_MS;
/** The instants `Date` can hold. */
const MAX_INSTANT = 8.64e15;

// nextFireCode answers in one number, so nothing is allocated: the fire's ms plus one of these marks
// (fires are whole seconds, so the sub-second part is free).
const SHIFTED = 1;
const REPEATED = 2;

/** The first fire strictly after `afterMs` (epoch ms, may be fractional), or null if none within ~10 years. */
export function nextCronFire(pattern: CronPattern, zone: TimeZone, afterMs: number): CronFire | null {
  const code = nextFireCode(pattern, zone, afterMs);
  if (Number.isNaN(code)) return null;
  const mark = code - Math.floor(code / 1000) * 1000;
  if (mark === 0) return { at: code };
  return { at: code - mark, dst: mark === SHIFTED ? 'shifted' : 'repeated' };
}

/** nextCronFire without the DST mark: the epoch ms of the first fire strictly after `afterMs`, or null. */
export function nextCronTime(pattern: CronPattern, zone: TimeZone, afterMs: number): number | null {
  const code = nextFireCode(pattern, zone, afterMs);
  if (Number.isNaN(code)) return null;
  return Math.floor(code / 1000) * 1000;
}

/** The next fire as ms + SHIFTED or REPEATED, or NaN for none. */
function nextFireCode(p: CronPattern, zone: TimeZone, afterMs: number): number {
  if (!(afterMs >= -MAX_INSTANT && afterMs < MAX_INSTANT)) return Number.NaN;
  // The first whole second strictly after afterMs.
  let from = Math.floor(afterMs / 1000) * 1000 + 1000;
  const limit = Math.min(from + HORIZON_MS, MAX_INSTANT);
  // The segment holding the instant just before `from`: when `from` is itself a spring-forward transition,
  // the gap is seen from its old side, so a fixed-time job in it still fires at the transition.
  let offset = zone.offsetAt(from - 1);
  let segmentEnd = zone.nextTransition(from - 1) ?? from + RECHECK_MS;
  // Local times below this were already lived once, before the fall-back that started this segment.
  let repeatedUntil = Number.NEGATIVE_INFINITY;
  const previous = zone.previousTransition(from - 1);
  if (previous !== null && from - previous < DAY_MS) {
    const before = zone.offsetAt(previous - 1);
    if (before > offset) repeatedUntil = previous + before;
  }
  for (;;) {
    if (from > limit) return Number.NaN;
    let local = from + offset;
    if (p.fixedTime && local < repeatedUntil) local = repeatedUntil;
    const match = nextLocalMatch(p, local, limit + offset);
    if (Number.isNaN(match)) return Number.NaN;
    const at = match - offset;
    if (at < segmentEnd) return !p.fixedTime && match < repeatedUntil ? at + REPEATED : at;
    // The match lies beyond this segment: look at the transition that ends it.
    const nextOffset = zone.offsetAt(segmentEnd);
    if (p.fixedTime && nextOffset > offset && match < segmentEnd + nextOffset) {
      // The matching local time does not exist (spring-forward gap): fire once, as the gap ends.
      return segmentEnd + SHIFTED;
    }
    if (nextOffset !== offset) repeatedUntil = nextOffset < offset ? segmentEnd + offset : Number.NEGATIVE_INFINITY;
    from = segmentEnd;
    offset = nextOffset;
    segmentEnd = zone.nextTransition(from) ?? from + RECHECK_MS;
  }
}

// --- The calendar search, on "local ms": wall-clock fields encoded as if they were UTC. ---

/** Lowest set bit of `mask` at or above bit `from` (0-31), or -1. */
function nextBit(mask: number, from: number): number {
  if (from > 31) return -1;
  // For from = 31, (1 << 31) - 1 converts to 0x7fffffff in the bitwise operation: bit 31 alone is kept.
  const m = mask & ~((1 << from) - 1);
  if (m === 0) return -1;
  return 31 - Math.clz32(m & -m);
}

/** The same for a 60-value field held in two 30-bit halves. */
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

/** Bits 0, 7, 14, 21 and 28: days 1, 8, 15, 22 and 29 of a month. */
const EVERY_SEVENTH_DAY = 0x10204081;

/**
 * The days of one month that match, as bits 0-30 (bit d - 1 for day d). Vixie cron: when both day fields
 * are restricted a day matches if either does; otherwise the unrestricted one matches every day. Day
 * rules (L, W, #) add their days to their own field first, so the same rule covers them.
 */
export function matchingDays(p: CronPattern, firstWeekday: number, length: number): number {
  let byWeekday = 0x7fffffff;
  if (p.weekdays !== 0x7f) {
    byWeekday = 0;
    for (let w = 0; w < 7; w++) {
      // The days whose weekday is w: the first is 1 + (w - firstWeekday) mod 7, then every 7th.
      if ((p.weekdays & (1 << w)) !== 0) byWeekday |= EVERY_SEVENTH_DAY << ((w - firstWeekday + 7) % 7);
    }
  }
  let byDay = p.days;
  const rules = p.rules;
  if (rules !== null) {
    byDay |= monthDayRuleDays(rules, firstWeekday, length);
    byWeekday |= weekdayRuleDays(rules, firstWeekday, length);
  }
  const days = p.domRestricted && p.dowRestricted ? byDay | byWeekday : byDay & byWeekday;
  return days & (length >= 31 ? 0x7fffffff : (1 << length) - 1);
}

/** The first second of the day at or after `second` (0-86 399) whose hour, minute and second match, or -1. */
function nextTimeOfDay(p: CronPattern, second: number): number {
  let h = Math.floor(second / 3600);
  let m = Math.floor((second - h * 3600) / 60);
  let s = second - h * 3600 - m * 60;
  for (;;) {
    const h2 = nextBit(p.hours, h);
    if (h2 < 0) return -1;
    if (h2 !== h) {
      h = h2;
      m = 0;
      s = 0;
    }
    const m2 = nextBit60(p.minLo, p.minHi, m);
    if (m2 < 0) {
      h++;
      m = 0;
      s = 0;
      continue;
    }
    if (m2 !== m) {
      m = m2;
      s = 0;
    }
    const s2 = nextBit60(p.secLo, p.secHi, s);
    if (s2 >= 0) return h * 3600 + m * 60 + s2;
    s = 0;
    if (++m > 59) {
      m = 0;
      h++;
    }
  }
}

/** The smallest local time >= `localMs` (rounded up to a second) matching the pattern, or NaN past `limitLocal`. */
function nextLocalMatch(p: CronPattern, localMs: number, limitLocal: number): number {
  const start = Math.ceil(localMs / 1000);
  let dayNumber = Math.floor(start / 86_400);
  let second = start - dayNumber * 86_400;
  const limitDay = Math.floor(limitLocal / DAY_MS);
  const civil = civilFromDays(dayNumber);
  let year = civilYear(civil);
  let month = civilMonth(civil);
  let day = civilDay(civil);
  for (;;) {
    // Month by month: `dayNumber` is day `day` of `month`, searched from `second` of that day on.
    if ((p.months & (1 << month)) === 0) {
      const m = nextBit(p.months, month + 1);
      if (m < 0) {
        year++;
        month = nextBit(p.months, 1);
      } else {
        month = m;
      }
      day = 1;
      second = 0;
      dayNumber = daysFromCivil(year, month, 1);
    }
    const first = dayNumber - day + 1;
    if (first > limitDay) return Number.NaN;
    const length = daysInMonth(year, month);
    const matching = matchingDays(p, weekdayOfDays(first), length);
    for (let bit = nextBit(matching, day - 1); bit >= 0; bit = nextBit(matching, bit + 1)) {
      const time = nextTimeOfDay(p, bit === day - 1 ? second : 0);
      if (time >= 0) {
        const result = (first + bit) * DAY_MS + time * 1000;
        return result > limitLocal ? Number.NaN : result;
      }
    }
    dayNumber = first + length;
    day = 1;
    second = 0;
    if (++month > 12) {
      month = 1;
      year++;
    }
  }
}
