/**
 * SchedulerService: the facade users call. Its methods validate input and delegate: jobs are built by
 * the JobFactory and kept in a JobStore; what each wake-up of the loop does (fires, misses, retries,
 * removal of finished jobs) is the Dispatcher's, which runs them through its Executor.
 */
import { CronCompiler } from '../cron/compiler.js';
import { OffsetClock, type Clock } from '../core/clock.js';
import {
  InvalidArgumentError,
  JobNotFoundError,
  JobCancelledError,
  JobReplacedError,
  MaxInstancesReachedError,
  BackfillTooLargeError,
  ConflictingIdError,
  FireClaimedError,
  JobPausedError,
  SchedulerAlreadyRunningError,
  SchedulerNotRunningError,
  StoreUnavailableError,
  TaskNotRegisteredError,
  TickworkError,
} from '../core/errors.js';
import type { Listener, RunObserver, SchedulerEventName } from '../core/events.js';
import { describeType } from '../core/format.js';
import type { Logger } from '../core/logger.js';
import type { JobFunction, JobOptions, JobRecord, JobSnapshot } from '../core/job.js';
import { bool, checkOptionKeys, validateJobId } from '../core/job-options.js';
import { NO_HEALTH_FACTS, type JobHealth } from '../core/health.js';
import type { Explanation } from '../core/explain.js';
import { toPauseInfo, type PauseInfo, type PauseOptions, type PauseState, type ResumeOptions } from '../core/pause.js';
import type { TimerHandle } from '../core/clock.js';
import { runId, toRun, type Run } from '../core/run.js';
import type { DateInput, TriggerSpec } from '../core/trigger.js';
import { isClaimingStore, isLocalStore, isReplacingStore, loadErrorOf, type JobStore, type LocalStore, type ReplacingStore } from '../stores/store.js';
import { exclusionInfo, type JobExcludeInput } from '../core/exclusion.js';
import { previewFires, type PreviewFire, type PreviewOptions } from '../triggers/preview.js';
import { calendarStoreFor } from '../stores/calendars/for-store.js';
import { Calendars, type CalendarInfo } from './calendars.js';
import { Dispatcher } from './dispatcher.js';
import { Exclusions } from './exclusions.js';
import { setDue } from './due-time.js';
import { toErrorLog } from './error-log.js';
import { EventBus } from './event-bus.js';
import { explainFire, parseExplainAt } from './explain.js';
import { JobFactory } from './job-factory.js';
import { HealthReader } from './health-reader.js';
import { toJobInfo, type JobInfo } from './job-info.js';
import { checkJobQuery, checkRunQuery, findJobs, pageByHealth } from './job-query.js';
import type { WakeLoop } from './loop.js';
import { checkRunOptions, isContextOnly, type RunNowOptions } from './run-options.js';
import { checkPause, checkResume } from './pause-options.js';
import { planResume } from './pause-plan.js';
import { hasFreeInstance } from './policies.js';
import { RunState, type SchedulerState } from './run-state.js';
import { resolveOptions } from './scheduler-options.js';
import { StoreSession } from './store-session.js';
import type { AddJobSpec, JobChanges, JobList, JobPatch, JobQuery, SchedulerOptions, ShutdownOptions } from './scheduler-types.js';
import { TaskRegistry, type TaskOptions } from './task-registry.js';
import { actorOf, LIBRARY_ACTOR, ownerOf, SCHEDULER_ACTOR, type Actor, type MutationContext } from '../core/actor.js';
import type { AuditAction, AuditPage, AuditQuery, AuditSubject } from '../core/audit.js';
import { AuditTrail, auditBackfill, auditJob, auditRun } from './audit-trail.js';
import type { BackfillOptions, BackfillResult } from '../core/backfill.js';
import { checkBackfill } from './backfill-options.js';
import { planBackfill, type PlannedFire } from './backfill.js';
import { recordsIn } from './explain-history.js';
import { toDefinition, type JobDefinition } from './definitions.js';
import { importJobs, type ImportRequest, type ImportResult, type ImportTarget } from './import-jobs.js';
import { checkAddJobsBatch, failedAdd, type AddJobsResult } from './add-jobs.js';

export type { AddJobSpec, JobChanges, JobList, JobPatch, JobQuery, SchedulerOptions, ShutdownOptions } from './scheduler-types.js';
export { toErrorLog } from './error-log.js';
export type { ImportRequest, ImportResult } from './import-jobs.js';
export type { JobDefinition } from './definitions.js';
export { MAX_ADD_JOBS, type AddJobsResult } from './add-jobs.js';

/** The audit entry a save writes once the store took the change. */
interface PendingAudit {
  action: AuditAction;
  actor: Actor;
  before: AuditSubject;
}

/** The default options object: recognised by identity, so a job without options skips their validation. */
const NO_OPTIONS: JobOptions = Object.freeze({});

/** The keys of an addJob spec that are not job options. */
const SPEC_KEYS: readonly string[] = ['id', 'func', 'task', 'trigger'];

/** An addJob spec taken apart into what addValidated takes. */
interface SpecParts {
  func: unknown;
  trigger: unknown;
  jobId: unknown;
  options: unknown;
}

export class SchedulerService {
  private readonly store: JobStore;
  /** The store's capabilities used here, found once (null: it has not that one). */
  private readonly local: LocalStore | null;
  private readonly replacing: ReplacingStore | null;
  private readonly clock: Clock;
  private readonly events: EventBus;
  private readonly timezone: string;
  private readonly maxConcurrentRuns: number;
  private readonly tasks = new TaskRegistry();
  private readonly cron = new CronCompiler();
  private readonly jobs: JobFactory;
  private readonly dispatcher: Dispatcher;
  private readonly loop: WakeLoop;
  private readonly run = new RunState();
  private readonly session: StoreSession;
  private readonly health: HealthReader;
  private readonly maxCatchUp: number;
  private readonly logger: Logger;
  /** The whole scheduler's pause while it is paused (null otherwise), and the timer that ends it. */
  private schedulerPause: PauseState | null = null;
  private pauseTimer: TimerHandle | null = null;
  /** Jobs whose failures are being counted for pauseAfterFailures (one count at a time per job). */
  private readonly counting = new Set<string>();
  private readonly audit: AuditTrail;
  private readonly exclusions = new Exclusions(this.cron);
  private readonly calendars: Calendars;
  /** Backfills plan and start one at a time in this process: two must not plan the same fires. */
  private backfilling: Promise<unknown> = Promise.resolve();

