/**
 * Calendar-interval trigger: the same local time every N years, months, weeks and/or days from a start
 * day, with the semantics of APScheduler 3.11's CalendarIntervalTrigger:
 *
 * - The start day (in the trigger's zone) is the first fire day, inclusive.
 * - The next fire day is found from the previous one: years and months are added keeping its day of the
 *   month, again and again until that date exists (the 31st skips the months without one; February 29
 *   skips the years without one); then weeks and days are added.
 * - The time of day is fixed, with the fixed-time DST policy of cron (src/triggers/civil-time.ts): once in
 *   a spring-forward gap, at the transition (APScheduler 3.11 drops that day instead); the first
 *   occurrence in a fall-back overlap.
 *
 * The sequence is a pure function of the spec, so next(after) finds its place from `after` directly
 * (arithmetically when only days/weeks or only years/months are set) instead of keeping the last fire.
 */
import { DAY_MS, civilDay, civilFromDays, civilMonth, civilYear, daysFromCivil, daysInMonth } from '../core/calendar.js';
import { iso } from '../core/format.js';
import type { TimeZone } from '../cron/zone.js';
import { instantOfLocal, isoDay, localDayOf } from './civil-time.js';
import { walkDueFires } from './due-fires.js';
import type { DueFires, ResolvedTriggerSpec, Trigger, TriggerInfo } from '../core/trigger.js';

/** The period and time of day of a calendar-interval trigger (whole numbers; validated by createTrigger). */
export interface CalendarInterval {
  readonly years: number;
  readonly months: number;
  readonly weeks: number;
  readonly days: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

/**
 * Fire days stepped through before next() gives up (returns null). Each step is at least a day and a
 * lookup starts at most a few steps before its answer (or, with months and days mixed, at the last
 * answer), so this bounds only a pathological spec.
 */
const MAX_STEPS = 100_000;
/** Month steps tried to find a month with the start's day of month (February 29 every 100 years needs 4). */
const MAX_MONTH_SKIPS = 1_000;
/** The last day a Date can hold. */
const MAX_DAY = 100_000_000;

/** One fire of a calendar-interval trigger, with the DST mark when it was moved out of a gap. */
export interface CalendarFire {
  at: number;
  dst?: 'shifted';
}

export class CalendarIntervalTrigger implements Trigger {
  readonly type = 'calendarInterval';
  /** years * 12 + months: the month step. */
  private readonly monthStep: number;
  /** weeks * 7 + days: the day step added after the month step. */
  private readonly dayStep: number;
  private readonly timeMs: number;
  /** With months and days mixed, a fire day of the sequence (and its place) to walk on from. */
  private cursorDay: number;

  /**
   * `startDay` is a local day number (days since 1970-01-01 on the zone's calendar); `endMs` an inclusive
   * instant bound and `endDay` an inclusive local-day bound (either, both or neither).
   */
  constructor(
    readonly interval: CalendarInterval,
    readonly zone: TimeZone,
    readonly startDay: number,
    private readonly endMs: number | null,
    private readonly endDay: number | null,
  ) {
    this.monthStep = interval.years * 12 + interval.months;
    this.dayStep = interval.weeks * 7 + interval.days;
    this.timeMs = ((interval.hour * 60 + interval.minute) * 60 + interval.second) * 1000;
    this.cursorDay = startDay;
  }

  /** The instant of the fire on local day `day`. */
  private fireAt(day: number): number {
    return instantOfLocal(this.zone, day * DAY_MS + this.timeMs);
  }

  /** The fire day after `day` (a fire day), or NaN when there is none a Date can hold. */
  private stepDay(day: number): number {
    let next = day;
    if (this.monthStep > 0) {
      const packed = civilFromDays(day);
      const dayOfMonth = civilDay(packed);
      let monthIndex = civilYear(packed) * 12 + civilMonth(packed) - 1;
      next = Number.NaN;
      for (let i = 0; i < MAX_MONTH_SKIPS; i++) {
        monthIndex += this.monthStep;
        const year = Math.floor(monthIndex / 12);
        const month = monthIndex - year * 12 + 1;
        if (dayOfMonth <= daysInMonth(year, month)) {
          next = daysFromCivil(year, month, dayOfMonth);
          break;
        }
      }
    }
    next += this.dayStep;
    return next > MAX_DAY ? Number.NaN : next;
  }

