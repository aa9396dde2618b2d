/**
 * The JobStore contract: where jobs and run history live. Stores keep data; every decision (which fires
 * run, coalescing, misfire, max instances) stays in src/scheduler/policies.ts, the same for every store.
 *
 * Ownership: the scheduler hands JobRecord objects to the store and may keep mutating the ones it gets
 * back (the memory store keeps the very objects; a database store reads and writes copies). After
 * mutating a job's schedule fields the scheduler calls `update` or `putBack`.
 */
import { JobRecord, type JobPolicy, type PendingRetry } from '../core/job.js';
import type { Logger } from '../core/logger.js';
import type { PauseState } from '../core/pause.js';
import type { Actor, JobOwner } from '../core/actor.js';
import type { AuditLog } from '../core/audit.js';
import { DEFAULT_JOB_POLICY } from '../core/job-options.js';
import type { DueFires, ResolvedTriggerSpec, Trigger, TriggerInfo } from '../core/trigger.js';
import type { HealthFacts } from '../core/health.js';
import type { RunRecord, RunTrigger } from '../core/run.js';
import type { JobPage, JobPageQuery } from './job-order.js';

/**
 * A store may answer synchronously (memory, SQLite through better-sqlite3) or with a promise (PostgreSQL).
 * The scheduler awaits only real promises, so a synchronous store pays no microtask per call.
 */
export type Awaitable<T> = T | Promise<T>;

export interface RunQuery {
  /** Most records to return, newest first. */
  limit: number;
  /** Only records scheduled strictly before this instant (epoch ms): the cursor for older pages. */
  before?: number;
}

/** A job as a durable store keeps it: plain data, the task by name, the trigger as its resolved spec. */
export interface StoredJob {
  id: string;
  name: string;
  task: string;
  args: unknown;
  trigger: ResolvedTriggerSpec;
  policy: JobPolicy;
  paused: boolean;
  nextRunTime: number | null;
  dueAt: number | null;
  jitterMs: number;
  retry: PendingRetry | null;
  /** Fires counted toward the job's maxRuns (JobRecord.runCount). */
  runCount: number;
  /** Who paused the job, when, why and until when (null: not paused, or paused before pauses were kept). */
  pause: PauseState | null;
  /** See JobRecord.catchUpThrough (null: none). */
  catchUpThrough: number | null;
  /** Who created the job (absent in a row written before owners were kept: the library's). */
  owner?: JobOwner;
}

/**
 * A fire the scheduler is about to start: a claiming store records it (under its unique job, time and
 * attempt) before it starts, so that no other process can start it too.
 */
export interface FireClaim {
  readonly job: JobRecord;
  /** The fire times one submission runs in order; the first holds the job's instance slot. */
  readonly runTimes: readonly number[];
  readonly attempt: number;
  /** A backfill: each run time's own attempt (in place of `attempt`); null otherwise. */
  readonly attempts: readonly number[] | null;
  /** runJobNow or a backfill: not a scheduled fire. */
  readonly manual: boolean;
  /** What started the runs (recorded with the claim); unset: the fire's own (`schedule`, `retry` after the first attempt). */
  readonly trigger?: RunTrigger | undefined;
  /** Who started them; unset: the scheduler. */
  readonly actor?: Actor | undefined;
}

/** What the scheduler gives a store when it opens it. */
export interface StoreContext {
  /** Turns a stored job back into a live record (trigger built, task looked up; func null if unregistered). */
  hydrate(stored: StoredJob): JobRecord;
  /**
   * A run the store marked lost: found `running` from an earlier process (it died), or (a shared store)
   * left unsettled by a node that stopped heartbeating. The scheduler reports it and, by the job's policy
   * (retryLost), schedules its retry; the store never decides that itself.
   */
  onLostRun(run: RunRecord): void;
  /**
   * A shared store found this process fenced (declared dead by the others while it was paused or cut
   * off; its runs were recorded lost): the scheduler aborts the signals of everything it runs and drops
   * what waits; the store records none of it.
   */
  onFenced?(reason: string): void;
  /**
   * A shared store recorded the run (jobId, scheduledAt, attempt) cancelled because the fire `replacedBy`
   * of its job replaced it (overlap 'replace'): if it runs in this process, its signal is aborted.
   */
  onReplaced?(jobId: string, scheduledAt: number, attempt: number, replacedBy: number): void;
  /**
   * A shared store recorded the run (jobId, scheduledAt, attempt) cancelled for cancelRun (`reason`), on
   * whichever process asked: if it runs in this process, its signal is aborted.
   */
  onCancelled?(jobId: string, scheduledAt: number, attempt: number, reason: string): void;
  /** Now, from the scheduler's clock (for retention by age). */
  now(): number;
  logger: Logger;
  /** Something changed elsewhere (another process added or changed a job): make sure a pass runs by `dueAt`. */
  wake(dueAt: number): void;
  /**
   * A stored job could not be loaded (`hydrate` threw: a hand-edited trigger, an unknown zone) and is set
   * aside; called once per set-aside row (a shared store: once across its nodes). Without it the store
   * logs a `job_load_error` line itself.
   */
  onLoadError?(jobId: string, reason: string): void;
}

