/**
 * The job model: what users pass (options, functions, context) and the record a store keeps.
 */
import type { JobOwner } from './actor.js';
import type { JobExclusion, JobExcludeInput } from './exclusion.js';
import type { Logger } from './logger.js';
import type { PauseState } from './pause.js';
import type { RunRecord } from './run.js';
import type { Trigger } from './trigger.js';

/** What a job function receives. `signal` and `logger` are created on first access (they cost microseconds). */
export interface JobContext {
  readonly jobId: string;
  /** The nominal fire time (before jitter). */
  readonly scheduledAt: Date;
  /** The same instant in epoch milliseconds, without allocating a Date (for hot jobs and idempotency keys). */
  readonly scheduledAtMs: number;
  /** 1 for the first try, 2 for the first retry, ... */
  readonly attempt: number;
  readonly args: unknown;
  /** Aborted on timeout, cancelRun, shutdown past its bound, or when a newer fire replaces the run (overlap 'replace'). */
  readonly signal: AbortSignal;
  /** The scheduler's logger with `jobId`, `scheduledAt` and `attempt` bound. */
  readonly logger: Logger;
}

export type JobFunction = (context: JobContext) => unknown;

/** Retry policy: a failed run is retried after `backoffSeconds`, doubling each time, at most `max` times. */
export interface RetryPolicy {
  readonly max: number;
  readonly backoffSeconds: number;
}

/** The policies every job has; defaults come from the scheduler's `jobDefaults`. */
export interface JobPolicy {
  /** Run once for several fire times due together (default true). */
  readonly coalesce: boolean;
  /** Most runs of this job at once; what a further fire does is `overlap`'s (default 1). */
  readonly maxInstances: number;
  /**
   * What a fire does when `maxInstances` runs of the job are going (default 'skip'): see OverlapPolicy.
   * Read only when no slot is free: the on-time path does not look at it.
   */
  readonly overlap: OverlapPolicy;
  /** Seconds a run may start late; null = however late (default 60). */
  readonly misfireGraceTime: number | null;
  /** Random delay in [0, jitterSeconds] added to each fire, never early (default 0). */
  readonly jitterSeconds: number;
  /** Seconds a run may take before its signal is aborted and it is recorded timed_out (default null: no limit). */
  readonly timeoutSeconds: number | null;
  /** Retries of a failed run (default null: none). */
  readonly retries: RetryPolicy | null;
  /**
   * Retries (by `retries`) also a run recorded lost (its node stopped heartbeating before it finished),
   * default false: a lost run may well have done its work (its node was paused or cut off, not dead), so
   * only a job whose work is safe to repeat should opt in.
   */
  readonly retryLost: boolean;
  /**
   * Health (see core/health.ts): the job is `overdue` when it has not succeeded for this many seconds
   * (healthchecks.io's period plus grace: "this backup must succeed once a day"); default null: no such rule.
   */
  readonly expectSuccessWithinSeconds: number | null;
  /** Health: the job is `overdue` after this many fires in a row that did not start (missed, skipped, lost); default 10. */
  readonly overdueAfterMissedFires: number;
  /**
   * Fires of the job that may start in all (default null: no limit). A fire counts when it is submitted to
   * run (claimed, on a shared store); retries and manual runs do not count, nor fires recorded skipped or
   * missed. After the last one the job is finished and removed once its run settles, as a date job is.
   */
  readonly maxRuns: number | null;
  /**
   * Pauses the job (by the scheduler, with a note saying so) after this many consecutive failed fires, as
   * its health counts them (a fire whose retry is still pending does not count yet); default null: never.
   */
  readonly pauseAfterFailures: number | null;
  /**
   * Fires not run (recorded `excluded`): local dates of named calendars, the job's own dates, one-off skips
   * (default null: none). The fire path reads this one field for a job without exclusions.
   */
  readonly exclude: JobExclusion | null;
}

/**
 * A fire that finds `maxInstances` runs going: `skip` records it skipped; `queue` keeps it as the job's one
 * waiting fire (a later one while it waits is skipped) and starts it when a slot frees, misfire grace judged
 * then; `replace` cancels the oldest running instance (its signal aborted, recorded cancelled: REPLACED) and
 * starts the fire. Kubernetes' Forbid / Temporal's BUFFER_ONE / Kubernetes' Replace.
 */
