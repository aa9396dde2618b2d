/**
 * Orders and cursors for listing jobs page by page: by id, by next run time (paused and finished last),
 * or by last run (newest first). A cursor is the sort key of the last item of a page, opaque to clients.
 */
import { InvalidArgumentError } from '../core/errors.js';
import type { JobRecord } from '../core/job.js';

export type JobSort = 'id' | 'nextRunTime' | 'lastRun';
export const JOB_SORTS: readonly JobSort[] = ['id', 'nextRunTime', 'lastRun'];

export type JobState = 'active' | 'paused' | 'failing';
export const JOB_STATES: readonly JobState[] = ['active', 'paused', 'failing'];

export interface JobPageQuery {
  sort: JobSort;
  limit: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
  /** Substring of the id or the name, case-insensitive. */
  q?: string;
  state?: JobState;
}

export interface JobPage {
  items: JobRecord[];
  nextCursor: string | null;
}

interface Key {
  /** Numeric part (NaN for the id sort). */
  n: number;
  id: string;
}

/** The numeric sort key; +Infinity sorts last. */
function numericKey(job: JobRecord, sort: JobSort): number {
  if (sort === 'nextRunTime') return job.nextRunTime ?? Number.POSITIVE_INFINITY;
  // Newest last run first: negate, and jobs that never ran go last.
  if (sort === 'lastRun') return job.lastRun === null ? Number.POSITIVE_INFINITY : -job.lastRun.scheduledAt;
  return Number.NaN;
}

export function compareJobs(sort: JobSort): (a: JobRecord, b: JobRecord) => number {
  if (sort === 'id') return (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return (a, b) => {
    const na = numericKey(a, sort);
    const nb = numericKey(b, sort);
    if (na !== nb) return na < nb ? -1 : 1;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  };
}

export function encodeCursor(job: JobRecord, sort: JobSort): string {
  const n = numericKey(job, sort);
  const raw = sort === 'id' ? job.id : `${Number.isFinite(n) ? n : 'inf'}|${job.id}`;
  return Buffer.from(`${sort}:${raw}`).toString('base64url');
}

export function decodeCursor(cursor: string, sort: JobSort): Key {
  const text = Buffer.from(cursor, 'base64url').toString();
  const prefix = `${sort}:`;
  if (!text.startsWith(prefix))
    throw InvalidArgumentError.field('cursor', `is not a cursor of a page sorted by ${sort}; pass nextCursor from the previous page with the same sort.`);
  const raw = text.slice(prefix.length);
  if (sort === 'id') return { n: Number.NaN, id: raw };
  const bar = raw.indexOf('|');
  const n = raw.slice(0, bar) === 'inf' ? Number.POSITIVE_INFINITY : Number(raw.slice(0, bar));
  if (bar < 0 || Number.isNaN(n)) throw InvalidArgumentError.field('cursor', 'is malformed; pass nextCursor from the previous page.');
  return { n, id: raw.slice(bar + 1) };
}

/** Whether `job` comes strictly after the cursor's key in the sort order. */
export function isAfter(job: JobRecord, key: Key, sort: JobSort): boolean {
  if (sort === 'id') return job.id > key.id;
  const n = numericKey(job, sort);
  return n > key.n || (n === key.n && job.id > key.id);
}

export function matchesFilter(job: JobRecord, q: string | undefined, state: JobState | undefined): boolean {
  if (q !== undefined && q !== '' && !job.id.toLowerCase().includes(q) && !job.name.toLowerCase().includes(q)) return false;
  if (state === 'active') return !job.paused;
  if (state === 'paused') return job.paused;
  if (state === 'failing') {
    const outcome = job.lastRun?.outcome;
    return outcome === 'failed' || outcome === 'timed_out' || outcome === 'lost';
  }
  return true;
}
