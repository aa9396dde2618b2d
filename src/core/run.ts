/**
 * Run records: one per fire that was run, missed or skipped. Kept with numeric times internally (a Date
 * per field per fire is measurable at 100 000 fires/s) and turned into the public `Run` shape on read.
 */
import { SCHEDULER_ACTOR, type Actor } from './actor.js';
import type { RunOutcome } from './events.js';

/**
 * What started a run (its provenance; not the job's `trigger`, which is its schedule): its schedule, an
 * operator or the library (runJobNow), a retry of a failed or lost attempt, or a backfill.
 */
export type RunTrigger = 'schedule' | 'manual' | 'retry' | 'backfill';

export const RUN_TRIGGERS: readonly RunTrigger[] = ['schedule', 'manual', 'retry', 'backfill'];

export interface RunError {
  code?: string;
  message: string;
}

/** The internal, mutable record. Times are epoch ms. */
export interface RunRecord {
  jobId: string;
  scheduledAt: number;
  attempt: number;
  startedAt: number | null;
  finishedAt: number | null;
  outcome: RunOutcome;
  latenessMs: number | null;
  durationMs: number | null;
  error: RunError | null;
  // The optional fields may be set to undefined: a reused record (see JobStore.copiesRuns) clears them so.
  output?: string | undefined;
  /** How many fire times this record stands for, when more than one (a coalesced run, a missed stretch). */
  coalesced?: number | undefined;
  /** For a record standing for several fires: the last of them (scheduledAt is the first). */
  lastScheduledAt?: number | undefined;
  node?: string | undefined;
  /** The W3C trace id (32 hex digits) of the run's `tickwork.run` span, when traced and sampled. */
  traceId?: string | undefined;
  /**
   * What started the run. Unset: the fire's own, `schedule` (`retry` for an attempt after the first): the
   * records the scheduler makes of its schedule (missed, skipped, excluded, paused) need not say so, and
   * neither do rows written before runs had a trigger. Read it with {@link triggerOf}.
   */
  trigger?: RunTrigger | undefined;
  /** Who started the run. Unset: the scheduler (its schedule, a retry). Read it with {@link runActorOf}. */
  actor?: Actor | undefined;
  /** The note a manual run was given (runJobNow's `note`). */
  note?: string | undefined;
}

/** A record's trigger: its own, or the fire's (`retry` after the first attempt, else `schedule`). */
export function triggerOf(record: Pick<RunRecord, 'trigger' | 'attempt'>): RunTrigger {
  return record.trigger ?? defaultTrigger(record.attempt);
}

/** The trigger of a record that does not say: the scheduler's fire, `retry` after the first attempt. */
export function defaultTrigger(attempt: number): RunTrigger {
  return attempt > 1 ? 'retry' : 'schedule';
}

/** A record's actor: its own, or the scheduler. */
export function runActorOf(record: Pick<RunRecord, 'actor'>): Actor {
  return record.actor ?? SCHEDULER_ACTOR;
}

/**
 * The record the executor creates for each run and reuses for the job's next one (JobStore.copiesRuns).
 * Its nullable times are doubles behind accessors, NaN for null: an object field that once held null
 * makes every later write of a time allocate a heap number, and these objects are written on every fire.
 * The same holds for a field that starts out undefined, which is why tsconfig turns off
 * useDefineForClassFields: with it, `scheduledAt` and `startedMs` were defined as undefined first.
 */
export class LiveRunRecord implements RunRecord {
  error: RunError | null = null;
  output: string | undefined = undefined;
  coalesced: number | undefined = undefined;
  lastScheduledAt: number | undefined = undefined;
  node: string | undefined = undefined;
  traceId: string | undefined = undefined;
  note: string | undefined = undefined;
  // Written on every fire (a constant string and a shared frozen actor: no allocation), never undefined.
  trigger: RunTrigger = 'schedule';
  actor: Actor = SCHEDULER_ACTOR;
  // Every time field is first written NaN, a double: a field first written a small integer (a lateness of
  // 0) is a small-integer field, and its first fractional value would change the class's shape (deopts).
  private startedMs = Number.NaN;
  private finishedMs = Number.NaN;
  private latenessValue = Number.NaN;
  private durationValue = Number.NaN;

  scheduledAt = Number.NaN;
  attempt = 1;
  outcome: RunOutcome = 'running';

  /** A blank record: the executor writes every field of a run into it (see Executor.newRecord). */
  constructor(public jobId: string) {}

  get startedAt(): number | null {
    return nullIfNaN(this.startedMs);
  }

  set startedAt(value: number | null) {
    this.startedMs = value ?? Number.NaN;
  }

