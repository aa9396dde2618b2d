/**
 * Interval trigger: fires at `start + k * period`, k = 0, 1, 2, ... with no drift: each fire time is
 * computed from the grid, never as "last run + period". Elapsed time, so DST does not affect it.
 */
import { iso } from '../core/format.js';
import type { DueFires, ResolvedTriggerSpec, Trigger, TriggerInfo } from '../core/trigger.js';

export class IntervalTrigger implements Trigger {
  /** The period in seconds, as given. */
  declare readonly seconds: number;
  /** Period in milliseconds (may be fractional). */
  declare private readonly periodMs: number;
  /** The first fire time and grid anchor (epoch ms). */
  declare private readonly startMs: number;
  declare private readonly endMs: number | null;

  private constructor() {
    // Never called: see create().
  }

  /**
   * An object literal with this prototype, not `new`: V8 allocates objects from a literal whose objects
   * survive directly in the old generation (see JobRecord.create); a trigger lives as long as its job.
   */
  static create(seconds: number, startMs: number, endMs: number | null): IntervalTrigger {
    // A trigger is an immutable value: jobs added in the same millisecond with the same period (a bulk
    // registration adds hundreds per millisecond) get the same object.
    const last = lastCreated;
    if (last !== null && last.seconds === seconds && last.startMs === startMs && last.endMs === endMs) return last;
    const trigger = { __proto__: IntervalTrigger.prototype, seconds, periodMs: seconds * 1000, startMs, endMs } as unknown as IntervalTrigger;
    lastCreated = trigger;
    return trigger;
  }

  get type(): 'interval' {
    return 'interval';
  }

  private at(k: number): number {
    // A microsecond of slack keeps float error in k * period (3 * 333.33... = 999.99...) from losing a
    // whole millisecond; fire times are whole milliseconds.
    return this.startMs + Math.floor(k * this.periodMs + 1e-3);
  }

  /**
   * The greatest k with at(k) <= t, or -1 when t is before the start. Written without a branch on t <
   * start so that every call in it runs for a job's first time too (see next()).
   */
  private indexAtOrBefore(t: number): number {
    let k = Math.max(-1, Math.floor((t - this.startMs) / this.periodMs));
    // at(k) first: a job's first fires have k = 0, and a call never made before the code is optimized
    // would deoptimize it when k first exceeds 0 (at(0) = start <= t here, so the order changes nothing).
    while (this.at(k) > t && k > 0) k--;
    while (this.at(k + 1) <= t) k++;
    return k;
  }

  next(afterMs: number): number | null {
    const t = this.nextTime(afterMs);
    return Number.isNaN(t) ? null : t;
  }

  nextTime(afterMs: number): number {
    // One path for every afterMs (before the start, k = -1 and at(0) is the start): a job's first time
    // (at add) and its later fires run the same code, so the fire path is optimized with all of it.
    const t = this.at(this.indexAtOrBefore(afterMs) + 1);
    return this.endMs !== null && t > this.endMs ? Number.NaN : t;
  }

  first(nowMs: number): number | null {
    return this.next(nowMs - 1);
  }

  dueFires(firstMs: number, nowMs: number, keep: number): DueFires {
    if (firstMs > nowMs) return { times: [], total: 0, exact: true, next: firstMs };
    const k0 = this.indexAtOrBefore(Math.max(firstMs, this.startMs));
    let kLast = this.indexAtOrBefore(nowMs);
    if (this.endMs !== null && this.at(kLast) > this.endMs) kLast = this.indexAtOrBefore(this.endMs);
    const total = Math.max(0, kLast - k0 + 1);
    const times: number[] = [];
    for (let k = Math.max(k0, kLast - keep + 1); k <= kLast; k++) times.push(this.at(k));
    const next = this.at(kLast + 1);
    return { times, total, exact: true, next: this.endMs !== null && next > this.endMs ? null : next };
  }

  toSpec(): ResolvedTriggerSpec {
    const spec: ResolvedTriggerSpec = { type: 'interval', seconds: this.seconds, startDate: iso(this.startMs) };
    if (this.endMs !== null) spec.endDate = iso(this.endMs);
    return spec;
  }

  toInfo(): TriggerInfo {
    // The description last, as it always was; one literal for the common shape (no end date).
    if (this.endMs === null) return { type: 'interval', seconds: this.seconds, startDate: iso(this.startMs), description: this.describe() };
    return { ...this.toSpec(), description: this.describe() } as TriggerInfo;
  }

  describe(): string {
    // Jobs added together usually share a period: remember the last description.
    if (this.seconds !== lastDescribed) {
      lastDescription = `every ${describeSeconds(this.seconds)}`;
      lastDescribed = this.seconds;
    }
    return lastDescription;
  }

  dispose(): void {
    // Nothing shared.
  }
}

// Last-value memos of pure functions of immutable values (a trigger never changes, a description depends
// only on the period): sharing them between schedulers cannot give a wrong answer, and they hold one small
// value each.
let lastCreated: IntervalTrigger | null = null;
let lastDescribed = Number.NaN;
let lastDescription = '';

/** "second", "5 seconds", "15 minutes", "2 hours", "day", "1.5 seconds". */
export function describeSeconds(seconds: number): string {
  const units: [number, string][] = [
    [86_400, 'day'],
    [3_600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  for (const [size, unit] of units) {
    if (seconds >= size && seconds % size === 0) {
      const n = seconds / size;
      return n === 1 ? unit : `${n} ${unit}s`;
    }
  }
  return `${seconds} seconds`;
}
