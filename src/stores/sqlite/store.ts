/**
 * The SQLite store, the server's default: one file, better-sqlite3 (synchronous, so the scheduler pays no
 * promise per call), WAL with synchronous=NORMAL — a process crash loses nothing committed; a power loss
 * may lose the last few milliseconds of history.
 *
 * Jobs are also held in an in-memory index (the memory store: a map and a heap), loaded at open, so due
 * jobs are found without a query; every change to a job is written through at once, and run records and
 * schedule advances are written in one transaction per wake-up (`flush`). A record the database refuses
 * does not hold up the others: a failed batch is written again record by record, and a record refused
 * REFUSALS_BEFORE_DROP times is dropped (`store_record_dropped`, logged at error).
 *
 * One process per file: the store opens the file in SQLite's EXCLUSIVE locking mode and takes the lock
 * before anything else reads it, then keeps it until `close` (or until the process dies: the OS releases
 * it). Another Tickwork process, or any other connection, is refused (STORE_LOCKED at open; SQLITE_BUSY
 * after the busy timeout for a tool). Without shared readers WAL needs no shared memory: no `-shm` file is
 * used. `<file>.owner` names the holder for that error message, nothing else.
 */
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { InvalidArgumentError, StoreLockedError, StoreUnavailableError } from '../../core/errors.js';
import type { JobRecord } from '../../core/job.js';
import type { RunRecord } from '../../core/run.js';
import type { JobPage, JobPageQuery } from '../job-order.js';
import { MemoryJobStore } from '../memory.js';
import { PRUNE_JOBS_PER_PASS, resolveRetention, type RetentionOptions } from '../retention.js';
import { jobRowValues, scheduleValues, setAsideRow, toStoredJob } from '../rows/job-row.js';
import { runRowValues, settledValues, toRunRecord, type RunRow } from '../rows/run-row.js';
import { errorLog, logTime, REFUSALS_BEFORE_DROP, toStoreError } from '../store-errors.js';
import { reportLoadError, type JobStore, type RunQuery, type StoreContext } from '../store.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';
import { RUN_INSERT_COLUMNS, RUN_SETTLE_SET, runSelect, SQLITE_CODEC, type SqliteJobRow } from './rows.js';

export interface SqliteJobStoreOptions extends RetentionOptions {
  /** File path, or ":memory:". */
  path: string;
}

/** SQLite result codes that mean "the store is unavailable for now", not "your input was wrong". */
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|FULL|READONLY|IOERR|CANTOPEN|NOTADB|CORRUPT|PROTOCOL|PERM)/;
/**
 * How long a statement waits for a lock held elsewhere: tens of ms, so that a busy file fails fast (the
 * loop retries with its backoff) and never blocks the event loop for seconds. Once the store holds its
 * exclusive lock, nothing else can take one.
 */
const BUSY_TIMEOUT_MS = 50;
/** How often history is pruned: a slice of jobs per pass keeps each pass short (see PRUNE_JOBS_PER_PASS). */
const PRUNE_EVERY_MS = 1_000;

function isUnavailable(error: unknown): boolean {
  return error instanceof StoreUnavailableError || hasUnavailableCode(error);
}

/** What the owner file says: who holds the lock, as far as anyone can tell. */
interface OwnerInfo {
  pid: number;
  hostname: string;
  since: string;
}

/** Wraps driver errors: unavailability becomes STORE_UNAVAILABLE; our own errors pass through. */
function storeError(action: string, error: unknown): Error {
  return toStoreError(error, hasUnavailableCode,
    () => `SQLite store: ${action} failed (${String((error as { code?: unknown }).code)}: ${(error as Error).message})`);
}

