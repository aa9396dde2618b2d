/** The public view of a job: JobInfo, built from a store's JobRecord on read. */
import { exclusionInfo, type JobExclusion, type JobExclusionInfo } from '../core/exclusion.js';
import { loadErrorOf } from '../stores/store.js';
import type { JobHealth } from '../core/health.js';
import type { Trigger, TriggerInfo } from '../core/trigger.js';
import type { JobRecord, OverlapPolicy, RetryPolicy } from '../core/job.js';
import type { JobOwner } from '../core/actor.js';
import { toRun, type Run } from '../core/run.js';
import { toPauseInfo, type PauseInfo } from '../core/pause.js';
import { readonlyDate } from '../core/readonly-date.js';

/**
 * ok; task_not_registered: the job names a task this process has not registered (it waits for it);
 * load_error: the stored job cannot be loaded (a hand-edited trigger, an unknown zone): it is set aside,
 * never run, and `statusReason` says why; replace it or remove it.
 */
export type JobStatus = 'ok' | 'task_not_registered' | 'load_error';

export interface JobInfo {
  id: string;
  name: string;
  /** The registered task the job runs, when it names one. */
  task?: string;
  args?: unknown;
  /** Frozen, and shared by the JobInfos of jobs that share the trigger. */
  trigger: TriggerInfo;
  /** The zone of a cron trigger. */
  timezone?: string;
  /**
   * Read-only (its setters throw) and shared by JobInfos built one after another with the same time: copy
   * it (`new Date(info.nextRunTime)`) to change it.
   */
  nextRunTime: Date | null;
  paused: boolean;
  /** Who paused the job, since when, until when and why; null when it is not paused. */
  pause: PauseInfo | null;
  coalesce: boolean;
  maxInstances: number;
  /** What a fire does when maxInstances runs are going: skip, queue (one waits) or replace (see OverlapPolicy). */
  overlap: OverlapPolicy;
  /** overlap 'queue': the fire waiting for a free instance, by its nominal time; null when none waits. */
  waitingFire: { scheduledAt: Date } | null;
  misfireGraceTime: number | null;
  jitterSeconds: number;
  timeoutSeconds: number | null;
  retries: RetryPolicy | null;
  /** Lost runs are retried too (see JobPolicy.retryLost). */
  retryLost: boolean;
  /** Health: overdue without a success for this long (see JobPolicy.expectSuccessWithinSeconds). */
  expectSuccessWithinSeconds: number | null;
  /** Health: overdue after this many fires in a row that did not start. */
  overdueAfterMissedFires: number;
  /** Fires that may start in all (see JobPolicy.maxRuns); null: no limit. */
  maxRuns: number | null;
  /** With maxRuns: the fires that may still start (counted fires: retries and manual runs are free). */
  remainingRuns?: number;
  /** Paused by the scheduler after this many consecutive failed fires (null: never). */
  pauseAfterFailures: number | null;
  /** Exclusions (see JobPolicy.exclude): calendars, local dates in `timezone`, and the one-off skips still ahead. */
  exclude?: JobExclusionInfo;
  runningInstances: number;
  status: JobStatus;
  /** Why, when status is load_error. */
  statusReason?: string;
  lastRun?: Run;
  /** ok, failing, overdue, paused or pending, with since when and why (see core/health.ts). */
  health: JobHealth;
  /** Who created the job: config, api or library (what an import or a config reconcile with prune may remove). */
  owner: JobOwner;
}

/**
 * The trigger's part of JobInfo, frozen and remembered for the last trigger asked: a trigger never
 * changes (a job's change replaces it) and jobs share one (a cron expression in a zone, an interval
 * added in the same millisecond), so a million adds build one instead of a million (an interval's was an
 * ISO string each). The JobInfos of a bulk add are all alive until its promises are awaited together.
 */
let lastTrigger: Trigger | null = null;
let lastTriggerInfo: TriggerInfo | null = null;

function triggerInfoOf(trigger: Trigger): TriggerInfo {
  if (trigger !== lastTrigger || lastTriggerInfo === null) {
    lastTriggerInfo = Object.freeze(trigger.toInfo());
    lastTrigger = trigger;
  }
  return lastTriggerInfo;
}