export type OverlapPolicy = 'skip' | 'queue' | 'replace';
export const OVERLAP_POLICIES: readonly OverlapPolicy[] = ['skip', 'queue', 'replace'];

/**
 * A fire of an `overlap: 'queue'` job waiting for an instance slot: its nominal time, when it was due
 * (lateness counts from there when it starts), its attempt (a retry may wait too) and how many fires it
 * stands for.
 */
export interface WaitingFire {
  readonly scheduledAt: number;
  readonly dueAt: number;
  readonly attempt: number;
  /** How many fire times it stands for (a coalesced backlog that found no slot: 1 when on time). */
  readonly coalesced: number;
}

/** Options accepted by addIntervalJob/addCronJob/addDateJob/addJob; each absent field takes its default. */
export interface JobOptions extends Partial<Omit<JobPolicy, 'exclude'>> {
  /** Exclusions: `{ calendars?: [names], dates?: ['YYYY-MM-DD' in the job's zone] }` (see JobPolicy.exclude). */
  exclude?: JobExcludeInput | null;
  /** A display name; default: the task name, the function's name, or the id. */
  name?: string;
  /** JSON-safe arguments passed as `ctx.args`. */
  args?: unknown;
  /** Replace a job with the same id instead of failing with ConflictingIdError (default false). */
  replaceExisting?: boolean;
  /** Add the job paused: it has no next run time until resumed (default false). */
  paused?: boolean;
  /** IANA zone for a cron trigger (default: the scheduler's timezone). */
  timezone?: string;
}

/** A retry waiting for its time. */
export interface PendingRetry {
  scheduledAt: number;
  attempt: number;
  at: number;
  /** The args of the run it retries, when that run had its own (a manual run's): the retry gets them too. */
  args?: unknown;
}

/**
 * Where a job is in its life, in this process:
 * - `scheduled`: it has a further fire (or waits: paused, a retry, its task);
 * - `finished`: its trigger has no further fire, or removeJob let it go: it is removed once its runs have
 *   settled and no retry waits (removing a job already gone changes nothing);
 * - `removing`: that removal is under way; it is not started twice.
 */
export type JobLifecycle = 'scheduled' | 'finished' | 'removing';

/**
 * The fields a change to a job may set, taken before the change so that a change the store refused can be
 * undone: a job shows only what its store holds.
 */
export interface JobSnapshot {
  readonly name: string;
  readonly func: JobFunction | null;
  readonly task: string | null;
  readonly args: unknown;
  readonly trigger: Trigger;
  /** Whether the job held that trigger (a job let go no longer does). */
  readonly holdsTrigger: boolean;
  readonly policy: JobPolicy;
  readonly paused: boolean;
  readonly pause: PauseState | null;
  readonly catchUpThrough: number | null;
  readonly retry: PendingRetry | null;
  readonly lifecycle: JobLifecycle;
  readonly jitterMs: number;
  readonly nextRunMsOrNaN: number;
  readonly dueMsOrNaN: number;
}

/**
 * The record a store keeps. Times are epoch milliseconds. The fields after `retry` are runtime state of
 * this process, never persisted. Made by {@link JobRecord.create}, never with `new` (see there).
 */
