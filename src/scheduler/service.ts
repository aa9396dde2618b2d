/**
 * SchedulerService: the facade users call. It validates input, keeps jobs in a JobStore, decides what
 * runs with the pure policies, and hands submissions to the Executor; the WakeLoop keeps one timer for
 * the earliest due job.
 */
import { CronCompiler } from '../cron/compiler.js';
import { systemTimeZone } from '../cron/zone.js';
import { MemoryJobStore } from '../stores/memory.js';
import {
  isClaimingStore, isLocalStore, isReplacingStore, loadErrorOf, type ClaimingStore, type FireClaim, type JobStore, type LocalStore,
  type ReplacingStore, type StoredJob,
} from '../stores/store.js';
import { JOB_SORTS, JOB_STATES, compareJobs, matchesFilter, type JobPage, type JobPageQuery, type JobSort, type JobState } from '../stores/job-order.js';
import { jobInfoJson } from './job-json.js';
import { asTriggerError, createTrigger } from '../triggers/create.js';
import { describeType } from '../core/format.js';
import type { DateInput, TriggerSpec } from '../core/trigger.js';
import { OffsetClock, SystemClock, type Clock } from '../core/clock.js';
import {
  InvalidArgumentError, InvalidTriggerError, JobNotFoundError, MaxInstancesReachedError, SchedulerAlreadyRunningError,
  SchedulerNotRunningError, StoreUnavailableError, TaskNotRegisteredError, TickworkError,
} from '../core/errors.js';
import { EventBus } from './event-bus.js';
import type { Listener, SchedulerEventName } from '../core/events.js';
import { Executor, type Submission } from './executor.js';
import { JobRecord, type JobSnapshot, type JobFunction, type JobOptions, type JobPolicy, type PendingRetry } from '../core/job.js';
import { toJobInfo, type JobInfo } from './job-info.js';
import { createDefaultLogger, type Logger } from '../core/logger.js';
import { WakeLoop } from './loop.js';
import {
  DEFAULT_JOB_POLICY, bool, checkOptionKeys, resolvePolicy, validateArgs, validateJobId, validateName,
} from '../core/job-options.js';
import { hasFreeInstance, jitteredDue, planFires, retryAllowed, retryAt } from './policies.js';
import { toRun, type Run, type RunRecord } from '../core/run.js';
import { TaskRegistry, type TaskOptions } from './task-registry.js';

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
}

export interface AddJobSpec extends JobOptions {
  /** Default: a random UUID. */
  id?: string;
  /** A function, or the name of a registered task. Give `func` or `task`. */
  func?: JobFunction | string;
  task?: string;
  trigger: TriggerSpec;
}

export interface JobQuery {
  /** Substring of the id or the name (case-insensitive). */
  q?: string;
  /** active: scheduled and not paused; paused; failing: the last run failed, timed out or was lost. */
  state?: 'active' | 'paused' | 'failing';
}

/** Fields of a job that modifyJob may change (the trigger changes through rescheduleJob). */
export type JobChanges = Omit<JobOptions, 'replaceExisting' | 'paused' | 'timezone'> & { func?: JobFunction | string };

export interface ShutdownOptions {
  /** Wait for running jobs to settle (default true). false aborts their signals at once. */
  wait?: boolean;
  /** Bound on the wait in seconds (default 30); then signals are aborted and runs recorded cancelled. */
  timeoutSeconds?: number;
}

type State = 'stopped' | 'running' | 'paused' | 'stopping';

/** The default options object: recognised by identity, so a job without options skips their validation. */
const NO_OPTIONS: JobOptions = Object.freeze({});

/** Jobs taken from the store per pass before yielding to I/O. */
const BATCH = 10_000;

export class SchedulerService {
  private readonly store: JobStore;
  /** The store's capabilities, found once (null: it has not that one). */
  private readonly claiming: ClaimingStore | null;
  /** Only for a store that does not claim: claims go through takeDue and putBack. */
  private readonly local: LocalStore | null;
  private readonly replacing: ReplacingStore | null;
  private readonly logger: Logger;
  private readonly clock: Clock;
  /** The injected clock, before any shared-store offset: what the store measures its offset against. */
  private readonly ownClock: Clock;
  private readonly events: EventBus;
  private readonly defaults: JobPolicy;
  private readonly timezone: string;
  private readonly maxCatchUp: number;
  private readonly maxConcurrentRuns: number;
  private readonly tasks = new TaskRegistry();
  private readonly cron = new CronCompiler();
  private readonly executor: Executor;
  private readonly loop: WakeLoop;
  private state: State = 'stopped';
  private storeOpen: Promise<void> | null = null;
  /** The store has opened: skip awaiting it (an await per call is measurable at a million adds). */
  private storeReady = false;
  /** Lost runs reported while the store opened (see lostRun). */
  private lostAtOpen: RunRecord[] = [];
  /** Retries of lost runs are decided one after another. */
  private lostRetries: Promise<void> = Promise.resolve();
  /** While a pass of a claiming store runs: the submissions waiting for their claims to be recorded. */
  private pendingClaims: Submission[] | null = null;

