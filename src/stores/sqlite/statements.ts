/** The SQLite store's statements, prepared once per open connection. */
import type Database from 'better-sqlite3';
import { healthFactsSql } from '../rows/health-sql.js';
import { RUN_INSERT_COLUMNS, RUN_INSERT_VALUES, RUN_SETTLE_SET, runSelect } from './rows.js';

const SQL = {
  insertJob: `INSERT INTO jobs (id, seq, name, task, args, trigger, policy, paused, next_run_time, due_at, jitter_ms, retry, run_count, owner, pause, catch_up_through)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  updateJob: `UPDATE jobs SET name = ?, task = ?, args = ?, trigger = ?, policy = ?, paused = ?, next_run_time = ?, due_at = ?, jitter_ms = ?, retry = ?,
    run_count = ?, owner = ?, pause = ?, catch_up_through = ? WHERE id = ?`,
  updateSchedule: 'UPDATE jobs SET next_run_time = ?, due_at = ?, jitter_ms = ?, retry = ?, run_count = ? WHERE id = ?',
  deleteJob: 'DELETE FROM jobs WHERE id = ?',
  deleteRuns: 'DELETE FROM runs WHERE job_id = ?',
  insertRun: `INSERT INTO runs (${RUN_INSERT_COLUMNS}) VALUES (${RUN_INSERT_VALUES})`,
  updateRun: `UPDATE runs SET ${RUN_SETTLE_SET} WHERE id = ?`,
  runsOf: `SELECT ${runSelect()} FROM runs WHERE job_id = ? ORDER BY id DESC LIMIT ?`,
  runsBefore: `SELECT ${runSelect()} FROM runs WHERE job_id = ? AND scheduled_at < ? ORDER BY id DESC LIMIT ?`,
  trimRuns: 'DELETE FROM runs WHERE job_id = ? AND id < (SELECT id FROM runs WHERE job_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)',
  expireRuns: "DELETE FROM runs WHERE id IN (SELECT id FROM runs WHERE COALESCE(finished_at, scheduled_at) < ? AND outcome != 'running' LIMIT 5000)",
  healthOf: healthFactsSql('SELECT job_id, scheduled_at, finished_at, outcome, coalesced, error FROM runs WHERE job_id = ?'),
  ping: 'SELECT 1',
};

export type Statements = Record<keyof typeof SQL, Database.Statement>;

export function prepareStatements(db: Database.Database): Statements {
  return Object.fromEntries(Object.entries(SQL).map(([name, sql]) => [name, db.prepare(sql)])) as Statements;
}
