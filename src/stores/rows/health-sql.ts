/**
 * The health fold (stores/health-facts.ts) as one SQL statement, for the stores whose history is in a
 * database: two aggregates per job, the newest success and newest started fire first, then what came
 * after them. Written once for SQLite and PostgreSQL; they differ in the outcome column's name (PostgreSQL
 * keeps claims in the same column) and in how a set of job ids is passed.
 */
import type { HealthFacts } from '../../core/health.js';
import type { RunError } from '../../core/run.js';

const STARTED = "('succeeded', 'failed', 'timed_out', 'cancelled', 'running', 'claimed')";
const FAILED = "('failed', 'timed_out')";
const NOT_STARTED = "('missed', 'skipped', 'lost')";

/**
 * `runs`: a FROM clause yielding job_id, scheduled_at, finished_at, outcome, coalesced, error for the jobs
 * asked (with the store's placeholders). Answers one row per job that has history.
 */
export function healthFactsSql(runs: string): string {
  return `WITH r AS (${runs}),
    k AS (
      SELECT job_id,
        max(CASE WHEN outcome = 'succeeded' THEN scheduled_at END) AS success_key,
        max(CASE WHEN outcome IN ${STARTED} THEN scheduled_at END) AS started_key,
        max(CASE WHEN outcome = 'succeeded' THEN finished_at END) AS last_success,
        max(CASE WHEN outcome IN ${FAILED} THEN finished_at END) AS last_failure,
        min(scheduled_at) AS oldest,
        max(scheduled_at) AS newest
      FROM r GROUP BY job_id
    )
    SELECT k.job_id, k.last_success, k.last_failure, k.oldest, k.newest,
      (SELECT count(DISTINCT scheduled_at) FROM r WHERE r.job_id = k.job_id AND outcome IN ${FAILED}
        AND (k.success_key IS NULL OR scheduled_at > k.success_key)) AS failures,
      (SELECT min(scheduled_at) FROM r WHERE r.job_id = k.job_id AND outcome IN ${FAILED}
        AND (k.success_key IS NULL OR scheduled_at > k.success_key)) AS failing_since,
      (SELECT sum(coalesce(coalesced, 1)) FROM r WHERE r.job_id = k.job_id AND outcome IN ${NOT_STARTED}
        AND (k.started_key IS NULL OR scheduled_at > k.started_key)) AS not_started,
      (SELECT min(scheduled_at) FROM r WHERE r.job_id = k.job_id AND outcome IN ${NOT_STARTED}
        AND (k.started_key IS NULL OR scheduled_at > k.started_key)) AS not_started_since,
      (SELECT error FROM r WHERE r.job_id = k.job_id AND outcome IN ${FAILED} AND finished_at = k.last_failure LIMIT 1) AS last_error
    FROM k`;
}

export interface HealthRow {
  job_id: string;
  last_success: number | string | null;
  last_failure: number | string | null;
  oldest: number | string | null;
  newest: number | string | null;
  failures: number | string | null;
  failing_since: number | string | null;
  not_started: number | string | null;
  not_started_since: number | string | null;
  last_error: unknown;
}

/** A row of healthFactsSql as HealthFacts; `readError` turns the stored error column into a RunError. */
export function toHealthFacts(row: HealthRow, readError: (value: unknown) => RunError | null): HealthFacts {
  return {
    lastSuccessAt: num(row.last_success),
    lastFailureAt: num(row.last_failure),
    consecutiveFailures: num(row.failures) ?? 0,
    failingSince: num(row.failing_since),
    lastError: row.last_error === null || row.last_error === undefined ? null : readError(row.last_error),
    notStarted: num(row.not_started) ?? 0,
    notStartedSince: num(row.not_started_since),
    oldestScheduledAt: num(row.oldest),
    newestScheduledAt: num(row.newest),
  };
}

// PostgreSQL answers count() and sum() of integers as bigint text.
function num(value: number | string | null): number | null {
  return value === null ? null : Number(value);
}
