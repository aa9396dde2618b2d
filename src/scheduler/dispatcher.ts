/**
 * The heart of the scheduler: what one wake-up of the loop does. A pass takes the due jobs from the
 * store, decides with the pure policies which fires run, are missed or skipped, advances each schedule,
 * hands the runs to the Executor, writes the pass back (with its claims, on a shared store), and removes
 * the jobs whose last fire this was once their runs settle. Retries of failed and lost runs are decided
 * here too, as is the return of jobs that waited for their task.
 *
 * The Dispatcher owns the Executor (it is the executor's hooks) and the WakeLoop (whose timer calls
 * `pass`). The facade creates it, opens the store, and changes the state it reads (RunState).
 */
import type { Clock } from '../core/clock.js';
import { JobCancelledError, JobNotFoundError, JobReplacedError } from '../core/errors.js';
import type { Actor } from '../core/actor.js';
import type { JobExclusion } from '../core/exclusion.js';
import type { JobFunction, JobRecord, WaitingFire } from '../core/job.js';
import type { Logger } from '../core/logger.js';
import { toRunError, type RunRecord } from '../core/run.js';
import type { DueFires } from '../core/trigger.js';
import { loadErrorOf, type ClaimingStore, type FireClaim, type JobStore, type LocalStore } from '../stores/store.js';
import { setDue } from './due-time.js';
import { toErrorLog } from './error-log.js';
import type { EventBus } from './event-bus.js';
import type { Exclusions } from './exclusions.js';
import { Executor, type ExecutorHooks, type Submission } from './executor.js';
import { RunTracer, type TracingOption } from './run-tracing.js';
import { WakeLoop, type PassResult } from './loop.js';
import { planResume, type PausedStretch } from './pause-plan.js';
import { hasFreeInstance, isMisfire, overlapDecision, planFires, retryAt } from './policies.js';
import type { RunState } from './run-state.js';

/** Jobs taken from the store per pass before yielding to I/O. */
const BATCH = 10_000;

export interface DispatcherOptions {
  store: JobStore;
  /** The store, when it claims fires for several processes (its capabilities, found once by the facade). */
  claiming: ClaimingStore | null;
  /** The store, when it keeps its jobs ordered in this process and fires them in place. */
  local: LocalStore | null;
  clock: Clock;
  logger: Logger;
  events: EventBus;
  runState: RunState;
  maxConcurrentRuns: number;
  maxCatchUp: number;
  /** Whether runs get OpenTelemetry spans (see run-tracing.ts). */
  tracing: TracingOption;
  /** A fire of a job with `pauseAfterFailures` failed for good (no retry left): the facade decides the pause. */
  onFailedFire(job: JobRecord): void;
  /** A job whose trigger was done was removed (by the scheduler itself): for the audit trail. */
  onFinishedRemoved?: (job: JobRecord) => void;
  /** The named calendars and the judge of excluded fires. */
  exclusions: Exclusions;
}

export class Dispatcher implements ExecutorHooks {
  readonly executor: Executor;
  readonly loop: WakeLoop;
  private readonly store: JobStore;
  private readonly claiming: ClaimingStore | null;
  /** Only for a store that does not claim: claims go through takeDue and putBack. */
  private readonly local: LocalStore | null;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly events: EventBus;
  private readonly runState: RunState;
  private readonly maxCatchUp: number;
  private readonly onFailedFire: (job: JobRecord) => void;
  /** Jobs whose pause lifted itself in the current pass: their whole row is written once the pass is. */
  private lifted: JobRecord[] | null = null;
  private readonly onFinishedRemoved: ((job: JobRecord) => void) | undefined;
  private readonly exclusions: Exclusions;
  /** Lost runs reported while the store opened (see lostRun). */
  private lostAtOpen: RunRecord[] = [];
  /** Retries of lost runs are decided one after another. */
  private lostRetries: Promise<void> = Promise.resolve();
  /** The backfills submitted in this process whose fires have not all started (see backfillPending). */
  private readonly backfills = new Set<Submission>();
  /** While a pass of a claiming store runs: the submissions waiting for their claims to be recorded. */
  private pendingClaims: Submission[] | null = null;
  /**
   * Of those, the ones that replace the oldest running instance of their job (overlap 'replace' on a
   * shared store: the claim cancels that run's row, wherever it runs).
   */
  private replacing: Set<Submission> | null = null;
  /** Jobs with a waiting fire (overlap 'queue') kept in this process: dropped, recorded, at shutdown. */
  private readonly waiting = new Set<JobRecord>();

