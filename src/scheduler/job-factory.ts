/**
 * Where JobRecords come from: built from what a caller passes (an add), changed by what a caller passes
 * (updateJob), or loaded from what a durable store kept (hydrate). All three resolve a function or task
 * name, check a task's args, build a trigger in the scheduler's zone and set the due time the same way;
 * everything is validated before anything is acquired or changed.
 */
import type { CronCompiler } from '../cron/compiler.js';
import type { Clock } from '../core/clock.js';
import { InvalidArgumentError, InvalidTriggerError, TaskNotRegisteredError } from '../core/errors.js';
import { describeType } from '../core/format.js';
import { LIBRARY_ACTOR, type Actor } from '../core/pause.js';
import { JobRecord, type JobFunction, type JobOptions, type JobPolicy, type PendingRetry } from '../core/job.js';
import { DEFAULT_JOB_POLICY, bool, checkOptionKeys, resolvePolicy, validateArgs, validateName } from '../core/job-options.js';
import type { Trigger, TriggerSpec } from '../core/trigger.js';
import { validateJobExclusion, type JobExcludeInput, type JobExclusion } from '../core/exclusion.js';
import type { StoredJob } from '../stores/store.js';
import { createTrigger } from '../triggers/create.js';
import { noFireReason } from '../triggers/combined.js';
import { setDue } from './due-time.js';
import type { EventBus } from './event-bus.js';
import type { Exclusions } from './exclusions.js';
import { retryAllowed } from './policies.js';
import type { JobPatch } from './scheduler-types.js';
import type { TaskRegistry } from './task-registry.js';

/** A job's function and the task it names (null: a plain function, or for a function, an unregistered task). */
export interface ResolvedFunc {
  fn: JobFunction | null;
  task: string | null;
}

/** A validated change to a job (what updateJob applies; see JobFactory.change). */
export interface JobChange {
  /** The new function or task, or null when it stays. */
  readonly func: ResolvedFunc | null;
  readonly policy: JobPolicy;
  readonly args: unknown;
  readonly name: string;
  readonly paused: boolean;
  /** A new trigger, already acquired, or null when it stays. */
  readonly trigger: Trigger | null;
  /** The next run time from now, with the new trigger (or the old one, on a resume). */
  readonly next: number | null;
}

export interface JobFactoryOptions {
  tasks: TaskRegistry;
  cron: CronCompiler;
  clock: Clock;
  /** The scheduler's default zone for cron triggers. */
  timezone: string;
  /** The policies of a job that sets none (the scheduler's jobDefaults). */
  defaults: JobPolicy;
  /** The store keeps jobs across processes: a job must name a registered task. */
  persistent: boolean;
  events: EventBus;
  /** The named calendars a job's exclude may name. */
  exclusions: Exclusions;
}

export class JobFactory {
  private readonly tasks: TaskRegistry;
  private readonly cron: CronCompiler;
  private readonly clock: Clock;
  private readonly timezone: string;
  private readonly defaults: JobPolicy;
  private readonly persistent: boolean;
  private readonly events: EventBus;
  private readonly exclusions: Exclusions;

  constructor(options: JobFactoryOptions) {
    this.tasks = options.tasks;
    this.cron = options.cron;
    this.clock = options.clock;
    this.timezone = options.timezone;
    this.defaults = options.defaults;
    this.persistent = options.persistent;
    this.events = options.events;
    this.exclusions = options.exclusions;
  }

