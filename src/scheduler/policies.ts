/**
 * The pure decisions of the scheduler, the same for every store: which of the due fire times run,
 * which are missed, whether another instance may start, when a retry happens. No I/O, no clock.
 */
import type { DueFires } from '../core/trigger.js';
import type { OverlapPolicy, RetryPolicy } from '../core/job.js';

/** What one job does with the fire times that fell due together. */
export interface FirePlan {
  /** Fire times to run, oldest first, one after another as one submission (one instance). */
  runTimes: number[];
  /** With coalesce: how many fire times the single run stands for (1 when on time). */
  coalesced: number;
  /** Fires dropped before the submission because the backlog exceeded maxCatchUp: recorded missed. */
  dropped: { count: number; first: number; last: number; exact: boolean } | null;
}

/**
 * APScheduler's rule, with a bound: coalesce runs only the latest due fire; otherwise every due fire
 * runs in order, but never more than `maxCatchUp` — the older ones are recorded missed.
 * `due.times` holds the latest fires (at least min(maxCatchUp, total) of them when not coalescing).
 */
export function planFires(due: DueFires, firstDue: number, coalesce: boolean, maxCatchUp: number): FirePlan {
  const latest = due.times[due.times.length - 1];
  if (latest === undefined) return { runTimes: [], coalesced: 0, dropped: null };
  if (coalesce) return { runTimes: [latest], coalesced: due.total, dropped: null };
  const runTimes = due.times.slice(-maxCatchUp);
  const droppedCount = due.total - runTimes.length;
  const firstRun = runTimes[0] as number;
  const lastDropped = due.times.length > runTimes.length ? (due.times[due.times.length - runTimes.length - 1] as number) : firstRun - 1;
  return {
    runTimes,
    coalesced: 1,
    dropped: droppedCount > 0 ? { count: droppedCount, first: firstDue, last: lastDropped, exact: due.exact } : null,
  };
}

/** A run that would start more than `misfireGraceTime` seconds late is missed (null: never missed). */
export function isMisfire(latenessMs: number, misfireGraceTime: number | null): boolean {
  return misfireGraceTime !== null && latenessMs > misfireGraceTime * 1000;
}

/** Whether a new submission may take an instance slot. */
export function hasFreeInstance(running: number, maxInstances: number): boolean {
  return running < maxInstances;
}

/**
 * What a fire of a job does, given its instance slots (`running` of `maxInstances` taken, counted
 * cluster-wide on a shared store) and its overlap policy:
 * - `start`: a slot is free;
 * - `skip`: recorded skipped (overlap `skip`, or `queue` with a fire already waiting: at most one waits);
 * - `wait`: becomes the job's one waiting fire, started when a slot frees (overlap `queue`);
 * - `replace`: the oldest running instance is cancelled and the fire starts in its slot (overlap `replace`).
 * An unknown policy (a policy stored before the option) is `skip`.
 */
export type OverlapDecision = 'start' | 'skip' | 'wait' | 'replace';

export function overlapDecision(running: number, maxInstances: number, overlap: OverlapPolicy | undefined, hasWaiting: boolean): OverlapDecision {
  if (running < maxInstances) return 'start';
  if (overlap === 'queue') return hasWaiting ? 'skip' : 'wait';
  if (overlap === 'replace') return 'replace';
  return 'skip';
}

/** The last instant a Date can hold (year 275760): a time past it can be neither shown nor stored. */
export const MAX_TIME_MS = 8.64e15;

/**
 * When the retry of a failed attempt runs, or null when none: after `backoffSeconds * 2^(attempt-1)`,
 * unless the retries are used up or the job's next regular fire comes first.
 *
 * A whole millisecond, rounded up (never early), as every instant the scheduler computes and stores: a
 * fractional one (backoffSeconds 60.0001) cannot go into a durable store's integer column. A microsecond of
 * slack keeps float error (0.7 * 1000 = 700.0000000000001) from adding a whole millisecond. A retry past the
 * last instant a Date can hold (a long doubling backoff) never comes: none.
 */
export function retryAt(retries: RetryPolicy | null, failedAttempt: number, nowMs: number, nextRunTime: number | null): number | null {
  if (retries === null) return null;
  const at = Math.ceil(nowMs + retries.backoffSeconds * 1000 * 2 ** (failedAttempt - 1) - 1e-3);
  if (!(at <= MAX_TIME_MS)) return null;
  return retryAllowed(retries, failedAttempt, at, nextRunTime) ? at : null;
}

/**
 * The rule a retry of `failedAttempt` at `at` must meet, when it is scheduled and again after a change to
 * its job: retries left, and no regular fire at or before it.
 */
export function retryAllowed(retries: RetryPolicy | null, failedAttempt: number, at: number, nextRunTime: number | null): boolean {
  return retries !== null && failedAttempt <= retries.max && (nextRunTime === null || nextRunTime > at);
}

/**
 * The due time of a nominal fire with jitter: a delay in [0, jitterSeconds], never early, never past
 * the trigger's end. `random` is in [0, 1).
 */
export function jitteredDue(nominal: number, jitterSeconds: number, random: number, endMs: number | null = null): number {
  if (jitterSeconds <= 0) return nominal;
  const due = nominal + Math.floor(random * (jitterSeconds * 1000 + 1));
  return endMs !== null && due > endMs ? Math.max(nominal, endMs) : due;
}