export class JobRecord {
  declare readonly id: string;
  declare name: string;
  /** The function to call; for a task job, the registered function (looked up at add and at load). */
  declare func: JobFunction | null;
  /** The registered task name, when the job refers to one (always, in a persistent store). */
  declare task: string | null;
  declare args: unknown;
  declare trigger: Trigger;
  declare policy: JobPolicy;
  declare paused: boolean;
  /** Who paused the job, when, why and until when (null when not paused, or paused by an older version). */
  declare pause: PauseState | null;
  /**
   * After resumeJob with `catchUp: 'all'`: the last fire of the pause to run (null: none). The pass runs the
   * fires up to it each on its own (not coalesced, not missed for being late); see Dispatcher.fire. Nullable
   * on purpose, unlike the times above: it is written only by a resume, and a null costs a job 4 bytes
   * where a double field costs it a heap number of its own.
   */
  declare catchUpThrough: number | null;
  declare retry: PendingRetry | null;
  /**
   * With `overlap: 'queue'`: the one fire waiting for an instance slot (null: none). Persisted by a shared
   * store (the node that frees the slot may not be the one that saw the fire); in this process otherwise.
   */
  declare waitingFire: WaitingFire | null;
  /** The jitter delay chosen for nextRunTime (dueAt = nextRunTime + jitterMs unless a retry comes first). */
  declare jitterMs: number;
  /** The memory store's heap slot for this job (see JobHeap), -1 when it has none. */
  declare heapSlot: number;
  /** Insertion order, the heap's tie-break for equal due times. */
  declare seq: number;
  /** Instance slots held: submissions started or queued and not settled (a timed-out run frees its slot). */
  declare running: number;
  /** Scheduled, or finished and to be removed once its runs settle (see JobLifecycle). */
  declare lifecycle: JobLifecycle;
  /** Settled or not, the newest run record (a cheap `lastRun`). */
  declare lastRun: RunRecord | null;
  /**
   * Fires counted toward `policy.maxRuns` (see there), persisted with the schedule; counted only while
   * the job has a limit.
   */
  declare runCount: number;
  /** Who created the job (config, api, library): persisted; not part of its definition (see core/actor.ts). */
  declare owner: JobOwner;
  /** A slot the store may use for its own per-job data (the memory store keeps the run history here). */
  declare storeSlot: unknown;
  /** The job still holds what its trigger took (a cron pattern reference): see releaseTrigger. */
  declare private holdsTrigger: boolean;
  /**
   * nextRunTime and dueAt as doubles, NaN for null: what the fire path and the stores' heaps read and
   * write. A field that ever holds null is a tagged field: every write of a time allocates a heap number,
   * which the (old) job keeps alive until the scavenger copies and promotes it; at 100 000 fires/s that
   * was megabytes promoted per scavenge and most of the old-generation work. A double-only field is
   * written in place. (This was tried before and looked like no gain: the run record's times were still
   * tagged then, see tsconfig's useDefineForClassFields.) NaN compares false with everything: test it
   * with Number.isNaN, or read the nullable nextRunTime and dueAt.
   */
  declare nextRunMsOrNaN: number;
  declare dueMsOrNaN: number;

  /**
   * A new JobRecord. It is an object literal with JobRecord's prototype, not `new JobRecord()`: V8 tracks
   * the survival of objects made at a literal and, when nearly all survive (jobs live until removed),
   * allocates them in the old generation at once. A class instance is always born young and copied twice
   * by the scavenger before it is promoted; registering a million jobs spent most of its collector time
   * copying job records.
   */
  static create(
    id: string,
    name: string,
    func: JobFunction | null,
    task: string | null,
    args: unknown,
    trigger: Trigger,
    policy: JobPolicy,
    paused: boolean,
    nextRunTime: number | null,
    dueAt: number | null,
    retry: PendingRetry | null = null,
    runCount = 0,
    owner: JobOwner = 'library',
    pause: PauseState | null = null,
    catchUpThrough: number | null = null,
  ): JobRecord {
    const record = {
      __proto__: JobRecord.prototype,
      id,
      name,
      func,
      task,
      args,
      trigger,
      policy,
      paused,
      pause,
      catchUpThrough,
      retry,
      waitingFire: null,
      jitterMs: 0,
      heapSlot: -1,
      seq: 0,
      running: 0,
      lifecycle: 'scheduled',
      lastRun: null,
      runCount,
      owner,
      storeSlot: null,
      holdsTrigger: true,
      nextRunMsOrNaN: nextRunTime === null ? Number.NaN : nextRunTime,
      dueMsOrNaN: dueAt === null ? Number.NaN : dueAt,
    };
    return record as unknown as JobRecord;
  }

  private constructor() {
    // Never called: see create().
  }

  /**
   * Gives back what the job's trigger holds, once. Several paths may let one job go (a finished job's
   * removal racing removeJob, a store dropping a stale copy it had cached), and a trigger shared by
   * several jobs cannot keep that flag itself.
   */
  releaseTrigger(): void {
    if (!this.holdsTrigger) return;
    this.holdsTrigger = false;
    this.trigger.dispose();
  }

