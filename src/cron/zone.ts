/**
 * UTC offsets and DST transitions of one IANA zone, from the platform's Intl data.
 *
 * Intl answers "what is the wall time at this instant" in about a microsecond: too slow to ask for every
 * next-time computation. So each calendar year's transitions are found once (the offset sampled weekly,
 * each change bisected to the exact second) and kept in the instance, and the segment of constant offset
 * last asked about is cached in a few fields, so the cron engine's questions cost a comparison.
 * Assumes no two transitions within one week, true of every zone's rules since 1970 (the closest pairs,
 * Ramadan suspensions of DST, are weeks apart). `UTC`, `GMT` and `Etc/*` have a fixed offset and skip all
 * of this.
 */
import { CronError } from './cron-error.js';
import { DAY_MS, civilDay, civilFromDays, utcYear, yearStartMs } from '../core/calendar.js';

/** Sampling step when building a year's table. */
const SAMPLE_MS = 7 * DAY_MS;
/** Year tables kept per zone; past this many the cache is cleared (a preview centuries ahead). */
const MAX_CACHED_YEARS = 64;
/**
 * How far nextTransition looks: to the end of the second calendar year after the instant's (2-3 years).
 * The cron engine treats "none" as "none yet" and asks again from further on.
 */
const HORIZON_YEARS = 2;
/** The instants `Date` and Intl accept: ±100 000 000 days around 1970. */
const MAX_INSTANT = 8.64e15;

interface YearTable {
  /** The offset in force as the year starts (before a transition at its first second, if any). */
  readonly before: number;
  /** Instants in the year where the offset changes, ascending, and the offset from each one on. */
  readonly at: readonly number[];
  readonly offsets: readonly number[];
}

/** One IANA time zone: offsets and DST transitions, cached per calendar year. */
export class TimeZone {
  /** The name as given (validated). */
  readonly name: string;
  /** The offset of a zone without transitions (UTC, Etc/GMT+5), or null. */
  private readonly fixedOffset: number | null;
  private readonly format: Intl.DateTimeFormat;
  private readonly years = new Map<number, YearTable>();
  // The segment last looked up: [segStart, segEnd) has offset segOffset. segPrev is the transition that
  // started it (NaN if none since the start of the previous year), segNext the one that ends it (NaN if
  // none within the horizon; segEnd is then only where this cached answer stops being valid).
  private segStart = 1;
  private segEnd = 0;
  private segOffset = 0;
  private segPrev = Number.NaN;
  private segNext = Number.NaN;

  /** Throws CronError (kind `timezone`) for a name that is not an IANA zone. */
  constructor(name: string) {
    if (!TimeZone.isValid(name)) {
      const shown = typeof name === 'string' ? `"${name.slice(0, 64)}"` : typeof name;
      throw new CronError('timezone', name, `Unknown time zone ${shown}; it must be an IANA name such as "Europe/Berlin", "America/New_York" or "UTC".`);
    }
    this.name = name;
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    this.fixedOffset = isFixedZone(name) ? this.intlOffset(0) : null;
  }