  constructor(options: SchedulerOptions = {}) {
    const resolved = resolveOptions(options, this.cron);
    const { store, logger } = resolved;
    /** The injected clock, before any shared-store offset: what the store measures its offset against. */
    const ownClock = resolved.clock;
    const claiming = isClaimingStore(store) ? store : null;
    this.store = store;
    this.local = isLocalStore(store) ? store : null;
    this.replacing = isReplacingStore(store) ? store : null;
    this.clock = claiming === null ? ownClock : new OffsetClock(ownClock, () => claiming.clockOffsetMs());
    this.events = new EventBus(logger);
    this.timezone = resolved.timezone;
    this.maxConcurrentRuns = resolved.maxConcurrentRuns;
    const jobs = new JobFactory({
      tasks: this.tasks,
      cron: this.cron,
      clock: this.clock,
      timezone: this.timezone,
      defaults: resolved.defaults,
      persistent: store.persistent,
      events: this.events,
      exclusions: this.exclusions,
    });
    const dispatcher = new Dispatcher({
      store,
      claiming,
      local: this.local,
      clock: this.clock,
      logger,
      events: this.events,
      runState: this.run,
      maxConcurrentRuns: resolved.maxConcurrentRuns,
      maxCatchUp: resolved.maxCatchUp,
      tracing: resolved.tracing,
      onFailedFire: (job) => this.countFailures(job),
      onFinishedRemoved: (job) => void this.audit.record('job.removed', SCHEDULER_ACTOR, job.id, auditJob(job), null),
      exclusions: this.exclusions,
    });
    this.maxCatchUp = resolved.maxCatchUp;
    this.logger = logger;
    this.audit = new AuditTrail(store, this.clock, logger);
    const calendars = new Calendars(
      calendarStoreFor(store, () => this.clock.now()),
      this.exclusions,
      this.timezone,
      logger,
    );
    this.calendars = calendars;
    this.jobs = jobs;
    this.health = new HealthReader(store, this.clock, () => (this.isPaused ? this.schedulerPause : null));
    this.dispatcher = dispatcher;
    this.loop = dispatcher.loop;
    this.session = new StoreSession(
      store,
      this.run,
      {
        hydrate: (stored) => jobs.hydrate(stored),
        onLostRun: (run) => dispatcher.lostRun(run),
        onFenced: (reason) => dispatcher.fenced(reason),
        onReplaced: (jobId, scheduledAt, attempt, replacedBy) =>
          dispatcher.executor.replace(jobId, new JobReplacedError(jobId, replacedBy), scheduledAt, attempt),
        onCancelled: (jobId, scheduledAt, attempt, reason) => dispatcher.executor.replace(jobId, new JobCancelledError(jobId, reason), scheduledAt, attempt),
        now: () => ownClock.now(),
        logger,
        wake: (dueAt) => dispatcher.wake(dueAt),
        onLoadError: (jobId, reason) => jobs.loadError(jobId, reason),
      },
      () => dispatcher.storeOpened(),
      () => calendars.load(),
    );
  }

  /** True between start() and shutdown(), paused or not. */
  get isRunning(): boolean {
    return this.run.isRunning;
  }

  /** The scheduler's "now" in epoch milliseconds: its clock, with a shared store's offset applied. */
  now(): number {
    return this.clock.now();
  }

  /** The scheduler's default IANA zone for cron triggers. */
  get defaultTimezone(): string {
    return this.timezone;
  }

  /** True while the whole scheduler is paused. */
  get isPaused(): boolean {
    return this.run.state === 'paused';
  }

  /** Starts processing jobs (opens the store first). `{ paused: true }` starts without running anything. */
  async start(options: { paused?: boolean } = {}): Promise<void> {
    if (this.run.state !== 'stopped') throw new SchedulerAlreadyRunningError();
    const paused = options.paused === undefined ? false : bool(options.paused, 'options.paused');
    await this.session.ready();
    this.run.state = paused ? 'paused' : 'running';
    this.schedulerPause = paused ? { since: this.clock.now(), until: null, note: null, by: LIBRARY_ACTOR } : null;
    this.events.emit('scheduler_started', {});
    if (!paused) this.loop.wakeSoon();
  }

  /**
   * Stops taking new fires at once; with `wait` (default) resolves after running jobs settle, bounded by
   * `timeoutSeconds` (default 30), after which their signals are aborted and the runs recorded cancelled.
   */
  async shutdown(options: ShutdownOptions = {}): Promise<void> {
    if (this.run.state === 'stopped' || this.run.state === 'stopping') throw new SchedulerNotRunningError('shut down');
    const wait = options.wait === undefined ? true : bool(options.wait, 'options.wait');
    const timeoutSeconds = options.timeoutSeconds ?? 30;
    if (typeof timeoutSeconds !== 'number' || !Number.isFinite(timeoutSeconds) || timeoutSeconds < 0) {
      throw InvalidArgumentError.field('options.timeoutSeconds', `must be a non-negative number of seconds, got ${describeType(timeoutSeconds)}.`);
    }
    this.run.state = 'stopping';
    this.endPauseTimer();
    this.schedulerPause = null;
    await this.dispatcher.stop(wait, timeoutSeconds);
    try {
      await this.session.close();
    } finally {
      this.run.state = 'stopped';
      this.events.emit('scheduler_stopped', {});
    }
  }

  /**
   * Pauses the whole scheduler (this process): nothing new starts until resume(), or until
   * `options.until`, when the pause lifts itself; due fires then follow the misfire rules. `options.note`
   * says why. Pausing a paused scheduler replaces its end and note (its `since` stays). `context.actor`:
   * who pauses (the pause's `by` and the audit entry's actor; the HTTP layer passes its caller; default the library).
   */
  async pause(options?: PauseOptions, context?: MutationContext): Promise<void> {
    if (!this.isRunning) throw new SchedulerNotRunningError('pause');
    const actor = actorOf(context);
    const pause = checkPause(options, this.clock.now(), actor, this.isPaused ? this.schedulerPause : null);
    this.schedulerPause = pause;
    this.endPauseTimer();
    if (pause.until !== null) this.armPauseTimer(pause.until);
    if (this.run.state === 'paused') return;
    this.run.state = 'paused';
    this.loop.stop();
    this.events.emit('scheduler_paused', {});
    await this.audit.record('scheduler.paused', actor, null, null, null);
  }

