/**
 * One scheduler's cron cache: parsed patterns shared by expression string with a reference count (a
 * removed job frees its pattern when it was the last user), zones by name, and the last next time per
 * pattern, so a million jobs on `0 0 * * *` added in one second compute their next time once.
 */
import { describeCron } from './describe.js';
import { nextCronTime } from './next.js';
import { parseCron, type CronPattern } from './pattern.js';
import { TimeZone } from './zone.js';

/** A pattern shared by every job with the same expression; triggers hold it to skip lookups. */
export interface SharedPattern {
  readonly pattern: CronPattern;
  refs: number;
  /** One-slot memo: the answer for (memoZone, after-second). */
  memoZone: TimeZone | null;
  memoAfterSecond: number;
  memoResult: number | null;
  description: string | null;
}

export class CronCompiler {
  private readonly entries = new Map<string, SharedPattern>();
  private readonly byPattern = new WeakMap<CronPattern, SharedPattern>();
  private readonly zones = new Map<string, TimeZone>();

  /** The parsed pattern of `expression`, shared; call `release` once per `acquire`. */
  acquire(expression: string): CronPattern {
    return this.share(expression).pattern;
  }

  /** Like acquire, returning the shared entry itself (for next/describe/unshare without lookups). */
  share(expression: string): SharedPattern {
    const key = typeof expression === 'string' ? expression.trim() : expression;
    let entry = this.entries.get(key);
    if (entry === undefined) {
      const pattern = parseCron(expression);
      entry = { pattern, refs: 0, memoZone: null, memoAfterSecond: Number.NaN, memoResult: null, description: null };
      this.entries.set(key, entry);
      this.byPattern.set(pattern, entry);
    }
    entry.refs++;
    return entry;
  }

  unshare(entry: SharedPattern): void {
    if (--entry.refs <= 0 && this.entries.get(entry.pattern.expression) === entry) this.entries.delete(entry.pattern.expression);
  }

  /** The next fire strictly after `afterMs`, memoized per (zone, second) on the shared entry. */
  nextShared(entry: SharedPattern, zone: TimeZone, afterMs: number): number | null {
    const second = Math.floor(afterMs / 1000);
    if (entry.memoZone === zone && entry.memoAfterSecond === second) return entry.memoResult;
    const result = nextCronTime(entry.pattern, zone, afterMs);
    entry.memoZone = zone;
    entry.memoAfterSecond = second;
    entry.memoResult = result;
    return result;
  }

  describeShared(entry: SharedPattern): string {
    entry.description ??= describeCron(entry.pattern);
    return entry.description;
  }

  release(expression: string): void {
    const key = expression.trim();
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    if (--entry.refs <= 0) this.entries.delete(key);
  }

  /** The zone named `name`, cached; throws InvalidTriggerError for an unknown name. */
  zone(name: string): TimeZone {
    let zone = this.zones.get(name);
    if (zone === undefined) {
      zone = new TimeZone(name);
      this.zones.set(name, zone);
    }
    return zone;
  }

  /** The next fire time strictly after `afterMs`, memoized per (pattern, zone, second of afterMs). */
  next(pattern: CronPattern, zone: TimeZone, afterMs: number): number | null {
    const entry = this.byPattern.get(pattern);
    const second = Math.floor(afterMs / 1000);
    if (entry !== undefined && entry.memoZone === zone && entry.memoAfterSecond === second) return entry.memoResult;
    const result = nextCronTime(pattern, zone, afterMs);
    if (entry !== undefined) {
      entry.memoZone = zone;
      entry.memoAfterSecond = second;
      entry.memoResult = result;
    }
    return result;
  }

  /** describeCron of a pattern, computed once per shared pattern. */
  describe(pattern: CronPattern): string {
    const entry = this.byPattern.get(pattern);
    if (entry === undefined) return describeCron(pattern);
    entry.description ??= describeCron(pattern);
    return entry.description;
  }

  /** Distinct expressions held. */
  get size(): number {
    return this.entries.size;
  }
}
