/**
 * GET /jobs as JSON text, each job's JSON cached: a dashboard polling 100 jobs at a time should not
 * rebuild and re-serialize 100 objects that did not change. The cache entry remembers every field
 * JobInfo is built from and is rebuilt when any of them differs, so no mutation site has to remember to
 * invalidate it. It reads the jobs through the scheduler's getJobs view (the records as the store holds
 * them; a store that hands out copies, PostgreSQL, gets no hits); one cache per scheduler, kept by its
 * routes.
 */
import type { JobHealth } from '../core/health.js';
import type { JobRecord } from '../core/job.js';
import type { Actor } from '../core/actor.js';
import type { RunTrigger } from '../core/run.js';
import { forMonitor, toJobInfo } from '../scheduler/job-info.js';
import type { JobQuery, SchedulerService } from '../scheduler/service.js';

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
  lastTraceId: string | undefined;
  lastTrigger: RunTrigger | undefined;
  lastActor: Actor | undefined;
  lastNote: string | undefined;
  running: number;
  paused: boolean;
  /** A pause is replaced, never changed in place: compared by identity. */
  pause: unknown;
  /** A waiting fire is replaced, never changed in place: compared by identity. */
  waitingFire: unknown;
  policy: unknown;
  trigger: unknown;
  name: string;
  args: unknown;
  task: string | null;
  hasFunc: boolean;
  /** The health the JSON shows (it changes with time and with runs of other nodes: compared by value). */
  health: string;
  /** With args (admin view). */
  full: string;
  /** The monitor view (no args, no output), built on first use. */
  withoutArgs: string | null;
}

/** A job's health as one comparable string. */
function healthKey(health: JobHealth): string {
  return `${health.state}|${health.since?.getTime()}|${health.consecutiveFailures}|${health.lastSuccessAt?.getTime()}|${health.lastFailureAt?.getTime()}|${health.reason}`;
}

function fresh(entry: CachedJson | undefined, job: JobRecord, health: string): entry is CachedJson {
  return (
    entry !== undefined &&
    entry.health === health &&
    entry.nextRunTime === job.nextRunTime &&
    entry.lastRun === job.lastRun &&
    entry.lastOutcome === job.lastRun?.outcome &&
    entry.lastFinishedAt === job.lastRun?.finishedAt &&
    entry.lastScheduledAt === job.lastRun?.scheduledAt &&
    entry.lastAttempt === job.lastRun?.attempt &&
    entry.lastStartedAt === job.lastRun?.startedAt &&
    entry.lastDuration === job.lastRun?.durationMs &&
    entry.lastLateness === job.lastRun?.latenessMs &&
    entry.lastError === job.lastRun?.error &&
    entry.lastOutput === job.lastRun?.output &&
    entry.lastCoalesced === job.lastRun?.coalesced &&
    entry.lastTraceId === job.lastRun?.traceId &&
    entry.lastTrigger === job.lastRun?.trigger &&
    entry.lastActor === job.lastRun?.actor &&
    entry.lastNote === job.lastRun?.note &&
    entry.running === job.running &&
    entry.paused === job.paused &&
    entry.pause === job.pause &&
    entry.waitingFire === job.waitingFire &&
    entry.policy === job.policy &&
    entry.trigger === job.trigger &&
    entry.name === job.name &&
    entry.args === job.args &&
    entry.task === job.task &&
    entry.hasFunc === (job.func !== null)
  );
}

export class JobListCache {
  private readonly entries = new WeakMap<JobRecord, CachedJson>();
  /** The two views getJobs calls, made once (not a closure per request). */
  private readonly adminView = (job: JobRecord, health: JobHealth): string => this.jobJson(job, health, true);
  private readonly monitorView = (job: JobRecord, health: JobHealth): string => this.jobJson(job, health, false);

  constructor(private readonly scheduler: SchedulerService) {}

  /**
   * `{"items":[...],"nextCursor":...}` of `getJobs(query)`; unless `includeArgs` (an admin caller), each
   * job in the monitor view: without `args` and the last run's output.
   */
  async list(query: JobQuery, includeArgs: boolean): Promise<string> {
    const page = await this.scheduler.getJobs(query, includeArgs ? this.adminView : this.monitorView);
    return `{"items":[${page.items.join(',')}],"nextCursor":${page.nextCursor === null ? 'null' : JSON.stringify(page.nextCursor)}}`;
  }

  /** `JSON.stringify(toJobInfo(job))`, or its monitor view, from the cache when unchanged. */
  jobJson(job: JobRecord, health: JobHealth, includeArgs: boolean): string {
    let entry = this.entries.get(job);
    const key = healthKey(health);
    if (!fresh(entry, job, key)) {
      entry = {
        nextRunTime: job.nextRunTime,
        lastRun: job.lastRun,
        lastOutcome: job.lastRun?.outcome,
        lastFinishedAt: job.lastRun?.finishedAt,
        lastScheduledAt: job.lastRun?.scheduledAt,
        lastAttempt: job.lastRun?.attempt,
        lastStartedAt: job.lastRun?.startedAt,
        lastDuration: job.lastRun?.durationMs,
        lastLateness: job.lastRun?.latenessMs,
        lastError: job.lastRun?.error,
        lastOutput: job.lastRun?.output,
        lastCoalesced: job.lastRun?.coalesced,
        lastTraceId: job.lastRun?.traceId,
        lastTrigger: job.lastRun?.trigger,
        lastActor: job.lastRun?.actor,
        lastNote: job.lastRun?.note,
        running: job.running,
        paused: job.paused,
        pause: job.pause,
        waitingFire: job.waitingFire,
        policy: job.policy,
        trigger: job.trigger,
        name: job.name,
        args: job.args,
        task: job.task,
        hasFunc: job.func !== null,
        health: key,
        full: JSON.stringify(toJobInfo(job, health)),
        withoutArgs: null,
      };
      this.entries.set(job, entry);
    }
    if (includeArgs || (job.args === undefined && job.lastRun?.output === undefined)) return entry.full;
    entry.withoutArgs ??= JSON.stringify(forMonitor(toJobInfo(job, health)));
    return entry.withoutArgs;
  }
}