  /** A fire day of the sequence at or before `day` (the start day when `day` is before it), close to it. */
  private dayAtOrBefore(day: number): number {
    if (day <= this.startDay) return this.startDay;
    if (this.monthStep === 0) {
      return this.startDay + Math.floor((day - this.startDay) / this.dayStep) * this.dayStep;
    }
    if (this.dayStep === 0) {
      // Month steps only: fire days keep the start's day of month; count whole steps to `day`'s month.
      const start = civilFromDays(this.startDay);
      const target = civilFromDays(day);
      const dayOfMonth = civilDay(start);
      const startIndex = civilYear(start) * 12 + civilMonth(start) - 1;
      const targetIndex = civilYear(target) * 12 + civilMonth(target) - 1;
      for (let k = Math.floor((targetIndex - startIndex) / this.monthStep); k > 0; k--) {
        const monthIndex = startIndex + k * this.monthStep;
        const year = Math.floor(monthIndex / 12);
        const month = monthIndex - year * 12 + 1;
        if (dayOfMonth > daysInMonth(year, month)) continue;
        const candidate = daysFromCivil(year, month, dayOfMonth);
        if (candidate <= day) return candidate;
      }
      return this.startDay;
    }
    // Months and days mixed: each step depends on the last, so walk on from the last answer if it is not past `day`.
    return this.cursorDay <= day ? this.cursorDay : this.startDay;
  }

  /** The first fire strictly after `afterMs`, with its DST mark, or null when the trigger is done. */
  nextFire(afterMs: number): CalendarFire | null {
    // Two local days back: a fire on an earlier day is before afterMs whatever DST did to either.
    let day = this.dayAtOrBefore(localDayOf(this.zone, afterMs) - 2);
    for (let steps = 0; steps < MAX_STEPS && !Number.isNaN(day); steps++) {
      if (this.endDay !== null && day > this.endDay) return null;
      const at = this.fireAt(day);
      if (at > afterMs) {
        if (this.endMs !== null && at > this.endMs) return null;
        return at + this.zone.offsetAt(at) === day * DAY_MS + this.timeMs ? { at } : { at, dst: 'shifted' };
      }
      // A fire day before afterMs: later lookups (always later, on the fire path) walk on from it.
      if (this.monthStep !== 0 && this.dayStep !== 0) this.cursorDay = day;
      day = this.stepDay(day);
    }
    return null;
  }

  next(afterMs: number): number | null {
    const fire = this.nextFire(afterMs);
    return fire === null ? null : fire.at;
  }

  nextTime(afterMs: number): number {
    const fire = this.nextFire(afterMs);
    return fire === null ? Number.NaN : fire.at;
  }

  first(nowMs: number): number | null {
    return this.next(nowMs - 1);
  }

  dueFires(firstMs: number, nowMs: number, keep: number): DueFires {
    return walkDueFires((t) => this.next(t), firstMs, nowMs, keep);
  }

  toSpec(): ResolvedTriggerSpec {
    const { years, months, weeks, days, hour, minute, second } = this.interval;
    const spec: ResolvedTriggerSpec & { type: 'calendarInterval' } = {
      type: 'calendarInterval',
      hour,
      minute,
      second,
      timezone: this.zone.name,
      startDate: isoDay(this.startDay),
    };
    // Only the units in use, in the order of the spec type.
    if (years > 0) spec.years = years;
    if (months > 0) spec.months = months;
    if (weeks > 0) spec.weeks = weeks;
    if (days > 0) spec.days = days;
    if (this.endMs !== null) spec.endDate = iso(this.endMs);
    else if (this.endDay !== null) spec.endDate = isoDay(this.endDay);
    return spec;
  }

  toInfo(): TriggerInfo {
    return { ...this.toSpec(), description: this.describe() } as TriggerInfo;
  }

  /** E.g. `every 2 months at 09:00 from 2026-01-31, Europe/Berlin`. */
  describe(): string {
    const { years, months, weeks, days, hour, minute, second } = this.interval;
    const parts: string[] = [];
    const unit = (n: number, name: string): void => {
      if (n > 0) parts.push(n === 1 ? name : `${n} ${name}s`);
    };
    unit(years, 'year');
    unit(months, 'month');
    unit(weeks, 'week');
    unit(days, 'day');
    const period = parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1] ?? ''}` : (parts[0] ?? '');
    const pad = (n: number): string => String(n).padStart(2, '0');
    const time = second === 0 ? `${pad(hour)}:${pad(minute)}` : `${pad(hour)}:${pad(minute)}:${pad(second)}`;
    let text = `every ${period} at ${time} from ${isoDay(this.startDay)}`;
    if (this.endMs !== null) text += ` until ${iso(this.endMs)}`;
    else if (this.endDay !== null) text += ` until ${isoDay(this.endDay)}`;
    // The zone last, as cron's words have it.
    return `${text}, ${this.zone.name}`;
  }

  dispose(): void {
    // Nothing shared: the zone belongs to the scheduler's compiler cache.
  }
}