  async resume(context?: MutationContext): Promise<void> {
    if (!this.isRunning) throw new SchedulerNotRunningError('resume');
    const actor = actorOf(context);
    this.endPauseTimer();
    if (this.run.state === 'running') return;
    this.run.state = 'running';
    this.schedulerPause = null;
    this.events.emit('scheduler_resumed', {});
    this.dispatcher.resumed();
    this.loop.wakeSoon();
    await this.audit.record('scheduler.resumed', actor, null, null, null);
  }

  /** The whole scheduler's pause (who, since when, until when, why), null while it is not paused. */
  get pauseInfo(): PauseInfo | null {
    return this.isPaused && this.schedulerPause !== null ? toPauseInfo(this.schedulerPause) : null;
  }

  /**
   * The timer that lifts a timed scheduler pause. Every wake-up is a suggestion: a timer that comes early
   * (a delay capped by the clock) is armed again for what is left.
   */
  private armPauseTimer(until: number): void {
    this.pauseTimer = this.clock.setTimer(() => {
      this.pauseTimer = null;
      const pause = this.schedulerPause;
      if (this.run.state !== 'paused' || pause === null || pause.until !== until) return;
      if (this.clock.now() < until) {
        this.armPauseTimer(until);
        return;
      }
      this.resume({ actor: SCHEDULER_ACTOR }).catch((error: unknown) => this.logLiftError(error));
    }, until - this.clock.now());
  }

  private endPauseTimer(): void {
    if (this.pauseTimer === null) return;
    this.clock.clearTimer(this.pauseTimer);
    this.pauseTimer = null;
  }

  private logLiftError(error: unknown): void {
    this.logger.error({ event: 'internal_error', error: toErrorLog(error) }, 'lifting the scheduler pause failed');
  }

  /**
   * Registers a named task, so that stored jobs can refer to it (a closure cannot be stored).
   * `options.argsSchema` (JSON Schema) and `options.checkArgs` validate a job's args for this task whenever
   * a job is added with it or its args or task change: bad args are refused then (an InvalidArgumentError
   * naming the field), not at every run. The schema is checked again before each run.
   */
  registerTask(name: string, func: JobFunction, options?: TaskOptions): void {
    this.tasks.register(name, func, options);
    // Stored jobs get the function the registry runs (with an argsSchema, one that checks args first).
    if (this.run.storeReady) this.dispatcher.taskRegistered(name, this.tasks.get(name) ?? func);
  }

  /** The registered task names. */
  get taskNames(): string[] {
    return this.tasks.names();
  }

  /** The JSON Schema a task's args are checked against, if it was registered with one. */
  taskArgsSchema(name: string): Record<string, unknown> | undefined {
    return this.tasks.argsSchemaOf(name);
  }

  /** Every recorded run outcome, as plain values and without an event (see RunObserver); returns the remover. */
  observeRuns(observer: RunObserver): () => void {
    if (typeof observer !== 'function') throw InvalidArgumentError.field('observer', `must be a function, got ${describeType(observer)}.`);
    return this.dispatcher.executor.addRunObserver(observer);
  }

  on<K extends SchedulerEventName>(name: K, listener: Listener<K>): () => void {
    return this.events.on(name, listener);
  }

  off<K extends SchedulerEventName>(name: K, listener: Listener<K>): void {
    this.events.off(name, listener);
  }

  /** Runs `func` every `seconds` (may be fractional), first one period after now. */
  addIntervalJob(func: JobFunction | string, seconds: number, jobId: string, options: JobOptions = NO_OPTIONS): Promise<JobInfo> {
    return this.addValidated(func, { type: 'interval', seconds }, jobId, options, 'addIntervalJob');
  }

  /** Runs `func` on a cron expression (5 or 6 fields, or @daily etc.) in `options.timezone` or the scheduler's. */
  addCronJob(func: JobFunction | string, cronExpression: string, jobId: string, options: JobOptions = NO_OPTIONS): Promise<JobInfo> {
    const timezone = options !== null && typeof options === 'object' ? options.timezone : undefined;
    // One literal per shape: adding `timezone` afterwards would allocate a property array per add.
    const spec: TriggerSpec = timezone === undefined ? { type: 'cron', expression: cronExpression } : { type: 'cron', expression: cronExpression, timezone };
    return this.addValidated(func, spec, jobId, options, 'addCronJob');
  }

  /** Runs `func` once at `runAt`. */
  addDateJob(func: JobFunction | string, runAt: DateInput, jobId: string, options: JobOptions = NO_OPTIONS): Promise<JobInfo> {
    return this.addValidated(func, { type: 'date', runAt }, jobId, options, 'addDateJob');
  }

