/**
 * The trigger contract: a pure "when". No timers and no clock reads here; the loop decides "run this now".
 */

/** Dates in specs are ISO 8601 strings with `Z` or an offset, or `Date` objects in code. */
export type DateInput = Date | string;

export interface IntervalTriggerSpec {
  type: 'interval';
  /** The period in seconds; may be fractional (at least 0.001). */
  seconds: number;
  /** The first fire time, and the anchor of the grid `startDate + k * seconds`. Default: one period after the job is added. */
  startDate?: DateInput;
  /** No fire after this instant (inclusive bound). */
  endDate?: DateInput;
}

export interface CronTriggerSpec {
  type: 'cron';
  /** 5 fields (minute hour day-of-month month day-of-week), 6 with seconds first, or a nickname such as `@daily`. */
  expression: string;
  /** IANA zone the expression is read in. Default: the scheduler's `timezone`, resolved when the job is added. */
  timezone?: string;
  startDate?: DateInput;
  endDate?: DateInput;
}

export interface DateTriggerSpec {
  type: 'date';
  runAt: DateInput;
}

/**
 * The same local time every N years, months, weeks and/or days (at least one set), from a start day
 * (APScheduler 3.11's CalendarIntervalTrigger; see docs/semantics.md).
 */
export interface CalendarIntervalTriggerSpec {
  type: 'calendarInterval';
  /** Whole numbers, default 0; at least one is positive. */
  years?: number;
  months?: number;
  weeks?: number;
  days?: number;
  /** The local time of day: hour 0-23, minute 0-59, second 0-59, each default 0. */
  hour?: number;
  minute?: number;
  second?: number;
  /** IANA zone of the days and the time of day. Required: a calendar day means a different instant in every zone. */
  timezone: string;
  /** The first fire day (inclusive): `YYYY-MM-DD`, or an instant whose day in `timezone` is meant. Default: today in `timezone`. */
  startDate?: DateInput;
  /** No fire after this: an instant (inclusive), or `YYYY-MM-DD` (no fire on a later day). */
  endDate?: DateInput;
}

/** Fires when any of its triggers fires (an instant several share fires once). Nestable. */
export interface OrTriggerSpec {
  type: 'or';
  /** 1 to 16 trigger specs. */
  triggers: TriggerSpec[];
}

/** Fires at the instants on which all of its triggers fire, found by a bounded search (see docs/semantics.md). Nestable. */
export interface AndTriggerSpec {
  type: 'and';
  /** 1 to 16 trigger specs. */
  triggers: TriggerSpec[];
}

/** The plain trigger object used everywhere: addJob, rescheduleJob, previewSchedule and the HTTP API. */
export type TriggerSpec = IntervalTriggerSpec | CronTriggerSpec | DateTriggerSpec | CalendarIntervalTriggerSpec | OrTriggerSpec | AndTriggerSpec;

/** A trigger spec as stored and shown: every date resolved to an ISO string, the cron zone resolved. */
export type ResolvedTriggerSpec =
  | { type: 'interval'; seconds: number; startDate: string; endDate?: string }
  | { type: 'cron'; expression: string; timezone: string; startDate?: string; endDate?: string }
  | { type: 'date'; runAt: string }
  | {
      type: 'calendarInterval';
      years?: number;
      months?: number;
      weeks?: number;
      days?: number;
      hour: number;
      minute: number;
      second: number;
      timezone: string;
      /** `YYYY-MM-DD`, the first fire day. */
      startDate: string;
      endDate?: string;
    }
  | { type: 'or' | 'and'; triggers: ResolvedTriggerSpec[] };

/** A resolved spec with its description, as JobInfo shows it. */
export type TriggerInfo = ResolvedTriggerSpec & { description: string };

/** The fire times due at one wake: the last `keep` of them, how many there were, and the next one after. */
export interface DueFires {
  /** Ascending; at most `keep` entries, the latest ones. */
  times: number[];
  /** How many fire times fell in `[first, now]` (a lower bound if `exact` is false). */
  total: number;
  exact: boolean;
  /** The first fire time after `now`, or null when the trigger is done. */
  next: number | null;
}

export interface Trigger {
  readonly type: TriggerSpec['type'];
  /** The first fire time strictly after `afterMs`, or null when the trigger will not fire again. */
  next(afterMs: number): number | null;
  /**
   * next() as a plain double, NaN for null: for the fire path, where a number|null that passes through a
   * function's return or a merge is a heap number allocated per call.
   */
  nextTime(afterMs: number): number;
  /** The fire time a job gets when it is added or resumed at `nowMs` (a date trigger returns its date even if past). */
  first(nowMs: number): number | null;
  /** Every fire time from `firstMs` (a fire time) up to `nowMs` inclusive, summarised; never loops per missed second. */
  dueFires(firstMs: number, nowMs: number, keep: number): DueFires;
  /** The spec with its anchor and zone resolved: what a store persists and JobInfo shows. */
  toSpec(): ResolvedTriggerSpec;
  /** toSpec() plus describe(), built as one object (it is made for every JobInfo, so on every add). */
  toInfo(): TriggerInfo;
  /** Short English, e.g. `every 15 minutes` or `at 02:30 every day (Europe/Berlin)`. */
  describe(): string;
  /** Frees shared resources (a cron pattern shared by expression string). Called once per job, when it goes; one trigger object may serve several jobs. */
  dispose(): void;
}