  constructor(options: DispatcherOptions) {
    this.store = options.store;
    this.claiming = options.claiming;
    this.local = options.claiming === null ? options.local : null;
    this.clock = options.clock;
    this.logger = options.logger;
    this.events = options.events;
    this.runState = options.runState;
    this.maxCatchUp = options.maxCatchUp;
    this.onFailedFire = options.onFailedFire;
    this.onFinishedRemoved = options.onFinishedRemoved;
    this.exclusions = options.exclusions;
    // A shared store gets hooks of its own, so that the end of every run in this process pays one field read
    // (a waiting fire of its own) and no check of the store's kind.
    const hooks: ExecutorHooks =
      this.claiming === null
        ? this
        : { onRunFailed: (job, record, args) => this.onRunFailed(job, record, args), onSubmissionDone: (job) => this.onClaimedSubmissionDone(job) };
    this.executor = new Executor(this.clock, this.events, this.logger, this.store, options.maxConcurrentRuns, hooks, new RunTracer(options.tracing));
    this.loop = new WakeLoop(this.clock, this.logger, () => this.pass(), this.claiming === null ? {} : this.claiming.loopTuning);
  }

  /** A change elsewhere (another process added or changed a job): a pass by `dueAt`, if the scheduler runs. */
  wake(dueAt: number): void {
    if (this.runState.state === 'running') this.loop.wakeBy(dueAt);
  }

  /**
   * Shutdown: no new fire is taken; a pass holding a claim of a shared store finishes first (its fires
   * are not started) so that the store can close. Queued runs are dropped; running ones settle, for at
   * most `timeoutSeconds` with `wait`, else their signals are aborted (at once without `wait`).
   */
  async stop(wait: boolean, timeoutSeconds: number): Promise<void> {
    this.loop.stop();
    await this.loop.settled();
    this.executor.dropQueued('the scheduler shut down');
    this.dropAllWaiting('the scheduler shut down');
    if (wait) {
      const idle = await this.executor.waitIdle(timeoutSeconds * 1000);
      if (!idle) this.executor.cancel(null, `shutdown waited its timeoutSeconds (${timeoutSeconds} s)`);
    } else {
      this.executor.cancel(null, 'shutdown({ wait: false })');
    }
  }

  /** Declared dead by the other nodes of a shared store: what runs here was recorded lost there; stop it. */
  fenced(reason: string): void {
    this.executor.dropQueued(reason);
    this.dropAllWaiting(reason);
    this.executor.cancel(null, reason);
  }

  /**
   * runJobNow, once the job was checked: a manual run, claimed first on a shared store (false: its
   * maxInstances are taken on some node, nothing started). `args` (unless undefined) replace the job's
   * for this run only; the claim records the trigger and actor, the args reach only this node's executor.
   */
  async runNow(job: JobRecord, actor: Actor, args?: unknown, note?: string): Promise<boolean> {
    const now = this.clock.now();
    const submission: Submission = {
      job,
      runTimes: [now],
      attempt: 1,
      attempts: null,
      firstDueAt: now,
      coalesced: 1,
      manual: true,
      trigger: 'manual',
      actor,
      args,
      note,
      index: 0,
      cancelled: false,
    };
    if (this.claiming !== null && (await this.claiming.claimManual(submission)) !== true) return false;
    job.running++;
    this.executor.submit(submission);
    return true;
  }

  /**
   * backfillJob, once the job was checked and the fires planned: one submission of the fires, oldest
   * first, each under its original time as its own next attempt, not subject to the misfire rule (like a
   * catch-up asked for). Claimed first on a shared store, all its fires or none: false when the job's
   * maxInstances are taken, 'conflict' when another node (or another backfill) has one of the fires.
   * Its runs are recorded with trigger `backfill` and the caller as their actor (with the claim, too).
   */
  async backfill(job: JobRecord, runTimes: number[], attempts: number[], actor: Actor): Promise<true | false | 'conflict'> {
    const submission: Submission = {
      job,
      runTimes,
      attempt: attempts[0] as number,
      attempts,
      firstDueAt: runTimes[0] as number,
      coalesced: 1,
      manual: true,
      trigger: 'backfill',
      actor,
      index: 0,
      cancelled: false,
    };
    if (this.claiming !== null) {
      const claimed = await this.claiming.claimManual(submission);
      if (claimed !== true) return claimed;
    }
    job.running++;
    this.backfills.add(submission);
    this.executor.submit(submission);
    return true;
  }

  /**
   * The fire times of the job's backfills in this process that have not started yet: not in the history
   * yet, and not to be planned again (a fire that started is recorded, running or settled).
   */
  backfillPending(jobId: string): number[] {
    const pending: number[] = [];
    for (const submission of this.backfills) {
      if (submission.index >= submission.runTimes.length) this.backfills.delete(submission);
      else if (submission.job.id === jobId) pending.push(...submission.runTimes.slice(submission.index));
    }
    return pending;
  }

