/**
 * A job's due time: when the loop should take it. Set after every change to its schedule: at add and
 * load, after each fire, after a change, a retry or a task registered late.
 */
import type { JobRecord } from '../core/job.js';
import { jitteredDue } from './policies.js';

/** dueAt = the next fire plus a fresh jitter, or a pending retry when that comes first. */
export function setDue(job: JobRecord): void {
  job.jitterMs = 0;
  // A paused job is due only when its pause ends (the pass lifts it then), whatever a stored row says (a
  // due time the pass would not act on would make every pass take the job again at once: a busy loop).
  if (job.paused) {
    const until = job.pause === null ? null : job.pause.until;
    job.dueMsOrNaN = until === null ? Number.NaN : until;
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

/** The trigger's end (its endDate), which jitter never passes. */
function endOf(job: JobRecord): number | null {
  const spec = job.trigger.toSpec();
  return 'endDate' in spec && spec.endDate !== undefined ? Date.parse(spec.endDate) : null;
}