export function toJobInfo(job: JobRecord, health: JobHealth): JobInfo {
  const trigger = triggerInfoOf(job.trigger);
  const policy = job.policy;
  // Read-only and shared with the JobInfo built just before for the same time (see readonly-date.ts).
  const nextRunTime = job.nextRunTime === null ? null : readonlyDate(job.nextRunTime);
  // Only a record without a function can be a set-aside placeholder: a live job pays no lookup.
  const loadError = job.func === null ? loadErrorOf(job) : null;
  const status: JobStatus = loadError !== null ? 'load_error' : job.task !== null && job.func === null ? 'task_not_registered' : 'ok';
  // A cron job of the library (no task, no args) gets its timezone in the literal: added afterwards it
  // would allocate a property array on every add. The key order is the same either way.
  if (trigger.type === 'cron' && job.task === null && job.args === undefined && loadError === null) {
    const info: JobInfo = {
      id: job.id,
      name: job.name,
      trigger,
      nextRunTime,
      paused: job.paused,
      pause: job.pause === null ? null : toPauseInfo(job.pause),
      coalesce: policy.coalesce,
      maxInstances: policy.maxInstances,
      overlap: policy.overlap ?? 'skip',
      waitingFire: job.waitingFire === null ? null : { scheduledAt: new Date(job.waitingFire.scheduledAt) },
      misfireGraceTime: policy.misfireGraceTime,
      jitterSeconds: policy.jitterSeconds,
      timeoutSeconds: policy.timeoutSeconds,
      retries: policy.retries,
      retryLost: policy.retryLost,
      expectSuccessWithinSeconds: policy.expectSuccessWithinSeconds,
      overdueAfterMissedFires: policy.overdueAfterMissedFires,
      maxRuns: policy.maxRuns,
      pauseAfterFailures: policy.pauseAfterFailures,
      runningInstances: job.running,
      status,
      health,
      owner: job.owner,
      timezone: trigger.timezone,
    };
    if (policy.maxRuns !== null) info.remainingRuns = Math.max(0, policy.maxRuns - job.runCount);
    if (policy.exclude !== null) info.exclude = excludeInfo(policy.exclude, job.nextRunTime);
    if (job.lastRun !== null) info.lastRun = toRun(job.lastRun);
    return info;
  }
  const info: JobInfo = {
    id: job.id,
    name: job.name,
    trigger,
    nextRunTime,
    paused: job.paused,
    pause: job.pause === null ? null : toPauseInfo(job.pause),
    coalesce: policy.coalesce,
    maxInstances: policy.maxInstances,
    overlap: policy.overlap ?? 'skip',
    waitingFire: job.waitingFire === null ? null : { scheduledAt: new Date(job.waitingFire.scheduledAt) },
    misfireGraceTime: policy.misfireGraceTime,
    jitterSeconds: policy.jitterSeconds,
    timeoutSeconds: policy.timeoutSeconds,
    retries: policy.retries,
    retryLost: policy.retryLost,
    expectSuccessWithinSeconds: policy.expectSuccessWithinSeconds,
    overdueAfterMissedFires: policy.overdueAfterMissedFires,
    maxRuns: policy.maxRuns,
    pauseAfterFailures: policy.pauseAfterFailures,
    runningInstances: job.running,
    status,
    health,
    owner: job.owner,
  };
  if (job.task !== null) info.task = job.task;
  if (job.args !== undefined) info.args = job.args;
  if (trigger.type === 'cron') info.timezone = trigger.timezone;
  if (loadError !== null) info.statusReason = loadError;
  if (policy.maxRuns !== null) info.remainingRuns = Math.max(0, policy.maxRuns - job.runCount);
  if (policy.exclude !== null) info.exclude = excludeInfo(policy.exclude, job.nextRunTime);
  if (job.lastRun !== null) info.lastRun = toRun(job.lastRun);
  return info;
}

/** A job's exclusions as shown; skips before its next fire have passed (fires come in order) and are left out. */
function excludeInfo(exclude: JobExclusion, nextRunTime: number | null): JobExclusionInfo {
  const info = exclusionInfo(exclude);
  if (nextRunTime !== null) info.skip = exclude.skip.filter((at) => at >= nextRunTime).map((at) => new Date(at).toISOString());
  return info;
}

/**
 * What a monitor (read-only) caller sees of a job: no args (they may hold credentials) and no run
 * output (a command's output may print anything). Error codes and messages stay: they are scrubbed of
 * the job's secrets when recorded, and a monitor needs them to see why a job fails.
 */
export function forMonitor(info: JobInfo): JobInfo {
  if (info.args === undefined && info.lastRun?.output === undefined) return info;
  const { args: _args, ...rest } = info;
  if (rest.lastRun?.output !== undefined) rest.lastRun = withoutOutput(rest.lastRun);
  return rest;
}

/** A run without its output, for monitor callers. */
export function withoutOutput(run: Run): Run {
  if (run.output === undefined) return run;
  const { output: _output, ...rest } = run;
  return rest;
}