  /** One pass of the loop: take due jobs, submit their fires, reschedule them. Returns the next wake time. */
  async pass(): Promise<PassResult> {
    if (this.runState.state !== 'running') return { more: false, next: null };
    const now = this.clock.now();
    const claims: Submission[] | null = this.claiming === null ? null : [];
    let fired: number;
    // The jobs whose last fire this was: removed once the pass is written.
    let finished: JobRecord[] | null = null;
    if (this.local !== null) {
      // An in-process store fires each due job in place (see LocalStore.fireDue).
      this.beginPass(now, null);
      try {
        fired = this.local.fireDue(now, BATCH, (job) => {
          this.fireSafely(job, now);
          if (job.lifecycle === 'finished') (finished ??= []).push(job);
        });
      } finally {
        this.endPass();
      }
    } else {
      const taken = this.store.takeDue(now, BATCH);
      const jobs = taken instanceof Promise ? await taken : taken;
      fired = jobs.length;
      finished = jobs;
      // shutdown() or pause() may have come while the store answered: put the jobs back untouched.
      const live = this.runState.state === 'running';
      this.beginPass(now, claims);
      try {
        if (live) {
          for (const job of jobs) {
            // A waiting fire (overlap 'queue') first: a shared store makes its job due when a slot frees
            // (slotFreed), on whichever node; the fast path of a local store starts it at the run's end instead.
            if (job.waitingFire !== null && !job.paused) this.startWaiting(job);
            this.fireSafely(job, now);
          }
        }
      } finally {
        this.endPass();
      }
      if (this.claiming !== null && claims !== null) {
        const replacing = this.replacing;
        this.replacing = null;
        await this.startClaimed(this.claiming, jobs, claims, replacing);
      } else {
        const put = this.store.putBack(jobs);
        if (put instanceof Promise) await put;
      }
    }
    const flushed = this.store.flush();
    if (flushed instanceof Promise) await flushed;
    if (this.lifted !== null) await this.saveLifted();
    if (finished !== null) for (const job of finished) this.removeIfDone(job);
    const earliest = this.store.earliestDue();
    return { more: fired === BATCH, next: earliest instanceof Promise ? await earliest : earliest };
  }

  /** Synchronous from here to endPass: the log-level table cannot go stale across an await. */
  private beginPass(now: number, claims: Submission[] | null): void {
    this.pendingClaims = claims;
    this.events.beginPass();
    this.executor.beginPass(now);
  }

  private endPass(): void {
    this.executor.endPass();
    this.events.endPass();
    this.pendingClaims = null;
  }

  /**
   * After a pass that took a job with a waiting fire, or a run's end: the waiting fire (overlap 'queue')
   * starts when a slot is free. Its lateness counts from when it was due, so the executor records it
   * missed if it waited past the misfire grace. It counted toward maxRuns when it began to wait.
   */
  private startWaiting(job: JobRecord): void {
    const fire = job.waitingFire as WaitingFire;
    // No function here (a shared store's node without the task): it waits for a node that has it.
    if (job.func === null || !hasFreeInstance(job.running, job.policy.maxInstances)) return;
    job.waitingFire = null;
    this.waiting.delete(job);
    job.running++;
    const submission: Submission = {
      job,
      runTimes: [fire.scheduledAt],
      attempt: fire.attempt,
      attempts: null,
      firstDueAt: fire.dueAt,
      coalesced: fire.coalesced,
      manual: false,
      index: 0,
      cancelled: false,
    };
    if (this.pendingClaims !== null) this.pendingClaims.push(submission);
    else this.executor.submit(submission);
  }

  /**
   * A job's waiting fire will not run: the job was paused or removed, or the scheduler shuts down.
   * Recorded cancelled (never dropped silently). A shared store's row is cleared by the caller's write.
   */
  dropWaiting(job: JobRecord, reason: string): void {
    const fire = job.waitingFire;
    if (fire === null) return;
    job.waitingFire = null;
    this.waiting.delete(job);
    const record: RunRecord = {
      jobId: job.id,
      scheduledAt: fire.scheduledAt,
      attempt: fire.attempt,
      startedAt: null,
      finishedAt: null,
      outcome: 'cancelled',
      latenessMs: null,
      durationMs: null,
      error: toRunError(new JobCancelledError(job.id, `${reason} while the fire waited for a free instance (overlap: 'queue'); it was not run`)),
    };
    // A shared store: a claim (on any node) may have started this fire since the record was read.
    if (this.claiming?.recordUnclaimed !== undefined) this.claiming.recordUnclaimed(record);
    else this.store.recordRun(record, job);
    this.executor.emitRun(record);
  }

  /**
   * Shutdown or fencing: the waiting fires this process keeps are dropped (recorded). A shared store keeps
   * them in its rows instead: another node (or this one, started again) starts them.
   */
  private dropAllWaiting(reason: string): void {
    if (this.claiming !== null) return;
    for (const job of [...this.waiting]) this.dropWaiting(job, reason);
  }

  /** fire(), except that a trigger or policy bug must not stop the other jobs: logged, the job kept on its schedule. */
  private fireSafely(job: JobRecord, now: number): void {
    try {
      this.fire(job, now);
    } catch (error) {
      this.logger.error({ event: 'internal_error', jobId: job.id, error: toErrorLog(error) }, 'processing a due job failed');
      if (job.dueAt !== null && job.dueAt <= now) {
        if (!job.paused) job.nextRunTime = job.trigger.next(now);
        setDue(job);
      }
    }
  }

