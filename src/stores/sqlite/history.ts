/**
 * What the SQLite store writes once per wake-up (`flush`): the schedule advances of the jobs that fired
 * and the run records of the pass, in one transaction; then, now and then, retention. A record the
 * database refuses does not hold up the others: a failed batch is written again record by record, and a
 * record refused REFUSALS_BEFORE_DROP times is dropped (`store_record_dropped`, logged at error). When the
 * database is unavailable (busy, full, read-only) everything is kept for the next pass and the error is
 * thrown: the loop retries with backoff.
 */
import type Database from 'better-sqlite3';
import type { JobRecord } from '../../core/job.js';
import type { RunRecord } from '../../core/run.js';
import type { MemoryJobStore } from '../memory.js';
import { PRUNE_JOBS_PER_PASS, type Retention } from '../retention.js';
import { scheduleValues } from '../rows/job-row.js';
import { runRowValues, settledValues } from '../rows/run-row.js';
import { errorLog, logTime, REFUSALS_BEFORE_DROP } from '../store-errors.js';
import type { StoreContext } from '../store.js';
import { isUnavailable, storeError } from './errors.js';
import { SQLITE_CODEC } from './rows.js';
import type { Statements } from './statements.js';

/** How often history is pruned: a slice of jobs per pass keeps each pass short (see PRUNE_JOBS_PER_PASS). */
const PRUNE_EVERY_MS = 1_000;

/** What a refused record's log lines say of it. */
interface RecordFields {
  jobId: string;
  record: string;
  scheduledAt: string | null;
  attempt: number | null;
  outcome?: string;
}

function runFields(run: RunRecord): RecordFields {
  return { jobId: run.jobId, record: 'run', scheduledAt: logTime(run.scheduledAt), attempt: run.attempt, outcome: run.outcome };
}

export class SqliteHistory {
  /** The open connection and its statements; null while the store is closed (buffers are kept). */
  private connection: { db: Database.Database; stmts: Statements; context: StoreContext } | null = null;
  /** Jobs whose schedule changed in a pass; written in flush. */
  private readonly dirty = new Set<JobRecord>();
  private readonly newRuns: RunRecord[] = [];
  private readonly settledRuns = new Set<RunRecord>();
  /** Row ids of runs written while running, to update them when they settle. */
  private readonly runIds = new WeakMap<RunRecord, number>();
  /** How many flushes refused a buffered record (a job's schedule or a run), once a batch failed. */
  private readonly failures = new WeakMap<object, number>();
  private pruneCursor = 0;
  private lastPrune = 0;

  /** `index`: the store's jobs (a run of a job removed meanwhile is not written; pruning walks them). */
  constructor(
    private readonly index: MemoryJobStore,
    private readonly retention: Retention,
  ) {}

  attach(db: Database.Database, stmts: Statements, context: StoreContext): void {
    this.connection = { db, stmts, context };
  }

  detach(): void {
    this.connection = null;
  }

  /** The job's schedule moved: written with the pass. */
  touch(job: JobRecord): void {
    this.dirty.add(job);
  }

  /** The job's row was written whole, or removed: its schedule is not written with the pass. */
  forget(job: JobRecord): void {
    this.dirty.delete(job);
  }

  recordRun(run: RunRecord): void {
    this.newRuns.push(run);
  }

  updateRun(run: RunRecord): void {
    this.settledRuns.add(run);
  }

  /**
   * Writes schedule advances and run records of this pass in one transaction; prunes history now and then.
   * When the database refuses the batch for something else than unavailability, a record is to blame: the
   * batch is written again record by record, and only the refused ones wait.
   */
  flush(): void {
    const connection = this.connection;
    if (connection === null || (this.dirty.size === 0 && this.newRuns.length === 0 && this.settledRuns.size === 0)) {
      this.maybePrune();
      return;
    }
    try {
      connection.db.transaction(() => {
        for (const job of this.dirty) this.writeSchedule(job);
        for (const run of this.newRuns) this.writeNewRun(run);
        for (const run of this.settledRuns) this.writeSettledRun(run);
      })();
    } catch (error) {
      // Rolled back: row ids taken in it are not real (and will be reused).
      for (const run of this.newRuns) this.runIds.delete(run);
      // Keep the buffers: the next pass retries the same batch.
      if (isUnavailable(error)) throw storeError('writing run history', error);
      this.flushOneByOne(connection.db);
      this.maybePrune();
      return;
    }
    for (const run of this.settledRuns) this.runIds.delete(run);
    this.dirty.clear();
    this.newRuns.length = 0;
    this.settledRuns.clear();
    this.maybePrune();
  }

  private get stmts(): Statements {
    return (this.connection as { stmts: Statements }).stmts;
  }

  private writeSchedule(job: JobRecord): void {
    this.stmts.updateSchedule.run(...scheduleValues(job, SQLITE_CODEC), job.id);
  }

