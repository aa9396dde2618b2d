/** Date trigger: fires once, at `runAt`. A past date is still returned by `first` (the misfire rule decides). */
import { iso } from '../core/format.js';
import type { DueFires, ResolvedTriggerSpec, Trigger, TriggerInfo } from '../core/trigger.js';

export class DateTrigger implements Trigger {
  readonly type = 'date';

  constructor(private readonly runAtMs: number) {}

  next(afterMs: number): number | null {
    return this.runAtMs > afterMs ? this.runAtMs : null;
  }

  nextTime(afterMs: number): number {
    return this.runAtMs > afterMs ? this.runAtMs : Number.NaN;
  }

  first(): number | null {
    return this.runAtMs;
  }

  dueFires(firstMs: number, nowMs: number): DueFires {
    return firstMs <= nowMs && firstMs === this.runAtMs
      ? { times: [firstMs], total: 1, exact: true, next: null }
      : { times: [], total: 0, exact: true, next: this.next(nowMs) };
  }

  toSpec(): ResolvedTriggerSpec {
    return { type: 'date', runAt: iso(this.runAtMs) };
  }

  toInfo(): TriggerInfo {
    return { type: 'date', runAt: iso(this.runAtMs), description: this.describe() };
  }

  describe(): string {
    return `once at ${iso(this.runAtMs)}`;
  }

  dispose(): void {
    // Nothing shared.
  }
}