/** Reports a set-aside row through the context, or as a log line when the context cannot. */
export function reportLoadError(context: StoreContext, jobId: string, reason: string): void {
  if (context.onLoadError !== undefined) {
    context.onLoadError(jobId, reason);
    return;
  }
  context.logger.error({ event: 'job_load_error', jobId, code: 'LOAD_ERROR', message: reason }, 'stored job cannot be loaded; it is set aside');
}

/**
 * A stored job that cannot be loaded is set aside, not dropped and not retried on every pass: the store
 * keeps its row, never hands it to the loop (takeDue, fireDue, earliestDue), and hands out, where it
 * lists or gets jobs, a placeholder record of it: its stored name, task, args, policy and trigger spec as
 * they are, no function, no next run time, and a trigger that never fires. The scheduler shows it with
 * status `load_error` and refuses to change it in place; it can be removed, or replaced (added again
 * with replaceExisting). `loadErrorOf` tells a placeholder by its reason.
 */
const setAside = new WeakMap<JobRecord, string>();

/** The reason a placeholder record's job could not be loaded; null for a live record. */
export function loadErrorOf(job: JobRecord): string | null {
  return setAside.get(job) ?? null;
}

/** The placeholder of a stored job that could not be loaded (see `setAside`); the fields as stored, checked only for shape. */
export function setAsideRecord(
  stored: { id: string; name?: unknown; task?: unknown; args?: unknown; trigger?: unknown; policy?: unknown; paused?: unknown; owner?: unknown },
  reason: string,
): JobRecord {
  const policy =
    typeof stored.policy === 'object' && stored.policy !== null && !Array.isArray(stored.policy)
      ? { ...DEFAULT_JOB_POLICY, ...(stored.policy as Partial<JobPolicy>) }
      : DEFAULT_JOB_POLICY;
  const job = JobRecord.create(
    stored.id,
    typeof stored.name === 'string' ? stored.name : stored.id,
    null,
    typeof stored.task === 'string' ? stored.task : null,
    stored.args === null ? undefined : stored.args,
    new SetAsideTrigger(stored.trigger, reason),
    policy,
    stored.paused === true,
    null,
    null,
    null,
  );
  if (stored.owner === 'config' || stored.owner === 'api') job.owner = stored.owner;
  setAside.set(job, reason);
  return job;
}

/** The trigger of a placeholder: never fires; shows the stored spec as it is. */
class SetAsideTrigger implements Trigger {
  readonly type: Trigger['type'];
  private readonly spec: ResolvedTriggerSpec;

  constructor(
    spec: unknown,
    private readonly reason: string,
  ) {
    const plain = typeof spec === 'object' && spec !== null && !Array.isArray(spec) ? (spec as Record<string, unknown>) : {};
    this.spec = plain as unknown as ResolvedTriggerSpec;
    this.type = (typeof plain.type === 'string' ? plain.type : 'date') as Trigger['type'];
  }

  next(): number | null {
    return null;
  }

  nextTime(): number {
    return Number.NaN;
  }

  first(): number | null {
    return null;
  }

  dueFires(): DueFires {
    return { times: [], total: 0, exact: true, next: null };
  }

  toSpec(): ResolvedTriggerSpec {
    return this.spec;
  }

  toInfo(): TriggerInfo {
    return { ...this.spec, description: this.describe() };
  }

  describe(): string {
    return `never: the stored job cannot be loaded (${this.reason})`;
  }

  dispose(): void {
    // Holds nothing.
  }
}

/**
 * What every store offers. A store may add capabilities the scheduler finds once, when it is created
 * (see the type guards below): atomic replacement (ReplacingStore), a job order kept in this process
 * (LocalStore), or claims shared with other processes (ClaimingStore).
 */
