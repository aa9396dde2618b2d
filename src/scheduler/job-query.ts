/**
 * The queries of getJobs and getRuns, checked. getJobs' is answered by the store: one page with a
 * `limit` (JobStore.page), every matching job without (JobStore.list, filtered and sorted here in the
 * same order).
 */
import { InvalidArgumentError } from '../core/errors.js';
import { describeType } from '../core/format.js';
import type { JobRecord } from '../core/job.js';
import { HEALTH_STATES, type HealthState, type JobHealth } from '../core/health.js';
import {
  JOB_SORTS,
  JOB_STATES,
  compareJobs,
  decodeCursor,
  encodeCursor,
  isAfter,
  matchesFilter,
  type JobPage,
  type JobPageQuery,
} from '../stores/job-order.js';
import type { JobStore, RunQuery } from '../stores/store.js';
import { integerIn } from './scheduler-options.js';
import type { JobQuery } from './scheduler-types.js';

/** A checked query: the sort filled in; `limit` null for every matching job. */
export interface CheckedJobQuery extends Omit<JobPageQuery, 'limit'> {
  limit: number | null;
  /** Only jobs in one of these health states. */
  health?: readonly HealthState[];
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
  if (query.health !== undefined) checked.health = checkHealthStates(query.health);
  if (query.cursor !== undefined) checked.cursor = query.cursor;
  if (query.q !== undefined) checked.q = query.q;
  if (state !== undefined) checked.state = state;
  return checked;
}

function checkHealthStates(value: unknown): readonly HealthState[] {
  if (!Array.isArray(value) || value.length === 0) {
    const got = Array.isArray(value) ? 'an empty array' : describeType(value);
    throw InvalidArgumentError.field('query.health', `must be an array of at least one of ${HEALTH_STATES.join(', ')}, got ${got}.`);
  }
  value.forEach((state: unknown, i) => {
    if (typeof state !== 'string' || !HEALTH_STATES.includes(state as HealthState)) {
      throw InvalidArgumentError.field(`query.health[${i}]`, `must be one of ${HEALTH_STATES.join(', ')}, got ${describeType(state)}.`);
    }
  });
  return [...new Set(value as HealthState[])];
}

/**
 * A page of the jobs the query selects whose health is in `states`: health is computed on read, so
 * every job the other filters select is read (in the query's order, after its cursor) and judged.
 */
export async function pageByHealth(
  store: JobStore,
  query: CheckedJobQuery,
  states: readonly HealthState[],
  healthOf: (jobs: JobRecord[]) => Promise<JobHealth[]>,
): Promise<{ items: [JobRecord, JobHealth][]; nextCursor: string | null }> {
  const { items } = await findJobs(store, { ...query, limit: null });
  const health = await healthOf(items);
  const matching: [JobRecord, JobHealth][] = [];
  for (let i = 0; i < items.length; i++) {
    const h = health[i] as JobHealth;
    if (states.includes(h.state)) matching.push([items[i] as JobRecord, h]);
  }
  if (query.limit === null || matching.length <= query.limit) return { items: matching, nextCursor: null };
  const page = matching.slice(0, query.limit);
  return { items: page, nextCursor: encodeCursor((page[page.length - 1] as [JobRecord, JobHealth])[0], query.sort) };
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
