/**
 * The JSON body of a notification, built once when it is queued and stored as text, so a retry sends the
 * very same bytes (only the signature's timestamp changes per attempt). A body names its own event only.
 */
import type { JobHealth } from '../core/health.js';
import type { Run } from '../core/run.js';
import type { NotificationEvent } from './targets.js';

/** The health as JSON (times ISO 8601 UTC). */
export interface HealthPayload {
  state: JobHealth['state'];
  since: string | null;
  consecutiveFailures: number;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  reason: string;
}

/** The run the event is about (a lost or missed record), or the job's newest run for a transition. */
export interface RunPayload {
  id: string;
  scheduledAt: string;
  outcome: Run['outcome'];
  error: { code: string | null; message: string } | null;
}

export interface NotificationPayload {
  event: NotificationEvent;
  job: { id: string; name: string };
  health: HealthPayload;
  run: RunPayload | null;
  /** The job in the dashboard. */
  url: string;
}

/** The dashboard's link to a job: its page with the job's detail open. */
export function jobLink(publicUrl: string, jobId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/?job=${encodeURIComponent(jobId)}`;
}

export function healthPayload(health: JobHealth): HealthPayload {
  return {
    state: health.state,
    since: isoOrNull(health.since),
    consecutiveFailures: health.consecutiveFailures,
    lastSuccessAt: isoOrNull(health.lastSuccessAt),
    lastFailureAt: isoOrNull(health.lastFailureAt),
    reason: health.reason,
  };
}

export function runPayload(run: Pick<Run, 'id' | 'scheduledAt' | 'outcome' | 'error'>): RunPayload {
  return {
    id: run.id,
    scheduledAt: run.scheduledAt.toISOString(),
    outcome: run.outcome,
    error: run.error === null ? null : { code: run.error.code ?? null, message: run.error.message },
  };
}

/** The body as sent: JSON text, in the field order above. */
export function buildBody(event: NotificationEvent, job: { id: string; name: string }, health: JobHealth, run: RunPayload | null, publicUrl: string): string {
  const payload: NotificationPayload = {
    event,
    job: { id: job.id, name: job.name },
    health: healthPayload(health),
    run,
    url: jobLink(publicUrl, job.id),
  };
  return JSON.stringify(payload);
}

function isoOrNull(date: Date | null): string | null {
  return date === null ? null : date.toISOString();
}
