/**
 * The job rows of the PostgreSQL store: add, replace, update, a retry alone, remove, and the reads (one
 * job, all, a count, a page). Reads go to the database every time (another node may have changed the
 * job) and come back as cached records where the row is unchanged (job-cache.ts). Every change notifies
 * the other nodes: of a new due time (their loops wake) and of the row's new version (their caches drop
 * an older record).
 *
 * Adds are group-committed (group-commit.ts): adds that arrive while one is being written go into the
 * next statement together, one multi-row INSERT with one NOTIFY (the earliest due time of the batch), so
 * a burst of adds over HTTP costs one commit per batch, not per job. A duplicate id fails its own add
 * only (ON CONFLICT DO NOTHING: the ids not returned were taken); a row PostgreSQL refuses is found by
 * writing the batch's jobs one by one, so it too fails alone.
 */
import { ConflictingIdError, JobNotFoundError } from '../../core/errors.js';
import type { JobRecord } from '../../core/job.js';
import { decodeCursor, encodeCursor, type JobPage, type JobPageQuery } from '../job-order.js';
import { jobRowValues, retryJson } from '../rows/job-row.js';
import { isUnavailable, isUniqueViolation, pgError } from './connection.js';
import { GroupCommit, type ItemOutcomes } from './group-commit.js';
import type { InFlightFires } from './in-flight.js';
import type { JobCache } from './job-cache.js';
import { PG_CODEC, jobColumns, type JobRow } from './rows.js';
import type { PgSession } from './session.js';
import type { SetAsideQueue } from './set-aside.js';
import { withTransaction } from './transaction.js';

/** At most this many jobs per INSERT (15 arrays of this length are its parameters). */
const MAX_ADD_BATCH = 1000;

export class PgJobs {
  private readonly adds = new GroupCommit<JobRecord>(
    (jobs) => this.insertMany(jobs),
    MAX_ADD_BATCH,
    (job) => job.id,
  );

  constructor(
    private readonly session: PgSession,
    private readonly cache: JobCache,
    private readonly setAside: SetAsideQueue,
    private readonly inFlight: InFlightFires,
  ) {}

  /** Adds a job; settles once its row is committed (in a batch with the adds that came meanwhile). */
  add(job: JobRecord): Promise<void> {
    return this.adds.submit(job);
  }

  /**
   * Adds many jobs in one statement (one commit, one NOTIFY); per job, undefined (added) or its error
   * (CONFLICTING_ID for a taken id). Rejects, with nothing added, when the database cannot be reached.
   * Ids repeated within `jobs`: the first is added, the others fail as taken.
   */
  async addMany(jobs: readonly JobRecord[]): Promise<ItemOutcomes> {
    const outcomes: (Error | undefined)[] = [];
    for (let i = 0; i < jobs.length; i += MAX_ADD_BATCH) {
      const chunk = jobs.slice(i, i + MAX_ADD_BATCH);
      const seen = new Set<string>();
      const unique = chunk.filter((job) => !seen.has(job.id) && seen.add(job.id) !== undefined);
      const written = new Map<JobRecord, Error | undefined>();
      const results = await this.insertMany(unique);
      unique.forEach((job, k) => written.set(job, results[k]));
      for (const job of chunk) outcomes.push(written.has(job) ? written.get(job) : new ConflictingIdError(job.id));
    }
    return outcomes;
  }

  /**
   * One INSERT of `jobs` (distinct ids) and one NOTIFY of their earliest due time. A statement PostgreSQL
   * refuses for a row's content (not for the connection) is retried job by job, so that row fails alone.
   */
  private async insertMany(jobs: readonly JobRecord[]): Promise<ItemOutcomes> {
    const first = jobs[0];
    if (jobs.length === 1 && first !== undefined)
      return [
        await this.insertOne(first).then(
          () => undefined,
          (error: Error) => error,
        ),
      ];
    const outcomes: (Error | undefined)[] = [];
    const valid: JobRecord[] = [];
    const rows: unknown[][] = [];
    for (const job of jobs) {
      try {
        rows.push(this.params(job));
        valid.push(job);
        outcomes.push(undefined);
      } catch (error) {
        outcomes.push(error as Error);
      }
    }
    if (valid.length === 0) return outcomes;
    let inserted: { id: string; seq: number }[];
    try {
      const params = ADD_COLUMNS.map((_, column) => rows.map((row) => row[column]));
      ({ rows: inserted } = await this.session.db.query<{ id: string; seq: number }>(this.session.prepared('add_jobs', this.insertManySql(), params)));
    } catch (error) {
      if (isUnavailable(error)) throw pgError(`adding ${valid.length} jobs`, error);
      // A row PostgreSQL refuses (its content, not the connection): each job alone, so only that one fails.
      const alone = await Promise.all(
        valid.map((job) =>
          this.insertOne(job).then(
            () => undefined,
            (e: Error) => e,
          ),
        ),
      );
      return this.merge(jobs, outcomes, valid, alone);
    }
    const seqs = new Map(inserted.map((row) => [row.id, row.seq]));
    const written = valid.map((job) => {
      const seq = seqs.get(job.id);
      if (seq === undefined) return new ConflictingIdError(job.id);
      job.seq = seq;
      this.cache.replace(job, 1);
      return undefined;
    });
    return this.merge(jobs, outcomes, valid, written);
  }

