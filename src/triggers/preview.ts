/**
 * previewSchedule: the next fire times of a trigger spec, without a scheduler. Used by the API's
 * `POST /schedules/preview` and the dashboard's live preview.
 */
import type { ExclusionReason } from '../core/exclusion.js';
import { SystemClock } from '../core/clock.js';
import { CronCompiler } from '../cron/compiler.js';
import { systemTimeZone } from '../cron/zone.js';
import { InvalidArgumentError } from '../core/errors.js';
import { validateJobId } from '../core/job-options.js';
import { CalendarIntervalTrigger } from './calendar-interval.js';
import { CronTrigger } from './cron.js';
import { parseDateInput } from './date-input.js';
import { createTrigger } from './create.js';
import type { DateInput, TriggerSpec } from '../core/trigger.js';

export const MAX_PREVIEW_COUNT = 1000;
/** The last instant a Date can hold: a schedule that runs past it ends the preview there. */
const MAX_DATE_MS = 8.64e15;

export interface PreviewOptions {
  /** Fire times strictly after this instant are listed. Default: now. An interval without startDate is anchored here. */
  from?: DateInput;
  /** How many, 1 to 1000. Default 10. */
  count?: number;
  /** Zone for a cron spec without one. Default: the system zone. (A calendarInterval spec names its own.) */
  timezone?: string;
  /**
   * The job id a cron expression's `H` is hashed from (the times are the ones a job with this id gets).
   * Needed only for an expression with `H`, which is refused without it.
   */
  jobId?: string;
}

export interface PreviewFire {
  at: Date;
  /** Set when a DST rule moved this fire: out of a spring gap ("shifted") or a second occurrence ("repeated"). */
  dst?: 'shifted' | 'repeated';
  /** Set by a scheduler's preview with `exclude`: why this fire would not run ('calendar <name>', 'date' or 'skip'). */
  excluded?: ExclusionReason;
}

/** The next `count` fire times strictly after `from` (default: now), oldest first. */
export function previewSchedule(trigger: TriggerSpec, options: PreviewOptions = {}): Date[] {
  return previewFires(trigger, options, new SystemClock().now()).map((fire) => fire.at);
}

/**
 * Like {@link previewSchedule}, with each fire's DST mark. `nowMs` is the caller's "now" (a scheduler
 * passes its own clock's), used when `options.from` is absent.
 */
export function previewFires(trigger: TriggerSpec, options: PreviewOptions, nowMs: number): PreviewFire[] {
  const count = options.count ?? 10;
  if (!Number.isInteger(count) || count < 1 || count > MAX_PREVIEW_COUNT) {
    throw InvalidArgumentError.field('count', `must be an integer from 1 to ${MAX_PREVIEW_COUNT}, got ${String(count)}.`);
  }
  const fromMs = options.from === undefined ? nowMs : parseDateInput(options.from, 'from');
  const jobId = options.jobId === undefined ? undefined : validateJobId(options.jobId, 'jobId');
  const compiler = new CronCompiler();
  // Anchor an interval without a startDate at `from`, so the preview lists from + period, from + 2 * period...
  const env = { nowMs: fromMs, defaultTimezone: options.timezone ?? systemTimeZone(), compiler };
  const t = createTrigger(trigger, jobId === undefined ? env : { ...env, jobId });
  const fires: PreviewFire[] = [];
  let after = fromMs;
  while (fires.length < count) {
    if (t instanceof CronTrigger || t instanceof CalendarIntervalTrigger) {
      const fire = t.nextFire(after);
      if (fire === null || fire.at > MAX_DATE_MS) break;
      fires.push(fire.dst === undefined ? { at: new Date(fire.at) } : { at: new Date(fire.at), dst: fire.dst });
      after = fire.at;
    } else {
      const at = t.next(after);
      if (at === null || at > MAX_DATE_MS) break;
      fires.push({ at: new Date(at) });
      after = at;
    }
  }
  t.dispose();
  return fires;
}
