/**
 * UTC offsets and DST transitions of one IANA zone, from the platform's Intl data. Each calendar year's
 * transitions are found once (the offset sampled weekly, then bisected to the exact second where it
 * changes) and cached, so the cron engine asks for offsets without calling Intl in its hot path.
 * Assumes no two transitions within one week, true of every zone's rules since 1970.
 */
import { InvalidTriggerError } from '../scheduler/errors.js';

/** Sampling step when building a year's table: a week (no zone has had two transitions within one). */
const SAMPLE_MS = 7 * 86_400_000;
/** Years of transitions kept per zone before the cache is cleared (a preview far in the future). */
const MAX_CACHED_YEARS = 64;
/** How many years ahead nextTransition looks before answering "none". */
const TRANSITION_HORIZON_YEARS = 11;

interface YearTransitions {
  /** Offset (ms) at the start of the year. */
  readonly startOffset: number;
  /** Instants where the offset changes, ascending, and the offset from each on. */
  readonly at: number[];
  readonly offsets: number[];
}

export class TimeZone {
  private readonly format: Intl.DateTimeFormat | null;
  private readonly years = new Map<number, YearTransitions>();

  /** Throws InvalidTriggerError for a name that is not an IANA zone. */
  constructor(readonly name: string) {
    if (!TimeZone.isValid(name)) {
      throw new InvalidTriggerError(`Unknown time zone "${String(name).slice(0, 60)}"; use an IANA name such as "Europe/Berlin", "America/New_York" or "UTC".`, { path: 'trigger.timezone' });
    }
    this.format = isUtc(name) ? null : new Intl.DateTimeFormat('en-US', {
      timeZone: name, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
      hour: 'numeric', minute: 'numeric', second: 'numeric', era: 'short',
    });
  }

  static isValid(name: string): boolean {
    if (typeof name !== 'string' || name.length === 0 || name.length > 64) return false;
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: name });
      return true;
    } catch {
      // RangeError: not a zone the platform knows. Answering false is the point of this method.
      return false;
    }
  }

  /** Offset in ms at `utcMs`: local wall time = utcMs + offset. */
  offsetAt(utcMs: number): number {
    if (this.format === null) return 0;
    const year = this.yearOf(utcMs);
    let offset = year.startOffset;
    for (let i = 0; i < year.at.length && (year.at[i] as number) <= utcMs; i++) offset = year.offsets[i] as number;
    return offset;
  }

  /** The first instant after `utcMs` where the offset changes, or null when none comes within ~11 years. */
  nextTransition(utcMs: number): number | null {
    if (this.format === null) return null;
    let y = new Date(utcMs).getUTCFullYear();
    for (let n = 0; n <= TRANSITION_HORIZON_YEARS; n++, y++) {
      const year = this.year(y);
      for (const t of year.at) if (t > utcMs) return t;
    }
    return null;
  }

  /** The last transition at or before `utcMs`, looking back into the previous year, or null. */
  previousTransition(utcMs: number): number | null {
    if (this.format === null) return null;
    const y = new Date(utcMs).getUTCFullYear();
    for (const year of [this.year(y), this.year(y - 1)]) {
      for (let i = year.at.length - 1; i >= 0; i--) if ((year.at[i] as number) <= utcMs) return year.at[i] as number;
    }
    return null;
  }

  private yearOf(utcMs: number): YearTransitions {
    return this.year(new Date(utcMs).getUTCFullYear());
  }

  private year(y: number): YearTransitions {
    let data = this.years.get(y);
    if (data === undefined) {
      if (this.years.size >= MAX_CACHED_YEARS) this.years.clear();
      data = this.computeYear(y);
      this.years.set(y, data);
    }
    return data;
  }

  private computeYear(y: number): YearTransitions {
    const start = Date.UTC(y, 0, 1);
    const end = Date.UTC(y + 1, 0, 1);
    const at: number[] = [];
    const offsets: number[] = [];
    const startOffset = this.intlOffset(start);
    let previous = startOffset;
    let t = start;
    while (t < end) {
      const next = Math.min(t + SAMPLE_MS, end);
      const offset = this.intlOffset(next);
      if (offset !== previous) {
        // Bisect to the first second with the new offset (transitions fall on whole seconds).
        let lo = t;
        let hi = next;
        while (hi - lo > 1000) {
          const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
          if (this.intlOffset(mid) === previous) lo = mid;
          else hi = mid;
        }
        if (hi < end) {
          at.push(hi);
          offsets.push(offset);
        }
        previous = offset;
      }
      t = next;
    }
    return { startOffset, at, offsets };
  }

  /** The offset at an instant, straight from Intl (slow: used only to build the year tables). */
  private intlOffset(utcMs: number): number {
    const parts = (this.format as Intl.DateTimeFormat).formatToParts(utcMs);
    let year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0, bc = false;
    for (const part of parts) {
      switch (part.type) {
        case 'year': year = Number(part.value); break;
        case 'month': month = Number(part.value); break;
        case 'day': day = Number(part.value); break;
        case 'hour': hour = Number(part.value); break;
        case 'minute': minute = Number(part.value); break;
        case 'second': second = Number(part.value); break;
        case 'era': bc = part.value.startsWith('B'); break;
        default: break;
      }
    }
    const wall = Date.UTC(bc ? 1 - year : year, month - 1, day, hour, minute, second);
    const whole = Math.floor(utcMs / 1000) * 1000;
    return wall - whole;
  }
}

function isUtc(name: string): boolean {
  const n = name.toUpperCase();
  return n === 'UTC' || n === 'ETC/UTC' || n === 'GMT' || n === 'ETC/GMT' || n === 'Z' || n === 'ETC/UCT' || n === 'UCT';
}

/** The zone of this machine (Intl's resolved zone), used when no zone is configured. */
export function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}
