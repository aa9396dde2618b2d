/**
 * Runs submissions: the fire times one job runs together, one after another as one instance. Keeps the
 * global concurrency bound (`maxConcurrentRuns`, later submissions wait in order), applies the misfire
 * rule when each run starts, times runs out, cancels them, and records every outcome.
 *
 * A synchronous job function is run and recorded without a promise: that is the hot path.
 *
 * One file of a little over 500 lines because one run's life (slot taken, started, settled or timed out
 * or cancelled, recorded, observed, emitted) shares the scratch record and the slot counts; split across
 * modules, the hot path would pass them around on every fire.
 */
import type { Span } from '@opentelemetry/api';
import type { Clock, TimerHandle } from '../core/clock.js';
import { JobCancelledError, JobTimeoutError, TaskNotRegisteredError } from '../core/errors.js';
import { isPromiseLike, type EventBus } from './event-bus.js';
import { EVENT_ID, EVENT_NAMES, type RunEvent, type RunObserver, type RunOutcome } from '../core/events.js';
import type { JobRecord } from '../core/job.js';
import type { Logger } from '../core/logger.js';
import { toErrorLog } from './error-log.js';
import { isMisfire } from './policies.js';
import { RunContext } from './run-context.js';
import type { RunTracer } from './run-tracing.js';
import { SCHEDULER_ACTOR, type Actor } from '../core/actor.js';
import { LiveRunRecord, runActorOf, toRunError, triggerOf, type RunError, type RunRecord, type RunTrigger } from '../core/run.js';
import { runError, runOutput, runStack } from './run-text.js';
import type { JobStore } from '../stores/store.js';

/** Fire times of one job to run in order, holding one instance slot of the job throughout. */
export interface Submission {
  readonly job: JobRecord;
  readonly runTimes: number[];
  readonly attempt: number;
  /**
   * A backfill: each fire time's own attempt (the one after its highest recorded), in place of `attempt`;
   * null otherwise. A null check per submission, not per on-time fire (runOnTime has no Submission).
   */
  readonly attempts: readonly number[] | null;
  /** When the first fire was due (its nominal time plus jitter, or a retry's time). Later fires: nominal. */
  readonly firstDueAt: number;
  /** How many fire times the first run stands for (coalescing). */
  readonly coalesced: number;
  /** runJobNow, a backfill and resumeJob's catch-up `all`: not subject to the misfire rule. */
  readonly manual: boolean;
  /** What started these runs; unset: the fire's own (`schedule`, `retry` after the first attempt). */
  readonly trigger?: RunTrigger | undefined;
  /** Who started them; unset: the scheduler. */
  readonly actor?: Actor | undefined;
  /** The args these runs get instead of the job's (a manual run's, or its retry's); unset: the job's. */
  readonly args?: unknown;
  /** A manual run's note, kept on its record. */
  readonly note?: string | undefined;
  index: number;
  cancelled: boolean;
}

/** A run whose function returned a promise. */
interface PendingRun {
  readonly record: LiveRunRecord;
  readonly context: RunContext;
  readonly promise: PromiseLike<unknown>;
  /** The run's span, when traced (see run-tracing.ts). */
  readonly span: Span | null;
}

/** One run awaiting its promise. */
interface ActiveRun {
  readonly submission: Submission;
  readonly record: LiveRunRecord;
  readonly context: RunContext;
  readonly promise: PromiseLike<unknown>;
  readonly span: Span | null;
  timer: TimerHandle | null;
  settled: boolean;
}

export interface ExecutorHooks {
  /** A run ended failed or timed out: the scheduler may schedule a retry (with `args`: the run's own, if it had). */
  onRunFailed(job: JobRecord, record: RunRecord, args: unknown): void;
  /** The submission is over: its instance slot is free. */
  onSubmissionDone(job: JobRecord): void;
}

/**
 * How long after its timeout or cancel a run whose function ignores its aborted signal is still waited for
 * (by shutdown); then it is let go with a `run_abandoned` warning. Its slot was freed at the timeout.
 */
export const DETACHED_BOUND_MS = 60_000;

