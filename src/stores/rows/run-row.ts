/**
 * A run record as a row of the SQL stores (SQLite and PostgreSQL): the one list of its columns, the values
 * a record writes into them and the record a row reads back as. Where the two databases differ, their
 * RowCodec says how (codec.ts); SQLite's schema spells two columns otherwise (sqlite/rows.ts maps them).
 */
import { SCHEDULER_ACTOR, type Actor } from '../../core/actor.js';
import { defaultTrigger, RUN_TRIGGERS, triggerOf, type RunRecord, type RunTrigger } from '../../core/run.js';
import type { RowCodec } from './codec.js';

/**
 * The columns of a run row, in the one order every statement lists them: the fire's identity, its
 * settled state (SETTLED_COLUMNS), then the rest; node last, since PostgreSQL writes it for a whole batch.
 */
export const RUN_COLUMNS = [
  'job_id',
  'scheduled_at',
  'attempt',
  'status',
  'started_at',
  'finished_at',
  'lateness_ms',
  'duration_ms',
  'error',
  'output',
  'coalesced',
  'last_scheduled_at',
  'trace_id',
  'trigger',
  'actor',
  'note',
  'node_id',
] as const;

export type RunColumn = (typeof RUN_COLUMNS)[number];

/** Where SETTLED_COLUMNS start and end in RUN_COLUMNS. */
const SETTLED_FROM = 3;
const SETTLED_TO = 10;

/** What a run's settling write changes: status, started_at, finished_at, lateness_ms, duration_ms, error, output. */
export const SETTLED_COLUMNS: readonly RunColumn[] = RUN_COLUMNS.slice(SETTLED_FROM, SETTLED_TO);

/** A run row as read (PostgreSQL's column names; SQLite's statements read theirs under these). */
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
  error: unknown;
  output: string | null;
  coalesced: number | null;
  last_scheduled_at: number | null;
  /** Absent from rows read before the column existed in a query's select list; null when not traced. */
  trace_id?: string | null;
  /** What started the run (see RunTrigger); rows from before the column read as `schedule` (`retry` after attempt 1). */
  trigger?: string | null;
  /** Who started it, as JSON; null: the scheduler. */
  actor?: unknown;
  note?: string | null;
}

/**
 * The values of a run's row in RUN_COLUMNS order. Instants are whole milliseconds (a fraction from a
 * custom clock must never fail a write), a time that is no number at all is null; the fire's identity is
 * written as the codec keeps fire times.
 */
export function runRowValues(run: RunRecord, codec: RowCodec): unknown[] {
  return [
    run.jobId,
    codec.time(run.scheduledAt),
    run.attempt,
    codec.text(String(run.outcome)),
    wholeMs(run.startedAt),
    wholeMs(run.finishedAt),
    codec.measure(run.latenessMs),
    codec.measure(run.durationMs),
    run.error === null || run.error === undefined ? null : codec.json(run.error),
    run.output === undefined || run.output === null ? null : codec.text(String(run.output)),
    codec.count(run.coalesced),
    run.lastScheduledAt === undefined || !Number.isFinite(run.lastScheduledAt) ? null : codec.time(run.lastScheduledAt),
    run.traceId === undefined || run.traceId === null ? null : codec.text(String(run.traceId)),
    triggerOf(run),
    run.actor === undefined || run.actor === SCHEDULER_ACTOR ? null : codec.json(run.actor),
    run.note === undefined || run.note === null ? null : codec.text(String(run.note)),
    run.node ?? null,
  ];
}

/** The values of SETTLED_COLUMNS, from runRowValues. */
export function settledValues(values: readonly unknown[]): unknown[] {
  return values.slice(SETTLED_FROM, SETTLED_TO);
}

/** The record a row holds. Times go through Number whichever way the row came (a query's columns, or row_to_json). */
export function toRunRecord(row: RunRow, codec: RowCodec): RunRecord {
  const run: RunRecord = {
    jobId: row.job_id,
    scheduledAt: Number(row.scheduled_at),
    attempt: row.attempt,
    startedAt: nullableNumber(row.started_at),
    finishedAt: nullableNumber(row.finished_at),
    outcome: row.status as RunRecord['outcome'],
    latenessMs: row.lateness_ms,
    durationMs: row.duration_ms,
    error: row.error === null ? null : (codec.readJson(row.error) as RunRecord['error']),
  };
  if (row.output !== null) run.output = row.output;
  if (row.coalesced !== null) run.coalesced = row.coalesced;
  if (row.last_scheduled_at !== null) run.lastScheduledAt = Number(row.last_scheduled_at);
  if (row.node_id !== null) run.node = row.node_id;
  if (row.trace_id !== null && row.trace_id !== undefined) run.traceId = row.trace_id;
  // Only a trigger other than the fire's own is set (see RunRecord.trigger).
  if (typeof row.trigger === 'string' && row.trigger !== defaultTrigger(run.attempt) && (RUN_TRIGGERS as readonly string[]).includes(row.trigger)) {
    run.trigger = row.trigger as RunTrigger;
  }
  if (row.actor !== null && row.actor !== undefined) run.actor = codec.readJson(row.actor) as Actor;
  if (row.note !== null && row.note !== undefined) run.note = row.note;
  return run;
}

/** A measured instant or duration in whole milliseconds; null for none or a non-finite value. */
export function wholeMs(value: number | null | undefined): number | null {
  return value === null || value === undefined || !Number.isFinite(value) ? null : Math.round(value);
}

function nullableNumber(value: number | null): number | null {
  return value === null ? null : Number(value);
}