  /**
   * A shared store: the claims are recorded with the new schedules in one transaction; only then do the
   * accepted fires start. A refused claim (another node has that fire) or a failed write starts nothing;
   * a recorded claim starts even when shutdown began meanwhile, since no other node may run that fire.
   */
  private async startClaimed(store: ClaimingStore, jobs: JobRecord[], claims: Submission[], replacing: ReadonlySet<Submission> | null): Promise<void> {
    let refused: readonly FireClaim[];
    try {
      refused = await store.putBack(jobs, claims, replacing);
    } catch (error) {
      for (const claim of claims) claim.job.running--;
      throw error;
    }
    const skip = refused.length === 0 ? null : new Set(refused);
    for (const claim of claims) {
      if (skip !== null && skip.has(claim)) {
        claim.job.running--;
        // Not run here: a job that this fire finished is not removed here either (its fire may not have run
        // anywhere, if the whole claim was rolled back; the node that ran it removes it).
        claim.job.lifecycle = 'scheduled';
        this.logger.warn(
          { event: 'fire_claimed_elsewhere', jobId: claim.job.id, scheduledAt: new Date(claim.runTimes[0] as number).toISOString() },
          'another node has claimed this fire already; it is not started here',
        );
        continue;
      }
      // Claimed is promised: it starts even if shutdown began meanwhile (shutdown waits for the pass, then for it).
      this.executor.submit(claim);
    }
  }

  private fire(job: JobRecord, now: number): void {
    // A paused job is taken only when its pause has an end (its due time is then `until`).
    if (job.paused) this.liftPause(job, now);
    if (job.func === null && this.claiming === null) {
      this.waitForTask(job);
      return;
    }
    const retry = job.retry;
    if (retry !== null && retry.at <= now) {
      job.retry = null;
      this.submit(job, [retry.scheduledAt], retry.attempt, retry.at, 1, false, retry.args);
    }
    // Times as doubles, NaN for none (see JobRecord.nextRunMsOrNaN); NaN + jitter <= now is false.
    const first = job.nextRunMsOrNaN;
    if (!job.paused && first + job.jitterMs <= now) {
      const policy = job.policy;
      const next = job.trigger.nextTime(first);
      // The schedule advances before anything runs, so a synchronous failure sees the real next fire
      // (the retry rule compares against it).
      // After resumeJob({ catchUp: 'all' }): the fires of the pause up to catchUpThrough run each, however late.
      const through = job.catchUpThrough;
      const catchUpAll = through !== null && through >= first;
      if ((Number.isNaN(next) || next > now) && !catchUpAll) {
        // On time: the common case, one fire.
        this.advance(job, next);
        // One null check for a job without exclusions.
        const exclude = policy.exclude;
        if (exclude === null || !this.excludeOnTime(job, exclude, first)) this.submitOnTime(job, first);
      } else {
        const exclude = policy.exclude;
        const coalesce = policy.coalesce && !catchUpAll;
        // One more than maxCatchUp, so that the last dropped fire is known for the missed record. With
        // exclusions the fires are listed even when coalescing: an excluded one does not count toward the run.
        const due = job.trigger.dueFires(first, now, coalesce && exclude === null ? 1 : this.maxCatchUp + 1);
        this.advance(job, due.next ?? Number.NaN);
        const plan = planFires(exclude === null ? due : this.dropExcluded(job, exclude, due), first, coalesce, this.maxCatchUp);
        if (plan.dropped !== null) this.recordDropped(job, plan.dropped);
        if (plan.runTimes.length > 0) this.submit(job, plan.runTimes, 1, plan.runTimes[0] as number, plan.coalesced, catchUpAll);
      }
    }
    setDue(job);
  }

  /** An on-time fire that its exclusions rule out: recorded `excluded`, not run. True when it was excluded. */
  private excludeOnTime(job: JobRecord, exclude: JobExclusion, scheduledAt: number): boolean {
    const reason = this.exclusions.reason(exclude, scheduledAt);
    if (exclude.skip.length > 0) this.dropPassedSkips(job, exclude, scheduledAt);
    if (reason === null) return false;
    this.recordExcluded(job, scheduledAt, reason);
    return true;
  }

  /**
   * The due fires of a late job without its excluded ones, each recorded `excluded`. Only the listed fires
   * (up to maxCatchUp + 1, the latest) are judged; older ones are counted as before (missed by
   * MAX_CATCH_UP, or into the coalesced count).
   */
  private dropExcluded(job: JobRecord, exclude: JobExclusion, due: DueFires): DueFires {
    const kept: number[] = [];
    for (const at of due.times) {
      const reason = this.exclusions.reason(exclude, at);
      if (reason === null) kept.push(at);
      else this.recordExcluded(job, at, reason);
    }
    const last = due.times[due.times.length - 1];
    if (exclude.skip.length > 0 && last !== undefined) this.dropPassedSkips(job, exclude, last);
    if (kept.length === due.times.length) return due;
    return { times: kept, total: due.total - (due.times.length - kept.length), exact: due.exact, next: due.next };
  }

