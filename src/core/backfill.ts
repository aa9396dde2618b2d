/**
 * Backfill: re-running the fires of a past range whose recorded outcome was a gap (missed, and on request
 * lost, failed, skipped or cancelled), under their original scheduled times, as the next attempt of each
 * fire (docs/semantics.md#backfill). Plain, JSON-safe data: Dates become ISO strings over HTTP.
 */
import type { DateInput } from './trigger.js';

/**
 * The recorded outcomes a backfill may re-run. `failed` takes in `timed_out` (a run that ran out of time
 * failed). Never re-run: a fire with a successful attempt, one running now, and `paused` or `excluded`
 * fires (not run by design).
 */
export const BACKFILL_OUTCOMES = ['missed', 'lost', 'failed', 'skipped', 'cancelled'] as const;
export type BackfillOutcome = (typeof BACKFILL_OUTCOMES)[number];

/** backfillJob's options (POST /jobs/:id/backfill's body). */
export interface BackfillOptions {
  /** The range's first instant (inclusive): ISO 8601 with a zone, or a Date. */
  from: DateInput;
  /** The range's last instant (inclusive), at or after `from` (fires after now have no record: nothing to re-run). */
  to: DateInput;
  /** Which recorded outcomes to re-run; default `['missed']` (a lost run may have done its work: ask for it). */
  only?: BackfillOutcome[];
  /** List what would run and change nothing. */
  dryRun?: boolean;
}

/** One fire a backfill re-runs (or would, in a dry run). */
export interface BackfillFire {
  /** The fire's original scheduled time: the re-run runs under it (its Idempotency-Key is the original fire's). */
  scheduledAt: Date;
  /** The fire's recorded outcome (its last attempt's, or the stretch record's that stands for it). */
  outcome: string;
  /** The attempt the re-run is: the fire's highest recorded attempt plus one. */
  attempt: number;
  /** The re-run's id, `<jobId>@<scheduledAt>#<attempt>`. */
  runId: string;
}

/** What backfillJob answers. */
export interface BackfillResult {
  jobId: string;
  dryRun: boolean;
  from: Date;
  to: Date;
  only: BackfillOutcome[];
  /** The fires re-run (started, one after another, oldest first), or that would be in a dry run. */
  fires: BackfillFire[];
  /** Recorded fires in the range left alone, by their recorded outcome (succeeded, running, paused, ...). */
  leftAlone: Record<string, number>;
}
