/** The shapes callers pass to SchedulerService and get back from it (beside JobInfo and Run). */
import type { HealthState } from '../core/health.js';
import type { Clock } from '../core/clock.js';
import type { JobFunction, JobOptions, JobPolicy } from '../core/job.js';
import type { Logger } from '../core/logger.js';
import type { TriggerSpec } from '../core/trigger.js';
import type { JobSort, JobState } from '../stores/job-order.js';
import type { JobStore } from '../stores/store.js';
import type { JobInfo } from './job-info.js';
import type { TracingOption } from './run-tracing.js';

export interface SchedulerOptions {
  /** Where jobs and run history live. Default: a new MemoryJobStore. */
  store?: JobStore;
  /** A pino-compatible logger. Default: pino JSON lines on stdout at "info". */
  logger?: Logger;
  /** Policies for jobs that do not set them. Default: { coalesce: true, maxInstances: 1, misfireGraceTime: 60 }. */
  jobDefaults?: Partial<JobPolicy>;
  /** Default IANA zone for cron triggers. Default: the system zone. */
  timezone?: string;
  /** Runs across all jobs at once; further runs wait in order (default 1000). */
  maxConcurrentRuns?: number;
  /** Most runs one job may start for a backlog when coalesce is off; older fires are recorded missed (default 1000). */
  maxCatchUp?: number;
  /** Time source and timers. Default: the system clock. */
  clock?: Clock;
  /**
   * OpenTelemetry spans of runs (`tickwork.run`): `true`, `false`, or `'auto'` (the default): spans while
   * the application has registered an OpenTelemetry SDK, looked for at most every 5 s. See the README's
   * Tracing section.
   */
  tracing?: TracingOption;
}

export interface AddJobSpec extends JobOptions {
  /** Default: a random UUID. */
  id?: string;
  /** A function, or the name of a registered task. Give `func` or `task`. */
  func?: JobFunction | string;
  task?: string;
  trigger: TriggerSpec;
}

/** Which jobs getJobs returns, in which order, and how many at a time. */
export interface JobQuery {
  /** Substring of the id or the name (case-insensitive). */
  q?: string;
  /** active: scheduled and not paused; paused; failing: the last run failed, timed out or was lost. */
  state?: JobState;
  /** nextRunTime (default: paused and finished jobs last), id, or lastRun (newest first); ties by id. */
  sort?: JobSort;
  /** At most this many jobs (1-1000), with a `nextCursor` for the next page. Default: every matching job. */
  limit?: number;
  /** The `nextCursor` of the previous page (of the same sort). */
  cursor?: string;
  /** Only jobs in one of these health states (JobInfo.health.state), e.g. `['failing', 'overdue']`. */
  health?: HealthState[];
}

/** A list of jobs; `nextCursor` is null on the last page (and always without a `limit`). */
export interface JobList<T = JobInfo> {
  items: T[];
  nextCursor: string | null;
}

/** Fields of a job that modifyJob may change (the trigger changes through rescheduleJob). */
export type JobChanges = Omit<JobOptions, 'replaceExisting' | 'paused' | 'timezone'> & { func?: JobFunction | string };

/** Everything updateJob (PATCH /jobs/:id) may change at once. */
export type JobPatch = JobChanges & { task?: string; trigger?: TriggerSpec; paused?: boolean; timezone?: string };

export interface ShutdownOptions {
  /** Wait for running jobs to settle (default true). false aborts their signals at once. */
  wait?: boolean;
  /** Bound on the wait in seconds (default 30); then signals are aborted and runs recorded cancelled. */
  timeoutSeconds?: number;
}
