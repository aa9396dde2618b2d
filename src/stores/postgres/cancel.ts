/**
 * cancelRun on the PostgreSQL store, cluster-wide: one statement records every unsettled run of the job
 * cancelled, on whichever node runs it, and sends a NOTIFY `cancelled:` per run so that its node aborts
 * the run's signal (the path of overlap 'replace', see PgClaims.replaceOldest). A run settling at the
 * same moment cannot undo it: the history upsert writes only over a row still unsettled (history.ts).
 */
import { JobCancelledError } from '../../core/errors.js';
import { DB_NOW } from './heartbeat.js';
import type { PgSession } from './session.js';

/** A run another node (or this one) recorded cancelled: who must abort it, as the NOTIFY carries it. */
export interface CancelledRun {
  jobId: string;
  scheduledAt: number;
  attempt: number;
  /** The node that claimed it, and under which registration: only that registration still runs it. */
  node: string;
  epoch: number | null;
  reason: string;
}

const PREFIX = 'cancelled:';

interface CancelRow {
  scheduled_at: number;
  attempt: number;
  node_id: string;
  epoch: number | null;
  /** The status before the cancel: 'queued' rows are the later fires of a submission, not counted. */
  was: string;
}

/**
 * Records the job's unsettled runs cancelled (reason as the local cancel records it, code CANCELLED) and
 * notifies their nodes. Returns the rows, this node's own included (the caller aborts those at once
 * rather than waiting for its own notification, which then finds them settled).
 */
export async function cancelJobRuns(session: PgSession, jobId: string, reason: string): Promise<CancelRow[]> {
  const { s, channel } = session;
  const error = new JobCancelledError(jobId, reason);
  // FOR UPDATE: a row settled while this waited for its lock is re-checked and left out (its outcome stands);
  // locked in fire order, as replace locks the oldest, so two cancels of one job wait rather than deadlock.
  const result = await session.query<CancelRow>(
    `cancelling job "${jobId}"'s runs`,
    `WITH target AS (
       SELECT job_id, scheduled_at, attempt, status FROM ${s}.runs
       WHERE job_id = $1 AND status IN ('claimed', 'queued', 'running') ORDER BY scheduled_at, attempt FOR UPDATE),
     cancelled AS (
       UPDATE ${s}.runs r SET status = 'cancelled', finished_at = ${DB_NOW}, recorded_at = ${DB_NOW},
         duration_ms = CASE WHEN r.started_at IS NULL THEN NULL ELSE ${DB_NOW} - r.started_at END, error = $2::jsonb
       FROM target t WHERE r.job_id = t.job_id AND r.scheduled_at = t.scheduled_at AND r.attempt = t.attempt
       RETURNING r.job_id, r.scheduled_at, r.attempt, r.node_id, r.epoch, t.status AS was)
     SELECT scheduled_at, attempt, node_id, epoch::float8 AS epoch, was,
       pg_notify('${channel}', '${PREFIX}' || json_build_object(
         'jobId', job_id, 'scheduledAt', scheduled_at, 'attempt', attempt, 'node', node_id, 'epoch', epoch, 'reason', $3::text)::text) AS notified
     FROM cancelled`,
    [jobId, JSON.stringify({ code: error.code, message: error.message }), reason],
  );
  return result.rows;
}

/** How many of the cancelled rows were runs (running, or claimed and about to start), as cancelRun counts. */
export function countedRuns(rows: readonly CancelRow[]): number {
  let count = 0;
  for (const row of rows) if (row.was !== 'queued') count++;
  return count;
}

/** The run a `cancelled:` notification names; null for another payload (or one this version cannot read). */
export function parseCancelled(payload: string): CancelledRun | null {
  if (!payload.startsWith(PREFIX)) return null;
  try {
    const run = JSON.parse(payload.slice(PREFIX.length)) as Partial<CancelledRun>;
    if (typeof run.jobId !== 'string' || typeof run.scheduledAt !== 'number' || typeof run.attempt !== 'number' || typeof run.node !== 'string') return null;
    return {
      jobId: run.jobId,
      scheduledAt: run.scheduledAt,
      attempt: run.attempt,
      node: run.node,
      epoch: typeof run.epoch === 'number' ? run.epoch : null,
      reason: typeof run.reason === 'string' ? run.reason : 'cancelRun was called',
    };
  } catch {
    return null;
  }
}