  /**
   * A new job record from validated input; throws before anything is acquired when input is invalid.
   * `plain`: `opts` is the shared empty options object, whose validation is skipped. `now`: the add's one
   * clock read (the caller's, so that the health and audit entry of the add need none of their own).
   */
  build(func: unknown, triggerSpec: unknown, id: string, opts: JobOptions, plain: boolean, method: string, now = this.clock.now()): JobRecord {
    const { fn, task } = this.resolveFunc(func, method);
    const policy = plain ? this.defaults : resolvePolicy(this.withExcludeZone(opts, zoneOf(triggerSpec) ?? opts.timezone), this.defaults);
    if (policy.exclude !== null) this.checkCalendars(policy.exclude, 'options.exclude');
    const args = plain ? undefined : validateArgs(opts.args);
    if (task !== null) this.tasks.checkArgs(task, args);
    const name = opts.name === undefined ? (task ?? (fn !== null && fn.name !== '' ? fn.name : id)) : validateName(opts.name);
    const paused = plain || opts.paused === undefined ? false : bool(opts.paused, 'options.paused');
    if (!plain && opts.replaceExisting !== undefined) bool(opts.replaceExisting, 'options.replaceExisting');
    if (opts.timezone !== undefined && (typeof triggerSpec !== 'object' || triggerSpec === null || (triggerSpec as { type?: unknown }).type !== 'cron')) {
      throw InvalidArgumentError.field('options.timezone', 'applies to cron triggers only.');
    }
    const trigger = this.trigger(triggerSpec, now, id);
    refuseMissedDate(trigger, policy.misfireGraceTime, now, 'added');
    const next = paused ? null : trigger.first(now);
    if (!paused && next === null) {
      trigger.dispose();
      throw new InvalidTriggerError(noFireReason(trigger, 'the job was not added.'));
    }
    // Added paused: a pause without an end or a note (pauseJob gives those).
    const pause = paused ? { since: now, until: null, note: null, by: LIBRARY_ACTOR } : null;
    const job = JobRecord.create(id, name, fn, task, args, trigger, policy, paused, next, null, null, 0, 'library', pause);
    setDue(job);
    return job;
  }

  /**
   * `opts` with its exclude's zone filled in (the job's: its trigger's zone, else the scheduler's), since
   * `exclude.dates` are local dates; the same object when there is nothing to fill.
   */
  private withExcludeZone<T extends { exclude?: JobExcludeInput | null | undefined }>(opts: T, zone: unknown): T {
    const exclude = opts.exclude;
    if (typeof exclude !== 'object' || exclude === null || Array.isArray(exclude) || exclude.timezone !== undefined) return opts;
    return { ...opts, exclude: { ...exclude, timezone: typeof zone === 'string' ? zone : this.timezone } };
  }

  /** An `exclude` for a preview of `triggerSpec`, validated as a job's (`path`: where the caller gave it). */
  previewExclusion(exclude: unknown, triggerSpec: unknown, path = 'exclude'): JobExclusion {
    const { exclude: filled } = this.withExcludeZone({ exclude: exclude as JobExcludeInput }, zoneOf(triggerSpec));
    const exclusion = validateJobExclusion(filled, path);
    this.checkCalendars(exclusion, path);
    return exclusion;
  }

  /** Every calendar a job's exclude names must exist (it would otherwise exclude nothing, silently). */
  private checkCalendars(exclusion: JobExclusion, path: string): void {
    exclusion.calendars.forEach((name, i) => {
      if (!this.exclusions.has(name)) {
        throw InvalidArgumentError.field(
          `${path}.calendars[${i}]`,
          `names calendar "${name}", which does not exist; create it first with putCalendar("${name}", { dates, ranges, timezone }) or PUT /api/v1/calendars/${name}.`,
        );
      }
    });
  }

  /** Resolves `func` (a function or a task name) for the store in use. */
  private resolveFunc(func: unknown, method: string): ResolvedFunc {
    if (typeof func === 'string') {
      const fn = this.tasks.get(func);
      if (fn === undefined) throw new TaskNotRegisteredError(func);
      return { fn, task: func };
    }
    if (typeof func !== 'function') {
      throw InvalidArgumentError.field('func', `${method} needs a function or the name of a registered task, got ${describeType(func)}.`);
    }
    const task = this.tasks.nameOf(func as JobFunction) ?? null;
    // A registered function runs as its task does (with an argsSchema, its args checked first).
    if (task !== null) return { fn: this.tasks.get(task) ?? (func as JobFunction), task };
    if (this.persistent) {
      throw new TaskNotRegisteredError(
        func.name === '' ? '(anonymous)' : func.name,
        `A persistent store keeps a task name, not a function: call scheduler.registerTask(name, func) first, then add the job with func or its name.`,
      );
    }
    return { fn: func as JobFunction, task: null };
  }

  /** A trigger from a spec for job `jobId` (what cron's H hashes), in the scheduler's zone unless the spec names one. */
  private trigger(spec: unknown, now: number, jobId: string): Trigger {
    return createTrigger(spec, { nowMs: now, defaultTimezone: this.timezone, compiler: this.cron, jobId });
  }