  /** The fields a change may set (see JobSnapshot). */
  snapshot(): JobSnapshot {
    return {
      name: this.name,
      func: this.func,
      task: this.task,
      args: this.args,
      trigger: this.trigger,
      holdsTrigger: this.holdsTrigger,
      policy: this.policy,
      paused: this.paused,
      pause: this.pause,
      catchUpThrough: this.catchUpThrough,
      retry: this.retry,
      lifecycle: this.lifecycle,
      jitterMs: this.jitterMs,
      nextRunMsOrNaN: this.nextRunMsOrNaN,
      dueMsOrNaN: this.dueMsOrNaN,
    };
  }

  /**
   * Puts back what a snapshot holds. `swapped`: the change gave the job a trigger of its own (swapTrigger;
   * possibly the very same shared object, acquired once more): that one is released, and the snapshot's,
   * which swapTrigger kept, is held again (or released too, if the job was let go meanwhile).
   */
  restore(before: JobSnapshot, swapped: boolean): void {
    if (swapped) {
      const letGo = !this.holdsTrigger; // removed meanwhile: the removal released the new trigger
      this.releaseTrigger();
      this.trigger = before.trigger;
      this.holdsTrigger = before.holdsTrigger;
      if (letGo) this.releaseTrigger();
    }
    this.name = before.name;
    this.func = before.func;
    this.task = before.task;
    this.args = before.args;
    this.policy = before.policy;
    this.paused = before.paused;
    this.pause = before.pause;
    this.catchUpThrough = before.catchUpThrough;
    this.retry = before.retry;
    this.lifecycle = before.lifecycle;
    this.jitterMs = before.jitterMs;
    this.nextRunMsOrNaN = before.nextRunMsOrNaN;
    this.dueMsOrNaN = before.dueMsOrNaN;
  }

  /**
   * The schedule as `written` says it was written: a shared store's record is refreshed by every read of
   * its row (PostgreSQL's cache), and a read while the write waited (for a claim's row lock) showed the row
   * before the write. Only the fields a read sets; the definition and `lifecycle` are left as they are.
   */
  showWritten(written: JobSnapshot): void {
    this.paused = written.paused;
    this.pause = written.pause;
    this.catchUpThrough = written.catchUpThrough;
    this.retry = written.retry;
    this.jitterMs = written.jitterMs;
    this.nextRunMsOrNaN = written.nextRunMsOrNaN;
    this.dueMsOrNaN = written.dueMsOrNaN;
  }

  /**
   * Gives the job a new trigger (already acquired) and keeps the old one acquired: the caller releases it
   * (releaseSnapshotTrigger) once the change is kept, or restores it (restore) if the store refused it.
   */
  swapTrigger(trigger: Trigger): void {
    this.trigger = trigger;
    this.holdsTrigger = true;
  }

  /** After a kept change that swapped triggers: releases the one the snapshot held. */
  releaseSnapshotTrigger(before: JobSnapshot): void {
    if (before.holdsTrigger) before.trigger.dispose();
  }

  /** Gives the job a new trigger (already acquired), releasing the old one. */
  replaceTrigger(trigger: Trigger): void {
    this.releaseTrigger();
    this.trigger = trigger;
    this.holdsTrigger = true;
  }

  /** The nominal next fire time, null when paused or done (nextRunMsOrNaN, for callers off the fire path). */
  get nextRunTime(): number | null {
    const v = this.nextRunMsOrNaN;
    return Number.isNaN(v) ? null : v;
  }

  set nextRunTime(value: number | null) {
    this.nextRunMsOrNaN = value === null ? Number.NaN : value;
  }

  /** When the loop should take the job: nextRunTime plus jitter, or an earlier retry. Null: never. */
  get dueAt(): number | null {
    const v = this.dueMsOrNaN;
    return Number.isNaN(v) ? null : v;
  }

  set dueAt(value: number | null) {
    this.dueMsOrNaN = value === null ? Number.NaN : value;
  }
}
