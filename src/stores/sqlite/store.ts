/**
 * The SQLite store, the server's default: one file, better-sqlite3 (synchronous, so the scheduler pays no
 * promise per call), WAL with synchronous=NORMAL — a process crash loses nothing committed; a power loss
 * may lose the last few milliseconds of history.
 *
 * Jobs are also held in an in-memory index (the memory store: a map and a heap), loaded at open, so due
 * jobs are found without a query; every change to a job is written through at once, and run records and
 * schedule advances are written in one transaction per wake-up (`flush`).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { InvalidArgumentError, StoreUnavailableError, TickworkError } from '../../scheduler/errors.js';
import type { JobRecord } from '../../scheduler/job.js';
import type { RunRecord } from '../../scheduler/run.js';
import type { JobPage, JobPageQuery } from '../job-order.js';
import { MemoryJobStore } from '../memory.js';
import type { JobStore, RunQuery, StoreContext, StoredJob } from '../store.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';

export interface SqliteJobStoreOptions {
  /** File path, or ":memory:". */
  path: string;
  /** Run records kept per job, newest first (default 1000). */
  maxRunsPerJob?: number;
  /** Run records older than this many days are deleted (default 30). */
  maxRunAgeDays?: number;
}

/** SQLite result codes that mean "the store is unavailable for now", not "your input was wrong". */
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|FULL|READONLY|IOERR|CANTOPEN|NOTADB|CORRUPT|PROTOCOL|PERM)/;
/** Jobs whose history is trimmed per flush, round-robin: keeps pruning from stalling the loop. */
const PRUNE_JOBS_PER_PASS = 500;
const PRUNE_EVERY_MS = 1_000;

interface JobRow {
  id: string;
  name: string;
  task: string;
  args: string | null;
  trigger: string;
  policy: string;
  paused: number;
  next_run_time: number | null;
  due_at: number | null;
  jitter_ms: number;
  retry: string | null;
}

interface RunRow {
  id: number;
  job_id: string;
  scheduled_at: number;
  attempt: number;
  started_at: number | null;
  finished_at: number | null;
  outcome: string;
  lateness_ms: number | null;
  duration_ms: number | null;
  error: string | null;
  output: string | null;
  coalesced: number | null;
  last_scheduled_at: number | null;
  node: string | null;
}

function toRecord(row: RunRow): RunRecord {
  const run: RunRecord = {
    jobId: row.job_id, scheduledAt: row.scheduled_at, attempt: row.attempt, startedAt: row.started_at,
    finishedAt: row.finished_at, outcome: row.outcome as RunRecord['outcome'], latenessMs: row.lateness_ms,
    durationMs: row.duration_ms, error: row.error === null ? null : (JSON.parse(row.error) as RunRecord['error']),
  };
  if (row.output !== null) run.output = row.output;
  if (row.coalesced !== null) run.coalesced = row.coalesced;
  if (row.last_scheduled_at !== null) run.lastScheduledAt = row.last_scheduled_at;
  if (row.node !== null) run.node = row.node;
  return run;
}

function runParams(run: RunRecord): unknown[] {
  return [run.jobId, run.scheduledAt, run.attempt, run.startedAt, run.finishedAt, run.outcome, run.latenessMs, run.durationMs,
    run.error === null ? null : JSON.stringify(run.error), run.output ?? null, run.coalesced ?? null, run.lastScheduledAt ?? null, run.node ?? null];
}

/** Wraps driver errors: unavailability becomes STORE_UNAVAILABLE; our own errors pass through. */
function storeError(action: string, error: unknown): Error {
  if (error instanceof TickworkError) return error;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && UNAVAILABLE.test(code)) {
    return new StoreUnavailableError(`SQLite store: ${action} failed (${code}: ${(error as Error).message})`, error);
  }
  return error instanceof Error ? error : new Error(String(error));
}

export class SqliteJobStore implements JobStore {
  readonly persistent = true;
  readonly path: string;
  private readonly index = new MemoryJobStore({ maxRunsPerJob: 0 });
  private readonly maxRunsPerJob: number;
  private readonly maxRunAgeMs: number;
  private db: Database.Database | null = null;
  private context: StoreContext | null = null;
  private opening = false;
  /** Jobs whose schedule changed in a pass; written in flush. */
  private readonly dirty = new Set<JobRecord>();
  private readonly newRuns: RunRecord[] = [];
  private readonly settledRuns = new Set<RunRecord>();
  /** Row ids of runs written while running, to update them when they settle. */
  private readonly runIds = new WeakMap<RunRecord, number>();
  /** Insertion order of jobs, persisted so equal due times keep it across restarts. */
  private lastSeq = 0;
  private pruneCursor = 0;
  private lastPrune = 0;
  private statements: ReturnType<SqliteJobStore['prepare']> | null = null;

