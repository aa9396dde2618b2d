/**
 * "Why didn't it run?": what `scheduler.explain(jobId, at)` and `GET /jobs/:id/explain?at=` answer for
 * the fire of a job nearest to an instant (see scheduler/explain.ts for how it is decided, and
 * docs/semantics.md#explain for users). Plain, JSON-safe data: Dates become ISO strings over HTTP.
 */
import type { Run } from './run.js';

/**
 * - `ran`: the fire has a run that started (succeeded, failed, timed_out, cancelled or still running);
 * - `missed`: it started too late for its misfire grace (or the catch-up limit dropped it), or it is past
 *   its grace with no run recorded at all;
 * - `skipped`: maxInstances runs were running when it came due;
 * - `coalesced`: it was folded into a later run (coalesce: true) that stood for several fires;
 * - `lost`: its run's process died, or its node stopped heartbeating;
 * - `paused`: the job (or the scheduler) is paused now and the fire came after what the job last did;
 * - `not_scheduled`: no fire of the trigger is near `at` (outside its start and end dates, or between
 *   fires), or the fire has no record while the history around it has (the job was paused or had another
 *   trigger then);
 * - `pending`: the fire is in the future, or due now and not yet recorded;
 * - `pruned`: the fire is older than the oldest run the job's history still keeps.
 */
export type ExplainVerdict = 'ran' | 'missed' | 'skipped' | 'coalesced' | 'lost' | 'paused' | 'not_scheduled' | 'pending' | 'pruned' | 'excluded';
export const EXPLAIN_VERDICTS: readonly ExplainVerdict[] = [
  'ran',
  'missed',
  'skipped',
  'coalesced',
  'lost',
  'paused',
  'not_scheduled',
  'pending',
  'pruned',
  'excluded',
];

/** A fire time of the trigger, with its DST mark when a DST rule moved it (as previewFires marks it). */
export interface FireTime {
  at: Date;
  dst?: 'shifted' | 'repeated';
}

/** What a verdict rests on. Runs are shown without their output (a monitor key may ask). */
export interface ExplainEvidence {
  /** The verdict in words. */
  reason: string;
  /** The instant asked about. */
  at: Date;
  /** The scheduler's now when it answered. */
  now: Date;
  /** The trigger's fire nearest at or before `at`, and the first after it (null: none, within the search bound). */
  fireBefore: FireTime | null;
  fireAfter: FireTime | null;
  /** The record the verdict rests on: the fire's last attempt, the stretch or coalesced run covering it. */
  run?: Run;
  /** ran: how many attempts the fire had. */
  attempts?: number;
  /** ran, missed, skipped: how late (ms after its due time) the run started or was judged. */
  latenessMs?: number | null;
  /** missed: the job's misfire grace (null: unbounded). */
  misfireGraceSeconds?: number | null;
  /** skipped: the job's maxInstances, and the run that held the slot (null: not found in the kept history). */
  maxInstances?: number;
  heldBy?: Run | null;
  /** coalesced (and stretch records): how many fires the record stands for. */
  fires?: number;
  /** lost: the node that held it (null: a single process, found `running` at its next start) and when it was declared lost. */
  node?: string | null;
  lostAt?: Date | null;
  /** paused: what is (or was) paused; `since` and `by` are null when not known (a past pause's record keeps neither). */
  pause?: ExplainPause;
  /** pruned: the oldest fire the job's history still keeps (null: it keeps none). */
  oldestKept?: Date | null;
}

/** What is (or was) paused: `by` in words (`an admin API caller (key 0)`, `the library`, `the scheduler`); null when not known. */
export interface ExplainPause {
  scope: 'job' | 'scheduler';
  since: Date | null;
  by: string | null;
}

export interface Explanation {
  verdict: ExplainVerdict;
  /** The fire explained; null when `at` is near no fire of the trigger (not_scheduled). */
  scheduledAt: Date | null;
  evidence: ExplainEvidence;
}