  private writeNewRun(run: RunRecord): void {
    if (this.index.get(run.jobId) === undefined) return; // removed meanwhile: its history went with it
    const info = this.stmts.insertRun.run(...runRowValues(run, SQLITE_CODEC));
    if (run.outcome === 'running') this.runIds.set(run, Number(info.lastInsertRowid));
    // Written as it is now: a settle since is in this row already.
    this.settledRuns.delete(run);
  }

  /** The row id is forgotten by the caller once committed. */
  private writeSettledRun(run: RunRecord): void {
    const id = this.runIds.get(run);
    if (id === undefined) return;
    this.stmts.updateRun.run(...settledValues(runRowValues(run, SQLITE_CODEC)), id);
  }

  /**
   * The batch was refused: each record in a savepoint of its own, all in one transaction. Written records
   * leave the buffers; a refused one stays for the next flush and is dropped after REFUSALS_BEFORE_DROP
   * refusals, with one error line. An unavailable database still fails the whole flush (nothing counted).
   */
  private flushOneByOne(db: Database.Database): void {
    const refused = new Map<object, unknown>();
    const each = (record: JobRecord | RunRecord, write: () => void): void => {
      try {
        db.transaction(write)();
      } catch (error) {
        if (isUnavailable(error)) throw error;
        refused.set(record, error);
      }
    };
    const written = (record: object): boolean => {
      if (refused.has(record)) return false;
      this.failures.delete(record);
      return true;
    };
    // writeNewRun takes runs out of settledRuns: kept to put back if this fails as a whole.
    const settled = [...this.settledRuns];
    try {
      db.transaction(() => {
        for (const job of this.dirty) each(job, () => this.writeSchedule(job));
        for (const run of this.newRuns) each(run, () => this.writeNewRun(run));
        // A run whose insert was refused is settled by that insert when it goes through.
        for (const run of settled) if (this.settledRuns.has(run) && !refused.has(run)) each(run, () => this.writeSettledRun(run));
      })();
    } catch (error) {
      for (const run of this.newRuns) this.runIds.delete(run);
      for (const run of settled) this.settledRuns.add(run);
      throw storeError('writing run history', error);
    }
    for (const job of [...this.dirty]) {
      const error = refused.get(job);
      if (
        written(job) ||
        this.refusedTooOften(job, error, { jobId: job.id, record: 'schedule', scheduledAt: logTime(job.nextRunTime), attempt: job.retry?.attempt ?? null })
      ) {
        this.dirty.delete(job);
      }
    }
    const refusedInserts = new Set(this.newRuns.filter((run) => refused.has(run)));
    const kept = this.newRuns.filter((run) => !written(run) && !this.refusedTooOften(run, refused.get(run), runFields(run)));
    this.newRuns.length = 0;
    this.newRuns.push(...kept);
    for (const run of [...this.settledRuns]) {
      if (refusedInserts.has(run) || written(run) || this.refusedTooOften(run, refused.get(run), runFields(run))) {
        this.runIds.delete(run);
        this.settledRuns.delete(run);
      }
    }
  }

  /**
   * Counts one refusal of a record; true when it is to be dropped now (logged at error, once). The first
   * refusal is logged at warn.
   */
  private refusedTooOften(record: object, error: unknown, fields: RecordFields): boolean {
    const failures = (this.failures.get(record) ?? 0) + 1;
    const detail = errorLog(error);
    const logger = this.connection?.context.logger;
    if (failures >= REFUSALS_BEFORE_DROP) {
      this.failures.delete(record);
      logger?.error(
        { event: 'store_record_dropped', ...fields, failures, error: detail },
        `SQLite store: a ${fields.record} record of job "${fields.jobId}" was refused ${failures} times and is dropped; the file does not have it`,
      );
      return true;
    }
    this.failures.set(record, failures);
    if (failures === 1) {
      logger?.warn(
        { event: 'store_record_failed', ...fields, error: detail },
        `SQLite store: a ${fields.record} record of job "${fields.jobId}" was refused; the others are written, it is tried again with the next flush`,
      );
    }
    return false;
  }

  /** Retention by count per job (a slice of jobs per call) and by age. */
  private maybePrune(): void {
    const connection = this.connection;
    if (connection === null) return;
    const { db, stmts, context } = connection;
    const now = context.now();
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    const jobs = this.index.list();
    try {
      db.transaction(() => {
        for (let i = 0; i < Math.min(PRUNE_JOBS_PER_PASS, jobs.length); i++) {
          const job = jobs[(this.pruneCursor + i) % jobs.length] as JobRecord;
          stmts.trimRuns.run(job.id, job.id, this.retention.maxRunsPerJob - 1);
        }
        stmts.expireRuns.run(now - this.retention.maxRunAgeMs);
      })();
      this.pruneCursor = jobs.length === 0 ? 0 : (this.pruneCursor + PRUNE_JOBS_PER_PASS) % jobs.length;
    } catch (error) {
      context.logger.warn({ event: 'store_prune_failed', error: { message: (error as Error).message } }, 'pruning run history failed; will retry');
    }
  }
}