function hasUnavailableCode(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && UNAVAILABLE.test(code);
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
  /** How many flushes refused a buffered record (a job's schedule or a run), once a batch failed. */
  private readonly failures = new WeakMap<object, number>();
  /** The owner file this store wrote (see the module comment); null for ":memory:" or when it could not. */
  private ownerFile: string | null = null;
  /** Insertion order of jobs, persisted so equal due times keep it across restarts. */
  private lastSeq = 0;
  private pruneCursor = 0;
  private lastPrune = 0;
  private statements: ReturnType<SqliteJobStore['prepare']> | null = null;

  constructor(options: SqliteJobStoreOptions) {
    if (typeof options?.path !== 'string' || options.path === '') throw InvalidArgumentError.field('path', 'must be a file path or ":memory:".');
    this.path = options.path;
    ({ maxRunsPerJob: this.maxRunsPerJob, maxRunAgeMs: this.maxRunAgeMs } = resolveRetention(options));
  }

  open(context: StoreContext): void {
    if (this.db !== null || this.opening) return;
    this.opening = true;
    try {
      this.context = context;
      const file = this.path !== ':memory:';
      if (file) mkdirSync(dirname(this.path), { recursive: true });
      const db = new Database(this.path, { timeout: BUSY_TIMEOUT_MS });
      try {
        if (file) this.lock(db);
        else db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
        this.migrate(db);
      } catch (error) {
        db.close();
        throw error;
      }
      this.db = db;
      if (file) this.writeOwner();
      this.statements = this.prepare(db);
      this.load(context);
    } catch (error) {
      if (this.db !== null) this.release();
      this.db = null;
      this.statements = null;
      const code = (error as { code?: unknown }).code;
      if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
        throw new StoreUnavailableError(`SQLite store: ${this.path} is not a Tickwork database or is corrupted (${String(code)}); move it aside to start with an empty store, or restore a backup.`, error);
      }
      throw storeError(`opening ${this.path}`, error);
    } finally {
      this.opening = false;
    }
  }

  /**
   * Takes the file's lock for the life of this store. EXCLUSIVE locking mode is set before the first read
   * of the file (a connection that has read it in NORMAL mode would have opened the WAL's shared memory and
   * would take the lock only at its first write), then an empty write transaction takes the EXCLUSIVE lock,
   * which that mode never gives back. A lock held elsewhere answers SQLITE_BUSY after the busy timeout.
   */
  private lock(db: Database.Database): void {
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      db.pragma('journal_mode = WAL');
      db.exec('BEGIN EXCLUSIVE; COMMIT');
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) throw this.lockedError(error);
      throw error;
    }
  }

  private get ownerPath(): string {
    return `${this.path}.owner`;
  }

  private lockedError(cause: unknown): StoreLockedError {
    let holder = 'another process (no Tickwork owner file names one: a tool such as the sqlite3 shell may have it open)';
    try {
      const owner = JSON.parse(readFileSync(this.ownerPath, 'utf8')) as Partial<OwnerInfo>;
      if (typeof owner.pid === 'number') {
        holder = owner.pid === process.pid && owner.hostname === hostname()
          ? `another store in this process (process ${owner.pid}); close it first`
          : `process ${owner.pid} on host ${String(owner.hostname)} since ${String(owner.since)}, according to ${this.ownerPath}`;
      }
    } catch {
      // No owner file, or not one of ours.
    }
    return new StoreLockedError(this.path, `SQLite store: ${this.path} is locked by ${holder}. Tickwork runs one process per database file: stop the other one, or give this one its own file (TICKWORK_STORE=sqlite:<another path>).`, cause);
  }

  /** Names this process as the holder, for a refused process's message only (never for a decision). */
  private writeOwner(): void {
    const owner: OwnerInfo = { pid: process.pid, hostname: hostname(), since: new Date().toISOString() };
    try {
      writeFileSync(this.ownerPath, `${JSON.stringify(owner)}\n`);
      this.ownerFile = this.ownerPath;
    } catch {
      // A read-only directory: the lock holds all the same, the message will just not name us.
      this.ownerFile = null;
    }
  }

  /** Closes the connection (which releases the lock) and removes the owner file if it still names us. */
  private release(): void {
    const db = this.db;
    this.db = null;
    this.statements = null;
    db?.close();
    const file = this.ownerFile;
    this.ownerFile = null;
    if (file === null) return;
    try {
      const owner = JSON.parse(readFileSync(file, 'utf8')) as Partial<OwnerInfo>;
      if (owner.pid === process.pid) unlinkSync(file);
    } catch {
      // Gone already, or rewritten by the next holder.
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
      insertRun: db.prepare(`INSERT INTO runs (${RUN_INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      updateRun: db.prepare(`UPDATE runs SET ${RUN_SETTLE_SET} WHERE id = ?`),
      runsOf: db.prepare(`SELECT ${runSelect()} FROM runs WHERE job_id = ? ORDER BY id DESC LIMIT ?`),
      runsBefore: db.prepare(`SELECT ${runSelect()} FROM runs WHERE job_id = ? AND scheduled_at < ? ORDER BY id DESC LIMIT ?`),
      trimRuns: db.prepare('DELETE FROM runs WHERE job_id = ? AND id < (SELECT id FROM runs WHERE job_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)'),
      expireRuns: db.prepare('DELETE FROM runs WHERE id IN (SELECT id FROM runs WHERE COALESCE(finished_at, scheduled_at) < ? AND outcome != \'running\' LIMIT 5000)'),
      ping: db.prepare('SELECT 1'),
    };
  }

  /** Loads every job into the index, marks runs left `running` by a dead process as lost. */
  private load(context: StoreContext): void {
    const db = this.db as Database.Database;
    const now = context.now();
    const lost = db.prepare(`UPDATE runs SET outcome = 'lost', finished_at = ?, error = ? WHERE outcome = 'running' RETURNING ${runSelect()}`)
      .all(Math.round(now), JSON.stringify({ code: 'LOST', message: 'the process running it stopped before the run finished' })) as RunRow[];
    const rows = db.prepare('SELECT * FROM jobs ORDER BY seq').all() as SqliteJobRow[];
    this.lastSeq = rows.length === 0 ? 0 : (rows[rows.length - 1] as { seq: number }).seq;
    for (const row of rows) {
      let job: JobRecord;
      try {
        job = context.hydrate(toStoredJob(row, SQLITE_CODEC));
      } catch (error) {
        // A row this version cannot read: it stays in the file, set aside (never due, listed with status
        // load_error: see setAsideRecord), reported once per open; the others load.
        const reason = error instanceof Error ? error.message : String(error);
        job = setAsideRow(row, SQLITE_CODEC, reason);
        reportLoadError(context, row.id, reason);
      }
      this.index.add(job);
    }
    const last = db.prepare(`SELECT ${runSelect('runs')} FROM runs JOIN (SELECT MAX(id) AS id FROM runs GROUP BY job_id) newest ON newest.id = runs.id`).all() as RunRow[];
    for (const row of last) {
      const job = this.index.get(row.job_id);
      if (job !== undefined) job.lastRun = toRunRecord(row, SQLITE_CODEC);
    }
    for (const row of lost) context.onLostRun(toRunRecord(row, SQLITE_CODEC));
  }

  private get stmts(): NonNullable<SqliteJobStore['statements']> {
    if (this.statements === null) throw new StoreUnavailableError('SQLite store is not open; start the scheduler first.');
    return this.statements;
  }

  /** Flushes, then closes and releases the lock, even when the flush failed (its error is thrown then). */
  close(): void {
    if (this.db === null) return;
    try {
      this.flush();
    } finally {
      this.release();
    }
  }

  add(job: JobRecord): void {
    this.index.add(job);
    try {
      const values = jobRowValues(job, SQLITE_CODEC);
      this.stmts.insertJob.run(job.id, ++this.lastSeq, ...values);
    } catch (error) {
      this.index.remove(job.id);
      throw storeError(`adding job "${job.id}"`, error);
    }
  }

  reindex(job: JobRecord): void {
    if (this.index.get(job.id) === job) this.index.update(job);
  }

  update(job: JobRecord): void {
    this.index.update(job);
    try {
      this.stmts.updateJob.run(...jobRowValues(job, SQLITE_CODEC), job.id);
      this.dirty.delete(job);
    } catch (error) {
      // The write failed: the scheduler undoes the change (reindex puts the job back in its place) and
      // the next flush writes its schedule fields again, as memory then holds them.
      this.dirty.add(job);
      throw storeError(`updating job "${job.id}"`, error);
    }
  }

  /** Removes the job with `job.id` (if any, with its history) and adds `job`, in one transaction. */
  replace(job: JobRecord): JobRecord | undefined {
    const old = this.index.get(job.id);
    try {
      const values = jobRowValues(job, SQLITE_CODEC);
      const db = this.db as Database.Database;
      db.transaction(() => {
        if (old !== undefined) {
          this.stmts.deleteRuns.run(job.id);
          this.stmts.deleteJob.run(job.id);
        }
        this.stmts.insertJob.run(job.id, this.lastSeq + 1, ...values);
      })();
    } catch (error) {
      // Nothing changed: the old job (if any) is still stored and scheduled.
      throw storeError(`replacing job "${job.id}"`, error);
    }
    this.lastSeq++;
    if (old !== undefined) {
      this.dirty.delete(old);
      this.index.remove(job.id);
    }
    this.index.add(job);
    return old;
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

  /**
   * Writes schedule advances and run records of this pass in one transaction; prunes history now and then.
   * When the database is unavailable (busy, full, read-only) everything is kept for the next pass and the
   * error is thrown (the loop retries with backoff). When it refuses the batch for another reason, a record
   * is to blame: the batch is written again record by record, and only the refused ones wait.
   */
  flush(): void {
    if (this.db === null || (this.dirty.size === 0 && this.newRuns.length === 0 && this.settledRuns.size === 0)) {
      this.maybePrune();
      return;
    }
    const db = this.db;
    try {
      db.transaction(() => {
        for (const job of this.dirty) this.writeSchedule(job);
        for (const run of this.newRuns) this.writeNewRun(run);
        for (const run of this.settledRuns) this.writeSettledRun(run);
      })();
    } catch (error) {
      // Rolled back: row ids taken in it are not real (and will be reused).
      for (const run of this.newRuns) this.runIds.delete(run);
      // Keep the buffers: the next pass retries the same batch.
      if (isUnavailable(error)) throw storeError('writing run history', error);
      this.flushOneByOne();
      this.maybePrune();
      return;
    }
    for (const run of this.settledRuns) this.runIds.delete(run);
    this.dirty.clear();
    this.newRuns.length = 0;
    this.settledRuns.clear();
    this.maybePrune();
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
  private flushOneByOne(): void {
    const db = this.db as Database.Database;
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
      if (written(job) || this.refusedTooOften(job, error, { jobId: job.id, record: 'schedule', scheduledAt: logTime(job.nextRunTime), attempt: job.retry?.attempt ?? null })) {
        this.dirty.delete(job);
      }
    }
    const refusedInserts = new Set(this.newRuns.filter((run) => refused.has(run)));
    const kept = this.newRuns.filter((run) => {
      const error = refused.get(run);
      if (written(run)) return false;
      return !this.refusedTooOften(run, error, { jobId: run.jobId, record: 'run', scheduledAt: logTime(run.scheduledAt), attempt: run.attempt, outcome: run.outcome });
    });
    this.newRuns.length = 0;
    this.newRuns.push(...kept);
    for (const run of [...this.settledRuns]) {
      const error = refused.get(run);
      if (refusedInserts.has(run) || written(run) || this.refusedTooOften(run, error, { jobId: run.jobId, record: 'run', scheduledAt: logTime(run.scheduledAt), attempt: run.attempt, outcome: run.outcome })) {
        this.runIds.delete(run);
        this.settledRuns.delete(run);
      }
    }
  }

  /**
   * Counts one refusal of a record; true when it is to be dropped now (logged at error, once). The first
   * refusal is logged at warn.
   */
  private refusedTooOften(record: object, error: unknown, fields: { jobId: string; record: string; scheduledAt: string | null; attempt: number | null; outcome?: string }): boolean {
    const failures = (this.failures.get(record) ?? 0) + 1;
    const detail = errorLog(error);
    const logger = this.context?.logger;
    if (failures >= REFUSALS_BEFORE_DROP) {
      this.failures.delete(record);
      logger?.error({ event: 'store_record_dropped', ...fields, failures, error: detail },
        `SQLite store: a ${fields.record} record of job "${fields.jobId}" was refused ${failures} times and is dropped; the file does not have it`);
      return true;
    }
    this.failures.set(record, failures);
    if (failures === 1) {
      logger?.warn({ event: 'store_record_failed', ...fields, error: detail },
        `SQLite store: a ${fields.record} record of job "${fields.jobId}" was refused; the others are written, it is tried again with the next flush`);
    }
    return false;
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
    return rows.map((row) => toRunRecord(row, SQLITE_CODEC));
  }
}
