/**
 * Combined triggers, nestable: `or` fires when any of its triggers fires, `and` at the instants on which
 * all of them fire.
 *
 * `or` is the earliest next fire of its triggers; an instant several of them share is one fire, because
 * next(after) is strictly after the last fire. `and` searches: the candidate is the first trigger's next
 * fire; each trigger is asked for its first fire at or after the candidate, and a later answer becomes the
 * new candidate, until all agree. The search is bounded (AND_MAX_ROUNDS candidates, AND_HORIZON_MS past
 * `after`): triggers that never coincide (`*\/2` and `1-59/2` minutes) would otherwise loop forever. Past
 * the bound next() answers null: at add or reschedule that is INVALID_TRIGGER (see noFireReason); a
 * running job whose `and` finds nothing more finishes, like a trigger past its end date.
 */
import { DAY_MS } from '../core/calendar.js';
import { walkDueFires } from './due-fires.js';
import type { DueFires, ResolvedTriggerSpec, Trigger, TriggerInfo } from '../core/trigger.js';

/** Candidates an `and` tries before giving up. */
export const AND_MAX_ROUNDS = 10_000;
/** How far past `after` an `and` looks for a common instant: 10 years, the cron engine's horizon. */
export const AND_HORIZON_MS = 10 * 366 * DAY_MS;
/** Most triggers in one `or` or `and`. */
export const MAX_COMBINED = 16;
/** Most levels of nesting. */
export const MAX_COMBINED_DEPTH = 4;

/** Fires when any of its triggers fires. */
export class OrTrigger implements Trigger {
  readonly type = 'or';

  constructor(readonly triggers: readonly Trigger[]) {}

  nextTime(afterMs: number): number {
    let best = Number.NaN;
    for (const trigger of this.triggers) {
      const t = trigger.nextTime(afterMs);
      // `!(t >= best)` is true while best is NaN: the first answer is taken.
      if (!Number.isNaN(t) && !(t >= best)) best = t;
    }
    return best;
  }

  next(afterMs: number): number | null {
    const t = this.nextTime(afterMs);
    return Number.isNaN(t) ? null : t;
  }

  /** The earliest first fire of its triggers (a past date trigger's date included: the misfire rule decides). */
  first(nowMs: number): number | null {
    let best: number | null = null;
    for (const trigger of this.triggers) {
      const t = trigger.first(nowMs);
      if (t !== null && (best === null || t < best)) best = t;
    }
    return best;
  }

  dueFires(firstMs: number, nowMs: number, keep: number): DueFires {
    return walkDueFires((t) => this.next(t), firstMs, nowMs, keep);
  }

  toSpec(): ResolvedTriggerSpec {
    return { type: 'or', triggers: this.triggers.map((t) => t.toSpec()) };
  }

  toInfo(): TriggerInfo {
    return { ...this.toSpec(), description: this.describe() } as TriggerInfo;
  }

  /** E.g. `at 09:00 every day, UTC, or every 2 hours`. */
  describe(): string {
    return this.triggers.map((t) => wordsOf(t)).join(', or ');
  }

  dispose(): void {
    for (const trigger of this.triggers) trigger.dispose();
  }
}

/** Fires at the instants on which all of its triggers fire. */
export class AndTrigger implements Trigger {
  readonly type = 'and';

  constructor(readonly triggers: readonly Trigger[]) {}

  nextTime(afterMs: number): number {
    const [lead] = this.triggers;
    if (lead === undefined) return Number.NaN;
    let candidate = lead.nextTime(afterMs);
    const limit = afterMs + AND_HORIZON_MS;
    for (let round = 0; round < AND_MAX_ROUNDS; round++) {
      if (Number.isNaN(candidate) || candidate > limit) return Number.NaN;
      let agreed = true;
      for (const trigger of this.triggers) {
        // Fire times are whole milliseconds: the first one after candidate - 1 is at or after it.
        const t = trigger.nextTime(candidate - 1);
        if (Number.isNaN(t)) return Number.NaN;
        if (t > candidate) {
          candidate = t;
          agreed = false;
          break;
        }
      }
      if (agreed) return candidate;
    }
    return Number.NaN;
  }

  next(afterMs: number): number | null {
    const t = this.nextTime(afterMs);
    return Number.isNaN(t) ? null : t;
  }

  /** The first common fire at or after `nowMs` (a past date trigger cannot coincide with a future fire). */
  first(nowMs: number): number | null {
    return this.next(nowMs - 1);
  }

  dueFires(firstMs: number, nowMs: number, keep: number): DueFires {
    return walkDueFires((t) => this.next(t), firstMs, nowMs, keep);
  }

  toSpec(): ResolvedTriggerSpec {
    return { type: 'and', triggers: this.triggers.map((t) => t.toSpec()) };
  }

  toInfo(): TriggerInfo {
    return { ...this.toSpec(), description: this.describe() } as TriggerInfo;
  }

  /** E.g. `when all of: every 15 minutes; and every hour on Monday, UTC`. */
  describe(): string {
    return `when all of: ${this.triggers.map((t) => wordsOf(t)).join('; and ')}`;
  }

  dispose(): void {
    for (const trigger of this.triggers) trigger.dispose();
  }
}

/** A nested trigger's words, bracketed when it is itself combined (so `or` inside `and` reads unambiguously). */
function wordsOf(trigger: Trigger): string {
  const words = trigger.describe();
  return trigger.type === 'or' || trigger.type === 'and' ? `(${words})` : words;
}

/** Whether a trigger is or holds an `and` (its "no fire" may be the search bound). */
function holdsAnd(trigger: Trigger): boolean {
  if (trigger instanceof AndTrigger) return true;
  return trigger instanceof OrTrigger && trigger.triggers.some(holdsAnd);
}

/** Why a trigger has no fire after now, for the error that refuses an add or change; `outcome` ends it ("the job was not added."). */
export function noFireReason(trigger: Trigger, outcome: string): string {
  if (holdsAnd(trigger)) {
    const years = Math.round(AND_HORIZON_MS / (365.25 * DAY_MS));
    return (
      `trigger has no fire time after now: its "and" triggers never fire at the same instant within the search bound ` +
      `(${years} years ahead, ${AND_MAX_ROUNDS} candidate instants), or one of them has ended (check endDate); ${outcome}`
    );
  }
  return `trigger has no fire time after now (check its endDate); ${outcome}`;
}
