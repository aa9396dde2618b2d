/**
 * What addJobs (a bulk add, issue #22) takes and answers: a call is one array of addJob specs, each
 * answered on its own. The call as a whole is refused only when it is not a batch at all.
 */
import { InvalidArgumentError, TickworkError } from '../core/errors.js';
import { describeType } from '../core/format.js';
import type { JobInfo } from './job-info.js';

/**
 * Most specs one addJobs call takes: a PostgreSQL store writes them in one INSERT (its group-commit
 * batch is as large), and a request of this many jobs stays well inside the server's body limit.
 */
export const MAX_ADD_JOBS = 1000;

/** One spec's outcome: its job, or the error addJob would have rejected with for it alone. */
export type AddJobsResult = { ok: true; job: JobInfo } | { ok: false; error: TickworkError };

/** Refuses a call that is not a batch: not an array, empty, or more than MAX_ADD_JOBS specs. */
export function checkAddJobsBatch(specs: unknown): asserts specs is readonly unknown[] {
  if (!Array.isArray(specs)) {
    throw InvalidArgumentError.field('specs', `must be an array of job specs (as addJob takes them), got ${describeType(specs)}.`);
  }
  if (specs.length === 0) throw InvalidArgumentError.field('specs', 'is empty; give at least one job spec.');
  if (specs.length > MAX_ADD_JOBS) {
    throw InvalidArgumentError.field('specs', `holds ${specs.length} job specs; at most ${MAX_ADD_JOBS} per call, so split it into several calls.`);
  }
}

/**
 * A spec's failure as its result. Every error an add can meet (validation, a taken id, the store) is a
 * TickworkError; anything else is a bug and fails the whole call instead of hiding in an item.
 */
export function failedAdd(error: unknown): AddJobsResult {
  if (error instanceof TickworkError) return { ok: false, error };
  throw error;
}
