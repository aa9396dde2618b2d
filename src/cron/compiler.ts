/**
 * One scheduler's cron cache: parsed patterns shared by expression string with a reference count (a removed
 * job frees its pattern when it was the last user), zones by name, and the last next time per (pattern,
 * zone), so a million jobs on `0 0 * * *` added in one second compute their next time once.
 *
 * An expression with `H` has different values for every job id, so its patterns are shared by expression
 * and job id (a job re-added with the same id and expression gets the same pattern back).
 */
import { describeCron } from './describe.js';
import { nextCronTime } from './next.js';
import { parseCron, usesHash, type CronPattern } from './pattern.js';
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
  /** The key it is held under: the trimmed expression, followed by NUL and the job id when it uses H. */
  readonly key: string;
  /** Its values depend on the job id (the expression uses H). */
  readonly hashed: boolean;
  /** Holders: acquire/share add one, release/unshare take one away. */
  refs: number;
  memos: Memo | null;
  description: string | null;
}

/** Parsed patterns, zones and next-time memos for one scheduler. Nothing is shared between instances. */
export class CronCompiler {
  /** By key (see SharedPattern.key): the trimmed expression, which is each pattern's `expression`, or with H also the job id. */
  private readonly entries = new Map<string, SharedPattern>();
  private readonly zones = new Map<string, TimeZone>();
  /** The last expression string shared, the job id it was shared for, and its entry (see share). */
  private lastShared: { readonly given: string; readonly jobId: string | undefined; readonly entry: SharedPattern } | null = null;
  private lastZone: TimeZone | null = null;
  /** The last describeIn answer and what it was for. */
  private lastDescribed: SharedPattern | null = null;
  private lastDescribedZone: TimeZone | null = null;
  private lastDescription = '';

  /**
   * The parsed pattern of `expression`, shared by everyone who acquired the same (trimmed) string; call
   * `release` once per `acquire`. `jobId` is what `H` hashes (ignored without H). Throws CronError for an
   * invalid expression, and for one with H and no job id.
   */
  acquire(expression: string, jobId?: string): CronPattern {
    return this.share(expression, jobId).pattern;
  }

  /** Like acquire, returning the shared entry itself, for nextShared/describeShared/unshare without lookups. */
  share(expression: string, jobId?: string): SharedPattern {
    // Jobs are often added in runs on one expression: the last one answers without trim and lookup
    // while it is still the entry held for its expression (and, with H, the same job id).
    const last = this.lastShared;
    if (last !== null && last.given === expression && last.entry.refs > 0 && (!last.entry.hashed || last.jobId === jobId)) {
      last.entry.refs++;
      return last.entry;
    }
    const key = this.keyOf(expression, jobId);
    let entry = this.entries.get(key);
    if (entry === undefined) {
      const pattern = parseCron(expression, jobId);
      entry = { pattern, key, hashed: key !== pattern.expression, refs: 0, memos: null, description: null };
      this.entries.set(key, entry);
    }
    entry.refs++;
    this.lastShared = { given: expression, jobId, entry };
    return entry;
  }

  /** Gives back one reference to `expression`'s pattern (for `jobId`, with H); the last one drops the pattern and its memos. */
  release(expression: string, jobId?: string): void {
    const entry = this.entries.get(this.keyOf(expression, jobId));
    if (entry !== undefined) this.unshare(entry);
  }

  /** Gives back one reference taken by share. */
  unshare(entry: SharedPattern): void {
    if (--entry.refs <= 0 && this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
  }

  /**
   * Where an expression's pattern is held: its trimmed text, plus NUL and the job id when it uses H (NUL
   * cannot occur in an expression, so keys never collide). An unusable input is returned as it is, for
   * parseCron to refuse.
   */
  private keyOf(expression: string, jobId: string | undefined): string {
    if (typeof expression !== 'string') return expression;
    const trimmed = expression.trim();
    return jobId !== undefined && usesHash(trimmed) ? `${trimmed}\u0000${jobId}` : trimmed;
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
    // A pattern with H is held under a key with its job id: found here only by the triggers that hold it.
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
