/**
 * A job's health state as the per-job metrics show it (`tickwork_job_health{job,state}`).
 *
 * PLACEHOLDER until `JobInfo.health` exists: this is the one place the metrics read a job's health,
 * and it then becomes `job.health.state`. Meanwhile it is derived from what JobInfo holds today: paused,
 * the last run's outcome (failed or timed out: failing), or no run yet (pending). It never answers
 * `overdue`, which needs the scheduler's own reading of the trigger.
 */
import type { JobInfo } from '../scheduler/job-info.js';

/** The health states, in the order their series are written. */
export const JOB_HEALTH_STATES = ['ok', 'failing', 'overdue', 'paused', 'pending'] as const;

export type JobHealthState = (typeof JOB_HEALTH_STATES)[number];

export function healthStateOf(job: JobInfo): JobHealthState {
  if (job.paused) return 'paused';
  const outcome = job.lastRun?.outcome;
  if (outcome === undefined) return 'pending';
  return outcome === 'failed' || outcome === 'timed_out' ? 'failing' : 'ok';
}