export interface JobStore {
  /** True when the store outlives the process: jobs must then name a registered task, not a closure. */
  readonly persistent: boolean;
  /** Opens the backing resource and loads what it holds. Called by start() or on first use; idempotent. */
  open(context: StoreContext): Awaitable<void>;
  /** Flushes and releases resources. The store may be opened again. */
  close(): Awaitable<void>;
  /** Adds a job. Fails with ConflictingIdError when the id exists. */
  add(job: JobRecord): Awaitable<void>;
  /**
   * Adds many jobs at once (addJobs): per job, in order, undefined (added) or that job's error
   * (ConflictingIdError for a taken id, or an id repeated within `jobs`: the first is added). Rejects, with
   * none of them added, when the store cannot be reached. Optional: without it the scheduler adds each
   * job with `add` (PostgreSQL has it: one INSERT, one commit and one NOTIFY for the lot).
   */
  addMany?(jobs: readonly JobRecord[]): Promise<readonly (Error | undefined)[]>;
  /** Saves changed fields of a job the store holds. Fails with JobNotFoundError when it does not. */
  update(job: JobRecord): Awaitable<void>;
  /**
   * Removes a job and its run history; returns it, or undefined when it did not exist. With `only`: only
   * if the job under that id is still that one, not another added since under the same id (a finished
   * job's removal must not take a job added in its place).
   */
  remove(id: string, only?: JobRecord): Awaitable<JobRecord | undefined>;
  get(id: string): Awaitable<JobRecord | undefined>;
  /** Every job, in no particular order. */
  list(): Awaitable<JobRecord[]>;
  /** How many jobs the store holds. */
  count(): Awaitable<number>;
  /** Fails (with STORE_UNAVAILABLE) when the backing service cannot be reached; for readiness probes. */
  ping(): Awaitable<void>;
  /** One page of jobs in the query's order, filtered; `nextCursor` is null on the last page. */
  page(query: JobPageQuery): Awaitable<JobPage>;
  /** The earliest `dueAt` of any job, or null when none is due ever. */
  earliestDue(): Awaitable<number | null>;
  /**
   * Takes up to `limit` jobs with `dueAt <= now`, earliest first (ties in insertion order). A taken job is
   * not returned again until `putBack`; it is still found by get/list/remove meanwhile.
   */
  takeDue(now: number, limit: number): Awaitable<JobRecord[]>;
  /**
   * Returns taken jobs with their new schedule. Jobs removed meanwhile are ignored. What it answers is
   * not read, except from a ClaimingStore (see there).
   */
  putBack(jobs: JobRecord[]): Awaitable<unknown>;
  /**
   * Records a new run (settled already, or `running`). Synchronous so that the hot path pays no promise;
   * durable stores buffer and write the batch in `flush`.
   */
  recordRun(run: RunRecord, job: JobRecord): void;
  /**
   * Set by a store whose `recordRun` and `updateRun` copy what they keep of a settled run (the memory
   * store packs it): the scheduler then writes every synchronous run into one scratch record instead of
   * an object per run or per job. Such a store should point `job.lastRun` at something of its own when
   * it records a settled run passed as the job's lastRun (the memory store: the job's run ring, which
   * reads as its newest record); if it leaves the scratch record there, the scheduler copies it. A store
   * that buffers the objects until `flush` must not set it.
   */
  readonly copiesRuns?: boolean;
  /** Saves the settled state of a run recorded earlier as `running` (the same object, mutated). */
  updateRun(run: RunRecord): void;
  /** Writes what `recordRun` buffered; called once per wake-up. */
  flush(): Awaitable<void>;
  /** Run history of one job, newest first. */
  getRuns(jobId: string, query: RunQuery): Awaitable<RunRecord[]>;
  /**
   * What each job's kept history says of its health (health-facts.ts), for the jobs asked (a job without
   * history, or unknown, gets NO_HEALTH_FACTS). Optional: without it the scheduler folds `getRuns`.
   */
  healthFacts?(jobIds: readonly string[]): Awaitable<Map<string, HealthFacts>>;
  /**
   * The store's audit trail (core/audit.ts), kept with its jobs and the run history's retention. Optional:
   * without it the scheduler keeps a bounded one in memory.
   */
  auditLog?(): AuditLog;
}