  constructor(options: SchedulerOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw InvalidArgumentError.field('options', `must be an object, got ${describeType(options)}.`);
    }
    const known = ['store', 'logger', 'jobDefaults', 'timezone', 'maxConcurrentRuns', 'maxCatchUp', 'clock'];
    for (const key of Object.keys(options)) {
      if (!known.includes(key)) throw InvalidArgumentError.field(`options.${key}`, `is not a scheduler option; allowed: ${known.join(', ')}.`);
    }
    const store = options.store ?? new MemoryJobStore();
    const claiming = isClaimingStore(store) ? store : null;
    this.store = store;
    this.claiming = claiming;
    this.local = isLocalStore(store) ? store : null;
    this.replacing = isReplacingStore(store) ? store : null;
    this.logger = options.logger ?? createDefaultLogger();
    this.ownClock = options.clock ?? new SystemClock();
    this.clock = claiming === null ? this.ownClock : new OffsetClock(this.ownClock, () => claiming.clockOffsetMs());
    this.events = new EventBus(this.logger);
    if (options.jobDefaults !== undefined) checkOptionKeys(options.jobDefaults, 'jobDefaults');
    this.defaults = resolvePolicy(options.jobDefaults ?? {}, DEFAULT_JOB_POLICY, 'jobDefaults');
    this.timezone = options.timezone ?? systemTimeZone();
    asTriggerError('trigger', () => this.cron.zone(this.timezone)); // validates the zone name now, not at the first cron job
    this.maxCatchUp = integerOption(options.maxCatchUp, 'maxCatchUp', 1000, 1_000_000);
    const maxConcurrentRuns = integerOption(options.maxConcurrentRuns, 'maxConcurrentRuns', 1000, 1_000_000);
    this.maxConcurrentRuns = maxConcurrentRuns;
    this.executor = new Executor(this.clock, this.events, this.logger, this.store, maxConcurrentRuns, {
      onRunFailed: (job, record) => this.scheduleRetry(job, record),
      onSubmissionDone: (job) => this.submissionDone(job),
    });
    this.loop = new WakeLoop(this.clock, this.logger, () => this.processDue(), claiming === null ? {} : claiming.loopTuning);
  }

  /** True between start() and shutdown(), paused or not. */
  get isRunning(): boolean {
    return this.state === 'running' || this.state === 'paused';
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
    return this.state === 'paused';
  }

  /** Starts processing jobs (opens the store first). `{ paused: true }` starts without running anything. */
  async start(options: { paused?: boolean } = {}): Promise<void> {
    if (this.state !== 'stopped') throw new SchedulerAlreadyRunningError();
    const paused = options.paused === undefined ? false : bool(options.paused, 'options.paused');
    if (!this.storeReady) await this.openStore();
    this.state = paused ? 'paused' : 'running';
    this.events.emit('scheduler_started', {});
    if (!paused) this.loop.wakeSoon();
  }

  /**
   * Stops taking new fires at once; with `wait` (default) resolves after running jobs settle, bounded by
   * `timeoutSeconds` (default 30), after which their signals are aborted and the runs recorded cancelled.
   */
  async shutdown(options: ShutdownOptions = {}): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping') throw new SchedulerNotRunningError('shut down');
    const wait = options.wait === undefined ? true : bool(options.wait, 'options.wait');
    const timeoutSeconds = options.timeoutSeconds ?? 30;
    if (typeof timeoutSeconds !== 'number' || !Number.isFinite(timeoutSeconds) || timeoutSeconds < 0) {
      throw InvalidArgumentError.field('options.timeoutSeconds', `must be a non-negative number of seconds, got ${describeType(timeoutSeconds)}.`);
    }
    this.state = 'stopping';
    this.loop.stop();
    // A pass holding a claim of a shared store finishes (its fires are not started) before the store closes.
    await this.loop.settled();
    this.executor.dropQueued('the scheduler shut down');
    if (wait) {
      const idle = await this.executor.waitIdle(timeoutSeconds * 1000);
      if (!idle) this.executor.cancel(null, `shutdown waited its timeoutSeconds (${timeoutSeconds} s)`);
    } else {
      this.executor.cancel(null, 'shutdown({ wait: false })');
    }
    try {
      await this.store.flush();
      await this.store.close();
    } finally {
      this.storeOpen = null;
      this.storeReady = false;
      this.state = 'stopped';
      this.events.emit('scheduler_stopped', {});
    }
  }

  /** Pauses the whole scheduler: nothing new starts until resume(); due fires then follow the misfire rules. */
  async pause(): Promise<void> {
    if (!this.isRunning) throw new SchedulerNotRunningError('pause');
    if (this.state === 'paused') return;
    this.state = 'paused';
    this.loop.stop();
    this.events.emit('scheduler_paused', {});
  }

  async resume(): Promise<void> {
    if (!this.isRunning) throw new SchedulerNotRunningError('resume');
    if (this.state === 'running') return;
    this.state = 'running';
    this.events.emit('scheduler_resumed', {});
    this.loop.wakeSoon();
  }

  /**
   * Registers a named task, so that stored jobs can refer to it (a closure cannot be stored).
   * `options.checkArgs` validates a job's args for this task whenever a job is added with it or its args
   * or task change: bad args are refused then, not at every run.
   */
  registerTask(name: string, func: JobFunction, options?: TaskOptions): void {
    this.tasks.register(name, func, options);
    // Jobs loaded before their task was registered can run from now on; those that came due meanwhile
    // waited (see fire) and are due again.
    if (this.storeReady) {
      void Promise.resolve(this.store.list()).then(async (jobs) => {
        for (const job of jobs) {
          if (job.task !== name || job.func !== null || loadErrorOf(job) !== null) continue;
          job.func = func;
          if (Number.isNaN(job.dueMsOrNaN)) await this.rearm(job);
        }
      }).catch((error: unknown) => this.logger.error({ event: 'store_error', error: toErrorLog(error) }, 'could not attach a registered task to loaded jobs'));
    }
  }

  /** A job that waited for its task gets its due time back (written, and the loop told). */
  private async rearm(job: JobRecord): Promise<void> {
    this.setDue(job);
    if (Number.isNaN(job.dueMsOrNaN)) return;
    await this.store.update(job);
    this.loop.wakeBy(job.dueMsOrNaN);
  }

  /** The registered task names. */
  get taskNames(): string[] {
    return this.tasks.names();
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

  /** Adds a job from one spec object: `{ id?, func | task, args?, trigger, ...options }`. */
  addJob(spec: AddJobSpec): Promise<JobInfo> {
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
      return Promise.reject(InvalidArgumentError.field('spec', `must be an object with a trigger and a func or task, got ${describeType(spec)}.`));
    }
    const { id, func, task, trigger, ...options } = spec;
    if (func !== undefined && task !== undefined) {
      return Promise.reject(InvalidArgumentError.field('spec.task', 'give either func or task, not both.'));
    }
    const jobId = id === undefined ? crypto.randomUUID() : id;
    return this.addValidated(func ?? task, trigger, jobId, options, 'addJob', ['id', 'func', 'task', 'trigger']);
  }

  /**
   * Validates and builds the job synchronously; the common case (store open, synchronous, nothing to
   * replace) adds it without an async frame. An async function allocates its frame and promise on every
   * call, about 400 bytes here: a fifth of what registering a million jobs allocated.
   */
  private addValidated(func: unknown, triggerSpec: unknown, jobId: unknown, options: unknown, method: string, extraKeys: readonly string[] = []): Promise<JobInfo> {
    let job: JobRecord;
    let replace: boolean;
    try {
      const id = validateJobId(jobId);
      const plain = options === NO_OPTIONS;
      const opts = plain ? NO_OPTIONS : checkOptionKeys(options, 'options', extraKeys);
      job = this.buildJob(func, triggerSpec, id, opts, plain, method);
      replace = opts.replaceExisting === true; // validated by buildJob
    } catch (error) {
      return Promise.reject(error);
    }
    if (!this.storeReady || replace) return this.addToStore(job, replace);
    try {
      const added = this.store.add(job);
      if (added instanceof Promise) return added.then(() => this.added(job), (error: unknown) => this.notAdded(job, error));
    } catch (error) {
      return this.notAdded(job, error);
    }
    try {
      return Promise.resolve(this.added(job));
    } catch (error) {
      // The job is in (a logger failed on job_added): the caller hears of it as a rejection.
      return Promise.reject(error);
    }
  }

  /** A new job record from validated input; throws before anything is acquired when input is invalid. */
  private buildJob(func: unknown, triggerSpec: unknown, id: string, opts: JobOptions, plain: boolean, method: string): JobRecord {
    const { fn, task } = this.resolveFunc(func, method);
    const policy = plain ? this.defaults : resolvePolicy(opts, this.defaults);
    const args = plain ? undefined : validateArgs(opts.args);
    if (task !== null) this.tasks.checkArgs(task, args);
    const name = opts.name === undefined ? task ?? (fn !== null && fn.name !== '' ? fn.name : id) : validateName(opts.name);
    const paused = plain || opts.paused === undefined ? false : bool(opts.paused, 'options.paused');
    if (!plain && opts.replaceExisting !== undefined) bool(opts.replaceExisting, 'options.replaceExisting');
    if (opts.timezone !== undefined && (typeof triggerSpec !== 'object' || triggerSpec === null || (triggerSpec as { type?: unknown }).type !== 'cron')) {
      throw InvalidArgumentError.field('options.timezone', 'applies to cron triggers only.');
    }
    const now = this.clock.now();
    const trigger = createTrigger(triggerSpec, { nowMs: now, defaultTimezone: this.timezone, compiler: this.cron });
    const next = paused ? null : trigger.first(now);
    if (!paused && next === null) {
      trigger.dispose();
      throw new InvalidTriggerError('trigger has no fire time after now (check its endDate); the job was not added.');
    }
    const job = JobRecord.create(id, name, fn, task, args, trigger, policy, paused, next, null);
    this.setDue(job);
    return job;
  }

  /** The slow path of an add: the store is still opening, or a job with the same id is replaced. */
  private async addToStore(job: JobRecord, replace: boolean): Promise<JobInfo> {
    if (!this.storeReady) await this.openStore();
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
    return this.added(job);
  }

  /** After the store took the job: the event, the loop's wake-up, the caller's JobInfo. */
  private added(job: JobRecord): JobInfo {
    if (this.events.wants('job_added')) this.events.emit('job_added', { jobId: job.id });
    if (job.dueAt !== null) this.loop.wakeBy(job.dueAt);
    return toJobInfo(job);
  }

  /** The store refused the job (a conflicting id, a database error): release its trigger and reject. */
  private notAdded(job: JobRecord, error: unknown): Promise<never> {
    job.releaseTrigger();
    return Promise.reject(error);
  }

  /** Resolves `func` (a function or a task name) for the store in use. */
  private resolveFunc(func: unknown, method: string): { fn: JobFunction | null; task: string | null } {
    if (typeof func === 'string') {
      const fn = this.tasks.get(func);
      if (fn === undefined) throw new TaskNotRegisteredError(func);
      return { fn, task: func };
    }
    if (typeof func !== 'function') {
      throw InvalidArgumentError.field('func', `${method} needs a function or the name of a registered task, got ${describeType(func)}.`);
    }
    const task = this.tasks.nameOf(func as JobFunction) ?? null;
    if (task === null && this.store.persistent) {
      throw new TaskNotRegisteredError(func.name === '' ? '(anonymous)' : func.name,
        `A persistent store keeps a task name, not a function: call scheduler.registerTask(name, func) first, then add the job with func or its name.`);
    }
    return { fn: func as JobFunction, task };
  }

  /** Removes a job; its running runs go on to the end. Synchronous with an open synchronous store (see addValidated). */
  removeJob(jobId: string): Promise<void> {
    try {
      validateJobId(jobId);
      if (!this.storeReady) return this.openStore().then(() => this.removeJob(jobId));
      const removed = this.store.remove(jobId);
      if (removed instanceof Promise) return removed.then((job) => this.removed(jobId, job));
      this.removed(jobId, removed);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** After the store let the job go (or did not have it). */
  private removed(jobId: string, job: JobRecord | undefined): void {
    if (job === undefined) throw new JobNotFoundError(jobId);
    job.releaseTrigger();
    job.lifecycle = 'finished';
    if (this.events.wants('job_removed')) this.events.emit('job_removed', { jobId });
  }

  async getJob(jobId: string): Promise<JobInfo | undefined> {
    validateJobId(jobId);
    if (!this.storeReady) await this.openStore();
    const job = await this.store.get(jobId);
    return job === undefined ? undefined : toJobInfo(job);
  }

  /** Jobs sorted by next run time (paused and finished last), then id. */
  async getJobs(query: JobQuery = {}): Promise<JobInfo[]> {
    const q = query.q === undefined ? undefined : String(query.q).toLowerCase();
    const state = query.state;
    if (state !== undefined && state !== 'active' && state !== 'paused' && state !== 'failing') {
      throw InvalidArgumentError.field('query.state', `must be "active", "paused" or "failing", got ${describeType(state)}.`);
    }
    if (!this.storeReady) await this.openStore();
    const jobs = (await this.store.list()).filter((job) => matchesFilter(job, q, state));
    jobs.sort(compareJobs('nextRunTime'));
    return jobs.map(toJobInfo);
  }

  /**
   * One page of jobs: `{ items, nextCursor }`. `sort` is id (default), nextRunTime or lastRun; `limit`
   * 1-1000 (default 50); pass `nextCursor` back as `cursor` for the next page.
   */
  async listJobs(query: { sort?: JobSort; limit?: number; cursor?: string; q?: string; state?: JobState } = {}): Promise<{ items: JobInfo[]; nextCursor: string | null }> {
    const page = await this.pageOf(query);
    return { items: page.items.map(toJobInfo), nextCursor: page.nextCursor };
  }

  private async pageOf(query: { sort?: JobSort; limit?: number; cursor?: string; q?: string; state?: JobState }): Promise<JobPage> {
    const sort = query.sort ?? 'id';
    if (!JOB_SORTS.includes(sort)) throw InvalidArgumentError.field('sort', `must be one of ${JOB_SORTS.join(', ')}, got ${describeType(sort)}.`);
    const state = query.state;
    if (state !== undefined && !JOB_STATES.includes(state)) throw InvalidArgumentError.field('state', `must be one of ${JOB_STATES.join(', ')}, got ${describeType(state)}.`);
    const limit = query.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw InvalidArgumentError.field('limit', `must be an integer from 1 to 1000, got ${describeType(limit) === 'number' ? String(limit) : describeType(limit)}.`);
    }
    if (!this.storeReady) await this.openStore();
    const pageQuery: JobPageQuery = { sort, limit };
    if (query.cursor !== undefined) pageQuery.cursor = query.cursor;
    if (query.q !== undefined) pageQuery.q = query.q;
    if (state !== undefined) pageQuery.state = state;
    return this.store.page(pageQuery);
  }

  /**
   * Like listJobs, as JSON text `{"items":[...],"nextCursor":...}`, for HTTP layers: each job's JSON is
   * cached while it does not change. `includeArgs: false` leaves job args out (they may hold secrets).
   */
  async listJobsJson(query: { sort?: JobSort; limit?: number; cursor?: string; q?: string; state?: JobState }, includeArgs: boolean): Promise<string> {
    const page = await this.pageOf(query);
    let out = '{"items":[';
    for (let i = 0; i < page.items.length; i++) out += (i === 0 ? '' : ',') + jobInfoJson(page.items[i] as JobRecord, includeArgs);
    return `${out}],"nextCursor":${page.nextCursor === null ? 'null' : JSON.stringify(page.nextCursor)}}`;
  }

  /** Scheduler state for monitoring: state, job count, busy runs, default zone. */
  async status(): Promise<{ state: 'stopped' | 'running' | 'paused' | 'stopping'; jobs: number; runningRuns: number; timezone: string; maxConcurrentRuns: number }> {
    if (!this.storeReady) await this.openStore();
    return { state: this.state, jobs: await this.store.count(), runningRuns: this.executor.busy, timezone: this.timezone, maxConcurrentRuns: this.maxConcurrentRuns };
  }

  /** Resolves when the store answers; rejects with STORE_UNAVAILABLE otherwise (readiness probes). */
  async checkStore(): Promise<void> {
    if (!this.storeReady) await this.openStore();
    try {
      await this.store.ping();
    } catch (error) {
      throw error instanceof TickworkError ? error : new StoreUnavailableError('the job store does not answer', error);
    }
  }

  /** Run history of a job, newest first; `before` pages to older runs. */
  async getRuns(jobId: string, query: { limit?: number; before?: Date } = {}): Promise<Run[]> {
    validateJobId(jobId);
    const limit = query.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw InvalidArgumentError.field('query.limit', `must be an integer from 1 to 1000, got ${describeType(limit) === 'number' ? String(limit) : describeType(limit)}.`);
    }
    if (query.before !== undefined && (!(query.before instanceof Date) || Number.isNaN(query.before.getTime()))) {
      throw InvalidArgumentError.field('query.before', 'must be a valid Date.');
    }
    if (!this.storeReady) await this.openStore();
    if ((await this.store.get(jobId)) === undefined) throw new JobNotFoundError(jobId);
    const records = await this.store.getRuns(jobId, query.before === undefined ? { limit } : { limit, before: query.before.getTime() });
    return records.map(toRun);
  }

  /** Pauses one job: it keeps its definition but has no next run time until resumed. */
  async pauseJob(jobId: string): Promise<JobInfo> {
    const job = await this.requireJob(jobId);
    const before = job.snapshot();
    job.paused = true;
    job.nextRunTime = null;
    job.retry = null; // a paused job is never due, a retry of an earlier fire included
    return this.save(job, before);
  }

  /** Resumes a paused job from now; a job whose trigger has no further fire is removed instead. */
  async resumeJob(jobId: string): Promise<JobInfo | undefined> {
    const job = await this.requireJob(jobId);
    if (!job.paused) return toJobInfo(job);
    const next = job.trigger.first(this.clock.now());
    if (next === null) {
      await this.removeJob(jobId);
      return undefined;
    }
    const before = job.snapshot();
    job.paused = false;
    job.nextRunTime = next;
    return this.save(job, before);
  }

  /** Changes a job's name, function, args or policies. */
  async modifyJob(jobId: string, changes: JobChanges): Promise<JobInfo> {
    const opts = checkOptionKeys(changes, 'changes', ['func']) as JobChanges;
    if ('replaceExisting' in opts || 'paused' in opts || 'timezone' in opts) {
      throw InvalidArgumentError.field('changes', 'cannot change replaceExisting, paused or timezone; use pauseJob/resumeJob or rescheduleJob.');
    }
    return this.updateJob(jobId, opts);
  }

  /**
   * Changes any of a job's fields at once (what PATCH /jobs/:id does): name, func/task, args, policies,
   * trigger (next run recomputed from now) and paused. Everything is validated before anything changes.
   */
  async updateJob(jobId: string, patch: JobChanges & { task?: string; trigger?: TriggerSpec; paused?: boolean; timezone?: string }): Promise<JobInfo> {
    const job = await this.requireJob(jobId);
    const changes = checkOptionKeys(patch, 'changes', ['func', 'task', 'trigger']) as typeof patch;
    if ('replaceExisting' in changes) throw InvalidArgumentError.field('changes.replaceExisting', 'applies only when adding a job.');
    if (changes.func !== undefined && changes.task !== undefined) throw InvalidArgumentError.field('changes.task', 'give either func or task, not both.');
    const policy = resolvePolicy(changes, job.policy, 'changes');
    const funcInput = changes.func ?? changes.task;
    const resolved = funcInput === undefined ? null : this.resolveFunc(funcInput, 'updateJob');
    const args = changes.args === undefined ? job.args : validateArgs(changes.args, 'changes.args');
    const taskAfter = resolved === null ? job.task : resolved.task;
    if (taskAfter !== null && (resolved !== null || changes.args !== undefined)) this.tasks.checkArgs(taskAfter, args);
    const name = changes.name === undefined ? job.name : validateName(changes.name, 'changes.name');
    const paused = changes.paused === undefined ? job.paused : bool(changes.paused, 'changes.paused');
    let triggerSpec = changes.trigger;
    if (changes.timezone !== undefined) {
      const base = (triggerSpec ?? job.trigger.toSpec()) as TriggerSpec;
      if (base.type !== 'cron') throw InvalidArgumentError.field('changes.timezone', 'applies to cron triggers only.');
      triggerSpec = { ...base, timezone: changes.timezone };
    }
    const now = this.clock.now();
    const trigger = triggerSpec === undefined ? null : createTrigger(triggerSpec, { nowMs: now, defaultTimezone: this.timezone, compiler: this.cron });
    const next = paused ? null : (trigger ?? job.trigger).first(now);
    if (!paused && next === null && (trigger !== null || job.paused)) {
      trigger?.dispose();
      throw new InvalidTriggerError('trigger has no fire time after now (check its endDate); nothing was changed.');
    }
    // Everything is valid: apply, and undo if the store refuses it (save).
    const before = job.snapshot();
    if (resolved !== null) {
      job.func = resolved.fn;
      job.task = resolved.task;
    }
    job.policy = policy;
    job.args = args;
    job.name = name;
    if (trigger !== null) {
      job.swapTrigger(trigger); // the old one is kept until the store took the change (save)
      job.lifecycle = 'scheduled';
    }
    if (trigger !== null || paused !== job.paused) job.nextRunTime = next;
    job.retry = keptRetry(job.retry, paused, policy, job.nextRunTime);
    job.paused = paused;
    return this.save(job, before, trigger !== null);
  }

  /** Gives a job a new trigger; its next run time is computed from the new trigger and now. */
  async rescheduleJob(jobId: string, trigger: TriggerSpec): Promise<JobInfo> {
    return this.updateJob(jobId, { trigger });
  }

  /** Runs a job now, outside its schedule. Counts toward maxInstances. */
  async runJobNow(jobId: string): Promise<JobInfo> {
    const job = await this.requireJob(jobId);
    if (!this.isRunning || this.state === 'paused') throw new SchedulerNotRunningError(`run job "${jobId}" now`);
    if (job.func === null) throw new TaskNotRegisteredError(job.task ?? jobId);
    if (!hasFreeInstance(job.running, job.policy.maxInstances)) throw new MaxInstancesReachedError(jobId, job.policy.maxInstances);
    const now = this.clock.now();
    const submission: Submission = { job, runTimes: [now], attempt: 1, firstDueAt: now, coalesced: 1, manual: true, index: 0, cancelled: false };
    if (this.claiming !== null && !(await this.claiming.claimManual(submission))) {
      throw new MaxInstancesReachedError(jobId, job.policy.maxInstances);
    }
    job.running++;
    this.executor.submit(submission);
    return toJobInfo(job);
  }

  /** Aborts the signals of the job's running runs; they are recorded cancelled. Returns how many. */
  async cancelRun(jobId: string): Promise<number> {
    await this.requireJob(jobId);
    return this.executor.cancel(jobId, 'cancelRun was called');
  }

  private async requireJob(jobId: string): Promise<JobRecord> {
    validateJobId(jobId);
    if (!this.storeReady) await this.openStore();
    const job = await this.store.get(jobId);
    if (job === undefined) throw new JobNotFoundError(jobId);
    const loadError = job.func === null ? loadErrorOf(job) : null;
    if (loadError !== null) {
      // A set-aside row (see JobStore's setAsideRecord): there is no live job to change.
      throw InvalidArgumentError.field('jobId', `stored job "${jobId}" cannot be loaded (${loadError}); replace it (add it again with replaceExisting) or remove it.`);
    }
    return job;
  }

  /** After a change to a job's definition or schedule: new due time, written, announced. */
  private async save(job: JobRecord, before: JobSnapshot, swappedTrigger = false): Promise<JobInfo> {
    this.setDue(job);
    try {
      await this.store.update(job);
    } catch (error) {
      // The store refused the change (503, a conflict): the job shows what the store holds, not a
      // change that would vanish at the next restart.
      job.restore(before, swappedTrigger);
      if (this.local !== null) this.local.reindex(job);
      throw error;
    }
    if (swappedTrigger) job.releaseSnapshotTrigger(before);
    this.modified(job);
    return toJobInfo(job);
  }

  private modified(job: JobRecord): void {
    if (this.events.wants('job_modified')) this.events.emit('job_modified', { jobId: job.id });
    if (job.dueAt !== null) this.loop.wakeBy(job.dueAt);
  }

  private openStore(): Promise<void> {
    this.storeOpen ??= Promise.resolve(this.store.open({
      hydrate: (stored) => this.hydrate(stored),
      onLostRun: (run) => this.lostRun(run),
      onFenced: (reason) => {
        // Declared dead by the other nodes: what runs here was recorded lost there; stop it.
        this.executor.dropQueued(reason);
        this.executor.cancel(null, reason);
      },
      now: () => this.ownClock.now(),
      logger: this.logger,
      wake: (dueAt) => {
        if (this.state === 'running') this.loop.wakeBy(dueAt);
      },
      onLoadError: (jobId, reason) => this.events.emit('job_load_error', {
        jobId, code: 'LOAD_ERROR',
        message: `Stored job "${jobId}" cannot be loaded: ${reason}. It is set aside (never run, listed with status load_error) until it is replaced or removed.`,
      }),
    })).then(() => {
      this.storeReady = true;
      // Lost runs the store found while it opened: their retries are decided now that it can be read.
      const lost = this.lostAtOpen;
      this.lostAtOpen = [];
      for (const run of lost) this.lostRun(run);
    }, (error: unknown) => {
      this.storeOpen = null;
      throw error;
    });
    return this.storeOpen;
  }

  /** A stored job back to a live record. An unregistered task keeps the job, reported, never deleted. */
  private hydrate(stored: StoredJob): JobRecord {
    const trigger = createTrigger(stored.trigger, { nowMs: this.clock.now(), defaultTimezone: this.timezone, compiler: this.cron });
    const func = this.tasks.get(stored.task) ?? null;
    const policy = resolvePolicy(stored.policy, DEFAULT_JOB_POLICY, 'stored.policy');
    // A paused job has no next run time and no retry (a row edited by hand may say otherwise): the pass
    // recomputes its due time.
    const nextRunTime = stored.paused ? null : stored.nextRunTime;
    const retry = stored.paused ? null : stored.retry;
    const job = JobRecord.create(stored.id, stored.name, func, stored.task, stored.args, trigger, policy, stored.paused, nextRunTime, stored.dueAt, retry);
    job.jitterMs = stored.jitterMs;
    // A job that waited for its task (a next run time but no due time, see fire) is due again once its
    // task is registered.
    if (func !== null && !stored.paused && stored.dueAt === null && (nextRunTime !== null || retry !== null)) this.setDue(job);
    if (func === null) {
      this.events.emit('job_load_error', {
        jobId: stored.id, code: 'TASK_NOT_REGISTERED',
        message: `Stored job "${stored.id}" runs task "${stored.task}", which is not registered; it is kept and will run once registerTask("${stored.task}", func) is called.`,
      });
    }
    return job;
  }

  /** dueAt = the next fire plus a fresh jitter, or a pending retry when that comes first. */
  private setDue(job: JobRecord): void {
    job.jitterMs = 0;
    // A paused job is never due, whatever a stored row says (a due time the pass would not act on would
    // make every pass take the job again at once: a busy loop).
    if (job.paused) {
      job.dueMsOrNaN = Number.NaN;
      return;
    }
    // Times as doubles, NaN for none: this runs on every fire (see JobRecord.nextRunMsOrNaN).
    const next = job.nextRunMsOrNaN;
    let due = next;
    if (!Number.isNaN(next) && job.policy.jitterSeconds > 0) {
      due = jitteredDue(next, job.policy.jitterSeconds, Math.random(), endOf(job));
      job.jitterMs = due - next;
    }
    const retry = job.retry;
    if (retry !== null && (Number.isNaN(due) || retry.at < due)) due = retry.at;
    job.dueMsOrNaN = due;
  }

  /** One pass of the loop: take due jobs, submit their fires, reschedule them. Returns the next wake time. */
  private async processDue(): Promise<{ more: boolean; next: number | null }> {
    if (this.state !== 'running') return { more: false, next: null };
    const now = this.clock.now();
    const claims: Submission[] | null = this.claiming === null ? null : [];
    let fired: number;
    // The jobs whose last fire this was: removed once the pass is written.
    let finished: JobRecord[] | null = null;
    if (this.local !== null && this.claiming === null) {
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
      const live = this.state === 'running';
      this.beginPass(now, claims);
      try {
        if (live) for (const job of jobs) this.fireSafely(job, now);
      } finally {
        this.endPass();
      }
      if (this.claiming !== null && claims !== null) {
        await this.startClaimed(this.claiming, jobs, claims);
      } else {
        const put = this.store.putBack(jobs);
        if (put instanceof Promise) await put;
      }
    }
    const flushed = this.store.flush();
    if (flushed instanceof Promise) await flushed;
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

  /** fire(), except that a trigger or policy bug must not stop the other jobs: logged, the job kept on its schedule. */
  private fireSafely(job: JobRecord, now: number): void {
    try {
      this.fire(job, now);
    } catch (error) {
      this.logger.error({ event: 'internal_error', jobId: job.id, error: toErrorLog(error) }, 'processing a due job failed');
      if (job.dueAt !== null && job.dueAt <= now) {
        if (!job.paused) job.nextRunTime = job.trigger.next(now);
        this.setDue(job);
      }
    }
  }

  /**
   * A shared store: the claims are recorded with the new schedules in one transaction; only then do the
   * accepted fires start. A refused claim (another node has that fire) or a failed write starts nothing;
   * a recorded claim starts even when shutdown began meanwhile, since no other node may run that fire.
   */
  private async startClaimed(store: ClaimingStore, jobs: JobRecord[], claims: Submission[]): Promise<void> {
    let refused: readonly FireClaim[];
    try {
      refused = await store.putBack(jobs, claims);
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
        this.logger.warn({ event: 'fire_claimed_elsewhere', jobId: claim.job.id, scheduledAt: new Date(claim.runTimes[0] as number).toISOString() },
          'another node has claimed this fire already; it is not started here');
        continue;
      }
      // Claimed is promised: it starts even if shutdown began meanwhile (shutdown waits for the pass, then for it).
      this.executor.submit(claim);
    }
  }

  private fire(job: JobRecord, now: number): void {
    if (job.func === null && this.claiming === null) {
      this.waitForTask(job);
      return;
    }
    const retry = job.retry;
    if (retry !== null && retry.at <= now) {
      job.retry = null;
      this.submit(job, [retry.scheduledAt], retry.attempt, retry.at, 1);
    }
    // Times as doubles, NaN for none (see JobRecord.nextRunMsOrNaN); NaN + jitter <= now is false.
    const first = job.nextRunMsOrNaN;
    if (!job.paused && first + job.jitterMs <= now) {
      const policy = job.policy;
      const next = job.trigger.nextTime(first);
      // The schedule advances before anything runs, so a synchronous failure sees the real next fire
      // (the retry rule compares against it).
      if (Number.isNaN(next) || next > now) {
        // On time: the common case, one fire.
        this.advance(job, next);
        this.submitOnTime(job, first);
      } else {
        // One more than maxCatchUp, so that the last dropped fire is known for the missed record.
        const due = job.trigger.dueFires(first, now, policy.coalesce ? 1 : this.maxCatchUp + 1);
        this.advance(job, due.next ?? Number.NaN);
        const plan = planFires(due, first, policy.coalesce, this.maxCatchUp);
        if (plan.dropped !== null) this.recordDropped(job, plan.dropped);
        if (plan.runTimes.length > 0) this.submit(job, plan.runTimes, 1, plan.runTimes[0] as number, plan.coalesced);
      }
    }
    this.setDue(job);
  }

  /**
   * A job whose task is not registered (stored, loaded before registerTask) waits for it: its fire is not
   * consumed and the job is not finished, so a date job is not deleted; it is just not due until
   * registerTask gives it its due time back (the misfire rules then apply). A shared store is the
   * exception: another node may have the task, so there the fire goes on (and is not run here).
   */
  private waitForTask(job: JobRecord): void {
    job.dueMsOrNaN = Number.NaN;
    this.logger.warn({ event: 'job_not_run', jobId: job.id, code: 'TASK_NOT_REGISTERED', task: job.task },
      `job "${job.id}" is due but its task "${job.task ?? ''}" is not registered; it waits for registerTask("${job.task ?? ''}", func)`);
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
    job.running++;
    this.executor.runOnTime(job, scheduledAt, dueAt);
  }

  private submit(job: JobRecord, runTimes: number[], attempt: number, firstDueAt: number, coalesced: number): void {
    if (!hasFreeInstance(job.running, job.policy.maxInstances)) {
      const record: RunRecord = {
        jobId: job.id, scheduledAt: runTimes[0] as number, attempt, startedAt: null, finishedAt: null,
        outcome: 'skipped', latenessMs: Math.max(0, this.clock.now() - firstDueAt), durationMs: null,
        error: { code: 'MAX_INSTANCES_REACHED', message: `maxInstances (${job.policy.maxInstances}) runs of job "${job.id}" were already running` },
      };
      const count = Math.max(coalesced, runTimes.length);
      if (count > 1) {
        record.coalesced = count;
        record.lastScheduledAt = runTimes[runTimes.length - 1] as number;
      }
      this.store.recordRun(record, job);
      job.lastRun = record;
      this.executor.emitRun(record);
      return;
    }
    if (job.func === null) {
      this.logger.warn({ event: 'job_not_run', jobId: job.id, code: 'TASK_NOT_REGISTERED', task: job.task },
        `job "${job.id}" was due but its task "${job.task ?? ''}" is not registered`);
      return;
    }
    job.running++;
    const submission: Submission = { job, runTimes, attempt, firstDueAt, coalesced, manual: false, index: 0, cancelled: false };
    if (this.pendingClaims !== null) this.pendingClaims.push(submission);
    else this.executor.submit(submission);
  }

  /** Fires older than maxCatchUp: one record and one event for the whole stretch. */
  private recordDropped(job: JobRecord, dropped: { count: number; first: number; last: number; exact: boolean }): void {
    const record: RunRecord = {
      jobId: job.id, scheduledAt: dropped.first, attempt: 1, startedAt: null, finishedAt: null, outcome: 'missed',
      latenessMs: this.clock.now() - dropped.first, durationMs: null,
      error: { code: 'MAX_CATCH_UP', message: `${dropped.exact ? '' : 'at least '}${dropped.count} fire times were due at once, more than maxCatchUp (${this.maxCatchUp}); the oldest were not run` },
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
  private lostRun(run: RunRecord): void {
    this.executor.emitRun(run);
    if (run.outcome !== 'lost') return;
    if (!this.storeReady) {
      this.lostAtOpen.push(run);
      return;
    }
    this.lostRetries = this.lostRetries.then(() => this.retryLost(run));
  }

  private async retryLost(run: RunRecord): Promise<void> {
    try {
      if (this.state === 'stopping' || !this.storeReady) return;
      const found = this.store.get(run.jobId);
      const job = found instanceof Promise ? await found : found;
      if (job === undefined || (job.func === null && loadErrorOf(job) !== null) || job.paused || job.retry !== null) return;
      const policy = job.policy;
      if (!policy.retryLost || policy.retries === null) return;
      const at = retryAt(policy.retries, run.attempt, this.clock.now(), job.nextRunTime);
      if (at === null) return;
      job.retry = { scheduledAt: run.scheduledAt, attempt: run.attempt + 1, at };
      this.setDue(job);
      if (!(await this.saveRetry(job))) return;
      if (this.state === 'running') this.loop.wakeBy(at);
      if (this.events.wants('job_retry_scheduled')) {
        const payload = { jobId: job.id, scheduledAt: new Date(run.scheduledAt).toISOString(), attempt: run.attempt + 1, retryAt: new Date(at).toISOString() };
        this.events.emit('job_retry_scheduled', run.error === null ? payload : { ...payload, error: run.error });
      }
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
      if (!saved) this.setDue(job);
      return saved;
    }
    await this.store.update(job);
    return true;
  }

  private scheduleRetry(job: JobRecord, record: RunRecord): void {
    // A run that fails after its job was paused schedules no retry: a paused job is never due.
    if (job.policy.retries === null || job.paused || this.state === 'stopping' || this.state === 'stopped') return;
    const now = this.clock.now();
    const at = retryAt(job.policy.retries, record.attempt, now, job.nextRunTime);
    if (at === null) return;
    job.retry = { scheduledAt: record.scheduledAt, attempt: record.attempt + 1, at };
    this.setDue(job);
    // Announced once the store has it: a job removed while its run was failing (or removed and added again
    // under its id) has nothing to retry. A store may throw synchronously (the memory store, in that case).
    Promise.resolve().then(() => this.saveRetry(job)).then((saved) => {
      if (!saved) return;
      this.loop.wakeBy(at);
      if (this.events.wants('job_retry_scheduled')) {
        const payload = { jobId: job.id, scheduledAt: new Date(record.scheduledAt).toISOString(), attempt: record.attempt + 1, retryAt: new Date(at).toISOString() };
        this.events.emit('job_retry_scheduled', record.error === null ? payload : { ...payload, error: record.error });
      }
    }, (error: unknown) => {
      if (error instanceof JobNotFoundError) return;
      this.logger.error({ event: 'store_error', jobId: job.id, error: toErrorLog(error) }, 'saving a retry failed');
    });
  }

  private submissionDone(job: JobRecord): void {
    job.running--;
    this.removeIfDone(job);
  }

  /** A job whose trigger is done goes once its runs have settled and no retry waits. */
  private removeIfDone(job: JobRecord): void {
    if (job.lifecycle !== 'finished' || job.running > 0 || job.retry !== null || job.paused) return;
    job.lifecycle = 'removing'; // remove once
    // Only this job: removeJob, and an add under the same id, may come before the removal runs.
    Promise.resolve().then(async () => {
      const removed = await this.store.remove(job.id, job);
      // The pattern reference goes either way (another node may have deleted the row); releasing is idempotent.
      job.releaseTrigger();
      // undefined: removeJob took it meanwhile and announced that removal itself.
      if (removed === undefined) return;
      // A shared store may hand back a fresh record of a row changed elsewhere, holding its own reference.
      if (removed !== job) removed.releaseTrigger();
      if (this.events.wants('job_removed')) this.events.emit('job_removed', { jobId: job.id });
    }).then(undefined, (error: unknown) => {
      this.logger.error({ event: 'store_error', jobId: job.id, error: toErrorLog(error) }, 'removing a finished job failed');
    });
  }
}

/**
 * A pending retry after a change to its job, by the rules that scheduled it: none for a paused job (as
 * pauseJob), none once the retries policy no longer allows its attempt, and none when the (new) next
 * regular fire comes at or before it.
 */
function keptRetry(retry: PendingRetry | null, paused: boolean, policy: JobPolicy, nextRunTime: number | null): PendingRetry | null {
  return retry !== null && !paused && retryAllowed(policy.retries, retry.attempt - 1, retry.at, nextRunTime) ? retry : null;
}

function endOf(job: JobRecord): number | null {
  const spec = job.trigger.toSpec();
  return 'endDate' in spec && spec.endDate !== undefined ? Date.parse(spec.endDate) : null;
}

function integerOption(value: unknown, path: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw InvalidArgumentError.field(`options.${path}`, `must be an integer from 1 to ${max}, got ${describeType(value) === 'number' ? String(value) : describeType(value)}.`);
  }
  return value;
}

export function toErrorLog(error: unknown): { code?: string; message: string; stack?: string } {
  if (error instanceof TickworkError) return { code: error.code, message: error.message };
  if (error instanceof Error) return error.stack === undefined ? { message: error.message } : { message: error.message, stack: error.stack };
  return { message: String(error) };
}