  /**
   * Validates a change to `job` (updateJob: name, func/task, args, policies, trigger, paused, timezone)
   * without changing anything. A new trigger is acquired: `apply` gives it to the job.
   */
  change(job: JobRecord, patch: JobPatch): JobChange {
    const changes = checkOptionKeys(patch, 'changes', ['func', 'task', 'trigger']) as JobPatch;
    if ('replaceExisting' in changes) throw InvalidArgumentError.field('changes.replaceExisting', 'applies only when adding a job.');
    if (changes.func !== undefined && changes.task !== undefined) throw InvalidArgumentError.field('changes.task', 'give either func or task, not both.');
    const zone = zoneOf(changes.trigger) ?? changes.timezone ?? zoneOf(job.trigger.toSpec());
    const policy = resolvePolicy(this.withExcludeZone(changes, zone), job.policy, 'changes');
    if (changes.exclude !== undefined && policy.exclude !== null) this.checkCalendars(policy.exclude, 'changes.exclude');
    if (policy.maxRuns !== null && policy.maxRuns <= job.runCount && policy.maxRuns !== job.policy.maxRuns) {
      throw InvalidArgumentError.field(
        'changes.maxRuns',
        `must be more than the ${job.runCount} fires job "${job.id}" has started already (got ${policy.maxRuns}); to stop it, remove it or pause it.`,
      );
    }
    const funcInput = changes.func ?? changes.task;
    const func = funcInput === undefined ? null : this.resolveFunc(funcInput, 'updateJob');
    const args = changes.args === undefined ? job.args : validateArgs(changes.args, 'changes.args');
    const taskAfter = func === null ? job.task : func.task;
    if (taskAfter !== null && (func !== null || changes.args !== undefined)) this.tasks.checkArgs(taskAfter, args);
    const name = changes.name === undefined ? job.name : validateName(changes.name, 'changes.name');
    const paused = changes.paused === undefined ? job.paused : bool(changes.paused, 'changes.paused');
    let triggerSpec = changes.trigger;
    if (changes.timezone !== undefined) {
      const base = (triggerSpec ?? job.trigger.toSpec()) as TriggerSpec;
      if (base.type !== 'cron') throw InvalidArgumentError.field('changes.timezone', 'applies to cron triggers only.');
      triggerSpec = { ...base, timezone: changes.timezone };
    }
    const now = this.clock.now();
    const trigger = triggerSpec === undefined ? null : this.trigger(triggerSpec, now, job.id);
    if (trigger !== null) refuseMissedDate(trigger, policy.misfireGraceTime, now, 'changed');
    const next = paused ? null : (trigger ?? job.trigger).first(now);
    if (!paused && next === null && (trigger !== null || job.paused)) {
      trigger?.dispose();
      throw new InvalidTriggerError(noFireReason(trigger ?? job.trigger, 'nothing was changed.'));
    }
    return { func, policy, args, name, paused, trigger, next };
  }

  /** Applies a validated change; the old trigger stays acquired until the store took the change (see JobRecord.swapTrigger). */
  /** `by`: who made the change (kept as the pause's `by` when it pauses the job). */
  apply(job: JobRecord, change: JobChange, by: Actor = LIBRARY_ACTOR): void {
    if (change.func !== null) {
      job.func = change.func.fn;
      job.task = change.func.task;
    }
    job.policy = change.policy;
    job.args = change.args;
    job.name = change.name;
    if (change.trigger !== null) {
      job.swapTrigger(change.trigger);
      job.lifecycle = 'scheduled';
    }
    if (change.trigger !== null || change.paused !== job.paused) job.nextRunTime = change.next;
    job.retry = keptRetry(job.retry, change.paused, change.policy, job.nextRunTime);
    if (change.paused !== job.paused) {
      // Paused or resumed by a change (PATCH paused): a pause without an end or a note, or none.
      job.pause = change.paused ? { since: this.clock.now(), until: null, note: null, by } : null;
      job.catchUpThrough = null;
    }
    job.paused = change.paused;
  }