/** A store that replaces a job atomically. Without it, replaceExisting is a remove, then an add. */
export interface ReplacingStore extends JobStore {
  /**
   * Replaces the job stored under `job.id` (with its history), or adds `job` if there is none, atomically:
   * if it fails, the old job is still there. Returns the old record.
   */
  replace(job: JobRecord): Awaitable<JobRecord | undefined>;
}

/** A store that keeps its jobs ordered by due time in this process (memory, SQLite). */
export interface LocalStore extends JobStore {
  /**
   * Instead of takeDue + putBack: calls `fire` on up to `limit` jobs with `dueAt <= now`, earliest first,
   * each while it is still in place, then re-sorts it by its new `dueAt` (one sift where a take and a put
   * back are two). A job still due after its fire is not fired again in this call. Returns how many were
   * fired (`fire` sees each: the scheduler keeps what it needs, where an array of every fired job was
   * 16-26 bytes per fire to collect).
   */
  fireDue(now: number, limit: number, fire: (job: JobRecord) => void): number;
  /**
   * The job's due time went back to what the store holds (a change it refused was undone): put it back
   * in its place. Nothing is written.
   */
  reindex(job: JobRecord): void;
}

/**
 * A store that several processes share (PostgreSQL). Fires start only after `putBack` has recorded their
 * claims, and a manual run only after `claimManual` accepted it; due-ness is read on the store's clock.
 */
export interface ClaimingStore extends JobStore {
  readonly claimsFires: true;
  /**
   * Returns taken jobs with their new schedule and records `claims` in the same transaction; answers the
   * claims it refused (another process has that fire already): those must not start.
   */
  putBack(jobs: JobRecord[], claims?: readonly FireClaim[], replacing?: ReadonlySet<FireClaim> | null): Awaitable<readonly FireClaim[]>;
  /**
   * overlap 'queue': a run of the job settled in this process, so a slot may be free: the store makes a
   * job with a waiting fire due now (once the run's outcome is written), for whichever process takes it.
   * `replacing`, in putBack: claims that cancel their job's oldest unsettled run (on any process) in the
   * same transaction (overlap 'replace'); the process running it hears it through onReplaced.
   */
  slotFreed?(jobId: string): void;
  /**
   * cancelRun across every process: records the job's unsettled runs cancelled (JobCancelledError with
   * `reason`) in one statement and has each process running one abort it (onCancelled, this process's
   * own included). Returns how many runs were cancelled. Without it, cancelRun aborts this process's runs.
   */
  cancelRuns?(jobId: string, reason: string): Awaitable<number>;
  /**
   * Claims a manual run or a backfill (all its fires, or none) cluster-wide; false when the job's
   * maxInstances are taken (on any node), 'conflict' when a backfill's fire is recorded already.
   */
  claimManual(claim: FireClaim): Awaitable<boolean | 'conflict'>;
  /**
   * The shared clock minus this process's clock, in ms: a store shared between machines decides due-ness
   * by its own clock, and the scheduler reads time through this offset so that a skewed node agrees.
   */
  clockOffsetMs(): number;
  /** Loop tuning for a store reached over the network: poll at least this often, batch fires this close. */
  readonly loopTuning: { maxSleepMs: number; minGapMs: number };
  /**
   * Writes only the job's pending retry (not the whole record, which may be older than the row), if the
   * row still allows it (same row, no retry yet, not paused, next regular fire after it). False: not
   * written, and the record's retry is cleared.
   */
  saveRetry(job: JobRecord): Awaitable<boolean>;
  /**
   * Records a fire no claim took, let go by this process (overlap 'queue': a waiting fire dropped by a
   * pause, a change or a removal), buffered as recordRun buffers. Written only where the fire has no row:
   * a claim of that fire that committed meanwhile (the record was read before it) keeps its row, its run
   * and its instance slot. Without it, the scheduler records it with recordRun.
   */
  recordUnclaimed?(run: RunRecord): void;
}

export function isReplacingStore(store: JobStore): store is ReplacingStore {
  return typeof (store as Partial<ReplacingStore>).replace === 'function';
}

export function isLocalStore(store: JobStore): store is LocalStore {
  const local = store as Partial<LocalStore>;
  return typeof local.fireDue === 'function' && typeof local.reindex === 'function';
}

export function isClaimingStore(store: JobStore): store is ClaimingStore {
  return (store as Partial<ClaimingStore>).claimsFires === true;
}
