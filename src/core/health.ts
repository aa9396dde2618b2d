/**
 * Job health: what the scheduler says of a job at a glance, computed on read from the job's trigger,
 * its policies and its run history (see scheduler/health.ts), so it is the same on every store and on
 * every node of a cluster, and survives restarts without a column of its own.
 */

/**
 * - `ok`: the last run that ran succeeded;
 * - `failing`: the last run that ran failed or timed out (`consecutiveFailures` says how many fires in a row);
 * - `overdue`: a fire it should have had has no run after its allowance (see docs/semantics.md#job-health);
 * - `paused`: the job (or the whole scheduler) is paused;
 * - `pending`: no run has finished yet (it was never due, or its first run still runs).
 * When several apply, `paused` wins over `overdue`, which wins over `failing`.
 */
export type HealthState = 'ok' | 'failing' | 'overdue' | 'paused' | 'pending';
export const HEALTH_STATES: readonly HealthState[] = ['ok', 'failing', 'overdue', 'paused', 'pending'];

/** JobInfo.health. Times are Dates (ISO strings over HTTP). */
export interface JobHealth {
  state: HealthState;
  /** When the job entered this state, when the history tells (null when it does not: a pause, a job never run). */
  since: Date | null;
  /** Fires in a row whose last attempt failed or timed out, since the last success (0 unless failing or overdue). */
  consecutiveFailures: number;
  lastSuccessAt: Date | null;
  lastFailureAt: Date | null;
  /** Why, in words: the state's cause (the failing run's error, the fire that did not run, the pause). */
  reason: string;
}

/**
 * What a job's kept run history says, folded newest first (see stores/health-facts.ts): the same fold on
 * every store, in SQL where the history is in a database. Times are epoch ms. A fire is "started" when it
 * has a record that ran or runs (succeeded, failed, timed out, cancelled, running); missed, skipped and
 * lost fires did not start.
 */
export interface HealthFacts {
  /** finishedAt of the newest succeeded run. */
  lastSuccessAt: number | null;
  /** finishedAt of the newest failed or timed-out run. */
  lastFailureAt: number | null;
  /** Distinct fires failed or timed out after the newest success (by scheduledAt). */
  consecutiveFailures: number;
  /** scheduledAt of the oldest of those fires. */
  failingSince: number | null;
  /** The newest failure's error, for the reason. */
  lastError: { code?: string; message: string } | null;
  /** Fires (a record standing for several counts each) missed, skipped or lost after the newest started one. */
  notStarted: number;
  /** scheduledAt of the oldest of those. */
  notStartedSince: number | null;
  /** scheduledAt of the oldest and the newest record kept (null: no history). */
  oldestScheduledAt: number | null;
  newestScheduledAt: number | null;
}

export const NO_HEALTH_FACTS: HealthFacts = Object.freeze({
  lastSuccessAt: null,
  lastFailureAt: null,
  consecutiveFailures: 0,
  failingSince: null,
  lastError: null,
  notStarted: 0,
  notStartedSince: null,
  oldestScheduledAt: null,
  newestScheduledAt: null,
});