  /** One-off skips at or before `passed` are done with: the job's policy keeps only the later ones (written with its next change). */
  private dropPassedSkips(job: JobRecord, exclude: JobExclusion, passed: number): void {
    if ((exclude.skip[0] as number) > passed) return;
    const skip = Object.freeze(exclude.skip.filter((at) => at > passed));
    job.policy = Object.freeze({ ...job.policy, exclude: Object.freeze({ ...exclude, skip }) });
  }

  /** The record (and event) of one excluded fire. */
  private recordExcluded(job: JobRecord, scheduledAt: number, reason: string): void {
    const record: RunRecord = {
      jobId: job.id,
      scheduledAt,
      attempt: 1,
      startedAt: null,
      finishedAt: null,
      outcome: 'excluded',
      latenessMs: null,
      durationMs: null,
      error: {
        code: 'EXCLUDED',
        message: `the fire was excluded by ${reason === 'skip' ? 'a one-off skip (skipFire)' : reason === 'date' ? "the job's exclude.dates" : reason}; it was not run`,
      },
    };
    this.store.recordRun(record, job);
    job.lastRun = record;
    this.executor.emitRun(record);
  }

  /**
   * A paused job taken when due: its pause has an end, and if that has come the pause lifts itself here,
   * on whichever node took the job (a shared store hands a due job to one node). The job goes on from now
   * (catch-up `none`); the fires of the pause are recorded as one `paused` record. A claiming store writes
   * the lift with the claim (its putBack writes the paused flag); the other stores' rows are written once
   * the pass is (saveLifted).
   */
  private liftPause(job: JobRecord, now: number): void {
    const pause = job.pause;
    if (pause === null || pause.until === null || pause.until > now) return;
    const plan = planResume(job.trigger, pause.since, now, 'none', job.policy.misfireGraceTime, this.maxCatchUp);
    if (plan.stretch !== null) this.recordPaused(job, plan.stretch);
    job.paused = false;
    job.pause = null;
    job.catchUpThrough = null;
    job.nextRunTime = plan.nextRunTime;
    if (plan.nextRunTime === null) job.lifecycle = 'finished';
    (this.lifted ??= []).push(job);
  }

  /** Writes the jobs whose pause lifted itself in this pass (a local store), and announces each. */
  private async saveLifted(): Promise<void> {
    const lifted = this.lifted ?? [];
    this.lifted = null;
    for (const job of lifted) {
      try {
        // A claiming store wrote it with the claim: its record may since show a newer row (a read of the
        // job refreshes the shared record), which must not be written back.
        const updated = this.claiming === null ? this.store.update(job) : undefined;
        if (updated instanceof Promise) await updated;
      } catch (error) {
        // Not written: the row still says paused with a past `until`, so it is due at once and lifted again.
        if (!(error instanceof JobNotFoundError)) {
          this.logger.error({ event: 'store_error', jobId: job.id, error: toErrorLog(error) }, 'writing a lifted pause failed');
        }
        continue;
      }
      this.logger.info({ event: 'job_pause_lifted', jobId: job.id }, `the pause of job "${job.id}" reached its end and lifted itself`);
      if (this.events.wants('job_modified')) this.events.emit('job_modified', { jobId: job.id });
    }
  }

  /** The fires a pause kept from running: one `paused` record (no event: nothing ran or was missed). */
  recordPaused(job: JobRecord, stretch: PausedStretch): void {
    const record: RunRecord = {
      jobId: job.id,
      scheduledAt: stretch.first,
      attempt: 1,
      startedAt: null,
      finishedAt: null,
      outcome: 'paused',
      latenessMs: null,
      durationMs: null,
      error: {
        code: 'PAUSED',
        message: `${stretch.exact ? '' : 'at least '}${stretch.count} fire time${stretch.count === 1 ? ' was' : 's were'} not run: the job was paused`,
      },
    };
    if (stretch.count > 1) {
      record.coalesced = stretch.count;
      record.lastScheduledAt = stretch.last;
    }
    this.store.recordRun(record, job);
  }

  /**
   * A job whose task is not registered (stored, loaded before registerTask) waits for it: its fire is not
   * consumed and the job is not finished, so a date job is not deleted; it is just not due until
   * registerTask gives it its due time back (the misfire rules then apply). A shared store is the
   * exception: another node may have the task, so there the fire goes on (and is not run here).
   */
  private waitForTask(job: JobRecord): void {
    job.dueMsOrNaN = Number.NaN;
    this.logger.warn(
      { event: 'job_not_run', jobId: job.id, code: 'TASK_NOT_REGISTERED', task: job.task },
      `job "${job.id}" is due but its task "${job.task ?? ''}" is not registered; it waits for registerTask("${job.task ?? ''}", func)`,
    );
  }

