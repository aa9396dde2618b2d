/**
 * Judging fires against exclusions: the scheduler's named calendars (loaded from the store, kept here in
 * memory so the fire path never waits on I/O) and a job's own dates and one-off skips. Dates are local
 * dates (`YYYY-MM-DD`) in the calendar's zone, or in the job's for its own dates.
 */
import { civilDay, civilFromDays, civilMonth, civilYear, DAY_MS } from '../core/calendar.js';
import type { CalendarSpec, ExclusionReason, JobExclusion } from '../core/exclusion.js';
import type { CronCompiler } from '../cron/compiler.js';

/** A calendar ready to judge: its dates as a set. */
interface LoadedCalendar {
  readonly spec: CalendarSpec;
  readonly dates: ReadonlySet<string>;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

export class Exclusions {
  private readonly calendars = new Map<string, LoadedCalendar>();

  constructor(private readonly cron: CronCompiler) {}

  /** Replaces every calendar (the store's whole set, at open and after a change elsewhere). */
  replaceAll(specs: ReadonlyMap<string, CalendarSpec>): void {
    this.calendars.clear();
    for (const [name, spec] of specs) this.set(name, spec);
  }

  set(name: string, spec: CalendarSpec): void {
    this.calendars.set(name, { spec, dates: new Set(spec.dates) });
  }

  delete(name: string): void {
    this.calendars.delete(name);
  }

  has(name: string): boolean {
    return this.calendars.has(name);
  }

  get(name: string): CalendarSpec | undefined {
    return this.calendars.get(name)?.spec;
  }

  /** Every calendar, by name. */
  all(): [string, CalendarSpec][] {
    return [...this.calendars].map(([name, c]) => [name, c.spec]);
  }

  /** The local date of `ms` in `zone`, `YYYY-MM-DD`. */
  localDate(ms: number, zone: string): string {
    const day = Math.floor((ms + this.cron.zone(zone).offsetAt(ms)) / DAY_MS);
    const civil = civilFromDays(day);
    return `${pad(civilYear(civil), 4)}-${pad(civilMonth(civil), 2)}-${pad(civilDay(civil), 2)}`;
  }

  /**
   * Why the fire at `ms` is excluded, or null when it runs: a one-off skip first, then the job's own dates,
   * then its calendars in the order it names them. A calendar removed meanwhile (only possible on a store
   * shared with an older node) excludes nothing.
   */
  reason(exclusion: JobExclusion, ms: number): ExclusionReason | null {
    if (exclusion.skip.length > 0 && exclusion.skip.includes(ms)) return 'skip';
    if (exclusion.dates.length > 0 && exclusion.dates.includes(this.localDate(ms, exclusion.timezone))) return 'date';
    for (const name of exclusion.calendars) {
      const calendar = this.calendars.get(name);
      if (calendar !== undefined && this.inCalendar(calendar, ms)) return `calendar ${name}`;
    }
    return null;
  }

  private inCalendar(calendar: LoadedCalendar, ms: number): boolean {
    const date = this.localDate(ms, calendar.spec.timezone);
    if (calendar.dates.has(date)) return true;
    for (const range of calendar.spec.ranges) {
      // `YYYY-MM-DD` strings compare as the dates they write.
      if (range.from <= date && date <= range.to) return true;
    }
    return false;
  }
}
