/**
 * The PostgreSQL store: several processes (nodes) share one schedule, and each fire starts at most once
 * across them.
 *
 * - Claiming: `takeDue` locks due job rows with `FOR UPDATE SKIP LOCKED` in a transaction; the scheduler
 *   decides the fires with the same pure policies as everywhere; `putBack` advances the schedules and
 *   inserts one run row per fire under the primary key (job_id, scheduled_at, attempt), then commits. Only
 *   then do the fires start, so two nodes can never both start one fire, whatever their clocks say.
 * - One clock: due-ness and run times are read on the database clock (each node measures its offset at
 *   every heartbeat and the scheduler reads time through it), so a node whose clock is off agrees.
 * - maxInstances holds across the cluster: a claimed or running run row holds a slot, counted when a job
 *   is claimed.
 * - Liveness: nodes heartbeat on a connection of their own; a dead node's unsettled runs are recorded
 *   `lost` by another node (see heartbeat.ts) and reported to the scheduler, which retries them only if
 *   the job says `retryLost`. A node that shuts down leaves at once.
 * - Fencing: every registration has an epoch; claims and run writes check it in their statement, so a
 *   node declared dead while paused records nothing of its old runs (a `lost` stays lost); it aborts
 *   them and registers again (heartbeat.ts). Claim transactions end within half a lease whatever the
 *   client does (idle_in_transaction_session_timeout), and each node records lost its own unsettled rows
 *   that it no longer runs (a settling write lost in a database crash).
 * - Wake-ups: adding a job or making one due sooner sends NOTIFY; every node LISTENs (listener.ts), and
 *   polls every `pollSeconds` as a safety net.
 *
 * Jobs are not held in memory beyond a cache of hydrated records keyed by row version (least recently
 * used dropped beyond `jobCacheSize`; an entry another node changed is dropped on its notification):
 * every read goes to the database, since another node may have changed the job.
 *
 * Poison never spreads:
 * - A job row that cannot be loaded (a hand-edited trigger, an unknown zone) is set aside: its reason is
 *   written to `load_error` in a short statement of its own (once the claim holding its lock has ended),
 *   reported once across the cluster, and the claim query skips it; reads hand out a placeholder record
 *   (status load_error). Replacing or updating the job clears it.
 * - Run history is written sanitised (rows.ts). A batch PostgreSQL still refuses is split until the
 *   refused records stand alone: the others are written; a record refused 5 times
 *   is dropped with one `store_record_dropped` line. Retries back off (0.5 s doubling to 30 s), and a
 *   history write that fails never fails a claim: `flush` does not throw.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { ConflictingIdError, InvalidArgumentError, JobNotFoundError, StoreUnavailableError } from '../../core/errors.js';
import type { JobRecord } from '../../core/job.js';
import type { RunRecord } from '../../core/run.js';
import { decodeCursor, encodeCursor, type JobPage, type JobPageQuery } from '../job-order.js';
import { PRUNE_JOBS_PER_PASS, resolveRetention, type RetentionOptions } from '../retention.js';
import { jobRowValues, retryJson, setAsideRow, toStoredJob } from '../rows/job-row.js';
import { toRunRecord, type RunRow } from '../rows/run-row.js';
import { errorLog, logTime, REFUSALS_BEFORE_DROP } from '../store-errors.js';
import { loadErrorOf, reportLoadError, type FireClaim, type JobStore, type RunQuery, type StoreContext } from '../store.js';
import { checkSchemaName, createPool, isUnavailable, isUniqueViolation, pgError } from './connection.js';
import { DB_NOW, NodeHeartbeat, type InFlightKeys } from './heartbeat.js';
import { PgListener } from './listener.js';
import { PG_MIGRATIONS, PG_SCHEMA_VERSION } from './migrations.js';
import { PgTransaction, withTransaction } from './transaction.js';
import { HISTORY_COLUMNS, HISTORY_UPDATES, PG_CODEC, RunColumns, cleanText, jobColumns, runsUnnest, scheduleParams, type JobRow } from './rows.js';

export interface PostgresJobStoreOptions extends RetentionOptions {
  /** A libpq-style URL, e.g. postgres://user@127.0.0.1:5432/app. */
  connectionString: string;
  /** The schema holding Tickwork's tables (default "tickwork"); created if missing. */
  schema?: string;
  /** Connections in this node's pool (default 10). */
  poolSize?: number;
  /** Seconds between heartbeats (default 1). */
  heartbeatSeconds?: number;
  /** A node silent this long is dead; its unsettled runs are recorded lost (default 3). */
  leaseSeconds?: number;
  /** Longest time between two looks at the schedule, whatever NOTIFY says (default 2). */
  pollSeconds?: number;
  /** Fires due this close together are claimed in one transaction (default 10 ms). */
  batchWindowMs?: number;
  /**
   * Retries of run history that could not be written: the first after `initial` ms (default 500),
   * doubling up to `max` ms (default 30 000). A record refused 5 times is dropped.
   */
  historyRetryMs?: { initial?: number; max?: number };
  /** Hydrated job records kept between reads, least recently used dropped first (default 10 000). */
  jobCacheSize?: number;
}

/** A fire this node has claimed, by its identity. */
interface InFlightFire {
  jobId: string;
  scheduledAt: number;
  attempt: number;
}

/** An open claim: a transaction holding the row locks of the jobs it took. */
interface Claim {
  tx: PgTransaction;
  jobs: Set<JobRecord>;
}

const FLUSH_DELAY_MS = 5;
/** How often one node prunes history (under an advisory lock, so one node at a time). */
const PRUNE_EVERY_MS = 60_000;

/** SQLSTATE classes of errors caused by the data written (22 data exception, 23 integrity, 54 program limit), not by the database's state. */
const RECORD_ERROR = /^(22|23|54)[0-9A-Z]{3}$/;

/** A run record that could not even be turned into parameters (a value JSON cannot write). */
class UnwritableRecordError extends Error {}