  /**
   * A task was registered: jobs loaded before it can run from now on; those that came due meanwhile
   * waited (see waitForTask) and are due again.
   */
  taskRegistered(name: string, func: JobFunction): void {
    void Promise.resolve(this.store.list())
      .then(async (jobs) => {
        for (const job of jobs) {
          if (job.task !== name || job.func !== null || loadErrorOf(job) !== null) continue;
          job.func = func;
          if (Number.isNaN(job.dueMsOrNaN)) await this.rearm(job);
        }
      })
      .catch((error: unknown) => this.logger.error({ event: 'store_error', error: toErrorLog(error) }, 'could not attach a registered task to loaded jobs'));
  }

  /** A job that waited for its task gets its due time back (written, and the loop told). */
  private async rearm(job: JobRecord): Promise<void> {
    setDue(job);
    if (Number.isNaN(job.dueMsOrNaN)) return;
    await this.store.update(job);
    this.loop.wakeBy(job.dueMsOrNaN);
  }

  /** The job's next fire time (NaN: it has none, and is finished). */
  private advance(job: JobRecord, next: number): void {
    job.nextRunMsOrNaN = next;
    if (Number.isNaN(next)) job.lifecycle = 'finished';
  }

  /** The hot path of `submit`: one on-time fire, run by the executor without a Submission when it can. */
  private submitOnTime(job: JobRecord, scheduledAt: number): void {
    const dueAt = scheduledAt + job.jitterMs;
    if (this.pendingClaims !== null || job.func === null || !hasFreeInstance(job.running, job.policy.maxInstances)) {
      this.submit(job, [scheduledAt], 1, dueAt, 1);
      return;
    }
    // One field read per fire for the run limit; the counting itself only for jobs that have one.
    if (job.policy.maxRuns !== null && this.limitRuns(job, [scheduledAt], dueAt) === null) return;
    job.running++;
    this.executor.runOnTime(job, scheduledAt, dueAt);
  }

  /**
   * maxRuns: counts the fires of a submission that will start (claimed, on a shared store: the count is
   * written in the claim transaction, with the schedule), and answers the run times to submit: the fires
   * too late to start (the misfire rule, judged now as the executor will judge them) are kept, to be
   * recorded missed, uncounted; of the others, the oldest that fit in the limit. The fire that reaches the
   * limit finishes the job. Null when no fire is left (a record that reached its limit): nothing is submitted.
   * `exempt` fires (a catch-up resumeJob `all` asked for) start however late: all of them count.
   */
  private limitRuns(job: JobRecord, runTimes: number[], firstDueAt: number, exempt = false): number[] | null {
    const limit = job.policy.maxRuns as number;
    const remaining = limit - job.runCount;
    if (remaining <= 0) {
      this.advance(job, Number.NaN);
      return null;
    }
    // The executor runs the first fire against firstDueAt, later ones against their own time (see runFire).
    const now = this.clock.now();
    const grace = job.policy.misfireGraceTime;
    let missed = 0;
    while (!exempt && missed < runTimes.length && isMisfire(now - (missed === 0 ? firstDueAt : (runTimes[missed] as number)), grace)) missed++;
    const counted = Math.min(remaining, runTimes.length - missed);
    job.runCount += counted;
    if (job.runCount >= limit) this.advance(job, Number.NaN);
    return missed + counted < runTimes.length ? runTimes.slice(0, missed + counted) : runTimes;
  }

  /**
   * `exempt`: a catch-up the operator asked for (resumeJob `all`), not subject to the misfire rule. `args`:
   * a retry of a run that had its own args (a manual run's) gets them again.
   */
  private submit(job: JobRecord, runTimes: number[], attempt: number, firstDueAt: number, coalesced: number, exempt = false, args?: unknown): void {
    let replaces = false;
    if (!hasFreeInstance(job.running, job.policy.maxInstances)) {
      const decision = overlapDecision(job.running, job.policy.maxInstances, job.policy.overlap, job.waitingFire !== null);
      if (decision === 'wait') {
        this.wait(job, runTimes, attempt, firstDueAt, coalesced, exempt);
        return;
      }
      // Replaced here (the run's slot is free now), or, on a shared store, by the claim (wherever it runs).
      if (decision === 'replace') replaces = this.claiming !== null || this.executor.replace(job.id, new JobReplacedError(job.id, runTimes[0] as number));
      if (!replaces) {
        this.recordSkipped(job, runTimes, attempt, firstDueAt, coalesced, decision === 'replace');
        return;
      }
    }
    if (job.func === null) {
      this.logger.warn(
        { event: 'job_not_run', jobId: job.id, code: 'TASK_NOT_REGISTERED', task: job.task },
        `job "${job.id}" was due but its task "${job.task ?? ''}" is not registered`,
      );
      return;
    }
    if (job.policy.maxRuns !== null && attempt === 1) {
      const limited = this.limitRuns(job, runTimes, firstDueAt, exempt);
      if (limited === null) return;
      runTimes = limited;
    }
    job.running++;
    const submission: Submission = { job, runTimes, attempt, attempts: null, firstDueAt, coalesced, manual: exempt, args, index: 0, cancelled: false };
    if (this.pendingClaims !== null) {
      this.pendingClaims.push(submission);
      if (replaces && this.claiming !== null) (this.replacing ??= new Set()).add(submission);
    } else this.executor.submit(submission);
  }