  constructor(options: SqliteJobStoreOptions) {
    if (typeof options?.path !== 'string' || options.path === '') throw InvalidArgumentError.field('path', 'must be a file path or ":memory:".');
    this.path = options.path;
    this.maxRunsPerJob = options.maxRunsPerJob ?? 1000;
    this.maxRunAgeMs = (options.maxRunAgeDays ?? 30) * 86_400_000;
    if (!Number.isInteger(this.maxRunsPerJob) || this.maxRunsPerJob < 1) throw InvalidArgumentError.field('maxRunsPerJob', 'must be a positive integer.');
  }

  open(context: StoreContext): void {
    if (this.db !== null || this.opening) return;
    this.opening = true;
    try {
      this.context = context;
      if (this.path !== ':memory:') mkdirSync(dirname(this.path), { recursive: true });
      const db = new Database(this.path);
      try {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
        db.pragma('busy_timeout = 5000');
        this.migrate(db);
      } catch (error) {
        db.close();
        throw error;
      }
      this.db = db;
      this.statements = this.prepare(db);
      this.load(context);
    } catch (error) {
      this.db = null;
      const code = (error as { code?: unknown }).code;
      if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
        throw new StoreUnavailableError(`SQLite store: ${this.path} is not a Tickwork database or is corrupted (${String(code)}); move it aside to start with an empty store, or restore a backup.`, error);
      }
      throw storeError(`opening ${this.path}`, error);
    } finally {
      this.opening = false;
    }
  }

  private migrate(db: Database.Database): void {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > SCHEMA_VERSION) {
      throw new StoreUnavailableError(`SQLite store: ${this.path} has schema version ${current}, newer than this Tickwork knows (${SCHEMA_VERSION}); upgrade Tickwork to use it.`);
    }
    for (const migration of MIGRATIONS) {
      if (migration.version <= current) continue;
      db.transaction(() => {
        db.exec(migration.sql);
        db.pragma(`user_version = ${migration.version}`);
      })();
    }
  }

  private prepare(db: Database.Database) {
    return {
      insertJob: db.prepare(`INSERT INTO jobs (id, seq, name, task, args, trigger, policy, paused, next_run_time, due_at, jitter_ms, retry)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      updateJob: db.prepare(`UPDATE jobs SET name = ?, task = ?, args = ?, trigger = ?, policy = ?, paused = ?, next_run_time = ?, due_at = ?, jitter_ms = ?, retry = ? WHERE id = ?`),
      updateSchedule: db.prepare('UPDATE jobs SET next_run_time = ?, due_at = ?, jitter_ms = ?, retry = ? WHERE id = ?'),
      deleteJob: db.prepare('DELETE FROM jobs WHERE id = ?'),
      deleteRuns: db.prepare('DELETE FROM runs WHERE job_id = ?'),
      insertRun: db.prepare(`INSERT INTO runs (job_id, scheduled_at, attempt, started_at, finished_at, outcome, lateness_ms, duration_ms, error, output, coalesced, last_scheduled_at, node)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      updateRun: db.prepare('UPDATE runs SET started_at = ?, finished_at = ?, outcome = ?, lateness_ms = ?, duration_ms = ?, error = ?, output = ? WHERE id = ?'),
      runsOf: db.prepare('SELECT * FROM runs WHERE job_id = ? ORDER BY id DESC LIMIT ?'),
      runsBefore: db.prepare('SELECT * FROM runs WHERE job_id = ? AND scheduled_at < ? ORDER BY id DESC LIMIT ?'),
      trimRuns: db.prepare('DELETE FROM runs WHERE job_id = ? AND id < (SELECT id FROM runs WHERE job_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)'),
      expireRuns: db.prepare('DELETE FROM runs WHERE id IN (SELECT id FROM runs WHERE COALESCE(finished_at, scheduled_at) < ? AND outcome != \'running\' LIMIT 5000)'),
      ping: db.prepare('SELECT 1'),
    };
  }

  /** Loads every job into the index, marks runs left `running` by a dead process as lost. */
  private load(context: StoreContext): void {
    const db = this.db as Database.Database;
    const now = context.now();
    const lost = db.prepare(`UPDATE runs SET outcome = 'lost', finished_at = ?, error = ? WHERE outcome = 'running' RETURNING *`)
      .all(now, JSON.stringify({ code: 'LOST', message: 'the process running it stopped before the run finished' })) as RunRow[];
    const rows = db.prepare('SELECT * FROM jobs ORDER BY seq').all() as (JobRow & { seq: number })[];
    this.lastSeq = rows.length === 0 ? 0 : (rows[rows.length - 1] as { seq: number }).seq;
    for (const row of rows) {
      const stored: StoredJob = {
        id: row.id, name: row.name, task: row.task, args: row.args === null ? undefined : JSON.parse(row.args),
        trigger: JSON.parse(row.trigger) as StoredJob['trigger'], policy: JSON.parse(row.policy) as StoredJob['policy'],
        paused: row.paused === 1, nextRunTime: row.next_run_time, dueAt: row.due_at, jitterMs: row.jitter_ms,
        retry: row.retry === null ? null : (JSON.parse(row.retry) as StoredJob['retry']),
      };
      let job: JobRecord;
      try {
        job = context.hydrate(stored);
      } catch (error) {
        // A row this version cannot read: keep it in the file, report it, go on with the others.
        context.logger.error({ event: 'job_load_error', jobId: row.id, error: { message: (error as Error).message } }, 'stored job cannot be loaded; it is kept in the database');
        continue;
      }
      this.index.add(job);
    }
    const last = db.prepare('SELECT runs.* FROM runs JOIN (SELECT MAX(id) AS id FROM runs GROUP BY job_id) newest ON newest.id = runs.id').all() as RunRow[];
    for (const row of last) {
      const job = this.index.get(row.job_id);
      if (job !== undefined) job.lastRun = toRecord(row);
    }
    for (const row of lost) context.onLostRun(toRecord(row));
  }

  private get stmts(): NonNullable<SqliteJobStore['statements']> {
    if (this.statements === null) throw new StoreUnavailableError('SQLite store is not open; start the scheduler first.');
    return this.statements;
  }

  close(): void {
    if (this.db === null) return;
    this.flush();
    this.db.close();
    this.db = null;
    this.statements = null;
  }

  add(job: JobRecord): void {
    this.index.add(job);
    try {
      const s = this.serialize(job);
      this.stmts.insertJob.run(job.id, ++this.lastSeq, s.name, s.task, s.args, s.trigger, s.policy, s.paused, s.nextRunTime, s.dueAt, s.jitterMs, s.retry);
    } catch (error) {
      this.index.remove(job.id);
      throw storeError(`adding job "${job.id}"`, error);
    }
  }

  update(job: JobRecord): void {
    this.index.update(job);
    try {
      const s = this.serialize(job);
      this.stmts.updateJob.run(s.name, s.task, s.args, s.trigger, s.policy, s.paused, s.nextRunTime, s.dueAt, s.jitterMs, s.retry, job.id);
      this.dirty.delete(job);
    } catch (error) {
      // The write failed: the change stays in memory and is retried with the next flush.
      this.dirty.add(job);
      throw storeError(`updating job "${job.id}"`, error);
    }
  }

  remove(id: string, only?: JobRecord): JobRecord | undefined {
    const job = this.index.get(id);
    if (job === undefined || (only !== undefined && job !== only)) return undefined;
    try {
      const db = this.db as Database.Database;
      db.transaction(() => {
        this.stmts.deleteRuns.run(id);
        this.stmts.deleteJob.run(id);
      })();
    } catch (error) {
      throw storeError(`removing job "${id}"`, error);
    }
    this.dirty.delete(job);
    return this.index.remove(id);
  }

  get(id: string): JobRecord | undefined {
    return this.index.get(id);
  }

  list(): JobRecord[] {
    return this.index.list();
  }

  count(): number {
    return this.index.count();
  }

  page(query: JobPageQuery): JobPage {
    return this.index.page(query);
  }

  ping(): void {
    try {
      this.stmts.ping.get();
    } catch (error) {
      throw storeError('ping', error);
    }
  }

  earliestDue(): number | null {
    return this.index.earliestDue();
  }

  takeDue(now: number, limit: number): JobRecord[] {
    return this.index.takeDue(now, limit);
  }

  fireDue(now: number, limit: number, fire: (job: JobRecord) => void): number {
    const fired: JobRecord[] = [];
    const count = this.index.fireDue(now, limit, (job) => {
      fired.push(job);
      fire(job);
    });
    for (const job of fired) if (this.index.get(job.id) === job) this.dirty.add(job);
    return count;
  }

  putBack(jobs: JobRecord[]): void {
    this.index.putBack(jobs);
    for (const job of jobs) if (this.index.get(job.id) === job) this.dirty.add(job);
  }

  recordRun(run: RunRecord, _job?: JobRecord): void {
    this.newRuns.push(run);
  }

  updateRun(run: RunRecord): void {
    this.settledRuns.add(run);
  }

  /** Writes schedule advances and run records of this pass in one transaction; prunes history now and then. */
  flush(): void {
    if (this.db === null || (this.dirty.size === 0 && this.newRuns.length === 0 && this.settledRuns.size === 0)) {
      this.maybePrune();
      return;
    }
    const db = this.db;
    const s = this.stmts;
    try {
      db.transaction(() => {
        for (const job of this.dirty) {
          s.updateSchedule.run(job.nextRunTime, job.dueAt, job.jitterMs, job.retry === null ? null : JSON.stringify(job.retry), job.id);
        }
        for (const run of this.newRuns) {
          if (this.index.get(run.jobId) === undefined) continue; // removed meanwhile: its history went with it
          const info = s.insertRun.run(...runParams(run));
          if (run.outcome === 'running') this.runIds.set(run, Number(info.lastInsertRowid));
          this.settledRuns.delete(run);
        }
        for (const run of this.settledRuns) {
          const id = this.runIds.get(run);
          if (id === undefined) continue;
          s.updateRun.run(run.startedAt, run.finishedAt, run.outcome, run.latenessMs, run.durationMs,
            run.error === null ? null : JSON.stringify(run.error), run.output ?? null, id);
          this.runIds.delete(run);
        }
      })();
    } catch (error) {
      // Keep the buffers: the next pass retries the same batch.
      throw storeError('writing run history', error);
    }
    this.dirty.clear();
    this.newRuns.length = 0;
    this.settledRuns.clear();
    this.maybePrune();
  }

  /** Retention by count per job (a slice of jobs per call) and by age. */
  private maybePrune(): void {
    if (this.db === null || this.context === null) return;
    const now = this.context.now();
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    const jobs = this.index.list();
    const s = this.stmts;
    try {
      this.db.transaction(() => {
        for (let i = 0; i < Math.min(PRUNE_JOBS_PER_PASS, jobs.length); i++) {
          const job = jobs[(this.pruneCursor + i) % jobs.length] as JobRecord;
          s.trimRuns.run(job.id, job.id, this.maxRunsPerJob - 1);
        }
        s.expireRuns.run(now - this.maxRunAgeMs);
      })();
      this.pruneCursor = jobs.length === 0 ? 0 : (this.pruneCursor + PRUNE_JOBS_PER_PASS) % jobs.length;
    } catch (error) {
      this.context.logger.warn({ event: 'store_prune_failed', error: { message: (error as Error).message } }, 'pruning run history failed; will retry');
    }
  }

  getRuns(jobId: string, query: RunQuery): RunRecord[] {
    this.flush();
    const rows = (query.before === undefined
      ? this.stmts.runsOf.all(jobId, query.limit)
      : this.stmts.runsBefore.all(jobId, query.before, query.limit)) as RunRow[];
    return rows.map(toRecord);
  }

  private serialize(job: JobRecord): { name: string; task: string; args: string | null; trigger: string; policy: string; paused: number; nextRunTime: number | null; dueAt: number | null; jitterMs: number; retry: string | null } {
    if (job.task === null) throw InvalidArgumentError.field('task', `job "${job.id}" has no task name; a persistent store needs registerTask(name, func).`);
    return {
      name: job.name, task: job.task, args: job.args === undefined ? null : JSON.stringify(job.args),
      trigger: JSON.stringify(job.trigger.toSpec()), policy: JSON.stringify(job.policy), paused: job.paused ? 1 : 0,
      nextRunTime: job.nextRunTime, dueAt: job.dueAt, jitterMs: job.jitterMs, retry: job.retry === null ? null : JSON.stringify(job.retry),
    };
  }
}