  get finishedAt(): number | null {
    return nullIfNaN(this.finishedMs);
  }

  set finishedAt(value: number | null) {
    this.finishedMs = value ?? Number.NaN;
  }

  get latenessMs(): number | null {
    return nullIfNaN(this.latenessValue);
  }

  set latenessMs(value: number | null) {
    this.latenessValue = value ?? Number.NaN;
  }

  get durationMs(): number | null {
    return nullIfNaN(this.durationValue);
  }

  set durationMs(value: number | null) {
    this.durationValue = value ?? Number.NaN;
  }

  /** The run finished at `at`: finishedAt and durationMs, without reading startedAt as a number|null. */
  finish(at: number): void {
    this.finishedMs = at;
    this.durationValue = at - this.startedMs;
  }

  /**
   * Writes startedAt, finishedAt, latenessMs and durationMs as doubles (NaN for null) from `at` on: read
   * through the getters, each number|null was a heap number allocated per fire (64 bytes a record).
   */
  timesInto(target: Float64Array, at: number): void {
    target[at] = this.startedMs;
    target[at + 1] = this.finishedMs;
    target[at + 2] = this.latenessValue;
    target[at + 3] = this.durationValue;
  }
}

function nullIfNaN(value: number): number | null {
  return Number.isNaN(value) ? null : value;
}

/** A run as the public API returns it. */
export interface Run {
  /** {@link runId}: `<jobId>@<scheduledAt ISO>`, with `#<attempt>` for retries: unique per fire and attempt. */
  id: string;
  jobId: string;
  scheduledAt: Date;
  attempt: number;
  startedAt: Date | null;
  finishedAt: Date | null;
  outcome: RunOutcome;
  latenessMs: number | null;
  durationMs: number | null;
  error: RunError | null;
  output?: string;
  coalesced?: number;
  lastScheduledAt?: Date;
  node?: string;
  /** The trace id of the run's span (see the README's Tracing section), when the run was traced. */
  traceId?: string;
  /** What started the run (not the job's `trigger`, its schedule): `schedule`, `manual`, `retry` or `backfill`. */
  trigger: RunTrigger;
  /** Who started it: an API caller `{ role, via, keyIndex? }`, or `{ by: 'scheduler' }` / `{ by: 'library' }`. */
  actor: Actor;
  /** A manual run's note. */
  note?: string;
}

/**
 * The identity of a fire, `<jobId>@<scheduledAt>` (ISO 8601 UTC with milliseconds, exactly the run's
 * `scheduledAt` in the API): the `Idempotency-Key` the `http` task sends. It is the same on every attempt,
 * since a retry repeats the same request (as the IETF Idempotency-Key draft has it); {@link runId} names
 * the attempt.
 */
export function idempotencyKey(jobId: string, scheduledAt: number): string {
  return `${jobId}@${new Date(scheduledAt).toISOString()}`;
}

/** The id of one attempt of a fire: its {@link idempotencyKey}, plus `#<attempt>` after the first. */
export function runId(jobId: string, scheduledAt: number, attempt: number): string {
  const key = idempotencyKey(jobId, scheduledAt);
  return attempt > 1 ? `${key}#${attempt}` : key;
}

export function toRun(record: RunRecord): Run {
  const run: Run = {
    id: runId(record.jobId, record.scheduledAt, record.attempt),
    jobId: record.jobId,
    scheduledAt: new Date(record.scheduledAt),
    attempt: record.attempt,
    startedAt: record.startedAt === null ? null : new Date(record.startedAt),
    finishedAt: record.finishedAt === null ? null : new Date(record.finishedAt),
    outcome: record.outcome,
    latenessMs: record.latenessMs,
    durationMs: record.durationMs,
    error: record.error === null ? null : { ...record.error },
    trigger: triggerOf(record),
    actor: { ...runActorOf(record) },
  };
  if (record.note !== undefined) run.note = record.note;
  if (record.output !== undefined) run.output = record.output;
  if (record.coalesced !== undefined) run.coalesced = record.coalesced;
  if (record.lastScheduledAt !== undefined) run.lastScheduledAt = new Date(record.lastScheduledAt);
  if (record.node !== undefined) run.node = record.node;
  if (record.traceId !== undefined) run.traceId = record.traceId;
  return run;
}

/** `{ code?, message }` of anything thrown, without stack or extra fields (they may hold secrets). */
export function toRunError(error: unknown): RunError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? { code, message: error.message } : { message: error.message };
  }
  return { message: typeof error === 'string' ? error : `non-Error value thrown: ${String(error)}` };
}