  /**
   * overlap 'queue', no slot free and no fire waiting: the first fire becomes the job's waiting fire (the
   * others of a catch-up are skipped: one waits). It counts toward maxRuns now, as a submitted fire does.
   */
  private wait(job: JobRecord, runTimes: number[], attempt: number, firstDueAt: number, coalesced: number, exempt: boolean): void {
    if (job.policy.maxRuns !== null && attempt === 1 && this.limitRuns(job, runTimes.slice(0, 1), firstDueAt, exempt) === null) return;
    job.waitingFire = { scheduledAt: runTimes[0] as number, dueAt: firstDueAt, attempt, coalesced: runTimes.length === 1 ? coalesced : 1 };
    if (this.claiming === null) this.waiting.add(job);
    if (runTimes.length > 1) this.recordSkipped(job, runTimes.slice(1), attempt, runTimes[1] as number, 1, false);
  }

  /** A fire that found maxInstances runs going and does not run: recorded skipped (MAX_INSTANCES_REACHED). */
  private recordSkipped(job: JobRecord, runTimes: number[], attempt: number, firstDueAt: number, coalesced: number, replaceFailed: boolean): void {
    const why =
      job.waitingFire !== null
        ? `; a fire of ${new Date(job.waitingFire.scheduledAt).toISOString()} already waits for a free instance (overlap: 'queue' keeps one)`
        : replaceFailed
          ? "; none of them had started in this process, so none could be replaced (overlap: 'replace')"
          : '';
    const record: RunRecord = {
      jobId: job.id,
      scheduledAt: runTimes[0] as number,
      attempt,
      startedAt: null,
      finishedAt: null,
      outcome: 'skipped',
      latenessMs: Math.max(0, this.clock.now() - firstDueAt),
      durationMs: null,
      error: { code: 'MAX_INSTANCES_REACHED', message: `maxInstances (${job.policy.maxInstances}) runs of job "${job.id}" were already running${why}` },
    };
    const count = Math.max(coalesced, runTimes.length);
    if (count > 1) {
      record.coalesced = count;
      record.lastScheduledAt = runTimes[runTimes.length - 1] as number;
    }
    this.store.recordRun(record, job);
    job.lastRun = record;
    this.executor.emitRun(record);
  }

  /** Fires older than maxCatchUp: one record and one event for the whole stretch. */
  private recordDropped(job: JobRecord, dropped: { count: number; first: number; last: number; exact: boolean }): void {
    const record: RunRecord = {
      jobId: job.id,
      scheduledAt: dropped.first,
      attempt: 1,
      startedAt: null,
      finishedAt: null,
      outcome: 'missed',
      latenessMs: this.clock.now() - dropped.first,
      durationMs: null,
      error: {
        code: 'MAX_CATCH_UP',
        message: `${dropped.exact ? '' : 'at least '}${dropped.count} fire times were due at once, more than maxCatchUp (${this.maxCatchUp}); the oldest were not run`,
      },
      coalesced: dropped.count,
      lastScheduledAt: dropped.last,
    };
    this.store.recordRun(record, job);
    this.executor.emitRun(record);
  }

  /**
   * A run the store recorded lost: reported, and retried only when its job opts in (`retryLost`) and has
   * retries left. A lost run may have done its work (its node paused, not dead), so by default it is not
   * run again. One at a time, so that several lost runs of a job schedule one retry.
   */
  lostRun(run: RunRecord): void {
    this.executor.emitRun(run);
    if (run.outcome !== 'lost') return;
    if (!this.runState.storeReady) {
      this.lostAtOpen.push(run);
      return;
    }
    this.lostRetries = this.lostRetries.then(() => this.retryLost(run));
  }

  /** The store has opened: the retries of the lost runs it found meanwhile are decided now that it can be read. */
  storeOpened(): void {
    const lost = this.lostAtOpen;
    this.lostAtOpen = [];
    for (const run of lost) this.lostRun(run);
  }

  private async retryLost(run: RunRecord): Promise<void> {
    try {
      if (this.runState.state === 'stopping' || !this.runState.storeReady) return;
      const found = this.store.get(run.jobId);
      const job = found instanceof Promise ? await found : found;
      if (job === undefined || (job.func === null && loadErrorOf(job) !== null) || job.paused || job.retry !== null) return;
      const policy = job.policy;
      if (!policy.retryLost || policy.retries === null) return;
      const at = retryAt(policy.retries, run.attempt, this.clock.now(), job.nextRunTime);
      if (at === null) return;
      job.retry = { scheduledAt: run.scheduledAt, attempt: run.attempt + 1, at };
      setDue(job);
      if (!(await this.saveRetry(job))) return;
      if (this.runState.state === 'running') this.loop.wakeBy(at);
      this.announceRetry(run, at);
    } catch (error) {
      if (error instanceof JobNotFoundError) return;
      this.logger.error({ event: 'store_error', jobId: run.jobId, error: toErrorLog(error) }, 'scheduling the retry of a lost run failed');
    }
  }