  /** Whether `name` is a time zone the platform knows (IANA names, in any case). */
  static isValid(name: string): boolean {
    if (typeof name !== 'string' || name.length === 0 || name.length > 64) return false;
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: name });
      return true;
    } catch {
      // RangeError: not a zone the platform knows. Answering false is this method's purpose.
      return false;
    }
  }

  /** Offset in ms at `utcMs`: local wall time = utcMs + offset. */
  offsetAt(utcMs: number): number {
    if (this.fixedOffset !== null) return this.fixedOffset;
    if (!(utcMs >= this.segStart && utcMs < this.segEnd)) this.lookup(utcMs);
    return this.segOffset;
  }

  /**
   * The first instant after `utcMs` where the offset changes, looking to the end of the second calendar
   * year after `utcMs`'s; null when there is none that soon (or ever, in a fixed zone).
   */
  nextTransition(utcMs: number): number | null {
    if (this.fixedOffset !== null) return null;
    if (!(utcMs >= this.segStart && utcMs < this.segEnd)) this.lookup(utcMs);
    return Number.isNaN(this.segNext) ? null : this.segNext;
  }

  /**
   * The last instant at or before `utcMs` where the offset changed, looking back to the start of the
   * previous calendar year; null when there is none that recent.
   */
  previousTransition(utcMs: number): number | null {
    if (this.fixedOffset !== null) return null;
    if (!(utcMs >= this.segStart && utcMs < this.segEnd)) this.lookup(utcMs);
    return Number.isNaN(this.segPrev) ? null : this.segPrev;
  }

  /** Fills the segment cache with the segment holding `utcMs`. */
  private lookup(utcMs: number): void {
    const t = Math.min(Math.max(utcMs, -MAX_INSTANT), MAX_INSTANT);
    if (Number.isNaN(t)) {
      // Answer with 1970's offset and no transitions, caching nothing.
      this.segStart = 1;
      this.segEnd = 0;
      this.segOffset = this.intlOffset(0);
      this.segPrev = Number.NaN;
      this.segNext = Number.NaN;
      return;
    }
    const y = utcYear(t);
    const table = this.year(y);
    let i = -1;
    while (i + 1 < table.at.length && (table.at[i + 1] as number) <= t) i++;
    this.segOffset = i >= 0 ? (table.offsets[i] as number) : table.before;
    if (i >= 0) {
      this.segPrev = table.at[i] as number;
    } else {
      const earlier = this.year(y - 1).at;
      this.segPrev = earlier.length > 0 ? (earlier[earlier.length - 1] as number) : Number.NaN;
    }
    this.segStart = Number.isNaN(this.segPrev) ? yearStartMs(y - 1) : this.segPrev;
    this.segNext = Number.NaN;
    if (i + 1 < table.at.length) {
      this.segNext = table.at[i + 1] as number;
    } else {
      for (let n = 1; n <= HORIZON_YEARS && Number.isNaN(this.segNext); n++) {
        const later = this.year(y + n).at;
        if (later.length > 0) this.segNext = later[0] as number;
      }
    }
    // With no transition in sight, "none" holds for instants of this year only: one asked about next
    // year must look two years past that.
    this.segEnd = Number.isNaN(this.segNext) ? yearStartMs(y + 1) : this.segNext;
    if (utcMs !== t) {
      // Clamped to the range Intl knows: answered, but not cached.
      this.segStart = 1;
      this.segEnd = 0;
    }
  }

  private year(y: number): YearTable {
    let table = this.years.get(y);
    if (table === undefined) {
      if (this.years.size >= MAX_CACHED_YEARS) this.years.clear();
      table = this.computeYear(y);
      this.years.set(y, table);
    }
    return table;
  }

  /** The year's transitions: the offset sampled weekly, each change bisected to the second. */
  private computeYear(y: number): YearTable {
    // Start at the last second of the previous year, so a transition at the year's first second counts.
    // Clamped to the instants Intl accepts (a year past them has no transitions we can know).
    const first = Math.min(Math.max(yearStartMs(y) - 1000, -MAX_INSTANT), MAX_INSTANT);
    const last = Math.min(Math.max(yearStartMs(y + 1) - 1000, -MAX_INSTANT), MAX_INSTANT);
    const at: number[] = [];
    const offsets: number[] = [];
    let t = first;
    let previous = this.intlOffset(t);
    const before = previous;
    while (t < last) {
      const next = Math.min(t + SAMPLE_MS, last);
      const offset = this.intlOffset(next);
      if (offset === previous) {
        t = next;
        continue;
      }
      // Bisect (t, next] to the first whole second with another offset (transitions fall on whole seconds).
      let lo = t;
      let hi = next;
      while (hi - lo > 1000) {
        const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
        if (this.intlOffset(mid) === previous) lo = mid;
        else hi = mid;
      }
      previous = this.intlOffset(hi);
      at.push(hi);
      offsets.push(previous);
      // Go on from the transition, so a further change within the same week is still seen.
      t = hi;
    }
    return { before, at, offsets };
  }

  /** The offset at an instant, straight from Intl (about 1 µs: used only to build the year tables). */
  private intlOffset(utcMs: number): number {
    // The wall time of day from the formatted "M/D/YYYY, HH:MM:SS". The year is not read (years before
    // 1 would need an era); the day of month tells whether the wall clock is a day ahead or behind.
    const text = this.format.format(utcMs);
    let field = 0;
    let value = 0;
    let day = 0;
    let hour = 0;
    let minute = 0;
    let previousIsDigit = false;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i) - 48;
      if (c >= 0 && c <= 9) {
        value = value * 10 + c;
        previousIsDigit = true;
        continue;
      }
      if (previousIsDigit) {
        if (field === 1) day = value;
        else if (field === 3) hour = value;
        else if (field === 4) minute = value;
        field++;
        value = 0;
        previousIsDigit = false;
      }
    }
    const second = value;
    const whole = Math.floor(utcMs / 1000) * 1000;
    const utcDays = Math.floor(whole / DAY_MS);
    const utcTime = whole - utcDays * DAY_MS;
    const wallTime = ((hour * 60 + minute) * 60 + second) * 1000;
    const utcDay = civilDay(civilFromDays(utcDays));
    // Offsets are less than a day, so another day of month is the next date or the previous one.
    let dayShift = 0;
    if (day === utcDay + 1) dayShift = 1;
    else if (day === utcDay - 1) dayShift = -1;
    else if (day !== utcDay) dayShift = day === 1 ? 1 : -1; // across the end of a month
    return wallTime - utcTime + dayShift * DAY_MS;
  }
}

/** UTC and its aliases, and `Etc/*`: zones whose offset never changes. */
function isFixedZone(name: string): boolean {
  const n = name.toUpperCase();
  return (
    n.startsWith('ETC/') ||
    n === 'UTC' ||
    n === 'UCT' ||
    n === 'GMT' ||
    n === 'GMT0' ||
    n === 'GMT+0' ||
    n === 'GMT-0' ||
    n === 'UNIVERSAL' ||
    n === 'ZULU' ||
    n === 'GREENWICH'
  );
}

/** The zone of this machine (Intl's resolved zone), used when no zone is configured. */
export function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}
