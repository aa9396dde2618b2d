/**
 * JobInfo as JSON text, cached per job for listing over HTTP: a dashboard polling 100 jobs at a time
 * should not rebuild and re-serialize 100 objects that did not change. The cache entry remembers every
 * field JobInfo is built from and is rebuilt when any of them differs, so no mutation site has to
 * remember to invalidate it.
 */
import type { JobRecord } from '../core/job.js';
import { forMonitor, toJobInfo } from './job-info.js';

interface CachedJson {
  nextRunTime: number | null;
  lastRun: unknown;
  lastOutcome: string | undefined;
  lastFinishedAt: number | null | undefined;
  /**
   * The record object may be reused for the job's next run (JobStore.copiesRuns), even within the same
   * millisecond (runJobNow twice): every field the JSON shows of it is compared.
   */
  lastScheduledAt: number | undefined;
  lastAttempt: number | undefined;
  lastStartedAt: number | null | undefined;
  lastDuration: number | null | undefined;
  lastLateness: number | null | undefined;
  lastError: unknown;
  lastOutput: string | undefined;
  lastCoalesced: number | undefined;
  running: number;
  paused: boolean;
  policy: unknown;
  trigger: unknown;
  name: string;
  args: unknown;
  task: string | null;
  hasFunc: boolean;
  /** With args (admin view). */
  full: string;
  /** The monitor view (no args, no output), built on first use. */
  withoutArgs: string | null;
}

const cache = new WeakMap<JobRecord, CachedJson>();

function fresh(entry: CachedJson | undefined, job: JobRecord): entry is CachedJson {
  return entry !== undefined
    && entry.nextRunTime === job.nextRunTime && entry.lastRun === job.lastRun
    && entry.lastOutcome === job.lastRun?.outcome && entry.lastFinishedAt === job.lastRun?.finishedAt
    && entry.lastScheduledAt === job.lastRun?.scheduledAt && entry.lastAttempt === job.lastRun?.attempt
    && entry.lastStartedAt === job.lastRun?.startedAt && entry.lastDuration === job.lastRun?.durationMs
    && entry.lastLateness === job.lastRun?.latenessMs && entry.lastError === job.lastRun?.error
    && entry.lastOutput === job.lastRun?.output && entry.lastCoalesced === job.lastRun?.coalesced
    && entry.running === job.running && entry.paused === job.paused && entry.policy === job.policy
    && entry.trigger === job.trigger && entry.name === job.name && entry.args === job.args
    && entry.task === job.task && entry.hasFunc === (job.func !== null);
}

/**
 * `JSON.stringify(toJobInfo(job))` from the cache when unchanged; unless `includeArgs` (an admin caller),
 * the monitor view: without `args` and the last run's output.
 */
export function jobInfoJson(job: JobRecord, includeArgs: boolean): string {
  let entry = cache.get(job);
  if (!fresh(entry, job)) {
    entry = {
      nextRunTime: job.nextRunTime, lastRun: job.lastRun, lastOutcome: job.lastRun?.outcome, lastFinishedAt: job.lastRun?.finishedAt,
      lastScheduledAt: job.lastRun?.scheduledAt, lastAttempt: job.lastRun?.attempt, lastStartedAt: job.lastRun?.startedAt,
      lastDuration: job.lastRun?.durationMs, lastLateness: job.lastRun?.latenessMs, lastError: job.lastRun?.error,
      lastOutput: job.lastRun?.output, lastCoalesced: job.lastRun?.coalesced, running: job.running, paused: job.paused, policy: job.policy, trigger: job.trigger, name: job.name, args: job.args,
      task: job.task, hasFunc: job.func !== null, full: JSON.stringify(toJobInfo(job)), withoutArgs: null,
    };
    cache.set(job, entry);
  }
  if (includeArgs || (job.args === undefined && job.lastRun?.output === undefined)) return entry.full;
  entry.withoutArgs ??= JSON.stringify(forMonitor(toJobInfo(job)));
  return entry.withoutArgs;
}
