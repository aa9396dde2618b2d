/**
 * One scheduler's cron cache: parsed patterns shared by expression string with a reference count (a removed
 * job frees its pattern when it was the last user), zones by name, and the last next time per (pattern,
 * zone), so a million jobs on `0 0 * * *` added in one second compute their next time once.
 */
import { describeCron } from './describe.js';
import { nextCronTime } from './next.js';
import { parseCron, type CronPattern } from './pattern.js';
import { TimeZone } from './zone.js';

/**
 * One (pattern, zone) pair: the last answer there (the next time after any instant in the second
 * `afterSecond`), and the trigger its jobs without start or end dates share.
 */
export interface Memo {
  readonly zone: TimeZone;
  afterSecond: number;
  result: number | null;
  /** The pattern's memo for another zone. A pattern is used in one zone or a few, so a list will do. */
  next: Memo | null;
  /** Kept for the trigger module (see CronTrigger.boundless): one object for every such job. */
  trigger: object | null;
}

/** A pattern shared by every job with the same expression; triggers hold it to skip lookups. */
export interface SharedPattern {
  readonly pattern: CronPattern;
  /** Holders: acquire/share add one, release/unshare take one away. */
  refs: number;
  memos: Memo | null;
  description: string | null;
}

/** Parsed patterns, zones and next-time memos for one scheduler. Nothing is shared between instances. */
export class CronCompiler {
  /** By trimmed expression, which is also each pattern's `expression`. */
  private readonly entries = new Map<string, SharedPattern>();
  private readonly zones = new Map<string, TimeZone>();
  /** The last expression string shared and its entry (see share). */
  private lastShared: { readonly given: string; readonly entry: SharedPattern } | null = null;
  private lastZone: TimeZone | null = null;
  /** The last describeIn answer and what it was for. */
  private lastDescribed: SharedPattern | null = null;
  private lastDescribedZone: TimeZone | null = null;
  private lastDescription = '';

  /**
   * The parsed pattern of `expression`, shared by everyone who acquired the same (trimmed) string; call
   * `release` once per `acquire`. Throws CronError for an invalid expression.
   */
  acquire(expression: string): CronPattern {
    return this.share(expression).pattern;
  }

  /** Like acquire, returning the shared entry itself, for nextShared/describeShared/unshare without lookups. */
  share(expression: string): SharedPattern {
    // Jobs are often added in runs on one expression: the last one answers without trim and lookup
    // while it is still the entry held for its expression.
    const last = this.lastShared;
    if (last !== null && last.given === expression && last.entry.refs > 0) {
      last.entry.refs++;
      return last.entry;
    }
    const key = typeof expression === 'string' ? expression.trim() : expression;
    let entry = this.entries.get(key);
    if (entry === undefined) {
      const pattern = parseCron(expression);
      entry = { pattern, refs: 0, memos: null, description: null };
      this.entries.set(pattern.expression, entry);
    }
    entry.refs++;
    this.lastShared = { given: expression, entry };
    return entry;
  }

  /** Gives back one reference to `expression`'s pattern; the last one drops the pattern and its memos. */
  release(expression: string): void {
    const entry = this.entries.get(expression.trim());
    if (entry !== undefined) this.unshare(entry);
  }

  /** Gives back one reference taken by share. */
  unshare(entry: SharedPattern): void {
    if (--entry.refs <= 0 && this.entries.get(entry.pattern.expression) === entry) this.entries.delete(entry.pattern.expression);
  }

  /** The zone named `name`, cached; throws CronError (kind `timezone`) for an unknown name. */
  zone(name: string): TimeZone {
    if (this.lastZone !== null && this.lastZone.name === name) return this.lastZone;
    let zone = this.zones.get(name);
    if (zone === undefined) {
      zone = new TimeZone(name);
      this.zones.set(name, zone);
    }
    this.lastZone = zone;
    return zone;
  }

  /**
   * nextCronTime(pattern, zone, afterMs), memoized per (pattern, zone) on the second of `afterMs` (the
   * answer depends on nothing finer). A pattern this compiler does not hold is computed without a memo.
   */
  next(pattern: CronPattern, zone: TimeZone, afterMs: number): number | null {
    const entry = this.entries.get(pattern.expression);
    if (entry === undefined || entry.pattern !== pattern) return nextCronTime(pattern, zone, afterMs);
    return this.nextShared(entry, zone, afterMs);
  }

  /** next() for a shared entry. */
  nextShared(entry: SharedPattern, zone: TimeZone, afterMs: number): number | null {
    const second = Math.floor(afterMs / 1000);
    const memo = this.memo(entry, zone);
    if (memo.afterSecond === second) return memo.result;
    const result = nextCronTime(entry.pattern, zone, afterMs);
    memo.afterSecond = second;
    memo.result = result;
    return result;
  }

  /** The (pattern, zone) memo of a shared entry, made on first use; it goes when the pattern goes. */
  memo(entry: SharedPattern, zone: TimeZone): Memo {
    let memo = entry.memos;
    while (memo !== null && memo.zone !== zone) memo = memo.next;
    if (memo === null) {
      memo = { zone, afterSecond: Number.NaN, result: null, next: entry.memos, trigger: null };
      entry.memos = memo;
    }
    return memo;
  }

  /** describeCron of a pattern, computed once per shared pattern. */
  describe(pattern: CronPattern): string {
    const entry = this.entries.get(pattern.expression);
    if (entry === undefined || entry.pattern !== pattern) return describeCron(pattern);
    return this.describeShared(entry);
  }

  /** describe() for a shared entry. */
  describeShared(entry: SharedPattern): string {
    entry.description ??= describeCron(entry.pattern);
    return entry.description;
  }

  /** The description with its zone ("at 02:30, Europe/Berlin"), as a job shows it. */
  describeIn(entry: SharedPattern, zone: TimeZone): string {
    // Jobs added together usually share an expression and zone: remember the last description.
    if (entry !== this.lastDescribed || zone !== this.lastDescribedZone) {
      this.lastDescription = `${this.describeShared(entry)}, ${zone.name}`;
      this.lastDescribed = entry;
      this.lastDescribedZone = zone;
    }
    return this.lastDescription;
  }

  /** Distinct expressions held. */
  get size(): number {
    return this.entries.size;
  }
}
