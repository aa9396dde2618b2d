/**
 * The one typed event map of the scheduler: every event's name, number and payload. Payloads are
 * JSON-safe and never carry job args or return values, so the same objects can feed logs, an SSE
 * stream and a dashboard. The emitter is `scheduler/event-bus.ts`.
 */
import type { RunTrigger } from './run.js';

/**
 * Outcome of one run (one fire that was run, missed or skipped). `excluded`: a fire an exclusion kept from
 * running; `paused`: a record standing for the fires a pause kept from running (one per pause; no event).
 */
export type RunOutcome = 'running' | 'succeeded' | 'failed' | 'missed' | 'skipped' | 'lost' | 'timed_out' | 'cancelled' | 'excluded' | 'paused';

/**
 * Told of every recorded run outcome (not `running`) synchronously, with plain values and before any
 * event is built: for counters such as metrics, which then cost next to nothing per fire. It must be
 * quick and must not throw (a throw is logged and ignored). `jobId` is the string the run record holds
 * (nothing is allocated for it); an observer that does not need it leaves it out.
 */
export type RunObserver = (outcome: RunOutcome, durationMs: number | null, latenessMs: number | null, jobId: string) => void;

/** The payload of every run event. Times are ISO 8601 UTC strings. */
export interface RunEvent {
  jobId: string;
  scheduledAt: string;
  attempt: number;
  outcome: RunOutcome;
  latenessMs: number | null;
  durationMs: number | null;
  error?: { code?: string; message: string };
  /** For a coalesced run: how many fire times it stood for. For a missed summary: how many were missed. */
  count?: number;
  /** For a summary of several missed fires: the last of them (scheduledAt is the first). */
  lastScheduledAt?: string;
  /** What started the run (see Run.trigger): schedule, manual, retry or backfill. */
  trigger: RunTrigger;
}

export interface JobEvent {
  jobId: string;
}

export interface SubmittedEvent {
  jobId: string;
  /** The fire times submitted together (ISO 8601), oldest first. */
  scheduledRunTimes: string[];
}

export interface RetryEvent {
  jobId: string;
  scheduledAt: string;
  /** The attempt that will run. */
  attempt: number;
  retryAt: string;
  error?: { code?: string; message: string };
}

export interface LoadErrorEvent {
  jobId: string;
  /** TASK_NOT_REGISTERED: loaded, waits for its task; LOAD_ERROR: cannot be loaded at all, set aside (JobInfo status load_error). */
  code: 'TASK_NOT_REGISTERED' | 'LOAD_ERROR';
  message: string;
}

// An empty object type spelled so that it is JSON-safe and lint-clean.
export type EmptyEvent = Record<string, never>;

/** Event name -> payload. */
export interface SchedulerEventMap {
  scheduler_started: EmptyEvent;
  scheduler_stopped: EmptyEvent;
  scheduler_paused: EmptyEvent;
  scheduler_resumed: EmptyEvent;
  job_added: JobEvent;
  job_modified: JobEvent;
  job_removed: JobEvent;
  job_submitted: SubmittedEvent;
  job_executed: RunEvent;
  job_error: RunEvent;
  job_missed: RunEvent;
  job_max_instances: RunEvent;
  job_timed_out: RunEvent;
  job_cancelled: RunEvent;
  job_lost: RunEvent;
  job_retry_scheduled: RetryEvent;
  job_load_error: LoadErrorEvent;
  job_excluded: RunEvent;
}

export type SchedulerEventName = keyof SchedulerEventMap;

export type Listener<K extends SchedulerEventName> = (payload: SchedulerEventMap[K], name: K) => unknown;

/**
 * Each event's number, in a stable order. The fire path asks `wantsAt(EVENT_ID.job_executed)`: a
 * constant and an array read, where `wants(name)` looks a name up in a table, a keyed load that callers
 * with different names make megamorphic (4 % of a fire's CPU at 100 000 jobs).
 */
export const EVENT_ID = {
  scheduler_started: 0,
  scheduler_stopped: 1,
  scheduler_paused: 2,
  scheduler_resumed: 3,
  job_added: 4,
  job_modified: 5,
  job_removed: 6,
  job_submitted: 7,
  job_executed: 8,
  job_error: 9,
  job_missed: 10,
  job_max_instances: 11,
  job_timed_out: 12,
  job_cancelled: 13,
  job_lost: 14,
  job_retry_scheduled: 15,
  job_load_error: 16,
  job_excluded: 17,
} as const satisfies Record<SchedulerEventName, number>;

/** Every event name, in EVENT_ID's order (used by docs, tests and the SSE layer). */
export const EVENT_NAMES: readonly SchedulerEventName[] = Object.keys(EVENT_ID) as SchedulerEventName[];