/** The error says the records written were refused, not that the database could not be reached. */
function isRecordError(error: unknown): boolean {
  if (error instanceof UnwritableRecordError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RECORD_ERROR.test(code);
}

/** A row set aside meanwhile: its reason is written once the claim that locked it has ended. */
interface SetAside {
  id: string;
  seq: number;
  version: number;
  reason: string;
}

function positive(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw InvalidArgumentError.field(field, `must be a positive number, got ${String(value)}.`);
  return value;
}

export class PostgresJobStore implements JobStore {
  readonly persistent = true;
  readonly claimsFires = true;
  readonly loopTuning: { maxSleepMs: number; minGapMs: number };
  readonly schema: string;
  readonly nodeId: string;
  private readonly connectionString: string;
  private readonly s: string;
  private readonly channel: string;
  private readonly poolSize: number;
  private readonly heartbeatMs: number;
  private readonly leaseMs: number;
  private readonly maxRunsPerJob: number;
  private readonly maxRunAgeMs: number;
  /** Backoff of run history writes that failed (see historyRetryMs). */
  private readonly historyRetry: { firstMs: number; maxMs: number };
  private readonly jobCacheSize: number;
  private pool: pg.Pool | null = null;
  /** Run history is written on connections with asynchronous commit (see writeRuns). */
  private historyPool: pg.Pool | null = null;
  private context: StoreContext | null = null;
  private heartbeat: NodeHeartbeat | null = null;
  private listener: PgListener | null = null;
  private opening: Promise<void> | null = null;
  /** Hydrated records by id, reused while the row's version is unchanged; in least-recently-used order. */
  private readonly cache = new Map<string, { version: number; job: JobRecord }>();
  /**
   * The fires this node claimed under its current epoch whose settled state is not yet written (fire key
   * to claim). The heartbeat records lost this node's unsettled rows that are not in here (see
   * heartbeat.ts: a settling write lost in a database crash).
   */
  private readonly inFlight = new Map<string, InFlightFire>();
  /** Fires in flight when this node was fenced: whatever they record later is dropped (never written), and they are not retried. */
  private readonly fenced = new Set<string>();
  private readonly claims = new Set<Claim>();
  /** Rows found unloadable whose reason is not written yet, and their `id:seq:version` keys. */
  private setAsideQueue: SetAside[] = [];
  private readonly settingAside = new Set<string>();
  /** Run records to write (new or changed), keyed by identity so the newest state is written once. */
  private readonly pending = new Set<RunRecord>();
  /** Records PostgreSQL refused: how often, and not before when they are tried again (alone). */
  private readonly refused = new Map<RunRecord, { count: number; retryAt: number }>();
  /** After a write that failed as a whole (the database unreachable): consecutive failures, and no write before. */
  private historyFailures = 0;
  private historyRetryAt = 0;
  /** The last history write failed because the database could not be reached (not for what it holds). */
  private historyUnreachable = false;
  private flushing: Promise<void> | null = null;
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  /** The timer waits for a refused record's retry time: a new record must not wait for it. */
  private flushTimerLate = false;
  private lastPrune = 0;
  private pruneCursor = '';

  constructor(options: PostgresJobStoreOptions) {
    if (typeof options?.connectionString !== 'string' || options.connectionString === '') {
      throw InvalidArgumentError.field('connectionString', 'must be a postgres:// URL, e.g. postgres://user@127.0.0.1:5432/app.');
    }
    this.connectionString = options.connectionString;
    this.schema = checkSchemaName(options.schema ?? 'tickwork');
    this.s = `"${this.schema}"`;
    this.channel = `tickwork_${this.schema}`;
    this.poolSize = Math.round(positive(options.poolSize, 10, 'poolSize'));
    this.heartbeatMs = positive(options.heartbeatSeconds, 1, 'heartbeatSeconds') * 1000;
    this.leaseMs = positive(options.leaseSeconds, 3, 'leaseSeconds') * 1000;
    if (this.leaseMs < 2 * this.heartbeatMs) throw InvalidArgumentError.field('leaseSeconds', 'must be at least twice heartbeatSeconds, or live nodes would be declared dead.');
    this.loopTuning = { maxSleepMs: positive(options.pollSeconds, 2, 'pollSeconds') * 1000, minGapMs: options.batchWindowMs ?? 10 };
    ({ maxRunsPerJob: this.maxRunsPerJob, maxRunAgeMs: this.maxRunAgeMs } = resolveRetention(options));
    const retry = options.historyRetryMs;
    if (retry !== undefined && (typeof retry !== 'object' || retry === null)) throw InvalidArgumentError.field('historyRetryMs', 'must be { initial, max } in milliseconds.');
    const firstMs = positive(retry?.initial, 500, 'historyRetryMs.initial');
    const maxMs = positive(retry?.max, Math.max(30_000, firstMs), 'historyRetryMs.max');
    if (maxMs < firstMs) throw InvalidArgumentError.field('historyRetryMs.max', `must be at least historyRetryMs.initial (${firstMs}), got ${maxMs}.`);
    this.historyRetry = { firstMs, maxMs };
    this.jobCacheSize = Math.round(positive(options.jobCacheSize, 10_000, 'jobCacheSize'));
    this.nodeId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  }

  /**
   * Whole milliseconds: fire times derive from it (an interval's grid starts at "now"), and every node
   * must compute the very same instants from the stored, millisecond-precise definition.
   */
  clockOffsetMs(): number {
    return Math.round(this.heartbeat?.offsetMs ?? 0);
  }

  // ---- lifecycle ----

  open(context: StoreContext): Promise<void> {
    if (this.pool !== null && this.opening === null) return Promise.resolve();
    this.opening ??= this.doOpen(context).finally(() => {
      this.opening = null;
    });
    return this.opening;
  }

  private async doOpen(context: StoreContext): Promise<void> {
    this.context = context;
    // Claims run on this pool: a client stopped inside its claim transaction loses its session (and the
    // row locks) after half a lease, so no other node waits for it longer than that.
    const pool = createPool(this.connectionString, this.nodeId, this.poolSize, { idleInTransactionMs: this.leaseMs / 2 });
    const historyPool = createPool(this.connectionString, this.nodeId, 2, { asyncCommit: true });
    // An idle client that loses its connection emits here; without a listener the process would exit.
    for (const p of [pool, historyPool]) {
      p.on('error', (error) => context.logger.warn({ event: 'store_connection_lost', error: { message: error.message } }, 'an idle PostgreSQL connection was lost'));
      // A connection in use can be ended by the server too (a claim held past idle_in_transaction_session_timeout,
      // a restart): its query fails and the client is discarded; the event must not crash the process.
      p.on('connect', (client) => client.on('error', () => undefined));
    }
    try {
      await this.migrate(pool);
      const heartbeat = new NodeHeartbeat(this.connectionString, this.s, this.nodeId, this.heartbeatMs, this.leaseMs, context, {
        onLost: (runs) => this.lost(runs),
        inFlight: () => this.inFlightKeys(),
        onFenced: () => this.onFenced(),
        onCurrent: () => context.wake(Number.NEGATIVE_INFINITY),
        onRegistered: (epoch, again) => {
          if (again) {
            context.logger.info({ event: 'store_node_joined', node: this.nodeId, schema: this.schema, epoch, again: true },
              `PostgreSQL store: node ${this.nodeId} registered again (epoch ${epoch}) after being fenced`);
          }
        },
      });
      this.heartbeat = heartbeat;
      await heartbeat.start();
      const listener = new PgListener(this.connectionString, this.nodeId, this.channel, context.logger,
        (payload) => {
          if (payload.startsWith('changed:')) {
            const rest = payload.slice('changed:'.length);
            const colon = rest.indexOf(':');
            this.dropCached(rest.slice(colon + 1), Number(rest.slice(0, colon)));
            return;
          }
          const at = Number(payload);
          if (Number.isFinite(at)) context.wake(at);
        },
        () => context.wake(Number.NEGATIVE_INFINITY));
      await listener.start();
      this.pool = pool;
      this.historyPool = historyPool;
      this.heartbeat = heartbeat;
      this.listener = listener;
      context.logger.info({ event: 'store_node_joined', node: this.nodeId, schema: this.schema, epoch: heartbeat.epoch, clockOffsetMs: Math.round(heartbeat.offsetMs) },
        `PostgreSQL store: node ${this.nodeId} joined schema ${this.schema}`);
    } catch (error) {
      await this.heartbeat?.stop().catch(() => undefined);
      await this.heartbeat?.end();
      this.heartbeat = null;
      await pool.end().catch(() => undefined);
      await historyPool.end().catch(() => undefined);
      throw pgError(`opening schema ${this.schema}`, error);
    }
  }

  /** Applies pending migrations under an advisory lock; refuses a schema newer than this code. */
  private async migrate(pool: pg.Pool): Promise<void> {
    const client = await pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock(hashtext($1))', [`tickwork:migrate:${this.schema}`]);
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.s}`);
        await client.query(`CREATE TABLE IF NOT EXISTS ${this.s}.schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
        const { rows } = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${this.s}.schema_migrations`);
        const current = rows[0]?.version ?? 0;
        if (current > PG_SCHEMA_VERSION) {
          throw new StoreUnavailableError(`PostgreSQL store: schema ${this.schema} has version ${current}, newer than this Tickwork knows (${PG_SCHEMA_VERSION}); upgrade Tickwork on this node before it joins.`);
        }
        for (const migration of PG_MIGRATIONS) {
          if (migration.version <= current) continue;
          // On the client that holds the session's advisory lock: it is released below, after the unlock.
          await (await PgTransaction.begin(client, true)).run(async () => {
            await client.query(migration.sql.replaceAll('{schema}', this.s));
            await client.query(`INSERT INTO ${this.s}.schema_migrations (version) VALUES ($1)`, [migration.version]);
          });
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`tickwork:migrate:${this.schema}`]).catch(() => undefined);
      }
    } finally {
      client.release();
    }
  }

  /** Graceful leave: writes history, records this node's unsettled runs cancelled, leaves the node table. */
  async close(): Promise<void> {
    const pool = this.pool;
    if (pool === null) return;
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    try {
      for (const claim of [...this.claims]) await this.rollbackClaim(claim);
      await this.writeHistory(true);
      await this.heartbeat?.stop();
      await pool.query(
        `UPDATE ${this.s}.runs SET status = 'cancelled', finished_at = ${DB_NOW}, error = $2::jsonb
         WHERE node_id = $1 AND epoch = $3 AND status IN ('claimed', 'queued', 'running')`,
        [this.nodeId, JSON.stringify({ code: 'JOB_CANCELLED', message: 'the node shut down before the run finished' }), this.heartbeat?.epoch ?? null],
      );
      await this.heartbeat?.leave();
    } catch (error) {
      this.context?.logger.warn({ event: 'store_close_failed', error: { message: (error as Error).message } },
        'PostgreSQL store: leaving the cluster cleanly failed; other nodes will take over after the lease');
    } finally {
      await this.listener?.stop();
      this.listener = null;
      await this.heartbeat?.end();
      this.heartbeat = null;
      this.inFlight.clear();
      this.fenced.clear();
      this.pool = null;
      for (const { job } of this.cache.values()) job.releaseTrigger();
      this.cache.clear();
      // What could not be written stays pending (for a reopen); no retry timer outlives the store.
      if (this.flushTimer !== null) clearTimeout(this.flushTimer);
      this.flushTimer = null;
      this.historyFailures = 0;
      this.historyRetryAt = 0;
      await pool.end().catch(() => undefined);
      await this.historyPool?.end().catch(() => undefined);
      this.historyPool = null;
    }
  }

  private get db(): pg.Pool {
    if (this.pool === null) throw new StoreUnavailableError('PostgreSQL store is not open; start the scheduler first.');
    return this.pool;
  }

  private async query<R extends pg.QueryResultRow>(action: string, sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    try {
      return await this.db.query<R>(sql, params);
    } catch (error) {
      throw pgError(action, error);
    }
  }

  /**
   * A named statement: node-postgres prepares it once per connection, so PostgreSQL parses and plans the
   * statements of every pass once instead of on each call (the planning of the unnest-based claim and
   * history statements was a measurable part of the database's CPU at 5 000 fires/s). The schema is part
   * of the name, since the text differs per schema.
   */
  private prepared(name: string, text: string, values: unknown[]): pg.QueryConfig {
    return { name: `tickwork_${name}_${this.schema}`, text, values };
  }

  private notifySql(dueColumn: string): string {
    return `pg_notify('${this.channel}', ${dueColumn}::text)`;
  }

  /**
   * Tells the other nodes that the job `$1` changed (to `versionColumn`; null: removed): they drop a
   * cached record older than that. (Not a number: nodes of an earlier version ignore it.)
   */
  private changedSql(versionColumn: string | null): string {
    return `pg_notify('${this.channel}', 'changed:' || ${versionColumn === null ? "'removed'" : `${versionColumn}::text`} || ':' || $1::text) AS changed_notified`;
  }

  // ---- jobs ----

  /**
   * A record for a row: the cached one when it was read from this very row (seq: a job removed and added
   * again under its id starts at version 1 too) and its definition is unchanged, with the row's schedule.
   */
  private fromRow(row: JobRow, report = true): JobRecord {
    if (row.load_error !== null) return this.placeholder(row, row.load_error);
    const cached = this.cache.get(row.id);
    const sameRow = cached !== undefined && cached.job.seq === row.seq;
    let job: JobRecord;
    if (cached !== undefined && sameRow && cached.version === row.version) {
      // Most recently used: to the end of the map's order.
      this.cache.delete(row.id);
      this.cache.set(row.id, cached);
      job = cached.job;
      job.paused = row.paused;
      // A paused job has no next run time, whatever the row says (see the service's hydrate).
      job.nextRunTime = row.paused ? null : row.next_run_time;
      job.dueAt = row.due_at;
      job.jitterMs = row.jitter_ms;
      job.retry = row.paused ? null : row.retry;
    } else {
      try {
        job = (this.context as StoreContext).hydrate(toStoredJob(row, PG_CODEC));
      } catch (error) {
        // A row this version cannot load: set aside (see setAside), not thrown at every pass.
        const reason = error instanceof Error ? error.message : String(error);
        if (report) this.queueSetAside(row, reason);
        return this.placeholder(row, reason);
      }
      if (cached !== undefined) {
        cached.job.releaseTrigger();
        if (sameRow) job.lastRun = cached.job.lastRun; // another job's last run is not this one's
      }
      this.cacheSet(row.id, { version: row.version, job });
    }
    job.running = row.active;
    job.seq = row.seq;
    const last = row.last_run === null ? null : toRunRecord(row.last_run, PG_CODEC);
    if (last !== null && (job.lastRun === null || job.lastRun.scheduledAt <= last.scheduledAt)) job.lastRun = last;
    return job;
  }

  /** The placeholder of a set-aside row (see setAsideRecord); never cached, never claimed. */
  private placeholder(row: JobRow, reason: string): JobRecord {
    const cached = this.cache.get(row.id);
    if (cached !== undefined) {
      cached.job.releaseTrigger();
      this.cache.delete(row.id);
    }
    const job = setAsideRow(row, PG_CODEC, reason);
    job.seq = row.seq;
    job.running = row.active;
    if (row.last_run !== null) job.lastRun = toRunRecord(row.last_run, PG_CODEC);
    return job;
  }

  private queueSetAside(row: JobRow, reason: string): void {
    const key = `${row.id}\u0000${row.seq}\u0000${row.version}`;
    if (this.settingAside.has(key)) return;
    this.settingAside.add(key);
    this.setAsideQueue.push({ id: row.id, seq: Number(row.seq), version: Number(row.version), reason });
  }

  /**
   * Writes the reasons of rows found unloadable, each only if the row is still the one read (seq and
   * version) and not set aside already, in a short statement of its own: called where no transaction of
   * this node holds the rows' locks. The node whose statement set it reports it: once across the cluster.
   * Never throws: a row not marked is found again at the next read.
   */
  private async drainSetAside(): Promise<void> {
    if (this.setAsideQueue.length === 0 || this.pool === null) return;
    const batch = this.setAsideQueue;
    this.setAsideQueue = [];
    try {
      const { rows } = await this.pool.query<{ id: string; reason: string }>(
        `UPDATE ${this.s}.jobs j SET load_error = u.reason
         FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[]) AS u(id, seq, version, reason)
         WHERE j.id = u.id AND j.seq = u.seq AND j.version = u.version AND j.load_error IS NULL
         RETURNING j.id, u.reason`,
        [batch.map((b) => b.id), batch.map((b) => b.seq), batch.map((b) => b.version), batch.map((b) => cleanText(b.reason))]);
      const context = this.context;
      if (context !== null) for (const row of rows) reportLoadError(context, row.id, row.reason);
    } catch (error) {
      this.context?.logger.warn({ event: 'store_set_aside_failed', jobIds: batch.map((b) => b.id), error: errorLog(error) },
        'PostgreSQL store: marking unloadable jobs failed; they are skipped and marked at a later read');
    } finally {
      for (const b of batch) this.settingAside.delete(`${b.id}\u0000${b.seq}\u0000${b.version}`);
    }
  }

  private serialize(job: JobRecord): unknown[] {
    return [job.id, ...jobRowValues(job, PG_CODEC)];
  }

  async add(job: JobRecord): Promise<void> {
    const params = this.serialize(job);
    try {
      const { rows } = await this.db.query<{ seq: number }>(
        `WITH added AS (
           INSERT INTO ${this.s}.jobs (id, name, task, args, trigger, policy, paused, next_run_time, due_at, jitter_ms, retry)
           VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6::jsonb, $7, $8, $9, $10, $11::jsonb) RETURNING seq, due_at)
         SELECT seq, CASE WHEN due_at IS NOT NULL THEN ${this.notifySql('due_at')} END FROM added`,
        params,
      );
      job.seq = rows[0]?.seq ?? 0;
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictingIdError(job.id);
      throw pgError(`adding job "${job.id}"`, error);
    }
    this.cacheReplace(job, 1);
  }

  /**
   * Replaces the job stored under `job.id` (with its history), or adds it, in one transaction: a failed
   * insert leaves the old job and its history in place (see JobStore.replace).
   */
  async replace(job: JobRecord): Promise<JobRecord | undefined> {
    const params = this.serialize(job);
    let replaced: { removed: JobRow | undefined; seq: number };
    try {
      replaced = await withTransaction(this.db, async (client) => {
        const removed = await client.query<JobRow>(
          `WITH removed AS (DELETE FROM ${this.s}.jobs j WHERE j.id = $1 RETURNING j.*),
             history AS (DELETE FROM ${this.s}.runs WHERE job_id IN (SELECT id FROM removed))
           SELECT removed.*, 0 AS active, NULL::json AS last_run, ${this.changedSql(null)} FROM removed`, [job.id]);
        const { rows } = await client.query<{ seq: number }>(
          `WITH added AS (
             INSERT INTO ${this.s}.jobs (id, name, task, args, trigger, policy, paused, next_run_time, due_at, jitter_ms, retry)
             VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6::jsonb, $7, $8, $9, $10, $11::jsonb) RETURNING seq, due_at)
           SELECT seq, CASE WHEN due_at IS NOT NULL THEN ${this.notifySql('due_at')} END FROM added`,
          params,
        );
        return { removed: removed.rows[0], seq: rows[0]?.seq ?? 0 };
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictingIdError(job.id);
      throw pgError(`replacing job "${job.id}"`, error);
    }
    job.seq = replaced.seq;
    const old = replaced.removed === undefined ? undefined : this.fromRow(replaced.removed, false);
    this.cacheReplace(job, 1);
    return old;
  }

  private cacheReplace(job: JobRecord, version: number): void {
    const old = this.cache.get(job.id);
    if (old !== undefined && old.job !== job) old.job.releaseTrigger();
    this.cache.delete(job.id);
    this.cacheSet(job.id, { version, job });
  }

  /** Adds a cache entry as the most recently used; the least recently used go beyond jobCacheSize. */
  private cacheSet(id: string, entry: { version: number; job: JobRecord }): void {
    this.cache.set(id, entry);
    if (this.cache.size <= this.jobCacheSize) return;
    for (const [oldest, { job }] of this.cache) {
      if (this.cache.size <= this.jobCacheSize) break;
      // Releasing a trigger still in use breaks nothing (see JobRecord.releaseTrigger): it is read again.
      job.releaseTrigger();
      this.cache.delete(oldest);
    }
  }

  /** Another node changed or removed the job: its cached record goes (the next read hydrates the row). */
  private dropCached(id: string, version: number): void {
    const cached = this.cache.get(id);
    // NaN (removed) drops it; this node's own change is cached at that version already.
    if (cached === undefined || cached.version >= version) return;
    cached.job.releaseTrigger();
    this.cache.delete(id);
  }

  async update(job: JobRecord): Promise<void> {
    // Only the row this record was read from (seq is unique per inserted row): a record of a job removed
    // and added again under its id meanwhile (a retry of its last run, say) must not overwrite the new one.
    const seq = job.seq > 0 ? job.seq : null;
    // The retry of an attempt that ran under a fenced registration (it failed on this node after another
    // node had recorded it lost): not scheduled, since nothing of that attempt counts.
    const retry = job.retry;
    if (retry !== null && this.fenced.size !== 0 && this.fenced.has(fireKey(job.id, retry.scheduledAt, retry.attempt - 1))) {
      job.retry = null;
      this.context?.logger.warn({ event: 'store_retry_fenced', jobId: job.id, scheduledAt: new Date(retry.scheduledAt).toISOString(), attempt: retry.attempt },
        'the retry of a run of a fenced registration (recorded lost elsewhere) is not scheduled');
    }
    const { rows } = await this.query<{ version: number; due_at: number | null }>(`updating job "${job.id}"`,
      `WITH changed AS (
         UPDATE ${this.s}.jobs SET name = $2, task = $3, args = $4::jsonb, trigger = $5::jsonb, policy = $6::jsonb, paused = $7,
           next_run_time = $8, due_at = $9, jitter_ms = $10, retry = $11::jsonb, version = version + 1, load_error = NULL
         WHERE id = $1 AND ($12::bigint IS NULL OR seq = $12) RETURNING version, due_at)
       SELECT version, due_at, CASE WHEN due_at IS NOT NULL THEN ${this.notifySql('due_at')} END, ${this.changedSql('version')} FROM changed`,
      [...this.serialize(job), seq]);
    const row = rows[0];
    if (row === undefined) throw new JobNotFoundError(job.id);
    this.cacheReplace(job, row.version);
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
    if (retry === null) return false;
    if (this.fenced.size !== 0 && this.fenced.has(fireKey(job.id, retry.scheduledAt, retry.attempt - 1))) {
      job.retry = null;
      this.context?.logger.warn({ event: 'store_retry_fenced', jobId: job.id, scheduledAt: new Date(retry.scheduledAt).toISOString(), attempt: retry.attempt },
        'the retry of a run of a fenced registration (recorded lost elsewhere) is not scheduled');
      return false;
    }
    const seq = job.seq > 0 ? job.seq : null;
    const { rows } = await this.query<{ version: number }>(`scheduling a retry of job "${job.id}"`,
      `WITH changed AS (
         UPDATE ${this.s}.jobs SET retry = $2::jsonb, due_at = CASE WHEN due_at IS NULL OR due_at > $3::float8 THEN $3::float8 ELSE due_at END,
           version = version + 1
         WHERE id = $1 AND ($4::bigint IS NULL OR seq = $4) AND NOT paused AND retry IS NULL AND load_error IS NULL
           AND (next_run_time IS NULL OR next_run_time > $3::float8)
         RETURNING version, due_at)
       SELECT version, ${this.notifySql('due_at')}, ${this.changedSql('version')} FROM changed`,
      [job.id, retryJson(retry, PG_CODEC), retry.at, seq]);
    const row = rows[0];
    if (row === undefined) {
      job.retry = null;
      return false;
    }
    // The record is the row's only if nothing else changed it in between; else the next read hydrates it.
    const cached = this.cache.get(job.id);
    if (cached !== undefined && cached.job === job && cached.version === row.version - 1) this.cacheReplace(job, row.version);
    else this.dropCached(job.id, row.version);
    return true;
  }

  async remove(id: string, only?: JobRecord): Promise<JobRecord | undefined> {
    // `only`: the row must be the one that record was read from (seq is unique per inserted row); the
    // history goes only with the row it belongs to.
    const seq = only !== undefined && only.seq > 0 ? only.seq : null;
    const { rows } = await this.query<JobRow>(`removing job "${id}"`,
      // A finished job's removal (`only`) also requires the row to have no pending retry, which another node
      // may have given it since (a retry of this node's lost run, while this node was paused).
      `WITH removed AS (DELETE FROM ${this.s}.jobs j WHERE j.id = $1 AND ($2::bigint IS NULL OR (j.seq = $2 AND j.retry IS NULL)) RETURNING j.*),
         history AS (DELETE FROM ${this.s}.runs WHERE job_id IN (SELECT id FROM removed))
       SELECT removed.*, 0 AS active, NULL::json AS last_run, ${this.changedSql(null)} FROM removed`, [id, seq]);
    const row = rows[0];
    if (row === undefined) return undefined;
    const job = this.fromRow(row, false);
    this.cache.delete(id);
    return job;
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const { rows } = await this.query<JobRow>(`reading job "${id}"`, `SELECT ${jobColumns(this.s)} FROM ${this.s}.jobs j WHERE j.id = $1`, [id]);
    const row = rows[0];
    if (row === undefined) {
      const stale = this.cache.get(id);
      if (stale !== undefined) {
        stale.job.releaseTrigger();
        this.cache.delete(id);
      }
      return undefined;
    }
    const job = this.fromRow(row);
    await this.drainSetAside();
    return job;
  }

  async list(): Promise<JobRecord[]> {
    const { rows } = await this.query<JobRow>('listing jobs', `SELECT ${jobColumns(this.s)} FROM ${this.s}.jobs j ORDER BY j.seq`);
    const jobs = rows.map((row) => this.fromRow(row));
    await this.drainSetAside();
    return jobs;
  }

  async count(): Promise<number> {
    const { rows } = await this.query<{ n: number }>('counting jobs', `SELECT count(*)::int AS n FROM ${this.s}.jobs`);
    return rows[0]?.n ?? 0;
  }

  async ping(): Promise<void> {
    await this.query('ping', 'SELECT 1');
    if (this.heartbeat !== null && !this.heartbeat.current) {
      throw new StoreUnavailableError('PostgreSQL store: this node has no heartbeat within its lease (or is registering again after being declared dead); it claims nothing meanwhile.');
    }
    if (this.listener !== null && !this.listener.isConnected) {
      throw new StoreUnavailableError('PostgreSQL store: the LISTEN connection is down and reconnecting; new jobs from other nodes may start late meanwhile.');
    }
  }

  async page(query: JobPageQuery): Promise<JobPage> {
    const params: unknown[] = [];
    const where: string[] = [];
    const lastStatus = `(SELECT r.status FROM ${this.s}.runs r WHERE r.job_id = j.id AND r.status NOT IN ('claimed', 'queued') ORDER BY r.scheduled_at DESC, r.attempt DESC LIMIT 1)`;
    if (query.q !== undefined && query.q !== '') {
      params.push(query.q.toLowerCase());
      where.push(`(strpos(lower(j.id), $${params.length}) > 0 OR strpos(lower(j.name), $${params.length}) > 0)`);
    }
    if (query.state === 'active') where.push('NOT j.paused');
    if (query.state === 'paused') where.push('j.paused');
    if (query.state === 'failing') where.push(`${lastStatus} IN ('failed', 'timed_out', 'lost')`);
    const key = query.sort === 'nextRunTime' ? `COALESCE(j.next_run_time, 'Infinity'::float8)`
      : query.sort === 'lastRun' ? `COALESCE(-(SELECT r.scheduled_at FROM ${this.s}.runs r WHERE r.job_id = j.id AND r.status NOT IN ('claimed', 'queued') ORDER BY r.scheduled_at DESC LIMIT 1), 'Infinity'::float8)`
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
    const sql = `SELECT ${jobColumns(this.s)} FROM ${this.s}.jobs j ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
      ORDER BY ${key === null ? '' : `${key}, `}j.id COLLATE "C" LIMIT $${params.length}`;
    const { rows } = await this.query<JobRow>('listing jobs', sql, params);
    const items = rows.slice(0, query.limit).map((row) => this.fromRow(row));
    await this.drainSetAside();
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > query.limit && last !== undefined ? encodeCursor(last, query.sort) : null };
  }

  // ---- the loop ----

  async earliestDue(): Promise<number | null> {
    // No claims until the heartbeat holds the registration (see takeDue); it wakes the loop then.
    if (this.heartbeat?.current !== true) return null;
    const taken: string[] = [];
    for (const claim of this.claims) for (const job of claim.jobs) taken.push(job.id);
    const { rows } = await this.query<{ due_at: number }>('reading the next due time',
      `SELECT due_at FROM ${this.s}.jobs WHERE due_at IS NOT NULL AND load_error IS NULL ${taken.length === 0 ? '' : 'AND NOT (id = ANY($1))'} ORDER BY due_at LIMIT 1`,
      taken.length === 0 ? [] : [taken]);
    return rows[0]?.due_at ?? null;
  }

  /** Opens a claim: locks up to `limit` due jobs no other node holds. The transaction ends in putBack. */
  async takeDue(now: number, limit: number): Promise<JobRecord[]> {
    // Settled runs should be visible before slots are counted; a history write that fails does not stop
    // the claim (flush never throws: it retries in the background).
    await this.flush();
    // Not registered, or no heartbeat within the lease (this node may have been declared dead): no claim
    // until a heartbeat says it holds its registration (its claims would be refused by the epoch anyway).
    if (this.heartbeat?.current !== true) return [];
    let tx: PgTransaction;
    try {
      tx = await PgTransaction.begin(await this.db.connect());
    } catch (error) {
      throw pgError('claiming due jobs', error);
    }
    try {
      const { rows } = await tx.client.query<JobRow>(this.prepared('take_due',
        `SELECT ${jobColumns(this.s, false)} FROM ${this.s}.jobs j WHERE j.due_at <= $1::float8 AND j.load_error IS NULL
         ORDER BY j.due_at, j.seq LIMIT $2 FOR UPDATE OF j SKIP LOCKED`,
        [now, limit]));
      // A row that cannot be loaded is left out (its lock goes with the claim) and set aside once the claim ends.
      const jobs: JobRecord[] = [];
      for (const row of rows) {
        const job = this.fromRow(row);
        if (job.func !== null || loadErrorOf(job) === null) jobs.push(job);
      }
      if (jobs.length === 0) {
        await tx.commit();
        await this.drainSetAside();
        return [];
      }
      this.claims.add({ tx, jobs: new Set(jobs) });
      return jobs;
    } catch (error) {
      await tx.rollback(error);
      throw pgError('claiming due jobs', error);
    }
  }

  /**
   * Ends the claims holding `jobs`: new schedules and the fires' run rows in one statement, then COMMIT.
   * Answers the claims refused because their fire was recorded already (by another node).
   */
  async putBack(jobs: JobRecord[], claims: readonly FireClaim[] = []): Promise<readonly FireClaim[]> {
    const mine = [...this.claims].filter((claim) => jobs.some((job) => claim.jobs.has(job)));
    if (mine.length === 0) return claims;
    const refused: FireClaim[] = [];
    for (const claim of mine) {
      const batchJobs = jobs.filter((job) => claim.jobs.has(job));
      const batchClaims = claims.filter((c) => claim.jobs.has(c.job));
      let accepted: Map<string, InFlightFire> | null = null;
      try {
        accepted = await this.writeClaim(claim.tx.client, batchJobs, batchClaims);
        // A submission starts all its fire times or none: one whose times were partly recorded elsewhere
        // already (a schedule rewound by a stale write, say) would run some of them twice, or leave the
        // rows it did insert queued for ever. Its own rows are taken back before the commit.
        const partial = batchClaims.filter((c) => !c.runTimes.every((at) => accepted?.has(fireKey(c.job.id, at, c.attempt))));
        if (partial.length !== 0) await this.withdrawFires(claim.tx.client, partial, accepted);
        // In flight before the commit: the heartbeat must never take a committed claim for a lost write.
        for (const [key, fire] of accepted) this.inFlight.set(key, fire);
        await this.commitClaim(claim);
        for (const c of batchClaims) if (partial.includes(c) || !accepted.has(fireKey(c.job.id, c.runTimes[0] as number, c.attempt))) refused.push(c);
        // The database answers again (after a restart, say): history backing off is written now, not after
        // its backoff, since the rows it settles hold their jobs' instance slots meanwhile.
        if (this.historyFailures !== 0 && this.historyUnreachable) {
          this.historyUnreachable = false;
          this.historyFailures = 0;
          this.historyRetryAt = 0;
          this.armFlush(FLUSH_DELAY_MS, false);
        }
      } catch (error) {
        if (accepted !== null) for (const key of accepted.keys()) this.inFlight.delete(key);
        await this.rollbackClaim(claim, error);
        throw pgError('recording claimed fires', error);
      }
    }
    const others = claims.filter((c) => !mine.some((claim) => claim.jobs.has(c.job)));
    return [...refused, ...others];
  }

  /** Deletes, inside the claim, the run rows this claim inserted for `claims` (refused as a whole). */
  private async withdrawFires(client: pg.PoolClient, claims: readonly FireClaim[], accepted: Map<string, InFlightFire>): Promise<void> {
    const ids: string[] = [];
    const times: number[] = [];
    const attempts: number[] = [];
    for (const c of claims) {
      for (const at of c.runTimes) {
        const key = fireKey(c.job.id, at, c.attempt);
        if (!accepted.delete(key)) continue;
        ids.push(c.job.id);
        times.push(at);
        attempts.push(c.attempt);
      }
      this.context?.logger.warn({ event: 'fire_partly_claimed_elsewhere', jobId: c.job.id, runTimes: c.runTimes.map((t) => new Date(t).toISOString()) },
        'some fire times of this submission were recorded by another node already; none of them starts here');
    }
    if (ids.length === 0) return;
    await client.query(
      `DELETE FROM ${this.s}.runs r USING unnest($1::text[], $2::float8[], $3::int[]) AS u(job_id, scheduled_at, attempt)
       WHERE r.job_id = u.job_id AND r.scheduled_at = u.scheduled_at AND r.attempt = u.attempt AND r.node_id = $4 AND r.status IN ('claimed', 'queued')`,
      [ids, times, attempts, this.nodeId]);
  }

  /**
   * The claim, fenced: the schedules move and the run rows go in only while this node's registration
   * holds the epoch it claims under (its row is key-share-locked: a sweep's delete waits for the commit,
   * the heartbeat's update does not). Answers the fires recorded, by key.
   */
  private async writeClaim(client: pg.PoolClient, jobs: JobRecord[], claims: readonly FireClaim[]): Promise<Map<string, InFlightFire>> {
    const fires = { jobId: [] as string[], scheduledAt: [] as number[], attempt: [] as number[], status: [] as string[] };
    for (const claim of claims) {
      claim.runTimes.forEach((at, i) => {
        fires.jobId.push(claim.job.id);
        fires.scheduledAt.push(at);
        fires.attempt.push(claim.attempt);
        fires.status.push(i === 0 ? 'claimed' : 'queued');
      });
    }
    const { rows } = await client.query<{ job_id: string; scheduled_at: number; attempt: number }>(this.prepared('claim',
      `WITH me AS (SELECT 1 FROM ${this.s}.nodes WHERE id = $6 AND epoch = $11::bigint FOR KEY SHARE),
       moved AS (
         UPDATE ${this.s}.jobs j SET next_run_time = u.next, due_at = u.due, jitter_ms = u.jitter, retry = u.retry::jsonb
         FROM unnest($1::text[], $2::float8[], $3::float8[], $4::int[], $5::text[]) AS u(id, next, due, jitter, retry)
         WHERE j.id = u.id AND EXISTS (SELECT 1 FROM me))
       INSERT INTO ${this.s}.runs (job_id, scheduled_at, attempt, status, node_id, epoch, recorded_at)
       SELECT u.job_id, u.scheduled_at, u.attempt, u.status, $6, $11::bigint, ${DB_NOW}
       FROM unnest($7::text[], $8::float8[], $9::int[], $10::text[]) AS u(job_id, scheduled_at, attempt, status)
       WHERE EXISTS (SELECT 1 FROM me)
       ON CONFLICT DO NOTHING
       RETURNING job_id, scheduled_at, attempt`,
      [...scheduleParams(jobs), this.nodeId, fires.jobId, fires.scheduledAt, fires.attempt, fires.status, this.heartbeat?.epoch ?? null]));
    const accepted = new Map<string, InFlightFire>();
    for (const row of rows) accepted.set(fireKey(row.job_id, row.scheduled_at, row.attempt), { jobId: row.job_id, scheduledAt: row.scheduled_at, attempt: row.attempt });
    return accepted;
  }

  /** Commits a claim; a failed (ambiguous) COMMIT is thrown: its fires must not start. */
  private async commitClaim(claim: Claim): Promise<void> {
    if (!this.claims.delete(claim)) {
      throw new StoreUnavailableError('PostgreSQL store: the claim was rolled back (the store closed); its fires do not start.');
    }
    try {
      await claim.tx.commit();
    } finally {
      // Rows the claim left out because they cannot be loaded: their locks are free now.
      await this.drainSetAside();
    }
  }

  /** Rolls a claim back (if it is still open); never throws. `cause`: the error that ends it. */
  private async rollbackClaim(claim: Claim, cause?: unknown): Promise<void> {
    if (!this.claims.delete(claim)) return;
    await claim.tx.rollback(cause);
    await this.drainSetAside();
  }

  /** A manual run: locks the job, counts its slots cluster-wide, records the run as claimed. */
  async claimManual(claim: FireClaim): Promise<boolean> {
    const scheduledAt = claim.runTimes[0] as number;
    const key = fireKey(claim.job.id, scheduledAt, claim.attempt);
    let added = false;
    try {
      return await withTransaction(this.db, async (client) => {
        const { rows } = await client.query<{ active: number }>(
          `SELECT (SELECT count(*)::int FROM ${this.s}.runs a WHERE a.job_id = j.id AND a.status IN ('claimed', 'running')) AS active
           FROM ${this.s}.jobs j WHERE j.id = $1 FOR UPDATE`, [claim.job.id]);
        const row = rows[0];
        if (row === undefined) throw new JobNotFoundError(claim.job.id);
        // Its slots are taken: nothing is written (the transaction only held the job's row).
        if (row.active >= claim.job.policy.maxInstances) return false;
        const inserted = await client.query(
          `INSERT INTO ${this.s}.runs (job_id, scheduled_at, attempt, status, node_id, epoch, recorded_at)
           SELECT $1, $2, $3, 'claimed', $4, $5::bigint, ${DB_NOW} WHERE EXISTS (SELECT 1 FROM ${this.s}.nodes WHERE id = $4 AND epoch = $5::bigint FOR KEY SHARE)
           ON CONFLICT DO NOTHING`, [claim.job.id, scheduledAt, claim.attempt, this.nodeId, this.heartbeat?.epoch ?? null]);
        // In flight before the commit, as in putBack; taken back below when the commit fails.
        added = inserted.rowCount === 1;
        if (added) this.inFlight.set(key, { jobId: claim.job.id, scheduledAt, attempt: claim.attempt });
        return added;
      });
    } catch (error) {
      if (added) this.inFlight.delete(key);
      throw pgError('claiming a manual run', error);
    }
  }

  // ---- run history ----

  recordRun(run: RunRecord, _job?: JobRecord): void {
    if (this.fenced.size !== 0 && this.fencedRun(run)) return;
    run.node = this.nodeId;
    this.pending.add(run);
    this.scheduleFlush();
  }

  updateRun(run: RunRecord): void {
    if (this.fenced.size !== 0 && this.fencedRun(run)) return;
    // A changed record is worth a try of its own, whatever its earlier state's fate.
    if (this.refused.size !== 0) this.refused.delete(run);
    this.pending.add(run);
    this.scheduleFlush();
  }

  /** A new or changed record: written within FLUSH_DELAY_MS, unless a failed write is backing off. */
  private scheduleFlush(): void {
    if ((this.flushTimer !== null && !this.flushTimerLate) || this.pool === null) return;
    this.armFlush(FLUSH_DELAY_MS, false);
  }

  private armFlush(delayMs: number, late: boolean): void {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimerLate = late;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.flush().catch(() => undefined);
    }, delayMs);
  }

  /** After a write: the timer for what is still pending, at the earliest time any of it may be tried. */
  private armRetry(): void {
    if (this.pending.size === 0 || this.pool === null) return;
    const now = Date.now();
    if (this.historyRetryAt > now) {
      this.armFlush(this.historyRetryAt - now, false);
      return;
    }
    let at = Number.POSITIVE_INFINITY;
    for (const run of this.pending) {
      const refused = this.refused.get(run);
      if (refused === undefined) {
        at = now;
        break;
      }
      at = Math.min(at, refused.retryAt);
    }
    if (at <= now) this.armFlush(FLUSH_DELAY_MS, false);
    else this.armFlush(at - now, true);
  }

  /**
   * A run of a fenced registration: recorded nowhere (the database says `lost`, and stays so). Its key
   * stays in `fenced` (until close) so that a retry of it is not scheduled either (see update).
   */
  private fencedRun(run: RunRecord): boolean {
    return this.fenced.has(fireKey(run.jobId, run.scheduledAt, run.attempt));
  }

  /** Another node swept this one (it was paused past its lease): its runs stop, and nothing of them is written. */
  private onFenced(): void {
    for (const key of this.inFlight.keys()) this.fenced.add(key);
    this.inFlight.clear();
    // Records not written yet belong to the old registration too.
    for (const run of this.pending) this.fenced.add(fireKey(run.jobId, run.scheduledAt, run.attempt));
    this.pending.clear();
    this.refused.clear();
    // Rolled back: they would be refused by the epoch, and their row locks would hold the jobs meanwhile.
    for (const claim of [...this.claims]) void this.rollbackClaim(claim);
    this.context?.onFenced?.('its node was declared dead (paused or cut off past its lease); the run was recorded lost');
  }

  private inFlightKeys(): InFlightKeys {
    const keys: InFlightKeys = { jobIds: [], scheduledAts: [], attempts: [] };
    for (const fire of this.inFlight.values()) {
      keys.jobIds.push(fire.jobId);
      keys.scheduledAts.push(fire.scheduledAt);
      keys.attempts.push(fire.attempt);
    }
    return keys;
  }

  private backoffMs(failures: number): number {
    const { firstMs, maxMs } = this.historyRetry;
    return Math.min(firstMs * 2 ** Math.max(0, failures - 1), maxMs);
  }

  /**
   * Writes buffered run records (one upsert for the batch); one flush at a time. Never throws: what could
   * not be written stays pending and is retried with backoff (see writeBatch), so a pass and its claims
   * never fail for history.
   */
  async flush(): Promise<void> {
    await this.writeHistory(false);
    await this.maybePrune();
  }

  /** `force`: also what is backing off (closing: the last chance). */
  private async writeHistory(force: boolean): Promise<void> {
    while (this.flushing !== null) await this.flushing;
    // Not registered (fenced, registering again): nothing is written until the new epoch.
    if (this.pending.size === 0 || this.pool === null || this.heartbeat?.epoch == null) return;
    const now = Date.now();
    if (!force && this.historyRetryAt > now) {
      this.armRetry();
      return;
    }
    let batch: RunRecord[];
    if (this.refused.size === 0 || force) {
      batch = [...this.pending];
    } else {
      batch = [];
      for (const run of this.pending) if ((this.refused.get(run)?.retryAt ?? 0) <= now) batch.push(run);
      if (batch.length === 0) {
        this.armRetry();
        return;
      }
    }
    for (const run of batch) this.pending.delete(run);
    this.flushing = this.writeBatch(batch).catch((error: unknown) => {
      // Not a database answer (writeBatch handles those): keep the batch and retry later, never throw.
      for (const run of batch) this.pending.add(run);
      this.context?.logger.warn({ event: 'store_flush_failed', error: errorLog(error) }, 'writing run history failed; will retry');
    }).finally(() => {
      this.flushing = null;
    });
    await this.flushing;
  }

  /**
   * Writes a batch; when PostgreSQL refuses it for what it holds, halves it until the refused records stand
   * alone, so the others are written. A record refused before is tried alone from the start. A refused
   * record is tried again after a backoff and dropped (one error line) after REFUSALS_BEFORE_DROP
   * tries. When the database cannot be reached, the rest waits, backing off as a whole.
   */
  private async writeBatch(batch: RunRecord[]): Promise<void> {
    // One row per fire identity: a later state of the same run replaces an earlier one.
    const byKey = new Map<string, RunRecord>();
    for (const run of batch) {
      const key = fireKey(run.jobId, run.scheduledAt, run.attempt);
      const earlier = byKey.get(key);
      if (earlier !== undefined && earlier !== run) this.refused.delete(earlier);
      byKey.set(key, run);
    }
    const chunks: RunRecord[][] = [];
    let fresh: RunRecord[];
    if (this.refused.size === 0) {
      fresh = [...byKey.values()];
    } else {
      fresh = [];
      for (const run of byKey.values()) {
        if (this.refused.has(run)) chunks.push([run]);
        else fresh.push(run);
      }
    }
    if (fresh.length > 0) chunks.unshift(fresh);
    let failure: unknown = null;
    let unreachable = false;
    let dropped = 0;
    for (let chunk = chunks.shift(); chunk !== undefined; chunk = chunks.shift()) {
      if (unreachable) {
        for (const run of chunk) this.pending.add(run);
        continue;
      }
      try {
        await this.writeRuns(chunk);
        if (this.refused.size !== 0) for (const run of chunk) this.refused.delete(run);
      } catch (error) {
        failure ??= error;
        if (!isRecordError(error)) {
          unreachable = true;
          for (const run of chunk) this.pending.add(run);
        } else if (chunk.length > 1) {
          const half = chunk.length >> 1;
          chunks.unshift(chunk.slice(0, half), chunk.slice(half));
        } else if (this.refusedOnce(chunk[0] as RunRecord, error)) {
          dropped++;
        }
      }
    }
    if (unreachable) {
      this.historyUnreachable = isUnavailable(failure);
      this.historyFailures++;
      this.historyRetryAt = Date.now() + this.backoffMs(this.historyFailures);
    } else {
      this.historyFailures = 0;
      this.historyRetryAt = 0;
    }
    if (failure !== null) {
      const retryInMs = unreachable ? this.historyRetryAt - Date.now() : null;
      this.context?.logger.warn({ event: 'store_flush_failed', error: errorLog(failure), pending: this.pending.size, dropped, ...(retryInMs === null ? {} : { retryInMs }) },
        unreachable ? `writing run history failed; retrying in ${retryInMs ?? 0} ms` : 'PostgreSQL refused run records; the others were written, the refused ones are retried alone');
    }
    this.armRetry();
  }

  /** A record refused alone: kept for a later try, or dropped after the last one (true). */
  private refusedOnce(run: RunRecord, error: unknown): boolean {
    const count = (this.refused.get(run)?.count ?? 0) + 1;
    if (count >= REFUSALS_BEFORE_DROP) {
      this.refused.delete(run);
      // Not in flight any more: the heartbeat records its row lost, so it does not hold a slot for ever.
      this.inFlight.delete(fireKey(run.jobId, run.scheduledAt, run.attempt));
      this.context?.logger.error({
        event: 'store_record_dropped', jobId: run.jobId,
        scheduledAt: logTime(run.scheduledAt),
        attempt: run.attempt, writeAttempts: count, error: errorLog(error),
      }, `PostgreSQL refused a run record ${count} times; it is dropped`);
      return true;
    }
    this.refused.set(run, { count, retryAt: Date.now() + this.backoffMs(count) });
    this.pending.add(run);
    return false;
  }

  private async writeRuns(runs: RunRecord[]): Promise<void> {
    const columns = new RunColumns();
    for (const run of runs) {
      try {
        columns.push(run);
      } catch (error) {
        throw new UnwritableRecordError(`run record of job "${run.jobId}" cannot be written: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    // Which keys this write settles, decided now: the record objects are live (the executor settles a run
    // in the same object), so a run still `running` here may be `succeeded` by the time the write returns,
    // while this write stored `running`; its settling write is queued and clears the key when it lands.
    const settles = this.inFlight.size === 0 ? [] : runs.filter((run) => run.outcome !== 'running').map((run) => fireKey(run.jobId, run.scheduledAt, run.attempt));
    // Asynchronous commit: a crash of the database server (not of a node) may lose the last fraction of a
    // second of run outcomes, never a claim; claims commit synchronously, so no fire can run twice. A row
    // whose settling write was lost is recorded lost by this node's heartbeat (see heartbeat.ts).
    // Fenced: written only while this node's registration holds the epoch, and only over an unsettled row
    // of that very registration (a `lost` written by another node stays). $13 and $14 follow the arrays of runsUnnest(1).
    await (this.historyPool ?? this.db).query(this.prepared('write_runs',
      `INSERT INTO ${this.s}.runs (${HISTORY_COLUMNS.join(', ')}, node_id, epoch, recorded_at)
       SELECT u.*, $13, $14::bigint, ${DB_NOW} FROM ${runsUnnest(1)}
       WHERE EXISTS (SELECT 1 FROM ${this.s}.jobs x WHERE x.id = u.job_id)
         AND EXISTS (SELECT 1 FROM ${this.s}.nodes n WHERE n.id = $13 AND n.epoch = $14::bigint)
       ON CONFLICT (job_id, scheduled_at, attempt) DO UPDATE SET ${HISTORY_UPDATES}, recorded_at = EXCLUDED.recorded_at
       WHERE ${this.s}.runs.node_id = EXCLUDED.node_id AND ${this.s}.runs.epoch = EXCLUDED.epoch
         AND ${this.s}.runs.status IN ('claimed', 'queued', 'running')`,
      [...columns.params(), this.nodeId, this.heartbeat?.epoch ?? null]));
    // Settled in the database: no longer in flight (see inFlight).
    for (const key of settles) this.inFlight.delete(key);
  }

  async getRuns(jobId: string, query: RunQuery): Promise<RunRecord[]> {
    await this.flush();
    const { rows } = await this.query<RunRow>(`reading runs of job "${jobId}"`,
      `SELECT * FROM ${this.s}.runs WHERE job_id = $1 AND status NOT IN ('claimed', 'queued') ${query.before === undefined ? '' : 'AND scheduled_at < $3::float8'}
       ORDER BY scheduled_at DESC, attempt DESC LIMIT $2`,
      query.before === undefined ? [jobId, query.limit] : [jobId, query.limit, query.before]);
    return rows.map((row) => toRunRecord(row, PG_CODEC));
  }

  /**
   * Lost runs found by the heartbeat (a dead node's, or this node's own whose settling write was lost):
   * reported to the scheduler, whose policy decides whether to run them again (see retryLost).
   */
  private lost(rows: RunRow[]): void {
    const context = this.context as StoreContext;
    for (const row of rows) this.inFlight.delete(fireKey(row.job_id, row.scheduled_at, row.attempt));
    for (const row of rows) context.onLostRun(toRunRecord(row, PG_CODEC));
    context.logger.warn({ event: 'store_runs_lost', count: rows.length }, `${rows.length} run(s) no live node will settle were recorded lost`);
  }

  /** Retention, by one node at a time (an advisory lock): by age, and by count for a slice of jobs. */
  private async maybePrune(): Promise<void> {
    const context = this.context;
    if (context === null || this.pool === null) return;
    const now = context.now();
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    // Not even a connection: nothing to report (the statements of the loop report the database unreachable).
    const client = await this.pool.connect().catch(() => null);
    if (client === null) return;
    try {
      await (await PgTransaction.begin(client)).run(async () => {
        const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock(hashtext($1)) AS ok', [`tickwork:prune:${this.schema}`]);
        if (rows[0]?.ok !== true) return;
        await client.query(`DELETE FROM ${this.s}.runs WHERE recorded_at < ${DB_NOW} - $1::float8 AND status NOT IN ('claimed', 'queued', 'running')`, [this.maxRunAgeMs]);
        const slice = await client.query<{ id: string }>(`SELECT id FROM ${this.s}.jobs WHERE id COLLATE "C" > $1 ORDER BY id COLLATE "C" LIMIT $2`, [this.pruneCursor, PRUNE_JOBS_PER_PASS]);
        const ids = slice.rows.map((row) => row.id);
        this.pruneCursor = ids.length < PRUNE_JOBS_PER_PASS ? '' : (ids[ids.length - 1] as string);
        if (ids.length === 0) return;
        await client.query(
          `DELETE FROM ${this.s}.runs r USING (
             SELECT job_id, scheduled_at, attempt FROM (
               SELECT job_id, scheduled_at, attempt, row_number() OVER (PARTITION BY job_id ORDER BY scheduled_at DESC, attempt DESC) AS n
               FROM ${this.s}.runs WHERE job_id = ANY($1)) ranked WHERE n > $2) old
           WHERE r.job_id = old.job_id AND r.scheduled_at = old.scheduled_at AND r.attempt = old.attempt AND r.status NOT IN ('claimed', 'queued', 'running')`,
          [ids, this.maxRunsPerJob]);
      });
    } catch (error) {
      context.logger.warn({ event: 'store_prune_failed', error: { message: (error as Error).message } }, 'pruning run history failed; will retry');
    }
  }
}

function fireKey(jobId: string, scheduledAt: number, attempt: number): string {
  return `${jobId}\u0000${scheduledAt}\u0000${attempt}`;
}

