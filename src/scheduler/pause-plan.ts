/**
 * The pure decisions of a pause: which fires of a paused stretch a resume runs (its catch-up policy),
 * which are recorded as one `paused` record, and where the job's schedule goes on. No I/O, no clock;
 * the same for every store, for resumeJob and for a pause that lifts itself (catch-up `none`).
 */
import type { CatchUp } from '../core/pause.js';
import type { Trigger } from '../core/trigger.js';

/** Fires of the pause that do not run: one `paused` record stands for them. */
export interface PausedStretch {
  first: number;
  last: number;
  count: number;
  /** False when `count` is a lower bound (a cron stretch too long to count exactly). */
  exact: boolean;
}

export interface ResumePlan {
  /** The job's next fire: a catch-up fire (at or before now) or the first fire after the pause; null: none. */
  nextRunTime: number | null;
  /** With `all`: the last catch-up fire (the pass runs each fire up to it on its own); null otherwise. */
  catchUpThrough: number | null;
  stretch: PausedStretch | null;
}

/**
 * What a resume at `now` does after a pause since `since`. The fires of the pause are those from the
 * trigger's first fire at `since` up to (not including) the first fire the job would get if resumed from
 * now (today's rule, `none`; a date trigger keeps its date, which the misfire rule then judges).
 * `latest` runs the newest of them when it is within `misfireGraceTime` (null: always); `all` runs the
 * newest `maxCatchUp` of them in order.
 */
export function planResume(trigger: Trigger, since: number, now: number, catchUp: CatchUp, misfireGraceTime: number | null, maxCatchUp: number): ResumePlan {
  // Strictly after the pause's instant, both: a fire at the very instant of the pause ran before it (a pass
  // comes first), so a resume at that same instant must not start it again (it did, with attempt 1 under
  // the same run id: a fire run twice).
  const resumed = trigger.first(Math.max(now, since + 1));
  const first = trigger.next(since);
  const end = resumed === null ? now : resumed - 1;
  if (first === null || first > end) return { nextRunTime: resumed, catchUpThrough: null, stretch: null };
  const keep = catchUp === 'all' ? maxCatchUp + 1 : 2;
  const due = trigger.dueFires(first, end, keep);
  const times = due.times;
  if (times.length === 0) return { nextRunTime: resumed, catchUpThrough: null, stretch: null };
  const latest = times[times.length - 1] as number;
  const all = (last: number): PausedStretch => ({ first, last, count: due.total, exact: due.exact });
  if (catchUp === 'latest' && (misfireGraceTime === null || now - latest <= misfireGraceTime * 1000)) {
    const before = times.length > 1 ? (times[times.length - 2] as number) : null;
    const stretch = before === null || due.total < 2 ? null : { first, last: before, count: due.total - 1, exact: due.exact };
    return { nextRunTime: latest, catchUpThrough: null, stretch };
  }
  if (catchUp === 'all') {
    const run = times.slice(-maxCatchUp);
    const firstRun = run[0] as number;
    const notRun = due.total - run.length;
    const lastNotRun = times.length > run.length ? (times[times.length - run.length - 1] as number) : null;
    const stretch = notRun > 0 && lastNotRun !== null ? { first, last: lastNotRun, count: notRun, exact: due.exact } : null;
    return { nextRunTime: firstRun, catchUpThrough: latest, stretch };
  }
  return { nextRunTime: resumed, catchUpThrough: null, stretch: all(latest) };
}
