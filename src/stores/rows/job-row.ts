/**
 * A job as a row of the SQL stores (SQLite and PostgreSQL): the columns both schemas share, the values a
 * job writes into them and the StoredJob (or set-aside placeholder) a row reads back as. Where the two
 * databases differ, their RowCodec says how (codec.ts).
 */
import { InvalidArgumentError } from '../../core/errors.js';
import type { JobRecord, PendingRetry } from '../../core/job.js';
import type { Actor, PauseState } from '../../core/pause.js';
import { setAsideRecord, type StoredJob } from '../store.js';
import type { RowCodec } from './codec.js';
import { JOB_OWNERS, type JobOwner } from '../../core/actor.js';

/** The job columns both schemas have, as a driver hands them over (JSON parsed or not, a flag as 0/1 or boolean). */
export interface JobRowColumns {
  id: string;
  name: string;
  task: string;
  args: unknown;
  trigger: unknown;
  policy: unknown;
  paused: unknown;
  next_run_time: number | null;
  due_at: number | null;
  jitter_ms: number;
  retry: unknown;
  run_count: number;
  owner: string;
  /** Null in a row written before pauses were kept. */
  pause: unknown;
  catch_up_through: number | null;
}

/**
 * The values of a job's row after its id, in this column order: name, task, args, trigger, policy,
 * paused, next_run_time, due_at, jitter_ms, retry, run_count (these five are its schedule: see
 * scheduleValues), owner, pause, catch_up_through.
 */
export function jobRowValues(job: JobRecord, codec: RowCodec): unknown[] {
  if (job.task === null) throw InvalidArgumentError.field('task', `job "${job.id}" has no task name; a persistent store needs registerTask(name, func).`);
  return [
    job.name,
    job.task,
    job.args === undefined ? null : JSON.stringify(job.args),
    JSON.stringify(job.trigger.toSpec()),
    JSON.stringify(job.policy),
    codec.flag(job.paused),
    ...scheduleValues(job, codec),
    job.owner,
    job.pause === null ? null : JSON.stringify({ ...job.pause, note: job.pause.note === null ? null : codec.text(job.pause.note) }),
    job.catchUpThrough === null ? null : codec.time(job.catchUpThrough),
  ];
}

/**
 * The schedule columns of a job's row, which every pass may move: next_run_time, due_at, jitter_ms, retry,
 * run_count (the fires counted toward maxRuns move with the schedule they advanced, in the same write).
 */
export function scheduleValues(job: JobRecord, codec: RowCodec): [number | null, number | null, number, string | null, number] {
  return [nullableTime(job.nextRunTime, codec), nullableTime(job.dueAt, codec), codec.time(job.jitterMs), retryJson(job.retry, codec), job.runCount];
}

/** A pending retry as its JSON column holds it. */
export function retryJson(retry: PendingRetry | null, codec: RowCodec): string | null {
  if (retry === null) return null;
  const json: PendingRetry = { scheduledAt: codec.time(retry.scheduledAt), attempt: retry.attempt, at: codec.time(retry.at) };
  if (retry.args !== undefined) json.args = retry.args;
  return codec.json(json);
}

function nullableTime(time: number | null, codec: RowCodec): number | null {
  return time === null ? null : codec.time(time);
}

/** The job a row holds, for the scheduler to hydrate; throws when a JSON column cannot be read. */
export function toStoredJob(row: JobRowColumns, codec: RowCodec): StoredJob {
  return {
    id: row.id,
    name: row.name,
    task: row.task,
    args: row.args === null ? undefined : codec.readJson(row.args),
    trigger: codec.readJson(row.trigger) as StoredJob['trigger'],
    policy: codec.readJson(row.policy) as StoredJob['policy'],
    paused: codec.readFlag(row.paused),
    nextRunTime: row.next_run_time,
    dueAt: row.due_at,
    jitterMs: row.jitter_ms,
    retry: row.retry === null ? null : (codec.readJson(row.retry) as StoredJob['retry']),
    runCount: row.run_count,
    owner: isOwner(row.owner) ? row.owner : 'library',
    pause: row.pause === null || row.pause === undefined ? null : readPause(codec.readJson(row.pause)),
    catchUpThrough: row.catch_up_through ?? null,
  };
}

/**
 * A pause column as read; null when it does not hold a pause (a hand-edited row): the job stays paused,
 * with nothing known of who or why, until resumed.
 */
export function readPause(value: unknown): PauseState | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const time = (t: unknown): boolean => typeof t === 'number' && Number.isFinite(t);
  if (!time(v.since) || !(v.until === null || time(v.until)) || !(v.note === null || typeof v.note === 'string')) return null;
  if (typeof v.by !== 'object' || v.by === null) return null;
  return { since: v.since as number, until: v.until as number | null, note: v.note as string | null, by: v.by as Actor };
}

/**
 * The placeholder of a row that cannot be loaded (see setAsideRecord): its columns as they are, a JSON
 * column that cannot even be parsed handed over as its text.
 */
export function setAsideRow(row: JobRowColumns, codec: RowCodec, reason: string): JobRecord {
  const json = (value: unknown): unknown => {
    try {
      return value === null ? undefined : codec.readJson(value);
    } catch {
      return value;
    }
  };
  return setAsideRecord(
    {
      id: row.id,
      name: row.name,
      task: row.task,
      args: json(row.args),
      trigger: json(row.trigger),
      policy: json(row.policy),
      paused: codec.readFlag(row.paused),
      owner: row.owner,
    },
    reason,
  );
}

function isOwner(value: unknown): value is JobOwner {
  return (JOB_OWNERS as readonly unknown[]).includes(value);
}
