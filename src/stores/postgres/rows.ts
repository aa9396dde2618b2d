/**
 * How PostgreSQL's schema holds jobs and runs (see rows/ for the mappings both SQL stores share). Job rows
 * come back with the count of runs holding an instance slot (cluster-wide) and the newest settled run, so
 * a JobInfo needs one query.
 *
 * Run records are sanitised here (PG_CODEC), the one place they become parameters: PostgreSQL refuses a
 * NUL in text and jsonb and an unpaired surrogate in jsonb, and one refused record used to fail every
 * flush. The executor cleans what it records, but a store must not wedge on a value it cannot hold.
 */
import type { JobRecord, WaitingFire } from '../../core/job.js';
import type { RunRecord } from '../../core/run.js';
import type { RowCodec } from '../rows/codec.js';
import { scheduleValues, type JobRowColumns } from '../rows/job-row.js';
import { RUN_COLUMNS, runRowValues, wholeMs, type RunColumn, type RunRow } from '../rows/run-row.js';
import type { StoredJob } from '../store.js';

/** A job row as the store reads it: jsonb and booleans parsed by the driver. */
export interface JobRow extends JobRowColumns {
  seq: number;
  version: number;
  trigger: StoredJob['trigger'];
  policy: StoredJob['policy'];
  paused: boolean;
  retry: StoredJob['retry'];
  /** Why the row cannot be loaded, once it was set aside (null for a live job). */
  load_error: string | null;
  /** overlap 'queue': the fire waiting for a slot (null: none). */
  waiting_fire: WaitingFire | null;
  /** Runs of this job holding an instance slot on any node. */
  active: number;
  /** The newest run that has started or settled, as JSON (null when it never ran). */
  last_run: RunRow | null;
}

/** What a claim reads of a job row whose record this node has cached: its identity and its schedule. */
export type ScheduleRow = Pick<
  JobRow,
  | 'id'
  | 'seq'
  | 'version'
  | 'paused'
  | 'next_run_time'
  | 'due_at'
  | 'jitter_ms'
  | 'retry'
  | 'run_count'
  | 'pause'
  | 'catch_up_through'
  | 'waiting_fire'
  | 'load_error'
  | 'active'
>;

/** The columns of a ScheduleRow (`j` is the jobs table): the definition (name, task, args, trigger, policy) is left out. */
export function scheduleColumns(schema: string): string {
  return `j.id, j.seq, j.version, j.paused, j.next_run_time, j.due_at, j.jitter_ms, j.retry, j.run_count, j.pause, j.catch_up_through, j.waiting_fire, j.load_error,
    (SELECT count(*)::int FROM ${schema}.runs a WHERE a.job_id = j.id AND a.status IN ('claimed', 'running')) AS active`;
}

/**
 * The columns of a job row with its slot count and (unless `withLastRun` is false: the claim path, which
 * does not show it) its last run; `j` is the jobs table.
 */
export function jobColumns(schema: string, withLastRun = true): string {
  const lastRun = withLastRun
    ? `(SELECT row_to_json(l) FROM (SELECT r.* FROM ${schema}.runs r WHERE r.job_id = j.id AND r.status NOT IN ('claimed', 'queued')
      ORDER BY r.scheduled_at DESC, r.attempt DESC LIMIT 1) l)`
    : 'NULL::json';
  return `j.id, j.seq, j.version, j.name, j.task, j.args, j.trigger, j.policy, j.paused, j.next_run_time, j.due_at, j.jitter_ms, j.retry, j.run_count, j.owner,
    j.pause, j.catch_up_through, j.waiting_fire, j.load_error,
    (SELECT count(*)::int FROM ${schema}.runs a WHERE a.job_id = j.id AND a.status IN ('claimed', 'running')) AS active,
    ${lastRun} AS last_run`;
}

/**
 * PostgreSQL's encoding (see RowCodec): fire times exact, measured times in whole milliseconds, text and
 * jsonb sanitised (NUL stripped, unpaired surrogates replaced), counts clamped to int4; the driver parses
 * jsonb and booleans on the way back.
 */
export const PG_CODEC: RowCodec = {
  time: (value) => value,
  measure: wholeMs,
  flag: (value) => value,
  text: cleanText,
  json: jsonText,
  count: int,
  readJson: (value) => value,
  readFlag: (value) => value === true,
};

/** A run column's PostgreSQL type, for the arrays of an `unnest`. */
const PG_TYPES: Record<RunColumn, string> = {
  job_id: 'text',
  scheduled_at: 'float8',
  attempt: 'int',
  status: 'text',
  started_at: 'float8',
  finished_at: 'float8',
  lateness_ms: 'float8',
  duration_ms: 'float8',
  error: 'jsonb',
  output: 'text',
  coalesced: 'int',
  last_scheduled_at: 'float8',
  trace_id: 'text',
  trigger: 'text',
  actor: 'jsonb',
  note: 'text',
  node_id: 'text',
};