/** The event of a settled run's outcome, by EVENT_ID (-1: none). A switch: see EVENT_ID for why not a table. */
function outcomeEvent(outcome: RunOutcome): number {
  switch (outcome) {
    case 'succeeded':
      return EVENT_ID.job_executed;
    case 'failed':
      return EVENT_ID.job_error;
    case 'missed':
      return EVENT_ID.job_missed;
    case 'skipped':
      return EVENT_ID.job_max_instances;
    case 'timed_out':
      return EVENT_ID.job_timed_out;
    case 'cancelled':
      return EVENT_ID.job_cancelled;
    case 'lost':
      return EVENT_ID.job_lost;
    case 'excluded':
      return EVENT_ID.job_excluded;
    default:
      return -1;
  }
}

export class Executor {
  private inFlight = 0;
  private readonly queue: Submission[] = [];
  private queueHead = 0;
  private readonly active = new Set<ActiveRun>();
  /**
   * Runs that timed out or were cancelled but whose promise has not settled: shutdown waits for them too,
   * until DETACHED_BOUND_MS after their timeout or cancel, when they are let go (logged `run_abandoned`).
   * The value is the timer that lets it go.
   */
  private readonly detached = new Map<PromiseLike<unknown>, TimerHandle>();
  private idleWaiters: (() => void)[] = [];
  /** See SchedulerService.observeRuns: called with each recorded outcome, before and without any event. */
  private runObservers: RunObserver[] = [];
  /**
   * With a store that copies settled runs (`copiesRuns`): the one record every synchronous run is
   * written into while it runs. The store then points the job's lastRun at what it kept (the memory
   * store: a view of the packed history), so a job needs no record object of its own: at 100 000 jobs
   * a record per job was 100 000 objects with five boxed times each, created at the first fires and
   * touched (cache misses) at every fire. A run that goes asynchronous moves to a record of its own.
   */
  private readonly scratch: LiveRunRecord | null;
  /** The scratch record belongs to a run in progress (a job function may start another run). */
  private scratchBusy = false;
  /**
   * During a pass of the loop, the time the last synchronous run finished: the next run of the pass
   * starts then, so a fire reads the clock once, not twice. Only the scheduler's own bookkeeping lies
   * between (microseconds; a collector pause there is not counted). NaN outside a pass, and as soon as
   * anything else may have taken time: a run went asynchronous (its function ran for a time not read),
   * an event went to listeners or the log, a failed run's retry was scheduled.
   */
  private passTime = Number.NaN;

  constructor(
    private readonly clock: Clock,
    private readonly events: EventBus,
    private readonly logger: Logger,
    private readonly store: JobStore,
    private readonly maxConcurrentRuns: number,
    private readonly hooks: ExecutorHooks,
    private readonly tracer: RunTracer,
  ) {
    this.scratch = store.copiesRuns === true ? new LiveRunRecord('') : null;
  }

  /** A pass of on-time fires begins at `now` (see passTime). */
  beginPass(now: number): void {
    this.passTime = now;
    this.tracer.refresh(now);
  }

  endPass(): void {
    this.passTime = Number.NaN;
  }

  /** Runs in flight or waiting for a concurrency slot. */
  get busy(): number {
    return this.inFlight + this.queue.length - this.queueHead;
  }

  submit(submission: Submission): void {
    if (this.events.wantsAt(EVENT_ID.job_submitted)) {
      this.passTime = Number.NaN;
      this.events.emit('job_submitted', {
        jobId: submission.job.id,
        scheduledRunTimes: submission.runTimes.map((t) => new Date(t).toISOString()),
      });
    }
    if (this.inFlight < this.maxConcurrentRuns) {
      this.inFlight++;
      this.continue(submission);
    } else {
      this.queue.push(submission);
    }
  }

  /** Aborts the running runs of one job (all jobs when `jobId` is null); returns how many. */
  cancel(jobId: string | null, reason: string): number {
    let count = 0;
    for (const run of [...this.active]) {
      if (jobId !== null && run.submission.job.id !== jobId) continue;
      run.submission.cancelled = true;
      this.settleEarly(run, 'cancelled', new JobCancelledError(run.submission.job.id, reason));
      count++;
    }
    return count;
  }

