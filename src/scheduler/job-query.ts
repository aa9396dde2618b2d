/**
 * The queries of getJobs and getRuns, checked. getJobs' is answered by the store: one page with a
 * `limit` (JobStore.page), every matching job without (JobStore.list, filtered and sorted here in the
 * same order).
 */
import { InvalidArgumentError } from '../core/errors.js';
import { describeType } from '../core/format.js';
import type { JobRecord } from '../core/job.js';
import { JOB_SORTS, JOB_STATES, compareJobs, decodeCursor, isAfter, matchesFilter, type JobPage, type JobPageQuery } from '../stores/job-order.js';
import type { JobStore, RunQuery } from '../stores/store.js';
import { integerIn } from './scheduler-options.js';
import type { JobQuery } from './scheduler-types.js';

/** A checked query: the sort filled in; `limit` null for every matching job. */
export interface CheckedJobQuery extends Omit<JobPageQuery, 'limit'> {
  limit: number | null;
}

export function checkJobQuery(query: JobQuery): CheckedJobQuery {
  if (typeof query !== 'object' || query === null) throw InvalidArgumentError.field('query', `must be an object, got ${describeType(query)}.`);
  const sort = query.sort ?? 'nextRunTime';
  if (!JOB_SORTS.includes(sort)) throw InvalidArgumentError.field('query.sort', `must be one of ${JOB_SORTS.join(', ')}, got ${describeType(sort)}.`);
  const state = query.state;
  if (state !== undefined && !JOB_STATES.includes(state))
    throw InvalidArgumentError.field('query.state', `must be one of ${JOB_STATES.join(', ')}, got ${describeType(state)}.`);
  for (const key of ['q', 'cursor'] as const) {
    const value = query[key];
    if (value !== undefined && typeof value !== 'string') throw InvalidArgumentError.field(`query.${key}`, `must be a string, got ${describeType(value)}.`);
  }
  const checked: CheckedJobQuery = { sort, limit: query.limit === undefined ? null : integerIn(query.limit, 'query.limit', 1, 1000) };
  if (query.cursor !== undefined) checked.cursor = query.cursor;
  if (query.q !== undefined) checked.q = query.q;
  if (state !== undefined) checked.state = state;
  return checked;
}

/** The jobs a checked query selects, as the store holds them. */
export async function findJobs(store: JobStore, query: CheckedJobQuery): Promise<JobPage> {
  const { limit, ...rest } = query;
  if (limit !== null) return store.page({ ...rest, limit });
  const q = query.q?.toLowerCase();
  const key = query.cursor === undefined ? null : decodeCursor(query.cursor, query.sort);
  const jobs = (await store.list()).filter((job: JobRecord) => (key === null || isAfter(job, key, query.sort)) && matchesFilter(job, q, query.state));
  jobs.sort(compareJobs(query.sort));
  return { items: jobs, nextCursor: null };
}

/** getRuns' query: `limit` 1-1000 (default 50), `before` a valid Date. */
export function checkRunQuery(query: { limit?: number; before?: Date }): RunQuery {
  const limit = integerIn(query.limit, 'query.limit', 50, 1000);
  if (query.before === undefined) return { limit };
  if (!(query.before instanceof Date) || Number.isNaN(query.before.getTime())) throw InvalidArgumentError.field('query.before', 'must be a valid Date.');
  return { limit, before: query.before.getTime() };
}
