/**
 * The day rules that depend on the month (Quartz's `L`, `W` and `#`): which days they pick is known only
 * once the month's length and first weekday are. A pattern without them holds `null` instead of this
 * object, so plain patterns stay as small as before and the search pays one null check per month.
 *
 * Every mask fits a 31-bit small integer, like the pattern's own fields.
 */

/** The month-dependent items of a pattern's two day fields. */
export interface DayRules {
  /** Day-of-month `L-n`: bit n for "n days before the month's last day" (`L` is bit 0), n 0-30. */
  readonly fromLast: number;
  /** Day-of-month `nW`: bit n - 1 for "the weekday nearest day n", n 1-31. */
  readonly nearestWeekday: number;
  /** Day-of-month `LW`: the month's last weekday (Monday to Friday). */
  readonly lastWeekday: boolean;
  /** Day-of-week `nL`: bit w (0 = Sunday) for "the month's last w-day". */
  readonly lastOf: number;
  /** Day-of-week `n#k`, k 1-4: bit 7 * (k - 1) + w for "the k-th w-day of the month". */
  readonly nthOf: number;
  /** Day-of-week `n#5`: bit w for "the 5th w-day", which some months lack. */
  readonly fifthOf: number;
}

/** Whether any day-of-month rule is set (then the day-of-month field is restricted). */
export function hasMonthDayRules(r: DayRules): boolean {
  return r.fromLast !== 0 || r.nearestWeekday !== 0 || r.lastWeekday;
}

/** Whether any day-of-week rule is set. */
export function hasWeekdayRules(r: DayRules): boolean {
  return r.lastOf !== 0 || r.nthOf !== 0 || r.fifthOf !== 0;
}

/** The day-of-month rules' days of one month, as bits 0-30 (bit d - 1 for day d). */
export function monthDayRuleDays(r: DayRules, firstWeekday: number, length: number): number {
  let bits = 0;
  for (let n = 0, mask = r.fromLast; mask !== 0; n++, mask >>>= 1) {
    // L-n is day length - n; a month shorter than n + 1 days has none.
    if ((mask & 1) !== 0 && length - n >= 1) bits |= 1 << (length - n - 1);
  }
  for (let d = 1, mask = r.nearestWeekday; mask !== 0 && d <= length; d++, mask >>>= 1) {
    if ((mask & 1) !== 0) bits |= 1 << (nearestWeekday(d, firstWeekday, length) - 1);
  }
  if (r.lastWeekday) bits |= 1 << (nearestWeekday(length, firstWeekday, length) - 1);
  return bits;
}

/** The day-of-week rules' days of one month, as bits 0-30. */
export function weekdayRuleDays(r: DayRules, firstWeekday: number, length: number): number {
  let bits = 0;
  for (let w = 0; w < 7; w++) {
    // The first w-day of the month, then every 7th.
    const first = 1 + ((w - firstWeekday + 7) % 7);
    if ((r.lastOf & (1 << w)) !== 0) bits |= 1 << (first + 7 * Math.floor((length - first) / 7) - 1);
    for (let k = 0; k < 4; k++) if ((r.nthOf & (1 << (7 * k + w))) !== 0) bits |= 1 << (first + 7 * k - 1);
    if ((r.fifthOf & (1 << w)) !== 0 && first + 28 <= length) bits |= 1 << (first + 27);
  }
  return bits;
}

/**
 * Quartz's `W`: day `d` if it is a weekday, else the nearest weekday within the month: a Saturday moves
 * to the Friday before (or the Monday after, when the 1st is a Saturday), a Sunday to the Monday after
 * (or the Friday before, when it is the last day).
 */
function nearestWeekday(d: number, firstWeekday: number, length: number): number {
  const weekday = (firstWeekday + d - 1) % 7;
  if (weekday === 6) return d === 1 ? 3 : d - 1;
  if (weekday === 0) return d === length ? d - 2 : d + 1;
  return d;
}
