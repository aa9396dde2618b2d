/**
 * Rows of the PostgreSQL store and the records they become. Job rows come back with the count of runs
 * holding an instance slot (cluster-wide) and the newest settled run, so a JobInfo needs one query.
 *
 * Run records are sanitised here, the one place they become parameters: PostgreSQL refuses a NUL in text
 * and jsonb and an unpaired surrogate in jsonb, and one refused record used to fail every flush. The
 * executor cleans what it records, but a store must not wedge on a value it cannot hold.
 */
import type { JobRecord } from '../../core/job.js';
import type { RunRecord } from '../../core/run.js';
import type { StoredJob } from '../store.js';

export interface JobRow {
  id: string;
  seq: number;
  version: number;
  name: string;
  task: string;
  args: unknown;
  trigger: StoredJob['trigger'];
  policy: StoredJob['policy'];
  paused: boolean;
  next_run_time: number | null;
  due_at: number | null;
  jitter_ms: number;
  retry: StoredJob['retry'];
  /** Why the row cannot be loaded, once it was set aside (null for a live job). */
  load_error: string | null;
  /** Runs of this job holding an instance slot on any node. */
  active: number;
  /** The newest run that has started or settled, as JSON (null when it never ran). */
  last_run: RunRow | null;
}

export interface RunRow {
  job_id: string;
  scheduled_at: number;
  attempt: number;
  status: string;
  node_id: string | null;
  started_at: number | null;
  finished_at: number | null;
  lateness_ms: number | null;
  duration_ms: number | null;
  error: RunRecord['error'];
  output: string | null;
  coalesced: number | null;
  last_scheduled_at: number | null;
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
  return `j.id, j.seq, j.version, j.name, j.task, j.args, j.trigger, j.policy, j.paused, j.next_run_time, j.due_at, j.jitter_ms, j.retry, j.load_error,
    (SELECT count(*)::int FROM ${schema}.runs a WHERE a.job_id = j.id AND a.status IN ('claimed', 'running')) AS active,
    ${lastRun} AS last_run`;
}

export function toStoredJob(row: JobRow): StoredJob {
  return {
    id: row.id, name: row.name, task: row.task, args: row.args === null ? undefined : row.args, trigger: row.trigger,
    policy: row.policy, paused: row.paused, nextRunTime: row.next_run_time, dueAt: row.due_at, jitterMs: row.jitter_ms, retry: row.retry,
  };
}

/** row_to_json renders bigint columns as JSON numbers, so the same mapping serves both. */
export function toRunRecord(row: RunRow): RunRecord {
  const run: RunRecord = {
    jobId: row.job_id, scheduledAt: Number(row.scheduled_at), attempt: row.attempt, startedAt: row.started_at === null ? null : Number(row.started_at),
    finishedAt: row.finished_at === null ? null : Number(row.finished_at), outcome: row.status as RunRecord['outcome'],
    latenessMs: row.lateness_ms, durationMs: row.duration_ms, error: row.error,
  };
  if (row.output !== null) run.output = row.output;
  if (row.coalesced !== null) run.coalesced = row.coalesced;
  if (row.last_scheduled_at !== null) run.lastScheduledAt = Number(row.last_scheduled_at);
  if (row.node_id !== null) run.node = row.node_id;
  return run;
}

/** Column arrays for an `unnest` insert of many runs in one statement. */
export class RunColumns {
  readonly jobId: string[] = [];
  readonly scheduledAt: number[] = [];
  readonly attempt: number[] = [];
  readonly status: string[] = [];
  readonly startedAt: (number | null)[] = [];
  readonly finishedAt: (number | null)[] = [];
  readonly lateness: (number | null)[] = [];
  readonly duration: (number | null)[] = [];
  readonly error: (string | null)[] = [];
  readonly output: (string | null)[] = [];
  readonly coalesced: (number | null)[] = [];
  readonly lastScheduledAt: (number | null)[] = [];

  get length(): number {
    return this.jobId.length;
  }

  /**
   * A run record, sanitised: NUL stripped from every text and jsonb value (and unpaired surrogates
   * replaced in jsonb), measured times rounded to whole milliseconds, non-finite numbers null, the
   * coalesced count an integer in range. The fire's identity (job, scheduled time, attempt) is kept as it
   * is: it must match the claimed row; a record whose identity PostgreSQL refuses fails alone (see flush).
   */
  push(run: RunRecord): void {
    this.pushFire(run.jobId, run.scheduledAt, run.attempt, cleanText(String(run.outcome)));
    const i = this.jobId.length - 1;
    this.startedAt[i] = wholeMs(run.startedAt);
    this.finishedAt[i] = wholeMs(run.finishedAt);
    this.lateness[i] = wholeMs(run.latenessMs);
    this.duration[i] = wholeMs(run.durationMs);
    this.error[i] = run.error === null || run.error === undefined ? null : jsonText(run.error);
    this.output[i] = run.output === undefined || run.output === null ? null : cleanText(String(run.output));
    this.coalesced[i] = int(run.coalesced);
    this.lastScheduledAt[i] = run.lastScheduledAt === undefined || !Number.isFinite(run.lastScheduledAt) ? null : run.lastScheduledAt;
  }

  pushFire(jobId: string, scheduledAt: number, attempt: number, status: string): void {
    this.jobId.push(jobId);
    this.scheduledAt.push(scheduledAt);
    this.attempt.push(attempt);
    this.status.push(status);
    this.startedAt.push(null);
    this.finishedAt.push(null);
    this.lateness.push(null);
    this.duration.push(null);
    this.error.push(null);
    this.output.push(null);
    this.coalesced.push(null);
    this.lastScheduledAt.push(null);
  }

  params(): unknown[] {
    return [this.jobId, this.scheduledAt, this.attempt, this.status, this.startedAt, this.finishedAt, this.lateness, this.duration,
      this.error, this.output, this.coalesced, this.lastScheduledAt];
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

/** A measured time or duration in whole milliseconds; null for none or a non-finite value. */
function wholeMs(value: number | null | undefined): number | null {
  return value === null || value === undefined || !Number.isFinite(value) ? null : Math.round(value);
}

/** An integer column's value: rounded, clamped to int4; null for none or a non-finite value. */
function int(value: number | undefined): number | null {
  if (value === undefined || value === null || !Number.isFinite(value)) return null;
  return Math.min(2_147_483_647, Math.max(-2_147_483_648, Math.round(value)));
}

/** The `unnest` source matching RunColumns.params() from $first on. */
export function runsUnnest(first: number): string {
  const p = (i: number): string => `$${first + i}`;
  return `unnest(${p(0)}::text[], ${p(1)}::float8[], ${p(2)}::int[], ${p(3)}::text[], ${p(4)}::float8[], ${p(5)}::float8[], ${p(6)}::float8[],
    ${p(7)}::float8[], ${p(8)}::jsonb[], ${p(9)}::text[], ${p(10)}::int[], ${p(11)}::float8[])
    AS u(job_id, scheduled_at, attempt, status, started_at, finished_at, lateness_ms, duration_ms, error, output, coalesced, last_scheduled_at)`;
}

/** Schedule fields of many jobs as arrays, for one `UPDATE … FROM unnest`. */
export function scheduleParams(jobs: readonly JobRecord[]): unknown[] {
  return [jobs.map((j) => j.id), jobs.map((j) => j.nextRunTime), jobs.map((j) => j.dueAt), jobs.map((j) => j.jitterMs),
    jobs.map((j) => (j.retry === null ? null : JSON.stringify(j.retry)))];
}