  /**
   * Stores a job's new pending retry: on a shared store only the retry (saveRetry), since the record may
   * be older than the row; elsewhere the record. False: the store did not take it (nothing to announce).
   */
  private async saveRetry(job: JobRecord): Promise<boolean> {
    if (this.claiming !== null) {
      const saved = await this.claiming.saveRetry(job);
      if (!saved) setDue(job);
      return saved;
    }
    await this.store.update(job);
    return true;
  }

  /** The executor's hook: a run failed or timed out; its retry, if its policy has one left. */
  onRunFailed(job: JobRecord, record: RunRecord, args?: unknown): void {
    // A run that fails after its job was paused schedules no retry: a paused job is never due.
    const state = this.runState.state;
    if (job.policy.retries === null || job.paused || state === 'stopping' || state === 'stopped') {
      this.failedForGood(job);
      return;
    }
    const now = this.clock.now();
    const at = retryAt(job.policy.retries, record.attempt, now, job.nextRunTime);
    if (at === null) {
      this.failedForGood(job);
      return;
    }
    job.retry =
      args === undefined
        ? { scheduledAt: record.scheduledAt, attempt: record.attempt + 1, at }
        : { scheduledAt: record.scheduledAt, attempt: record.attempt + 1, at, args };
    setDue(job);
    // Announced once the store has it: a job removed while its run was failing (or removed and added again
    // under its id) has nothing to retry. A store may throw synchronously (the memory store, in that case).
    Promise.resolve()
      .then(() => this.saveRetry(job))
      .then(
        (saved) => {
          if (!saved) return;
          this.loop.wakeBy(at);
          this.announceRetry(record, at);
        },
        (error: unknown) => {
          if (error instanceof JobNotFoundError) return;
          this.logger.error({ event: 'store_error', jobId: job.id, error: toErrorLog(error) }, 'saving a retry failed');
        },
      );
  }

  /** A fire failed with no retry to come: with `pauseAfterFailures`, the facade counts the failures. */
  private failedForGood(job: JobRecord): void {
    if (job.policy.pauseAfterFailures !== null && !job.paused) this.onFailedFire(job);
  }

  /** job_retry_scheduled for the retry of `run`'s attempt at `at`. */
  private announceRetry(run: RunRecord, at: number): void {
    if (!this.events.wants('job_retry_scheduled')) return;
    const payload = { jobId: run.jobId, scheduledAt: new Date(run.scheduledAt).toISOString(), attempt: run.attempt + 1, retryAt: new Date(at).toISOString() };
    this.events.emit('job_retry_scheduled', run.error === null ? payload : { ...payload, error: run.error });
  }

  /** The executor's hook: a submission is over, its instance slot free. */
  onSubmissionDone(job: JobRecord): void {
    job.running--;
    // One field read when nothing waits: a waiting fire (overlap 'queue') starts in the slot just freed.
    if (job.waitingFire !== null && this.runState.state === 'running' && !job.paused && job.lifecycle !== 'removing') this.startWaiting(job);
    this.removeIfDone(job);
  }

  /**
   * onSubmissionDone on a shared store: the waiting fire of a queue job is in its row (another node may
   * have left it there), so the store makes the job due once this run's outcome is written; the next pass
   * of whichever node takes the job starts it.
   */
  private onClaimedSubmissionDone(job: JobRecord): void {
    job.running--;
    if (job.policy.overlap === 'queue') this.claiming?.slotFreed?.(job.id);
    this.removeIfDone(job);
  }

  /**
   * The scheduler resumed: a waiting fire kept here whose slot freed while it was paused starts now (its
   * lateness decides whether it runs or is missed).
   */
  resumed(): void {
    for (const job of [...this.waiting]) if (!job.paused && job.lifecycle !== 'removing') this.startWaiting(job);
  }

  /** A job whose trigger is done goes once its runs have settled and no retry waits. */
  private removeIfDone(job: JobRecord): void {
    if (job.lifecycle !== 'finished' || job.running > 0 || job.retry !== null || job.paused || job.waitingFire !== null) return;
    job.lifecycle = 'removing'; // remove once
    // Only this job: removeJob, and an add under the same id, may come before the removal runs.
    Promise.resolve()
      .then(async () => {
        const removed = await this.store.remove(job.id, job);
        // The pattern reference goes either way (another node may have deleted the row); releasing is idempotent.
        job.releaseTrigger();
        // undefined: removeJob took it meanwhile and announced that removal itself.
        if (removed === undefined) return;
        // A shared store may hand back a fresh record of a row changed elsewhere, holding its own reference.
        if (removed !== job) removed.releaseTrigger();
        if (this.events.wants('job_removed')) this.events.emit('job_removed', { jobId: job.id });
        this.onFinishedRemoved?.(job);
      })
      .then(undefined, (error: unknown) => {
        this.logger.error({ event: 'store_error', jobId: job.id, error: toErrorLog(error) }, 'removing a finished job failed');
      });
  }
}