  /**
   * overlap 'replace': aborts the oldest run of the job running here (the first to go asynchronous; a
   * synchronous run cannot be interrupted, so only these can be running when a fire comes), or, when
   * `scheduledAt` is given, the run of that fire (another node chose it). Recorded cancelled with `error`;
   * its slot is free when this returns, even if its function ignores its signal (see DETACHED_BOUND_MS).
   * With none running (or that fire not running yet), the oldest instance waiting for a concurrency slot
   * (maxConcurrentRuns) goes instead, recorded cancelled unstarted. False when the job has no such instance here.
   */
  replace(jobId: string, error: Error, scheduledAt: number | null = null, attempt = 0): boolean {
    for (const run of this.active) {
      if (run.submission.job.id !== jobId) continue;
      if (scheduledAt !== null && (run.record.scheduledAt !== scheduledAt || run.record.attempt !== attempt)) continue;
      run.submission.cancelled = true;
      this.settleEarly(run, 'cancelled', error);
      return true;
    }
    for (let i = this.queueHead; i < this.queue.length; i++) {
      const submission = this.queue[i] as Submission;
      if (submission.job.id !== jobId) continue;
      if (scheduledAt !== null && (submission.runTimes[0] !== scheduledAt || submission.attempt !== attempt)) continue;
      this.queue.splice(i, 1);
      submission.cancelled = true;
      this.recordRemainingCancelled(submission, '', error);
      this.hooks.onSubmissionDone(submission.job);
      this.notifyIfIdle();
      return true;
    }
    return false;
  }

  /** Drops the submissions still waiting for a slot, recording them cancelled. */
  dropQueued(reason: string): void {
    while (this.queueHead < this.queue.length) {
      const submission = this.queue[this.queueHead++] as Submission;
      submission.cancelled = true;
      this.recordRemainingCancelled(submission, reason);
      this.hooks.onSubmissionDone(submission.job);
    }
    this.queue.length = 0;
    this.queueHead = 0;
  }

