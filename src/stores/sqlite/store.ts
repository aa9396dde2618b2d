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
 *
 * Parts: file-lock.ts (the lock and the owner file), history.ts (what a pass writes, refused records,
 * retention), statements.ts, rows.ts (SQLite's side of the shared row mappings), errors.ts.
 */
import type { AuditLog } from '../../core/audit.js';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { InvalidArgumentError, StoreUnavailableError } from '../../core/errors.js';
import type { JobRecord } from '../../core/job.js';
import { NO_HEALTH_FACTS, type HealthFacts } from '../../core/health.js';
import type { RunError, RunRecord } from '../../core/run.js';
import type { JobPage, JobPageQuery } from '../job-order.js';
import { MemoryJobStore } from '../memory.js';
import { resolveRetention, type RetentionOptions } from '../retention.js';
import { SqliteAuditLog } from '../audit/sqlite-audit.js';
import { jobRowValues, setAsideRow, toStoredJob } from '../rows/job-row.js';
import { toHealthFacts, type HealthRow } from '../rows/health-sql.js';
import { toRunRecord, type RunRow } from '../rows/run-row.js';
import { reportLoadError, type JobStore, type RunQuery, type StoreContext } from '../store.js';
import { storeError } from './errors.js';
import { lockFile, removeOwnerFile, writeOwnerFile } from './file-lock.js';
import { SqliteHistory } from './history.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';
import { runSelect, SQLITE_CODEC, type SqliteJobRow } from './rows.js';
import { prepareStatements, type Statements } from './statements.js';

export interface SqliteJobStoreOptions extends RetentionOptions {
  /** File path, or ":memory:". */
  path: string;
}

/**
 * How long a statement waits for a lock held elsewhere: tens of ms, so that a busy file fails fast (the
 * loop retries with its backoff) and never blocks the event loop for seconds. Once the store holds its
 * exclusive lock, nothing else can take one.
 */
const BUSY_TIMEOUT_MS = 50;

export class SqliteJobStore implements JobStore {
  readonly persistent = true;
  readonly path: string;
  private readonly index = new MemoryJobStore({ maxRunsPerJob: 0 });
  private readonly history: SqliteHistory;
  private db: Database.Database | null = null;
  private opening = false;
  /** The owner file this store wrote (see file-lock.ts); null for ":memory:" or when it could not. */
  private ownerFile: string | null = null;
  /** Insertion order of jobs, persisted so equal due times keep it across restarts. */
  private lastSeq = 0;
  private statements: Statements | null = null;

  constructor(options: SqliteJobStoreOptions) {
    if (typeof options?.path !== 'string' || options.path === '') throw InvalidArgumentError.field('path', 'must be a file path or ":memory:".');
    this.path = options.path;
    const retention = resolveRetention(options);
    this.history = new SqliteHistory(this.index, retention);
    this.audit = new SqliteAuditLog(() => this.database, retention);
  }

  private readonly audit: SqliteAuditLog;

  /** The audit trail, in this file's `audit` table. */
  auditLog(): AuditLog {
    return this.audit;
  }

  /**
   * The open connection, for a part that keeps its own tables in the same file (notifications:
   * src/notifications/outbox-sqlite.ts); STORE_UNAVAILABLE while the store is closed. Internal: left out
   * of the shipped declarations (stripInternal), which must not need better-sqlite3's types.
   * @internal
   */
  get database(): Database.Database {
    if (this.db === null) throw new StoreUnavailableError(`SQLite store: ${this.path} is not open; start the scheduler (or read from it) first.`);
    return this.db;
  }

  open(context: StoreContext): void {
    if (this.db !== null || this.opening) return;
    this.opening = true;
    try {
      const file = this.path !== ':memory:';
      if (file) mkdirSync(dirname(this.path), { recursive: true });
      const db = new Database(this.path, { timeout: BUSY_TIMEOUT_MS });
      try {
        if (file) lockFile(db, this.path);
        else db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
        this.migrate(db);
      } catch (error) {
        db.close();
        throw error;
      }
      this.db = db;
      if (file) this.ownerFile = writeOwnerFile(this.path);
      this.statements = prepareStatements(db);
      this.history.attach(db, this.statements, context);
      this.load(db, context);
    } catch (error) {
      if (this.db !== null) this.release();
      this.db = null;
      this.statements = null;
      const code = (error as { code?: unknown }).code;
      if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
        throw new StoreUnavailableError(
          `SQLite store: ${this.path} is not a Tickwork database or is corrupted (${String(code)}); move it aside to start with an empty store, or restore a backup.`,
          error,
        );
      }
      throw storeError(`opening ${this.path}`, error);
    } finally {
      this.opening = false;
    }
  }

  /** Closes the connection (which releases the lock) and removes the owner file if it still names us. */
  private release(): void {
    const db = this.db;
    this.db = null;
    this.statements = null;
    this.history.detach();
    db?.close();
    const file = this.ownerFile;
    this.ownerFile = null;
    if (file !== null) removeOwnerFile(file);
  }

  private migrate(db: Database.Database): void {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > SCHEMA_VERSION) {
      throw new StoreUnavailableError(
        `SQLite store: ${this.path} has schema version ${current}, newer than this Tickwork knows (${SCHEMA_VERSION}); upgrade Tickwork to use it.`,
      );
    }
    for (const migration of MIGRATIONS) {
      if (migration.version <= current) continue;
      db.transaction(() => {
        db.exec(migration.sql);
        db.pragma(`user_version = ${migration.version}`);
      })();
    }
  }

  /** Loads every job into the index, marks runs left `running` by a dead process as lost. */
  private load(db: Database.Database, context: StoreContext): void {
    const now = context.now();
    const lost = db
      .prepare(`UPDATE runs SET outcome = 'lost', finished_at = ?, error = ? WHERE outcome = 'running' RETURNING ${runSelect()}`)
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
    const last = db
      .prepare(`SELECT ${runSelect('runs')} FROM runs JOIN (SELECT MAX(id) AS id FROM runs GROUP BY job_id) newest ON newest.id = runs.id`)
      .all() as RunRow[];
    for (const row of last) {
      const job = this.index.get(row.job_id);
      if (job !== undefined) job.lastRun = toRunRecord(row, SQLITE_CODEC);
    }
    for (const row of lost) context.onLostRun(toRunRecord(row, SQLITE_CODEC));
  }

  private get stmts(): Statements {
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
      this.stmts.insertJob.run(job.id, ++this.lastSeq, ...jobRowValues(job, SQLITE_CODEC));
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
      this.history.forget(job);
    } catch (error) {
      // The write failed: the scheduler undoes the change (reindex puts the job back in its place) and
      // the next flush writes its schedule fields again, as memory then holds them.
      this.history.touch(job);
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
        if (old !== undefined) this.deleteRows(job.id);
        this.stmts.insertJob.run(job.id, this.lastSeq + 1, ...values);
      })();
    } catch (error) {
      // Nothing changed: the old job (if any) is still stored and scheduled.
      throw storeError(`replacing job "${job.id}"`, error);
    }
    this.lastSeq++;
    if (old !== undefined) {
      this.history.forget(old);
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
      db.transaction(() => this.deleteRows(id))();
    } catch (error) {
      throw storeError(`removing job "${id}"`, error);
    }
    this.history.forget(job);
    return this.index.remove(id);
  }

  /** The job's row and its history (inside a transaction of the caller's). */
  private deleteRows(id: string): void {
    this.stmts.deleteRuns.run(id);
    this.stmts.deleteJob.run(id);
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
    for (const job of fired) if (this.index.get(job.id) === job) this.history.touch(job);
    return count;
  }

  putBack(jobs: JobRecord[]): void {
    this.index.putBack(jobs);
    for (const job of jobs) if (this.index.get(job.id) === job) this.history.touch(job);
  }

  recordRun(run: RunRecord, _job?: JobRecord): void {
    this.history.recordRun(run);
  }

  updateRun(run: RunRecord): void {
    this.history.updateRun(run);
  }

  /** Writes the pass's schedules and runs in one transaction (history.ts); prunes now and then. */
  flush(): void {
    this.history.flush();
  }

  healthFacts(jobIds: readonly string[]): Map<string, HealthFacts> {
    this.flush();
    const facts = new Map<string, HealthFacts>();
    for (const id of jobIds) {
      const row = this.stmts.healthOf.get(id) as HealthRow | undefined;
      facts.set(id, row === undefined ? NO_HEALTH_FACTS : toHealthFacts(row, (value) => SQLITE_CODEC.readJson(value) as RunError));
    }
    return facts;
  }

  getRuns(jobId: string, query: RunQuery): RunRecord[] {
    this.flush();
    const rows = (
      query.before === undefined ? this.stmts.runsOf.all(jobId, query.limit) : this.stmts.runsBefore.all(jobId, query.before, query.limit)
    ) as RunRow[];
    return rows.map((row) => toRunRecord(row, SQLITE_CODEC));
  }
}