/** The columns a history write sends per record: all but node_id, which it writes once for the batch. */
export const HISTORY_COLUMNS: readonly RunColumn[] = RUN_COLUMNS.filter((column) => column !== 'node_id');

/** The SET list of a history write over a row already there: every column it sends but the fire's identity. */
export const HISTORY_UPDATES = HISTORY_COLUMNS.filter((column) => column !== 'job_id' && column !== 'scheduled_at' && column !== 'attempt')
  .map((column) => `${column} = EXCLUDED.${column}`)
  .join(', ');

/**
 * Column arrays for an `unnest` insert of many runs in one statement (runsUnnest). Each record is
 * sanitised (see PG_CODEC and runRowValues); the fire's identity (job, scheduled time, attempt) is kept as
 * it is: it must match the claimed row, and a record whose identity PostgreSQL refuses fails alone (see
 * the history writer).
 */
export class RunColumns {
  private readonly columns: unknown[][] = HISTORY_COLUMNS.map(() => []);

  push(run: RunRecord): void {
    const values = runRowValues(run, PG_CODEC);
    this.columns.forEach((column, i) => column.push(values[i]));
  }

  params(): unknown[] {
    return this.columns;
  }
}

/** What PostgreSQL refuses in text (NUL) or in jsonb (NUL, unpaired surrogates): the fast check. */
// eslint-disable-next-line no-control-regex -- NUL is what this looks for
const UNSAFE = /[\u0000\ud800-\udfff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Text without NUL, unpaired surrogates replaced by U+FFFD (text columns would do that; jsonb refuses them). */
export function cleanText(text: string): string {
  if (!UNSAFE.test(text)) return text;
  return text.replaceAll('\u0000', '').replace(LONE_SURROGATE, '\ufffd');
}

function cleanDeep(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return cleanText(value);
  if (typeof value !== 'object' || value === null || depth > 32) return value;
  if (Array.isArray(value)) return value.map((item) => cleanDeep(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[cleanText(key)] = cleanDeep(item, depth + 1);
  return out;
}

/** A value as jsonb text PostgreSQL accepts: cleaned only when its JSON holds an escape it may refuse. */
export function jsonText(value: unknown): string | null {
  const text = JSON.stringify(value) as string | undefined;
  if (text === undefined) return null;
  // JSON.stringify writes NUL and unpaired surrogates as \u escapes; anything else passes as it is. The
  // slow path cleans the parsed JSON, so that toJSON and the like are applied as in the first one.
  return /\\u(0000|d[89a-f])/i.test(text) ? JSON.stringify(cleanDeep(JSON.parse(text), 0)) : text;
}

/** An integer column's value: rounded, clamped to int4; null for none or a non-finite value. */
function int(value: number | undefined): number | null {
  if (value === undefined || value === null || !Number.isFinite(value)) return null;
  return Math.min(2_147_483_647, Math.max(-2_147_483_648, Math.round(value)));
}

/** The `unnest` source matching RunColumns.params(), its parameters numbered from $first on. */
export function runsUnnest(first: number): string {
  return `unnest(${HISTORY_COLUMNS.map((column, i) => `$${first + i}::${PG_TYPES[column]}[]`).join(', ')})
    AS u(${HISTORY_COLUMNS.join(', ')})`;
}

/**
 * Schedule fields of many jobs as arrays (id, next_run_time, due_at, jitter_ms, retry, run_count), for one
 * `UPDATE … FROM unnest`.
 */
/** A waiting_fire column as read: null unless it holds a waiting fire (a hand-edited row waits for nothing). */
export function readWaitingFire(value: unknown): WaitingFire | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const time = (t: unknown): t is number => typeof t === 'number' && Number.isFinite(t);
  if (!time(v.scheduledAt) || !time(v.dueAt) || !(typeof v.attempt === 'number' && Number.isInteger(v.attempt) && v.attempt >= 1)) return null;
  const coalesced = typeof v.coalesced === 'number' && Number.isInteger(v.coalesced) && v.coalesced >= 1 ? v.coalesced : 1;
  return { scheduledAt: v.scheduledAt, dueAt: v.dueAt, attempt: v.attempt, coalesced };
}

export function scheduleParams(jobs: readonly JobRecord[]): unknown[] {
  const schedules = jobs.map((job) => scheduleValues(job, PG_CODEC));
  return [
    jobs.map((job) => job.id),
    schedules.map((s) => s[0]),
    schedules.map((s) => s[1]),
    schedules.map((s) => s[2]),
    schedules.map((s) => s[3]),
    schedules.map((s) => s[4]),
  ];
}