  /**
   * Adds a job from one spec object: `{ id?, func | task, args?, trigger, ...options }`. `context.actor`
   * says who adds it (default the library; the server passes its caller): the job's owner follows from it.
   */
  addJob(spec: AddJobSpec, context?: MutationContext): Promise<JobInfo> {
    let actor: Actor;
    let parts: SpecParts;
    try {
      actor = actorOf(context);
      parts = specParts(spec);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.addValidated(parts.func, parts.trigger, parts.jobId, parts.options, 'addJob', SPEC_KEYS, actor);
  }

  /**
   * Adds many jobs in one call: `specs` as addJob takes them (at most MAX_ADD_JOBS), validated each as
   * addJob validates it. Answers one result per spec, in order: `{ ok: true, job }`, or `{ ok: false,
   * error }` with the error addJob would have rejected with for that spec alone (an invalid spec, a taken
   * id; an id given twice in the call: the later ones fail with CONFLICTING_ID). Each added job gets its
   * `job_added` event and audit entry, as with addJob. On PostgreSQL the jobs go into one INSERT (one
   * commit, one NOTIFY); other stores add them one by one. `replaceExisting` works per spec, through
   * addJob's own (slower) replacing path. Rejects as a whole only for a call that is not a batch (not an
   * array, empty, too many specs: INVALID_ARGUMENT) or when the store cannot be reached (nothing added).
   */
  async addJobs(specs: readonly AddJobSpec[], context?: MutationContext): Promise<AddJobsResult[]> {
    const actor = actorOf(context);
    checkAddJobsBatch(specs);
    await this.session.ready();
    const now = this.clock.now();
    const results = new Array<AddJobsResult | undefined>(specs.length);
    const batch: JobRecord[] = [];
    const batchAt: number[] = [];
    const replacing: { job: JobRecord; at: number }[] = [];
    const ids = new Set<string>();
    for (let i = 0; i < specs.length; i++) {
      const spec = specs[i];
      let job: JobRecord;
      try {
        const parts = specParts(spec);
        job = this.buildJob(parts.func, parts.trigger, parts.jobId, parts.options, 'addJobs', SPEC_KEYS, actor, now);
      } catch (error) {
        results[i] = failedAdd(error);
        continue;
      }
      if (ids.has(job.id)) {
        job.releaseTrigger();
        results[i] = failedAdd(new ConflictingIdError(job.id));
        continue;
      }
      ids.add(job.id);
      if ((spec as AddJobSpec).replaceExisting === true) replacing.push({ job, at: i });
      else {
        batch.push(job);
        batchAt.push(i);
      }
    }
    let outcomes: readonly unknown[];
    try {
      outcomes = await this.addBatch(batch);
    } catch (error) {
      // Nothing was added (the store cannot be reached): the replacements are not tried either.
      for (const { job } of replacing) job.releaseTrigger();
      throw error;
    }
    const settling: Promise<void>[] = [];
    const addedAt = this.clock.now();
    batch.forEach((job, k) => {
      const at = batchAt[k] as number;
      const error = outcomes[k];
      if (error !== undefined) {
        job.releaseTrigger();
        results[at] = failedAdd(error);
        return;
      }
      const info = this.added(job, actor, addedAt);
      if (info instanceof Promise) settling.push(info.then((added) => void (results[at] = { ok: true, job: added })));
      else results[at] = { ok: true, job: info };
    });
    for (const { job, at } of replacing) {
      settling.push(
        this.addToStore(job, true, actor).then(
          (info) => void (results[at] = { ok: true, job: info }),
          (error: unknown) => void (results[at] = failedAdd(error)),
        ),
      );
    }
    await Promise.all(settling);
    return results as AddJobsResult[];
  }

  /**
   * The store's half of addJobs: every job in one addMany when the store has it (all or none rejected
   * when it cannot be reached: their triggers are released), else each with `add`. Per job, undefined
   * (added) or its error.
   */
  private async addBatch(jobs: JobRecord[]): Promise<readonly unknown[]> {
    if (jobs.length === 0) return [];
    const store = this.store;
    if (store.addMany !== undefined) {
      try {
        return await store.addMany(jobs);
      } catch (error) {
        for (const job of jobs) job.releaseTrigger();
        throw error;
      }
    }
    const outcomes: unknown[] = new Array(jobs.length);
    const pending: Promise<void>[] = [];
    jobs.forEach((job, k) => {
      try {
        const added = store.add(job);
        if (added instanceof Promise) pending.push(added.then(undefined, (error: unknown) => void (outcomes[k] = error)));
      } catch (error) {
        outcomes[k] = error;
      }
    });
    await Promise.all(pending);
    return outcomes;
  }

  /**
   * Validates and builds the job synchronously; the common case (store open, synchronous, nothing to
   * replace) adds it without an async frame. An async function allocates its frame and promise on every
   * call, about 400 bytes here: a fifth of what registering a million jobs allocated.
   */
  private addValidated(
    func: unknown,
    triggerSpec: unknown,
    jobId: unknown,
    options: unknown,
    method: string,
    extraKeys: readonly string[] = [],
    actor: Actor = LIBRARY_ACTOR,
  ): Promise<JobInfo> {
    let job: JobRecord;
    let replace: boolean;
    // One clock read per add (the trigger's anchor, the health's now, the audit entry's time): on a VM
    // without a vDSO clock a read is a system call, and a million adds made three each.
    const now = this.clock.now();
    try {
      job = this.buildJob(func, triggerSpec, jobId, options, method, extraKeys, actor, now);
      replace = options !== NO_OPTIONS && (options as JobOptions | undefined)?.replaceExisting === true; // validated by build
    } catch (error) {
      return Promise.reject(error);
    }
    if (!this.run.storeReady || replace) return this.addToStore(job, replace, actor);
    try {
      const added = this.store.add(job);
      if (added instanceof Promise)
        return added.then(
          () => this.added(job, actor, this.clock.now()),
          (error: unknown) => this.notAdded(job, error),
        );
    } catch (error) {
      return this.notAdded(job, error);
    }
    try {
      return Promise.resolve(this.added(job, actor, now));
    } catch (error) {
      // The job is in (a logger failed on job_added): the caller hears of it as a rejection.
      return Promise.reject(error);
    }
  }

  /**
   * Validates an add's id and options and builds its job (nothing stored yet): the one validation of every
   * add, addJobs' specs included. Throws INVALID_ARGUMENT and the like.
   */
  private buildJob(
    func: unknown,
    triggerSpec: unknown,
    jobId: unknown,
    options: unknown,
    method: string,
    extraKeys: readonly string[],
    actor: Actor,
    now: number,
  ): JobRecord {
    const id = validateJobId(jobId);
    const plain = options === NO_OPTIONS;
    const opts = plain ? NO_OPTIONS : checkOptionKeys(options, 'options', extraKeys);
    const job = this.jobs.build(func, triggerSpec, id, opts, plain, method, now);
    if (actor !== LIBRARY_ACTOR) job.owner = ownerOf(actor);
    return job;
  }

  /** The slow path of an add: the store is still opening, or a job with the same id is replaced. */
  private async addToStore(job: JobRecord, replace: boolean, actor: Actor): Promise<JobInfo> {
    await this.session.ready();
    try {
      if (replace && this.replacing !== null) {
        // One transaction: a failed insert leaves the old job (and its history) in place.
        const old = await this.replacing.replace(job);
        if (old !== undefined) old.releaseTrigger();
      } else {
        if (replace) {
          const removed = this.store.remove(job.id);
          const old = removed instanceof Promise ? await removed : removed;
          if (old !== undefined) old.releaseTrigger();
        }
        const added = this.store.add(job);
        if (added instanceof Promise) await added;
      }
    } catch (error) {
      job.releaseTrigger();
      throw error;
    }
    return this.added(job, actor, this.clock.now());
  }

  /** After the store took the job (at `now`): the event, the loop's wake-up, the audit entry, the caller's JobInfo. */
  private added(job: JobRecord, actor: Actor, now: number): JobInfo | Promise<JobInfo> {
    if (this.events.wants('job_added')) this.events.emit('job_added', { jobId: job.id });
    if (job.dueAt !== null) this.loop.wakeBy(job.dueAt);
    // A job just added has no history (a replaced job's went with it): no store read for its health.
    const info = toJobInfo(job, this.health.fresh(job, now));
    const audited = this.audit.record('job.added', actor, job.id, null, auditJob(job), now);
    return audited === undefined ? info : audited.then(() => info);
  }

  /** The store refused the job (a conflicting id, a database error): release its trigger and reject. */
  private notAdded(job: JobRecord, error: unknown): Promise<never> {
    job.releaseTrigger();
    return Promise.reject(error);
  }

  /** Removes a job; its running runs go on to the end. Synchronous with an open synchronous store (see addValidated). */
  removeJob(jobId: string, context?: MutationContext): Promise<void> {
    try {
      validateJobId(jobId);
      const actor = actorOf(context);
      if (!this.run.storeReady) return this.session.open().then(() => this.removeJob(jobId, context));
      const removed = this.store.remove(jobId);
      if (removed instanceof Promise) return removed.then((job) => this.removed(jobId, job, actor));
      return Promise.resolve(this.removed(jobId, removed, actor));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** After the store let the job go (or did not have it). */
  private removed(jobId: string, job: JobRecord | undefined, actor: Actor): void | Promise<void> {
    if (job === undefined) throw new JobNotFoundError(jobId);
    const before = auditJob(job);
    this.dispatcher.dropWaiting(job, 'the job was removed');
    job.releaseTrigger();
    job.lifecycle = 'finished';
    if (this.events.wants('job_removed')) this.events.emit('job_removed', { jobId });
    return this.audit.record('job.removed', actor, jobId, before, null);
  }

  async getJob(jobId: string): Promise<JobInfo | undefined> {
    validateJobId(jobId);
    await this.session.ready();
    const job = await this.store.get(jobId);
    return job === undefined ? undefined : this.info(job);
  }

  /** The job's JobInfo, its health read from the store's history. */
  private async info(job: JobRecord): Promise<JobInfo> {
    return toJobInfo(job, await this.health.healthOfOne(job));
  }

  /**
   * Jobs matching `query.q`, `query.state` and `query.health`, sorted by `query.sort` (default
   * nextRunTime: paused and finished jobs last), then id. With `query.limit` (1-1000) one page: pass its
   * `nextCursor` back as `query.cursor` for the next. Without, every matching job (and `nextCursor`
   * null). A `health` filter reads the health of every job the other filters match (one store query
   * per 500 jobs). `view`, for a cache of what is shown (the server's JSON): called at once on each
   * listed job as the store holds it, with its health, instead of building its JobInfo; it must not
   * change the job.
   */
  getJobs(query?: JobQuery): Promise<JobList>;
  getJobs<T>(query: JobQuery, view: (job: JobRecord, health: JobHealth) => T): Promise<JobList<T>>;
  async getJobs(query: JobQuery = {}, view: (job: JobRecord, health: JobHealth) => unknown = toJobInfo): Promise<JobList<unknown>> {
    const checked = checkJobQuery(query);
    await this.session.ready();
    if (checked.health !== undefined) {
      const page = await pageByHealth(this.store, checked, checked.health, (jobs) => this.health.healthOf(jobs));
      return { items: page.items.map(([job, health]) => view(job, health)), nextCursor: page.nextCursor };
    }
    const found = await findJobs(this.store, checked);
    const health = await this.health.healthOf(found.items);
    return { items: found.items.map((job, i) => view(job, health[i] as JobHealth)), nextCursor: found.nextCursor };
  }

  /** Scheduler state for monitoring: state (and its pause, when paused), job count, busy runs, default zone. */
  async status(): Promise<{ state: SchedulerState; pause: PauseInfo | null; jobs: number; runningRuns: number; timezone: string; maxConcurrentRuns: number }> {
    await this.session.ready();
    return {
      state: this.run.state,
      pause: this.pauseInfo,
      jobs: await this.store.count(),
      runningRuns: this.dispatcher.executor.busy,
      timezone: this.timezone,
      maxConcurrentRuns: this.maxConcurrentRuns,
    };
  }

  /** Resolves when the store answers; rejects with STORE_UNAVAILABLE otherwise (readiness probes). */
  async checkStore(): Promise<void> {
    await this.session.ready();
    try {
      await this.store.ping();
    } catch (error) {
      throw error instanceof TickworkError ? error : new StoreUnavailableError('the job store does not answer', error);
    }
  }

  /** Run history of a job, newest first; `before` pages to older runs. */
  async getRuns(jobId: string, query: { limit?: number; before?: Date } = {}): Promise<Run[]> {
    validateJobId(jobId);
    const runQuery = checkRunQuery(query);
    await this.session.ready();
    if ((await this.store.get(jobId)) === undefined) throw new JobNotFoundError(jobId);
    return (await this.store.getRuns(jobId, runQuery)).map(toRun);
  }

  /**
   * Why the job's fire nearest to `at` (a Date or an ISO 8601 string with a zone) ran or did not: a
   * verdict, the fire and the evidence (see core/explain.ts and docs/semantics.md#explain). A read.
   */
  async explain(jobId: string, at: DateInput): Promise<Explanation> {
    validateJobId(jobId);
    const atMs = parseExplainAt(at);
    await this.session.ready();
    const job = await this.store.get(jobId);
    if (job === undefined) throw new JobNotFoundError(jobId);
    const oldestKept = async (): Promise<number | null> => ((await this.health.facts([jobId])).get(jobId) ?? NO_HEALTH_FACTS).oldestScheduledAt;
    return explainFire({
      store: this.store,
      job,
      atMs,
      now: this.clock.now(),
      schedulerPaused: this.isPaused,
      schedulerPause: this.isPaused ? this.schedulerPause : null,
      oldestKept,
    });
  }

  /**
   * Pauses one job: it keeps its definition but has no next run time until resumed, or until
   * `options.until` (in the future), when the pause lifts itself (on whichever node of a shared store
   * takes the job then). `options.note` says why. Pausing a paused job replaces its end and note (its
   * `since` stays). `context.actor`: who pauses (the pause's `by` and the audit entry's actor; the HTTP
   * layer passes its caller; default the library).
   */
  async pauseJob(jobId: string, options?: PauseOptions, context?: MutationContext): Promise<JobInfo> {
    const actor = actorOf(context);
    const job = await this.requireJob(jobId);
    const pause = checkPause(options, this.clock.now(), actor, job.paused ? job.pause : null);
    const audited = auditJob(job);
    const before = job.snapshot();
    job.paused = true;
    job.pause = pause;
    job.catchUpThrough = null;
    job.nextRunTime = null;
    job.retry = null; // a paused job is never due (but at its pause's end), a retry of an earlier fire included
    this.dispatcher.dropWaiting(job, 'the job was paused');
    return this.save(job, before, false, { action: 'job.paused', actor, before: audited });
  }

  /**
   * Resumes a paused job from now; a job whose trigger has no further fire is removed instead.
   * `options.catchUp` decides what runs of the fires that fell in the pause: `none` (default), `latest`
   * (the newest, if within the job's misfire grace) or `all` (each, at most maxCatchUp, oldest first);
   * those not run are recorded as one `paused` record. `context.actor`: who resumes (audited).
   */
  async resumeJob(jobId: string, options?: ResumeOptions, context?: MutationContext): Promise<JobInfo | undefined> {
    const catchUp = checkResume(options);
    const actor = actorOf(context);
    const job = await this.requireJob(jobId);
    if (!job.paused) return this.info(job);
    const now = this.clock.now();
    // A job paused by an older version has no pause: from now, as then.
    const since = job.pause === null ? now : job.pause.since;
    const plan = planResume(job.trigger, since, now, catchUp, job.policy.misfireGraceTime, this.maxCatchUp);
    if (plan.nextRunTime === null) {
      if (plan.stretch !== null) this.dispatcher.recordPaused(job, plan.stretch);
      await this.removeJob(jobId, { actor });
      return undefined;
    }
    const audited = auditJob(job);
    const before = job.snapshot();
    job.paused = false;
    job.pause = null;
    job.nextRunTime = plan.nextRunTime;
    job.catchUpThrough = plan.catchUpThrough;
    const info = await this.save(job, before, false, { action: 'job.resumed', actor, before: audited });
    // Recorded once the resume is kept (a refused one leaves the job paused, its stretch to come).
    if (plan.stretch !== null) {
      this.dispatcher.recordPaused(job, plan.stretch);
      const flushed = this.store.flush();
      if (flushed instanceof Promise) await flushed;
    }
    return plan.stretch === null ? info : this.info(job);
  }

  /**
   * A fire of a job with `pauseAfterFailures` failed for good: when its health counts that many failed
   * fires in a row, the scheduler pauses it, saying so. Counted from the store (the same on every store
   * and node), one count at a time per job.
   */
  private countFailures(job: JobRecord): void {
    if (this.counting.has(job.id)) return;
    this.counting.add(job.id);
    void this.autoPause(job.id)
      .catch((error: unknown) => {
        if (error instanceof JobNotFoundError) return;
        this.logger.error({ event: 'store_error', jobId: job.id, error: toErrorLog(error) }, 'pausing a job after its failures failed');
      })
      .finally(() => this.counting.delete(job.id));
  }

  private async autoPause(jobId: string): Promise<void> {
    if (!this.run.isRunning || this.run.state === 'stopping') return;
    const found = await this.store.get(jobId);
    const limit = found?.policy.pauseAfterFailures ?? null;
    if (found === undefined || found.paused || limit === null) return;
    const health = await this.health.healthOfOne(found);
    if (health.consecutiveFailures < limit) return;
    const note = `paused after ${health.consecutiveFailures} consecutive failed fires (pauseAfterFailures: ${limit})`;
    await this.pauseJob(jobId, { note }, { actor: SCHEDULER_ACTOR });
    this.logger.warn({ event: 'job_auto_paused', jobId, consecutiveFailures: health.consecutiveFailures }, `job "${jobId}" ${note}`);
  }

  /** Changes a job's name, function, args or policies. */
  async modifyJob(jobId: string, changes: JobChanges, context?: MutationContext): Promise<JobInfo> {
    const opts = checkOptionKeys(changes, 'changes', ['func']) as JobChanges;
    if ('replaceExisting' in opts || 'paused' in opts || 'timezone' in opts) {
      throw InvalidArgumentError.field('changes', 'cannot change replaceExisting, paused or timezone; use pauseJob/resumeJob or rescheduleJob.');
    }
    return this.updateJob(jobId, opts, context);
  }

  /**
   * Changes any of a job's fields at once (what PATCH /jobs/:id does): name, func/task, args, policies,
   * trigger (next run recomputed from now) and paused. Everything is validated before anything changes.
   * `by`: who changes it (the HTTP layer passes its caller; kept as the pause's `by` when it pauses the job).
   */
  async updateJob(jobId: string, patch: JobPatch, context?: MutationContext): Promise<JobInfo> {
    const actor = actorOf(context);
    const job = await this.requireJob(jobId);
    const change = this.jobs.change(job, patch);
    // Everything is valid: apply, and undo if the store refuses it (save).
    const audited = auditJob(job);
    const before = job.snapshot();
    this.jobs.apply(job, change, actor);
    // A waiting fire (overlap 'queue') goes with a pause or with the queue policy: recorded, not silent.
    if (job.waitingFire !== null && (job.paused || job.policy.overlap !== 'queue')) {
      this.dispatcher.dropWaiting(job, job.paused ? 'the job was paused' : `the job's overlap policy became '${job.policy.overlap}'`);
    }
    return this.save(job, before, change.trigger !== null, { action: 'job.modified', actor, before: audited });
  }

  /** Gives a job a new trigger; its next run time is computed from the new trigger and now. */
  async rescheduleJob(jobId: string, trigger: TriggerSpec, context?: MutationContext): Promise<JobInfo> {
    return this.updateJob(jobId, { trigger }, context);
  }

  /**
   * Runs a job now, outside its schedule. Counts toward maxInstances. `options.args` replace the job's args
   * for this run only (checked as a job's are, against its task's argsSchema); `options.note` says why (on
   * the run record and in the `job.run` audit entry). The run's trigger is `manual`, its actor
   * `context.actor` (default the library). `runJobNow(id, context)` still works.
   */
  async runJobNow(jobId: string, options?: RunNowOptions | MutationContext, context?: MutationContext): Promise<JobInfo> {
    if (isContextOnly(options, context)) return this.runJobNow(jobId, undefined, options as MutationContext);
    const { args, note } = checkRunOptions(options);
    const actor = actorOf(context);
    const job = await this.requireJob(jobId);
    if (args !== undefined && job.task !== null) this.tasks.checkArgs(job.task, args);
    if (this.run.state !== 'running') throw new SchedulerNotRunningError(`run job "${jobId}" now`);
    if (job.func === null) throw new TaskNotRegisteredError(job.task ?? jobId);
    if (!hasFreeInstance(job.running, job.policy.maxInstances)) throw new MaxInstancesReachedError(jobId, job.policy.maxInstances);
    if (!(await this.dispatcher.runNow(job, actor, args, note))) throw new MaxInstancesReachedError(jobId, job.policy.maxInstances);
    await this.audit.record('job.run', actor, jobId, null, auditRun(job, args, note));
    return this.info(job);
  }

  /**
   * Re-runs the fires in [from, to] whose recorded outcome is in `only` (default `['missed']`), oldest
   * first, each under its original scheduled time as the attempt after its highest recorded one (so its
   * Idempotency-Key is the original fire's): one submission holding one instance slot, not subject to the
   * misfire rule. A fire with a successful attempt, or running now, is never re-run. More fires than
   * maxCatchUp: BACKFILL_TOO_LARGE, nothing run. A paused job: JOB_PAUSED (a dry run answers all the
   * same). `dryRun`: the same answer, nothing run. See docs/semantics.md#backfill.
   */
  async backfillJob(jobId: string, options: BackfillOptions, context?: MutationContext): Promise<BackfillResult> {
    const actor = actorOf(context);
    const request = checkBackfill(options, this.clock.now());
    const job = await this.requireJob(jobId);
    const run = this.backfilling.then(async () => {
      if (!request.dryRun) {
        if (this.run.state !== 'running') throw new SchedulerNotRunningError(`backfill job "${jobId}"`);
        if (job.paused) throw new JobPausedError(jobId, 'backfill it');
        if (job.func === null) throw new TaskNotRegisteredError(job.task ?? jobId);
        if (!hasFreeInstance(job.running, job.policy.maxInstances)) throw new MaxInstancesReachedError(jobId, job.policy.maxInstances);
      }
      const { inRange, before } = await recordsIn(this.store, jobId, request.from, request.to);
      const plan = planBackfill({
        trigger: job.trigger,
        ...request,
        inRange,
        before,
        retry: job.retry,
        pending: this.dispatcher.backfillPending(jobId),
        limit: this.maxCatchUp,
      });
      if (plan.fires.length > this.maxCatchUp) {
        throw new BackfillTooLargeError(jobId, this.maxCatchUp, plan.oldestUnknown ? null : (plan.fires[this.maxCatchUp - 1] as PlannedFire).scheduledAt);
      }
      const result: BackfillResult = {
        jobId,
        dryRun: request.dryRun,
        from: new Date(request.from),
        to: new Date(request.to),
        only: request.only,
        fires: plan.fires.map((f) => ({
          scheduledAt: new Date(f.scheduledAt),
          outcome: f.outcome,
          attempt: f.attempt,
          runId: runId(jobId, f.scheduledAt, f.attempt),
        })),
        leftAlone: plan.leftAlone,
      };
      if (request.dryRun || plan.fires.length === 0) return result;
      const started = await this.dispatcher.backfill(
        job,
        plan.fires.map((f) => f.scheduledAt),
        plan.fires.map((f) => f.attempt),
        actor,
      );
      if (started === false) throw new MaxInstancesReachedError(jobId, job.policy.maxInstances);
      if (started === 'conflict') throw new FireClaimedError(jobId);
      this.logger.info(
        { event: 'job_backfilled', jobId, from: result.from.toISOString(), to: result.to.toISOString(), only: request.only, fires: plan.fires.length },
        `backfill of job "${jobId}": ${plan.fires.length} fire(s) re-run`,
      );
      await this.audit.record(
        'job.backfilled',
        actor,
        jobId,
        null,
        auditBackfill(job, { from: result.from.toISOString(), to: result.to.toISOString(), only: [...request.only], fires: plan.fires.length }),
      );
      return result;
    });
    this.backfilling = run.catch(() => undefined);
    return run;
  }

  /**
   * Every job's definition (no runtime state, no owner), as importJobs and POST /import take it. A
   * library closure is listed with a `note` instead of a task: it cannot be imported.
   */
  async exportJobs(): Promise<{ jobs: JobDefinition[] }> {
    const { items } = await this.getJobs({ sort: 'id' });
    return { jobs: items.map(toDefinition) };
  }

  /**
   * Upserts job definitions by id (see import-jobs.ts): answers the ids created, updated, unchanged and
   * (with `prune`) removed; `dryRun` changes nothing. Everything is checked before anything changes.
   * The importer's kind (`context.actor`, default the library) is the owner of the jobs it creates and
   * the only owner whose jobs `prune` removes.
   */
  async importJobs(request: ImportRequest, context?: MutationContext): Promise<ImportResult> {
    const actor = actorOf(context);
    await this.session.ready();
    const target: ImportTarget = {
      defaultTimezone: this.timezone,
      getJob: (id) => this.getJob(id),
      allJobs: async () => (await this.getJobs()).items,
      checkNew: (spec, path) => {
        const { id, task, trigger, ...options } = spec;
        const opts = checkOptionKeys(options, path, ['id', 'task', 'trigger']);
        this.jobs.build(task, trigger, id, opts, false, 'importJobs').releaseTrigger();
      },
      checkChange: async (id, patch) => {
        const change = this.jobs.change(await this.requireJob(id), patch as JobPatch);
        if (change.trigger !== null) change.trigger.dispose();
      },
      add: (spec, ctx) => this.addJob(spec, ctx),
      update: (id, patch, ctx) => this.updateJob(id, patch as JobPatch, ctx),
      remove: (id, ctx) => this.removeJob(id, ctx),
    };
    return importJobs(target, request, ownerOf(actor), { actor });
  }

  /**
   * Aborts the signals of the job's running runs; they are recorded cancelled. Returns how many. On a
   * shared store (PostgreSQL) the runs on every node: their rows are cancelled in one statement and each
   * node aborts its own.
   */
  async cancelRun(jobId: string): Promise<number> {
    await this.requireJob(jobId);
    const reason = 'cancelRun was called';
    const store = this.store;
    if (isClaimingStore(store) && store.cancelRuns !== undefined) return store.cancelRuns(jobId, reason);
    return this.dispatcher.executor.cancel(jobId, reason);
  }

  /**
   * Skips one upcoming fire of a job (a one-off exclusion): `scheduledAt` must be a future fire time of its
   * trigger. The fire is recorded `excluded` when it comes, and the skip is then dropped.
   */
  async skipFire(jobId: string, scheduledAt: DateInput): Promise<JobInfo> {
    const job = await this.requireJob(jobId);
    const at = parseInstant(scheduledAt, 'scheduledAt');
    const now = this.clock.now();
    if (!(at > now) || job.trigger.nextTime(at - 1) !== at) {
      const next = job.trigger.nextTime(now);
      throw InvalidArgumentError.field(
        'scheduledAt',
        `${new Date(at).toISOString()} is not a future fire time of job "${jobId}"; give one of its upcoming fires (see its preview)${Number.isNaN(next) ? ', but it has none' : `, e.g. its next: ${new Date(next).toISOString()}`}.`,
      );
    }
    const current = job.policy.exclude;
    const skip = current === null ? [] : current.skip.filter((ms) => ms > now).map((ms) => new Date(ms).toISOString());
    const exclude =
      current === null ? { skip: [...skip, new Date(at).toISOString()] } : { ...exclusionInfo(current), skip: [...skip, new Date(at).toISOString()] };
    return this.updateJob(jobId, { exclude });
  }

  /**
   * The next fire times of a trigger (as previewFires, in this scheduler's zone and clock), each marked
   * `excluded` when `options.exclude` (as a job's) rules it out.
   */
  async preview(trigger: TriggerSpec, options: PreviewOptions & { exclude?: JobExcludeInput | null } = {}): Promise<PreviewFire[]> {
    const { exclude, ...rest } = options;
    const fires = previewFires(trigger, { timezone: this.timezone, ...rest }, this.clock.now());
    if (exclude === undefined || exclude === null) return fires;
    await this.session.ready();
    const exclusion = this.jobs.previewExclusion(exclude, trigger);
    for (const fire of fires) {
      const reason = this.exclusions.reason(exclusion, fire.at.getTime());
      if (reason !== null) fire.excluded = reason;
    }
    return fires;
  }

  /** Creates or replaces an exclusion calendar (`{ dates, ranges, timezone }`), shared through the store. */
  async putCalendar(name: string, spec: { dates?: string[]; ranges?: { from: string; to: string }[]; timezone?: string }): Promise<CalendarInfo> {
    return (await this.putCalendarReporting(name, spec)).calendar;
  }

  /** putCalendar, also saying whether the calendar was created (the HTTP API answers 201 then). */
  async putCalendarReporting(name: string, spec: unknown): Promise<{ calendar: CalendarInfo; created: boolean }> {
    await this.session.ready();
    return this.calendars.put(name, spec);
  }

  async getCalendar(name: string): Promise<CalendarInfo | undefined> {
    await this.session.ready();
    return this.calendars.get(name);
  }

  async getCalendars(): Promise<CalendarInfo[]> {
    await this.session.ready();
    return this.calendars.list();
  }

  /** Removes a calendar; refused (CALENDAR_IN_USE) while a job names it, CALENDAR_NOT_FOUND when there is none. */
  async removeCalendar(name: string): Promise<void> {
    await this.session.ready();
    await this.calendars.remove(name, await this.store.list());
  }

  private async requireJob(jobId: string): Promise<JobRecord> {
    validateJobId(jobId);
    await this.session.ready();
    const job = await this.store.get(jobId);
    if (job === undefined) throw new JobNotFoundError(jobId);
    const loadError = job.func === null ? loadErrorOf(job) : null;
    if (loadError !== null) {
      // A set-aside row (see JobStore's setAsideRecord): there is no live job to change.
      throw InvalidArgumentError.field(
        'jobId',
        `stored job "${jobId}" cannot be loaded (${loadError}); replace it (add it again with replaceExisting) or remove it.`,
      );
    }
    return job;
  }

  /** After a change to a job's definition or schedule: new due time, written, announced. */
  private async save(job: JobRecord, before: JobSnapshot, swappedTrigger: boolean, audit: PendingAudit): Promise<JobInfo> {
    setDue(job);
    // What the caller is answered and the audit records is what was written, not a row read meanwhile (a
    // shared store refreshes its records on every read). A local store's record is the job itself: nothing
    // reads a row over it, and a run settling meanwhile may have changed it (a retry) in its heap.
    const written = this.local === null ? job.snapshot() : null;
    try {
      await this.store.update(job);
      if (written !== null) job.showWritten(written);
    } catch (error) {
      // The store refused the change (503, a conflict): the job shows what the store holds, not a
      // change that would vanish at the next restart.
      job.restore(before, swappedTrigger);
      if (this.local !== null) this.local.reindex(job);
      throw error;
    }
    if (swappedTrigger) job.releaseSnapshotTrigger(before);
    if (this.events.wants('job_modified')) this.events.emit('job_modified', { jobId: job.id });
    if (job.dueAt !== null) this.loop.wakeBy(job.dueAt);
    await this.audit.record(audit.action, audit.actor, job.id, audit.before, auditJob(job));
    return this.info(job);
  }

  /** One page of the audit trail, newest first (see core/audit.ts): `jobId` for one job's entries. */
  async getAudit(query: AuditQuery = {}): Promise<AuditPage> {
    await this.session.ready();
    return this.audit.page(query);
  }
}

/** An addJob spec taken apart (a missing id becomes a random UUID); INVALID_ARGUMENT for what is not a spec. */
function specParts(spec: unknown): SpecParts {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw InvalidArgumentError.field('spec', `must be an object with a trigger and a func or task, got ${describeType(spec)}.`);
  }
  const { id, func, task, trigger, ...options } = spec as AddJobSpec;
  if (func !== undefined && task !== undefined) throw InvalidArgumentError.field('spec.task', 'give either func or task, not both.');
  return { func: func ?? task, trigger, jobId: id === undefined ? crypto.randomUUID() : id, options };
}

/** An instant from a Date or an ISO 8601 string, as epoch ms; INVALID_ARGUMENT naming `path` otherwise. */
function parseInstant(value: unknown, path: string): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms))
    throw InvalidArgumentError.field(path, `must be a Date or an ISO 8601 instant such as "2026-12-25T09:00:00Z", got ${describeType(value)}.`);
  return ms;
}