  /** Resolves when nothing runs (detached runs included), or after `timeoutMs`; true when idle. */
  waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.isIdle()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = this.clock.setTimer(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = (): void => {
        this.clock.clearTimer(timer);
        resolve(true);
      };
      this.idleWaiters.push(done);
    });
  }

  private isIdle(): boolean {
    return this.inFlight === 0 && this.detached.size === 0 && this.queueHead === this.queue.length;
  }

  private notifyIfIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const waiter of waiters) waiter();
  }

  /**
   * The hot path: one on-time fire of a job whose instance slot the caller has taken. With a free
   * concurrency slot it runs at once and allocates no Submission unless the function goes asynchronous.
   */
  runOnTime(job: JobRecord, scheduledAt: number, dueAt: number): void {
    if (this.inFlight >= this.maxConcurrentRuns || this.events.wantsAt(EVENT_ID.job_submitted)) {
      this.submit({ job, runTimes: [scheduledAt], attempt: 1, attempts: null, firstDueAt: dueAt, coalesced: 1, manual: false, index: 0, cancelled: false });
      return;
    }
    this.inFlight++;
    const pending = this.runFire(job, scheduledAt, dueAt, 1, 1, null);
    if (pending === null) {
      this.submissionDone(job);
      return;
    }
    const submission: Submission = {
      job,
      runTimes: [scheduledAt],
      attempt: 1,
      attempts: null,
      firstDueAt: dueAt,
      coalesced: 1,
      manual: false,
      index: 1,
      cancelled: false,
    };
    this.awaitRun(submission, pending);
  }

  /** Runs the submission's remaining fires until one goes asynchronous or all are done. */
  private continue(submission: Submission): void {
    const job = submission.job;
    while (submission.index < submission.runTimes.length) {
      if (submission.cancelled) {
        this.recordRemainingCancelled(submission, 'cancelled');
        break;
      }
      const i = submission.index++;
      const scheduledAt = submission.runTimes[i] as number;
      const attempts = submission.attempts;
      const attempt = attempts === null ? submission.attempt : (attempts[i] as number);
      const pending =
        i === 0
          ? this.runFire(job, scheduledAt, submission.firstDueAt, attempt, submission.coalesced, submission)
          : this.runFire(job, scheduledAt, scheduledAt, attempt, 1, submission);
      if (pending !== null) {
        this.awaitRun(submission, pending);
        return;
      }
    }
    this.submissionDone(job);
  }

  /**
   * One fire: applies the misfire rule, records the run and calls the function. A synchronous run is
   * settled and recorded before this returns null; an asynchronous one is returned to be awaited.
   * `source`: the submission, null for an on-time fire (its own trigger and actor, the job's args).
   */
  private runFire(job: JobRecord, scheduledAt: number, dueAt: number, attempt: number, coalesced: number, source: Submission | null): PendingRun | null {
    const known = this.passTime;
    const now = Number.isNaN(known) ? this.clock.now() : known;
    const lateness = now > dueAt ? now - dueAt : 0;
    const record = this.newRecord(job, scheduledAt, attempt, now, lateness);
    if (coalesced > 1) record.coalesced = coalesced;
    let args = job.args;
    if (source === null) {
      // The on-time path: two constant writes (see LiveRunRecord).
      record.trigger = 'schedule';
      record.actor = SCHEDULER_ACTOR;
    } else {
      this.provenance(record, source, attempt);
      if (source.args !== undefined) args = source.args;
    }
    job.lastRun = record;
    if ((source === null || !source.manual) && isMisfire(lateness, job.policy.misfireGraceTime)) {
      record.startedAt = null;
      record.outcome = 'missed';
      this.store.recordRun(record, job);
      this.emitRun(record);
      this.releaseScratch(job, record);
      return null;
    }
    const func = job.func;
    const context = new RunContext(job.id, scheduledAt, attempt, args, this.logger);
    // Without tracing (no SDK registered, with the default 'auto'), this field read is all it costs.
    const span = this.tracer.enabled ? this.tracer.start(job, record) : null;
    let result: unknown;
    try {
      if (func === null) throw new TaskNotRegisteredError(job.task ?? job.id, `job "${job.id}" has no function (task "${job.task ?? ''}" is not registered)`);
      result = span === null ? func(context) : this.tracer.call(span, func, context);
    } catch (error) {
      const output = (error as { output?: unknown } | null)?.output;
      if (typeof output === 'string') record.output = runOutput(output, args);
      this.finishSync(job, record, 'failed', runError(error, args), error, span, args, source);
      return null;
    }
    if (!isPromiseLike(result)) {
      if (typeof result === 'string') record.output = runOutput(result, args);
      this.finishSync(job, record, 'succeeded', null, undefined, span, args, source);
      return null;
    }
    this.passTime = Number.NaN;
    const own = record === this.scratch ? this.ownCopy(job, record) : record;
    this.store.recordRun(own, job);
    return { record: own, context, promise: result, span };
  }

  /** The trigger, actor and note of a submission's run (a retry's attempt after the first: `retry`). */
  private provenance(record: LiveRunRecord, source: Submission, attempt: number): void {
    record.trigger = source.trigger ?? (attempt > 1 ? 'retry' : 'schedule');
    record.actor = source.actor ?? SCHEDULER_ACTOR;
    if (source.note !== undefined) record.note = source.note;
  }

  /** An asynchronous run holds the submission's slot until it settles (or times out, or is cancelled). */
  private awaitRun(submission: Submission, pending: PendingRun): void {
    const { record, promise } = pending;
    const job = submission.job;
    const args = submission.args === undefined ? job.args : submission.args;
    const run: ActiveRun = { submission, record, context: pending.context, promise, span: pending.span, timer: null, settled: false };
    this.active.add(run);
    const timeout = job.policy.timeoutSeconds;
    if (timeout !== null) {
      run.timer = this.clock.setTimer(() => {
        run.timer = null;
        this.settleEarly(run, 'timed_out', new JobTimeoutError(job.id, timeout));
      }, timeout * 1000);
    }
    promise.then(
      (value: unknown) => {
        if (typeof value === 'string' && !run.settled) record.output = runOutput(value, args);
        this.settleAsync(run, 'succeeded', null, undefined);
      },
      (error: unknown) => {
        const output = (error as { output?: unknown } | null)?.output;
        if (typeof output === 'string' && !run.settled) record.output = runOutput(output, args);
        this.settleAsync(run, 'failed', runError(error, args), error);
      },
    );
  }

  /** The record of a run starting now: the scratch record when it is free, else a new one. */
  private newRecord(job: JobRecord, scheduledAt: number, attempt: number, now: number, lateness: number): LiveRunRecord {
    let record: LiveRunRecord;
    if (this.scratch !== null && !this.scratchBusy) {
      record = this.scratch;
      record.jobId = job.id;
      this.scratchBusy = true;
    } else {
      record = new LiveRunRecord(job.id);
    }
    record.scheduledAt = scheduledAt;
    record.attempt = attempt;
    record.startedAt = now;
    record.finishedAt = null;
    record.outcome = 'running';
    record.latenessMs = lateness;
    record.durationMs = null;
    record.error = null;
    if (record.output !== undefined) record.output = undefined;
    if (record.coalesced !== undefined) record.coalesced = undefined;
    if (record.lastScheduledAt !== undefined) record.lastScheduledAt = undefined;
    if (record.node !== undefined) record.node = undefined;
    if (record.traceId !== undefined) record.traceId = undefined;
    if (record.note !== undefined) record.note = undefined;
    return record;
  }

  /** A run that goes asynchronous leaves the scratch record for one of its own. */
  private ownCopy(job: JobRecord, scratch: RunRecord): LiveRunRecord {
    const own = new LiveRunRecord(job.id);
    own.scheduledAt = scratch.scheduledAt;
    own.attempt = scratch.attempt;
    own.startedAt = scratch.startedAt;
    own.finishedAt = scratch.finishedAt;
    own.outcome = scratch.outcome;
    own.latenessMs = scratch.latenessMs;
    own.durationMs = scratch.durationMs;
    own.error = scratch.error;
    if (scratch.output !== undefined) own.output = scratch.output;
    if (scratch.coalesced !== undefined) own.coalesced = scratch.coalesced;
    if (scratch.traceId !== undefined) own.traceId = scratch.traceId;
    own.trigger = triggerOf(scratch);
    own.actor = runActorOf(scratch);
    if (scratch.note !== undefined) own.note = scratch.note;
    if (job.lastRun === scratch) job.lastRun = own;
    this.scratchBusy = false;
    return own;
  }

  /**
   * A synchronous run is recorded: the store has pointed the job's lastRun at what it kept, or (it kept
   * nothing: no history, or the job was removed) the job gets a copy. The scratch record is free again.
   */
  private releaseScratch(job: JobRecord, record: RunRecord): void {
    if (record !== this.scratch) return;
    if (job.lastRun === record) this.ownCopy(job, record);
    this.scratchBusy = false;
  }

  private finishSync(
    job: JobRecord,
    record: LiveRunRecord,
    outcome: RunOutcome,
    error: RunError | null,
    cause: unknown,
    span: Span | null,
    args: unknown,
    source: Submission | null,
  ): void {
    const finished = this.clock.now();
    if (!Number.isNaN(this.passTime)) this.passTime = finished;
    record.finish(finished);
    record.outcome = outcome;
    record.error = error;
    if (span !== null) {
      this.tracer.end(span, record, cause, args);
      this.passTime = Number.NaN; // a span processor may export as the span ends
    }
    this.store.recordRun(record, job);
    this.emitRun(record, cause, args);
    if (outcome === 'failed') {
      this.passTime = Number.NaN;
      this.hooks.onRunFailed(job, record, source === null ? undefined : source.args);
    }
    this.releaseScratch(job, record);
  }

  private settleAsync(run: ActiveRun, outcome: RunOutcome, error: RunError | null, cause: unknown): void {
    if (run.settled) {
      // A run that timed out or was cancelled has finished at last: shutdown no longer waits for it.
      const timer = this.detached.get(run.promise);
      if (timer !== undefined) this.clock.clearTimer(timer);
      this.detached.delete(run.promise);
      this.notifyIfIdle();
      return;
    }
    this.complete(run, outcome, error, cause);
  }

  /** Timeout or cancel: record the outcome now, free the slot; the job's promise may still run detached. */
  private settleEarly(run: ActiveRun, outcome: 'timed_out' | 'cancelled', error: Error): void {
    if (run.settled) return;
    run.context.abort(error);
    const job = run.submission.job;
    const scheduledAt = run.record.scheduledAt;
    // A function that ignores its signal and never settles must not hold every later shutdown for its
    // whole bound: it is let go (and said so) after DETACHED_BOUND_MS.
    this.detached.set(
      run.promise,
      this.clock.setTimer(() => {
        if (!this.detached.delete(run.promise)) return;
        this.logger.warn(
          { event: 'run_abandoned', jobId: job.id, scheduledAt: new Date(scheduledAt).toISOString(), afterMs: DETACHED_BOUND_MS },
          `a ${outcome === 'timed_out' ? 'timed-out' : 'cancelled'} run of job "${job.id}" has not settled ${DETACHED_BOUND_MS / 1000} s after its signal was aborted; no longer waiting for it`,
        );
        this.notifyIfIdle();
      }, DETACHED_BOUND_MS),
    );
    this.complete(run, outcome, toRunError(error), error);
  }

  private complete(run: ActiveRun, outcome: RunOutcome, error: RunError | null, cause: unknown): void {
    run.settled = true;
    this.active.delete(run);
    if (run.timer !== null) this.clock.clearTimer(run.timer);
    const record = run.record;
    record.finish(this.clock.now());
    record.outcome = outcome;
    record.error = error;
    const submission = run.submission;
    const args = submission.args === undefined ? submission.job.args : submission.args;
    if (run.span !== null) this.tracer.end(run.span, record, cause, args);
    this.store.updateRun(record);
    this.emitRun(record, cause, args);
    if (outcome === 'failed' || outcome === 'timed_out') this.hooks.onRunFailed(submission.job, record, submission.args);
    this.continue(run.submission);
  }

  private submissionDone(job: JobRecord): void {
    this.inFlight--;
    this.hooks.onSubmissionDone(job);
    // Start waiting submissions in the order they were due.
    while (this.inFlight < this.maxConcurrentRuns && this.queueHead < this.queue.length) {
      const next = this.queue[this.queueHead++] as Submission;
      if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
        this.queue.splice(0, this.queueHead);
        this.queueHead = 0;
      }
      this.inFlight++;
      this.continue(next);
    }
    this.notifyIfIdle();
  }

  /** `error`: the recorded error (default: cancelled for `reason`, before it started). */
  private recordRemainingCancelled(submission: Submission, reason: string, error?: Error): void {
    const remaining = submission.runTimes.length - submission.index;
    if (remaining <= 0) return;
    const recorded = toRunError(error ?? new JobCancelledError(submission.job.id, `${reason} before it started`));
    const attempts = submission.attempts;
    if (attempts !== null) {
      // A backfill's fires are each another fire's next attempt: one record each, under its own run id.
      for (let i = submission.index; i < submission.runTimes.length; i++) {
        this.recordCancelled(submission, submission.runTimes[i] as number, attempts[i] as number, recorded, 1, undefined);
      }
      submission.index = submission.runTimes.length;
      return;
    }
    const first = submission.runTimes[submission.index] as number;
    const last = submission.runTimes[submission.runTimes.length - 1] as number;
    submission.index = submission.runTimes.length;
    this.recordCancelled(submission, first, submission.attempt, recorded, remaining, last);
  }

  private recordCancelled(submission: Submission, scheduledAt: number, attempt: number, error: RunError, count: number, last: number | undefined): void {
    const record: RunRecord = {
      jobId: submission.job.id,
      scheduledAt,
      attempt,
      startedAt: null,
      finishedAt: null,
      outcome: 'cancelled',
      latenessMs: null,
      durationMs: null,
      error,
    };
    if (submission.trigger !== undefined) record.trigger = submission.trigger;
    if (submission.actor !== undefined) record.actor = submission.actor;
    if (count > 1) {
      record.coalesced = count;
      record.lastScheduledAt = last;
    }
    this.store.recordRun(record, submission.job);
    this.emitRun(record);
  }

  /** Adds a run observer; the function returned removes it. */
  addRunObserver(observer: RunObserver): () => void {
    this.runObservers = [...this.runObservers, observer];
    return () => {
      this.runObservers = this.runObservers.filter((o) => o !== observer);
    };
  }

  private observe(record: RunRecord): void {
    for (const observer of this.runObservers) {
      try {
        observer(record.outcome, record.durationMs, record.latenessMs, record.jobId);
      } catch (error) {
        this.logger.error(
          { event: 'listener_error', listenerOf: 'run observer', error: toErrorLog(error) },
          'a run observer threw; the run is recorded all the same',
        );
      }
    }
  }

  /** Emits the run's event (only if someone listens or logs it). */
  emitRun(record: RunRecord, cause?: unknown, args?: unknown): void {
    const id = outcomeEvent(record.outcome);
    if (id < 0) return;
    if (this.runObservers.length !== 0) this.observe(record);
    if (!this.events.wantsAt(id)) return;
    this.passTime = Number.NaN; // listeners and the log take time of their own
    const payload: RunEvent = {
      jobId: record.jobId,
      scheduledAt: new Date(record.scheduledAt).toISOString(),
      attempt: record.attempt,
      outcome: record.outcome,
      latenessMs: record.latenessMs,
      durationMs: record.durationMs,
      trigger: triggerOf(record),
    };
    if (record.error !== null) payload.error = record.error;
    if (record.coalesced !== undefined) payload.count = record.coalesced;
    if (record.lastScheduledAt !== undefined) payload.lastScheduledAt = new Date(record.lastScheduledAt).toISOString();
    const stack = record.outcome === 'failed' ? { stack: runStack(cause, args) } : undefined;
    this.events.emit(EVENT_NAMES[id] as 'job_executed', payload, stack);
  }
}