  /** The outcomes of `jobs`: the ones already failed as they are, those of `valid` from `written`. */
  private merge(jobs: readonly JobRecord[], outcomes: (Error | undefined)[], valid: readonly JobRecord[], written: ItemOutcomes): ItemOutcomes {
    const byJob = new Map(valid.map((job, i) => [job, written[i]]));
    return jobs.map((job, i) => (byJob.has(job) ? byJob.get(job) : outcomes[i]));
  }

  /** One job in a statement of its own (a lone add, or the fallback of a refused batch). */
  private async insertOne(job: JobRecord): Promise<void> {
    const params = this.params(job);
    try {
      const { rows } = await this.session.db.query<{ seq: number }>(this.insertSql(), params);
      job.seq = rows[0]?.seq ?? 0;
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictingIdError(job.id);
      throw pgError(`adding job "${job.id}"`, error);
    }
    this.cache.replace(job, 1);
  }

  /**
   * Replaces the job stored under `job.id` (with its history), or adds it, in one transaction: a failed
   * insert leaves the old job and its history in place (see JobStore.replace).
   */
  async replace(job: JobRecord): Promise<JobRecord | undefined> {
    const params = this.params(job);
    let replaced: { removed: JobRow | undefined; seq: number };
    try {
      replaced = await withTransaction(this.session.db, async (client) => {
        const removed = await client.query<JobRow>(this.removeSql('j.id = $1'), [job.id]);
        const { rows } = await client.query<{ seq: number }>(this.insertSql(), params);
        return { removed: removed.rows[0], seq: rows[0]?.seq ?? 0 };
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictingIdError(job.id);
      throw pgError(`replacing job "${job.id}"`, error);
    }
    job.seq = replaced.seq;
    const old = replaced.removed === undefined ? undefined : this.cache.fromRow(replaced.removed, false);
    this.cache.replace(job, 1);
    return old;
  }

  async update(job: JobRecord): Promise<void> {
    const { s } = this.session;
    // Only the row this record was read from (seq is unique per inserted row): a record of a job removed
    // and added again under its id meanwhile (a retry of its last run, say) must not overwrite the new one.
    const seq = job.seq > 0 ? job.seq : null;
    this.dropFencedRetry(job);
    const { rows } = await this.session.query<{ version: number; due_at: number | null }>(
      `updating job "${job.id}"`,
      `WITH changed AS (
         UPDATE ${s}.jobs SET name = $2, task = $3, args = $4::jsonb, trigger = $5::jsonb, policy = $6::jsonb, paused = $7,
           next_run_time = $8, due_at = $9, jitter_ms = $10, retry = $11::jsonb, run_count = GREATEST(run_count, $12), owner = $13, pause = $14::jsonb,
           catch_up_through = $15, version = version + 1, load_error = NULL,
           -- A pause drops the waiting fire (overlap 'queue'; the scheduler recorded it); else the row keeps its own.
           waiting_fire = CASE WHEN $7 OR $6::jsonb->>'overlap' IS DISTINCT FROM 'queue' THEN NULL ELSE waiting_fire END
         WHERE id = $1 AND ($16::bigint IS NULL OR seq = $16) RETURNING version, due_at)
       SELECT version, due_at, CASE WHEN due_at IS NOT NULL THEN ${this.session.notifySql('due_at')} END, ${this.session.changedSql('version')} FROM changed`,
      [...this.params(job), seq],
    );
    const row = rows[0];
    if (row === undefined) throw new JobNotFoundError(job.id);
    this.cache.replace(job, row.version);
  }

  /**
   * Writes only the job's pending retry (and brings its due time forward to it), and only while the row is
   * the one the record came from, has no retry yet, is not paused and its next regular fire is not at or
   * before the retry. The rest of the row is left as it is: the record may be older than the row (another
   * node paused, changed or advanced the job meanwhile), and writing it whole would undo that change or
   * rewind the schedule to fires that ran already.
   */
  async saveRetry(job: JobRecord): Promise<boolean> {
    const retry = job.retry;
    if (retry === null || this.dropFencedRetry(job)) return false;
    const { s } = this.session;
    const seq = job.seq > 0 ? job.seq : null;
    const { rows } = await this.session.query<{ version: number }>(
      `scheduling a retry of job "${job.id}"`,
      `WITH changed AS (
         UPDATE ${s}.jobs SET retry = $2::jsonb, due_at = CASE WHEN due_at IS NULL OR due_at > $3::float8 THEN $3::float8 ELSE due_at END,
           version = version + 1
         WHERE id = $1 AND ($4::bigint IS NULL OR seq = $4) AND NOT paused AND retry IS NULL AND load_error IS NULL
           AND (next_run_time IS NULL OR next_run_time > $3::float8)
         RETURNING version, due_at)
       SELECT version, ${this.session.notifySql('due_at')}, ${this.session.changedSql('version')} FROM changed`,
      [job.id, retryJson(retry, PG_CODEC), retry.at, seq],
    );
    const row = rows[0];
    if (row === undefined) {
      job.retry = null;
      return false;
    }
    // The record is the row's only if nothing else changed it in between; else the next read hydrates it.
    if (this.cache.current(job.id, job, row.version - 1)) this.cache.replace(job, row.version);
    else this.cache.dropChanged(job.id, row.version);
    return true;
  }

  async remove(id: string, only?: JobRecord): Promise<JobRecord | undefined> {
    // `only`: the row must be the one that record was read from (seq is unique per inserted row); the
    // history goes only with the row it belongs to. A finished job's removal (`only`) also requires the
    // row to have no pending retry, which another node may have given it since (a retry of this node's
    // lost run, while this node was paused).
    const seq = only !== undefined && only.seq > 0 ? only.seq : null;
    const { rows } = await this.session.query<JobRow>(
      `removing job "${id}"`,
      this.removeSql('j.id = $1 AND ($2::bigint IS NULL OR (j.seq = $2 AND j.retry IS NULL AND j.waiting_fire IS NULL))'),
      [id, seq],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    const job = this.cache.fromRow(row, false);
    this.cache.forget(id);
    return job;
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const { s } = this.session;
    const { rows } = await this.session.query<JobRow>(`reading job "${id}"`, `SELECT ${jobColumns(s)} FROM ${s}.jobs j WHERE j.id = $1`, [id]);
    const row = rows[0];
    if (row === undefined) {
      this.cache.drop(id);
      return undefined;
    }
    const job = this.cache.fromRow(row);
    await this.setAside.drain();
    return job;
  }

  async list(): Promise<JobRecord[]> {
    const { s } = this.session;
    const { rows } = await this.session.query<JobRow>('listing jobs', `SELECT ${jobColumns(s)} FROM ${s}.jobs j ORDER BY j.seq`);
    const jobs = rows.map((row) => this.cache.fromRow(row));
    await this.setAside.drain();
    return jobs;
  }

  async count(): Promise<number> {
    const { rows } = await this.session.query<{ n: number }>('counting jobs', `SELECT count(*)::int AS n FROM ${this.session.s}.jobs`);
    return rows[0]?.n ?? 0;
  }

  /** One page in the query's order (the id in "C" collation breaks ties, as the memory store's order does). */
  async page(query: JobPageQuery): Promise<JobPage> {
    const { s } = this.session;
    const params: unknown[] = [];
    const where: string[] = [];
    const lastStatus = `(SELECT r.status FROM ${s}.runs r WHERE r.job_id = j.id AND r.status NOT IN ('claimed', 'queued') ORDER BY r.scheduled_at DESC, r.attempt DESC LIMIT 1)`;
    if (query.q !== undefined && query.q !== '') {
      params.push(query.q.toLowerCase());
      where.push(`(strpos(lower(j.id), $${params.length}) > 0 OR strpos(lower(j.name), $${params.length}) > 0)`);
    }
    if (query.state === 'active') where.push('NOT j.paused');
    if (query.state === 'paused') where.push('j.paused');
    if (query.state === 'failing') where.push(`${lastStatus} IN ('failed', 'timed_out', 'lost')`);
    const key =
      query.sort === 'nextRunTime'
        ? `COALESCE(j.next_run_time, 'Infinity'::float8)`
        : query.sort === 'lastRun'
          ? `COALESCE(-(SELECT r.scheduled_at FROM ${s}.runs r WHERE r.job_id = j.id AND r.status NOT IN ('claimed', 'queued') ORDER BY r.scheduled_at DESC LIMIT 1), 'Infinity'::float8)`
          : null;
    if (query.cursor !== undefined) {
      const cursor = decodeCursor(query.cursor, query.sort);
      if (key === null) {
        params.push(cursor.id);
        where.push(`j.id COLLATE "C" > $${params.length}`);
      } else {
        params.push(cursor.n, cursor.id);
        where.push(`(${key} > $${params.length - 1}::float8 OR (${key} = $${params.length - 1}::float8 AND j.id COLLATE "C" > $${params.length}))`);
      }
    }
    params.push(query.limit + 1);
    const sql = `SELECT ${jobColumns(s)} FROM ${s}.jobs j ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
      ORDER BY ${key === null ? '' : `${key}, `}j.id COLLATE "C" LIMIT $${params.length}`;
    const { rows } = await this.session.query<JobRow>('listing jobs', sql, params);
    const items = rows.slice(0, query.limit).map((row) => this.cache.fromRow(row));
    await this.setAside.drain();
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > query.limit && last !== undefined ? encodeCursor(last, query.sort) : null };
  }

  /** The parameters of a whole job row: $1 the id, then jobRowValues' order. */
  private params(job: JobRecord): unknown[] {
    return [job.id, ...jobRowValues(job, PG_CODEC)];
  }

  /**
   * Inserts job rows from the columns' arrays (ADD_COLUMNS) (taken ids skipped); answers the ids and seqs inserted, and wakes
   * the other nodes once, by the earliest due time among them.
   */
  private insertManySql(): string {
    const { s } = this.session;
    const names = ADD_COLUMNS.map(([name]) => name).join(', ');
    return `WITH added AS (
        INSERT INTO ${s}.jobs (${names})
        SELECT ${ADD_COLUMNS.map(([name, type]) => (type === 'text' && JSON_COLUMNS.has(name) ? `${name}::jsonb` : name)).join(', ')}
        FROM unnest(${ADD_COLUMNS.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')}) AS u(${names})
        ON CONFLICT (id) DO NOTHING RETURNING id, seq, due_at)
      SELECT id, seq, (SELECT ${this.session.notifySql('min(due_at)')} FROM added WHERE due_at IS NOT NULL HAVING min(due_at) IS NOT NULL) AS notified FROM added`;
  }

  /** Inserts a job row from params(job); answers its seq, and wakes the other nodes by its due time. */
  private insertSql(): string {
    const { s } = this.session;
    return `WITH added AS (
        INSERT INTO ${s}.jobs (id, name, task, args, trigger, policy, paused, next_run_time, due_at, jitter_ms, retry, run_count, owner, pause, catch_up_through)
        VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6::jsonb, $7, $8, $9, $10, $11::jsonb, $12, $13, $14::jsonb, $15) RETURNING seq, due_at)
      SELECT seq, CASE WHEN due_at IS NOT NULL THEN ${this.session.notifySql('due_at')} END FROM added`;
  }

  /** Deletes the job rows `where` selects (`$1` is the id), with their history; answers the rows removed. */
  private removeSql(where: string): string {
    const { s } = this.session;
    return `WITH removed AS (DELETE FROM ${s}.jobs j WHERE ${where} RETURNING j.*),
        history AS (DELETE FROM ${s}.runs WHERE job_id IN (SELECT id FROM removed))
      SELECT removed.*, 0 AS active, NULL::json AS last_run, ${this.session.changedSql(null)} FROM removed`;
  }

  /**
   * The retry of an attempt that ran under a fenced registration (it failed on this node after another
   * node had recorded it lost) is not scheduled, since nothing of that attempt counts: true when dropped.
   */
  private dropFencedRetry(job: JobRecord): boolean {
    const retry = job.retry;
    if (retry === null || !this.inFlight.retryFenced(job.id, retry)) return false;
    job.retry = null;
    this.session.context?.logger.warn(
      { event: 'store_retry_fenced', jobId: job.id, scheduledAt: new Date(retry.scheduledAt).toISOString(), attempt: retry.attempt },
      'the retry of a run of a fenced registration (recorded lost elsewhere) is not scheduled',
    );
    return true;
  }
}

/** The columns of a job row as params(job) orders them, with the array type each is sent as. */
const ADD_COLUMNS: readonly (readonly [string, string])[] = [
  ['id', 'text'],
  ['name', 'text'],
  ['task', 'text'],
  ['args', 'text'],
  ['trigger', 'text'],
  ['policy', 'text'],
  ['paused', 'boolean'],
  ['next_run_time', 'float8'],
  ['due_at', 'float8'],
  ['jitter_ms', 'integer'],
  ['retry', 'text'],
  ['run_count', 'integer'],
  ['owner', 'text'],
  ['pause', 'text'],
  ['catch_up_through', 'float8'],
];

/** The columns sent as JSON text and cast to jsonb in the INSERT. */
const JSON_COLUMNS = new Set(['args', 'trigger', 'policy', 'retry', 'pause']);