  /** A stored job back to a live record. An unregistered task keeps the job, reported, never deleted. */
  hydrate(stored: StoredJob): JobRecord {
    const trigger = this.trigger(stored.trigger, this.clock.now(), stored.id);
    const func = this.tasks.get(stored.task) ?? null;
    const policy = resolvePolicy(stored.policy, DEFAULT_JOB_POLICY, 'stored.policy');
    // A paused job has no next run time and no retry (a row edited by hand may say otherwise): the pass
    // recomputes its due time.
    const nextRunTime = stored.paused ? null : stored.nextRunTime;
    const retry = stored.paused ? null : stored.retry;
    const job = JobRecord.create(
      stored.id,
      stored.name,
      func,
      stored.task,
      stored.args,
      trigger,
      policy,
      stored.paused,
      nextRunTime,
      stored.dueAt,
      retry,
      stored.runCount,
      stored.owner ?? 'library',
      stored.paused ? stored.pause : null,
      stored.catchUpThrough,
    );
    job.jitterMs = stored.jitterMs;
    // A timed pause is due at its end (a row written before pauses were kept may lack the due time).
    if (stored.paused) setDue(job);
    // A job that waited for its task (a next run time but no due time, see Dispatcher.waitForTask) is due
    // again once its task is registered.
    if (func !== null && !stored.paused && stored.dueAt === null && (nextRunTime !== null || retry !== null)) setDue(job);
    if (func === null) {
      this.events.emit('job_load_error', {
        jobId: stored.id,
        code: 'TASK_NOT_REGISTERED',
        message: `Stored job "${stored.id}" runs task "${stored.task}", which is not registered; it is kept and will run once registerTask("${stored.task}", func) is called.`,
      });
    }
    return job;
  }

  /** A stored row that cannot be loaded (hydrate threw) is set aside by its store: said once, as an event. */
  loadError(jobId: string, reason: string): void {
    this.events.emit('job_load_error', {
      jobId,
      code: 'LOAD_ERROR',
      message: `Stored job "${jobId}" cannot be loaded: ${reason}. It is set aside (never run, listed with status load_error) until it is replaced or removed.`,
    });
  }
}

/** The zone a trigger spec names (cron, calendarInterval), if any. */
function zoneOf(spec: unknown): unknown {
  return typeof spec === 'object' && spec !== null ? (spec as { timezone?: unknown }).timezone : undefined;
}

/**
 * A pending retry after a change to its job, by the rules that scheduled it: none for a paused job (as
 * pauseJob), none once the retries policy no longer allows its attempt, and none when the (new) next
 * regular fire comes at or before it.
 */
function keptRetry(retry: PendingRetry | null, paused: boolean, policy: JobPolicy, nextRunTime: number | null): PendingRetry | null {
  return retry !== null && !paused && retryAllowed(policy.retries, retry.attempt - 1, retry.at, nextRunTime) ? retry : null;
}

/**
 * Refuses a new date trigger whose time is already past its misfire grace: the job could never run (its
 * one fire would be recorded missed and the job removed at once). APScheduler 3 keeps such a job and its
 * misfire check drops it later with a log line; a caller who made a mistake (a date in the past, a wrong
 * year or zone) is better told now. A date within the grace, or with no grace (null), is kept and runs
 * at once. Stored jobs are not checked when loaded: past dates there follow the misfire rules.
 */
function refuseMissedDate(trigger: Trigger, misfireGraceTime: number | null, now: number, verb: 'added' | 'changed'): void {
  if (trigger.type !== 'date' || misfireGraceTime === null) return;
  const runAt = trigger.first(now);
  if (runAt === null || now - runAt <= misfireGraceTime * 1000) return;
  trigger.dispose();
  throw new InvalidTriggerError(
    `trigger.runAt (${new Date(runAt).toISOString()}) is ${formatSeconds((now - runAt) / 1000)} in the past, beyond the job's misfireGraceTime (${misfireGraceTime} s), so it could never run; nothing was ${verb}. Give a future runAt, or misfireGraceTime: null to run a past date at once.`,
    { path: 'trigger.runAt' },
  );
}

function formatSeconds(seconds: number): string {
  return seconds < 120 ? `${Math.round(seconds * 1000) / 1000} s` : seconds < 7200 ? `${Math.round(seconds / 60)} min` : `${Math.round(seconds / 3600)} h`;
}
