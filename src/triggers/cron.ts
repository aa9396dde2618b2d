/**
 * Cron trigger: an expression read in one IANA zone, with cronie's DST policy (see src/cron/next.ts).
 * The parsed pattern is shared by every job with the same expression string through the scheduler's
 * CronCompiler, which also remembers the last next time per pattern and zone.
 */
import type { CronCompiler, SharedPattern } from '../cron/compiler.js';
import type { CronPattern } from '../cron/pattern.js';
import type { TimeZone } from '../cron/zone.js';
import { nextCronFire, type CronFire } from '../cron/next.js';
import { iso } from '../core/format.js';
import { walkDueFires } from './due-fires.js';
import type { DueFires, ResolvedTriggerSpec, Trigger, TriggerInfo } from '../core/trigger.js';

export class CronTrigger implements Trigger {
  declare private readonly compiler: CronCompiler;
  declare private readonly shared: SharedPattern;
  declare readonly zone: TimeZone;
  declare private readonly startMs: number | null;
  declare private readonly endMs: number | null;

  private constructor() {
    // Never called: see create().
  }

  /**
   * An object literal with this prototype, not `new`: V8 allocates objects from a literal whose objects
   * survive directly in the old generation (see JobRecord.create); a trigger lives as long as its job.
   */
  static create(compiler: CronCompiler, shared: SharedPattern, zone: TimeZone, startMs: number | null, endMs: number | null): CronTrigger {
    const trigger = { __proto__: CronTrigger.prototype, compiler, shared, zone, startMs, endMs };
    return trigger as unknown as CronTrigger;
  }

  /**
   * The trigger of a pattern in a zone without start or end dates: one object for all such jobs (a
   * trigger holds no per-job state), kept on the pattern's memo for the zone. A million jobs on
   * `0 0 * * *` then hold one trigger, not a million. Each job still took its own reference to the
   * pattern (`share`) and gives it back with dispose().
   */
  static boundless(compiler: CronCompiler, shared: SharedPattern, zone: TimeZone): CronTrigger {
    const memo = compiler.memo(shared, zone);
    memo.trigger ??= CronTrigger.create(compiler, shared, zone, null, null);
    return memo.trigger as CronTrigger;
  }

  get type(): 'cron' {
    return 'cron';
  }

  get pattern(): CronPattern {
    return this.shared.pattern;
  }

  next(afterMs: number): number | null {
    const after = this.startMs !== null && afterMs < this.startMs ? this.startMs - 1 : afterMs;
    const t = this.compiler.nextShared(this.shared, this.zone, after);
    return t === null || (this.endMs !== null && t > this.endMs) ? null : t;
  }

  nextTime(afterMs: number): number {
    const t = this.next(afterMs);
    return t === null ? Number.NaN : t;
  }

  /** Like next(), with the DST mark ("shifted" out of a gap, "repeated" in an overlap); not memoized. */
  nextFire(afterMs: number): CronFire | null {
    const after = this.startMs !== null && afterMs < this.startMs ? this.startMs - 1 : afterMs;
    const fire = nextCronFire(this.pattern, this.zone, after);
    return fire === null || (this.endMs !== null && fire.at > this.endMs) ? null : fire;
  }

  first(nowMs: number): number | null {
    return this.next(nowMs - 1);
  }

  dueFires(firstMs: number, nowMs: number, keep: number): DueFires {
    return walkDueFires((t) => this.next(t), firstMs, nowMs, keep);
  }

  toSpec(): ResolvedTriggerSpec {
    const spec: ResolvedTriggerSpec = { type: 'cron', expression: this.pattern.expression, timezone: this.zone.name };
    if (this.startMs !== null) spec.startDate = iso(this.startMs);
    if (this.endMs !== null) spec.endDate = iso(this.endMs);
    return spec;
  }

  toInfo(): TriggerInfo {
    // The description last, as it always was; one literal for the common shape (no dates).
    if (this.startMs === null && this.endMs === null) {
      return { type: 'cron', expression: this.shared.pattern.expression, timezone: this.zone.name, description: this.describe() };
    }
    return { ...this.toSpec(), description: this.describe() } as TriggerInfo;
  }

  describe(): string {
    return this.compiler.describeIn(this.shared, this.zone);
  }

  /**
   * Gives back one job's reference to the pattern: once per job, also when jobs share this trigger.
   * (A second call for the same job only lets the pattern go early from the cache; nothing breaks.)
   */
  dispose(): void {
    this.compiler.unshare(this.shared);
  }
}
