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
 *
 * This class wires the parts, each in a file of its own: jobs.ts (job rows, reads and pages) with
 * job-cache.ts and set-aside.ts, claims.ts (the claim protocol) with in-flight.ts, history.ts (the run
 * history writer), prune.ts (retention), heartbeat.ts and listener.ts; session.ts is what they share and
 * transaction.ts how they run transactions.
 */
import type { AuditLog } from '../../core/audit.js';
import { PgAuditLog } from '../audit/pg-audit.js';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { StoreUnavailableError } from '../../core/errors.js';
import type { JobRecord } from '../../core/job.js';
import { NO_HEALTH_FACTS, type HealthFacts } from '../../core/health.js';
import type { RunError, RunRecord } from '../../core/run.js';
import type { JobPage, JobPageQuery } from '../job-order.js';
import { healthFactsSql, toHealthFacts, type HealthRow } from '../rows/health-sql.js';
import { toRunRecord, type RunRow } from '../rows/run-row.js';
import type { FireClaim, JobStore, RunQuery, StoreContext } from '../store.js';
import { PgClaims } from './claims.js';
import { createPool, pgError } from './connection.js';
import { DB_NOW, NodeHeartbeat } from './heartbeat.js';
import { HistoryWriter } from './history.js';
import { cancelJobRuns, countedRuns, parseCancelled } from './cancel.js';
import { InFlightFires, fireKey } from './in-flight.js';
import { JobCache } from './job-cache.js';
import { PgJobs } from './jobs.js';
import { PgListener } from './listener.js';
import { migrate } from './migrations.js';
import { resolvePostgresOptions, type PostgresJobStoreOptions, type PostgresSettings } from './options.js';
import { HistoryPruner } from './prune.js';
import { JobsVacuum } from './vacuum.js';
import { PG_CODEC } from './rows.js';
import { PgSession } from './session.js';
import { SetAsideQueue } from './set-aside.js';

export type { PostgresJobStoreOptions } from './options.js';

export class PostgresJobStore implements JobStore {
  readonly persistent = true;
  readonly claimsFires = true;
  readonly loopTuning: { maxSleepMs: number; minGapMs: number };
  readonly schema: string;
  readonly nodeId: string;
  private readonly settings: PostgresSettings;
  private readonly session: PgSession;
  private readonly inFlight = new InFlightFires();
  private readonly setAside: SetAsideQueue;
  private readonly cache: JobCache;
  private readonly jobs: PgJobs;
  private readonly history: HistoryWriter;
  private readonly claims: PgClaims;
  private readonly pruner: HistoryPruner;
  private readonly vacuum: JobsVacuum;
  private heartbeat: NodeHeartbeat | null = null;
  private listener: PgListener | null = null;
  private opening: Promise<void> | null = null;

  constructor(options: PostgresJobStoreOptions) {
    this.settings = resolvePostgresOptions(options);
    this.schema = this.settings.schema;
    this.loopTuning = this.settings.loopTuning;
    this.nodeId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    const session = new PgSession(this.schema, this.nodeId);
    this.session = session;
    this.setAside = new SetAsideQueue(session);
    this.cache = new JobCache(session, this.setAside, this.settings.jobCacheSize);
    this.jobs = new PgJobs(session, this.cache, this.setAside, this.inFlight);
    this.history = new HistoryWriter(session, this.inFlight, this.settings.historyRetry, () => this.flush());
    this.vacuum = new JobsVacuum(session);
    this.claims = new PgClaims(session, this.cache, this.setAside, this.inFlight, this.history, () => this.flush(), this.vacuum);
    this.pruner = new HistoryPruner(session, this.settings.retention);
    this.audit = new PgAuditLog(session, this.settings.retention);
  }

  private readonly audit: PgAuditLog;

  /** The audit trail, in this schema's `audit` table, shared by every node. */
  auditLog(): AuditLog {
    return this.audit;
  }

  /** Claims, jobs and pruning run on this pool; null while the store is closed. */
  private get pool(): pg.Pool | null {
    return this.session.pool;
  }

  /**
   * The pool and the quoted schema name, for a part that keeps its own tables in this schema
   * (notifications: src/notifications/outbox-postgres.ts); STORE_UNAVAILABLE while the store is closed.
   * Internal: left out of the shipped declarations (stripInternal), which must not need pg's types.
   * @internal
   */
  sharedDatabase(): { pool: pg.Pool; s: string } {
    return { pool: this.session.db, s: this.session.s };
  }

  /** The NOTIFY channel every node of this schema LISTENs on (see PgListener). */
  get notifyChannel(): string {
    return this.session.channel;
  }

  /**
   * Called when a node announced a change to the exclusion calendars (a NOTIFY `calendars`), and after the
   * LISTEN connection came back (notifications sent meanwhile are gone): the calendars are read again.
   */
  onCalendarsChanged: (() => void) | null = null;

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
    const { connectionString, poolSize, heartbeatMs, leaseMs } = this.settings;
    const { s, channel } = this.session;
    this.session.context = context;
    // Claims run on this pool: a client stopped inside its claim transaction loses its session (and the
    // row locks) after half a lease, so no other node waits for it longer than that.
    const pool = createPool(connectionString, this.nodeId, poolSize, { idleInTransactionMs: leaseMs / 2, noBitmapScans: true });
    const historyPool = createPool(connectionString, this.nodeId, 2, { asyncCommit: true });
    // An idle client that loses its connection emits here; without a listener the process would exit.
    for (const p of [pool, historyPool]) {
      p.on('error', (error) =>
        context.logger.warn({ event: 'store_connection_lost', error: { message: error.message } }, 'an idle PostgreSQL connection was lost'),
      );
      // A connection in use can be ended by the server too (a claim held past idle_in_transaction_session_timeout,
      // a restart): its query fails and the client is discarded; the event must not crash the process.
      p.on('connect', (client) => client.on('error', () => undefined));
    }
    try {
      await migrate(pool, this.schema, s);
      const heartbeat = new NodeHeartbeat(connectionString, s, this.nodeId, heartbeatMs, leaseMs, context, {
        onLost: (runs) => this.lost(runs),
        inFlight: () => this.inFlight.keys(),
        onFenced: () => this.onFenced(),
        onCurrent: () => context.wake(Number.NEGATIVE_INFINITY),
        onRegistered: (epoch, again) => {
          if (again) {
            context.logger.info(
              { event: 'store_node_joined', node: this.nodeId, schema: this.schema, epoch, again: true },
              `PostgreSQL store: node ${this.nodeId} registered again (epoch ${epoch}) after being fenced`,
            );
          }
        },
      });
      this.heartbeat = heartbeat;
      this.session.registration = heartbeat;
      await heartbeat.start();
      const listener = new PgListener(
        connectionString,
        this.nodeId,
        channel,
        context.logger,
        (payload) => {
          if (payload === 'calendars') {
            this.onCalendarsChanged?.();
            return;
          }
          if (payload.startsWith('replaced:')) {
            // replaced:<attempt>:<scheduledAt>:<replacedBy>:<jobId> (job ids may hold colons: last).
            const [attempt, scheduledAt, replacedBy] = payload.slice('replaced:'.length).split(':', 3);
            const jobId = payload.slice('replaced:'.length + `${attempt}:${scheduledAt}:${replacedBy}:`.length);
            context.onReplaced?.(jobId, Number(scheduledAt), Number(attempt), Number(replacedBy));
            return;
          }
          if (payload.startsWith('cancelled:')) {
            const run = parseCancelled(payload);
            // Only the registration that claimed it still runs it (a fenced node's old runs are aborted already).
            if (run !== null && run.node === this.nodeId && run.epoch === this.session.epoch) {
              context.onCancelled?.(run.jobId, run.scheduledAt, run.attempt, run.reason);
            }
            return;
          }
          if (payload.startsWith('changed:')) {
            const rest = payload.slice('changed:'.length);
            const colon = rest.indexOf(':');
            this.cache.dropChanged(rest.slice(colon + 1), Number(rest.slice(0, colon)));
            return;
          }
          const at = Number(payload);
          if (Number.isFinite(at)) context.wake(at);
        },
        () => {
          this.onCalendarsChanged?.();
          context.wake(Number.NEGATIVE_INFINITY);
        },
      );
      await listener.start();
      this.session.pool = pool;
      this.session.historyPool = historyPool;
      this.listener = listener;
      context.logger.info(
        { event: 'store_node_joined', node: this.nodeId, schema: this.schema, epoch: heartbeat.epoch, clockOffsetMs: Math.round(heartbeat.offsetMs) },
        `PostgreSQL store: node ${this.nodeId} joined schema ${this.schema}`,
      );
    } catch (error) {
      await this.heartbeat?.stop().catch(() => undefined);
      await this.heartbeat?.end();
      this.heartbeat = null;
      this.session.registration = null;
      await pool.end().catch(() => undefined);
      await historyPool.end().catch(() => undefined);
      throw pgError(`opening schema ${this.schema}`, error);
    }
  }

  /** Graceful leave: writes history, records this node's unsettled runs cancelled, leaves the node table. */
  async close(): Promise<void> {
    const pool = this.pool;
    if (pool === null) return;
    this.history.stop();
    try {
      await this.claims.rollbackAll();
      await this.history.write(true);
      await this.heartbeat?.stop();
      await pool.query(
        `UPDATE ${this.session.s}.runs SET status = 'cancelled', finished_at = ${DB_NOW}, error = $2::jsonb
         WHERE node_id = $1 AND epoch = $3 AND status IN ('claimed', 'queued', 'running')`,
        [this.nodeId, JSON.stringify({ code: 'CANCELLED', message: 'the node shut down before the run finished' }), this.session.epoch],
      );
      await this.heartbeat?.leave();
    } catch (error) {
      this.session.context?.logger.warn(
        { event: 'store_close_failed', error: { message: (error as Error).message } },
        'PostgreSQL store: leaving the cluster cleanly failed; other nodes will take over after the lease',
      );
    } finally {
      await this.listener?.stop();
      this.listener = null;
      await this.heartbeat?.end();
      this.heartbeat = null;
      this.session.registration = null;
      this.inFlight.clear();
      this.session.pool = null;
      this.cache.clear();
      // What could not be written stays pending (for a reopen); no retry timer outlives the store.
      this.history.stop();
      await this.vacuum.idle();
      await pool.end().catch(() => undefined);
      await this.session.historyPool?.end().catch(() => undefined);
      this.session.historyPool = null;
    }
  }

  async ping(): Promise<void> {
    await this.session.query('ping', 'SELECT 1');
    if (this.heartbeat !== null && !this.heartbeat.current) {
      throw new StoreUnavailableError(
        'PostgreSQL store: this node has no heartbeat within its lease (or is registering again after being declared dead); it claims nothing meanwhile.',
      );
    }
    if (this.listener !== null && !this.listener.isConnected) {
      throw new StoreUnavailableError('PostgreSQL store: the LISTEN connection is down and reconnecting; new jobs from other nodes may start late meanwhile.');
    }
  }

  /**
   * Lost runs found by the heartbeat (a dead node's, or this node's own whose settling write was lost):
   * reported to the scheduler, whose policy decides whether to run them again (see retryLost).
   */
  private lost(rows: RunRow[]): void {
    const context = this.session.context as StoreContext;
    for (const row of rows) this.inFlight.delete(fireKey(row.job_id, row.scheduled_at, row.attempt));
    for (const row of rows) context.onLostRun(toRunRecord(row, PG_CODEC));
    context.logger.warn({ event: 'store_runs_lost', count: rows.length }, `${rows.length} run(s) no live node will settle were recorded lost`);
  }

  /** Another node swept this one (it was paused past its lease): its runs stop, and nothing of them is written. */
  private onFenced(): void {
    this.history.fence();
    void this.claims.rollbackAll();
    this.session.context?.onFenced?.('its node was declared dead (paused or cut off past its lease); the run was recorded lost');
  }

  // ---- jobs (jobs.ts) ----

  add(job: JobRecord): Promise<void> {
    return this.jobs.add(job);
  }

  /**
   * Many jobs in one statement (one commit, one NOTIFY), for a bulk add: per job, undefined (added) or its
   * error (CONFLICTING_ID for a taken id). Rejects, nothing added, when the database cannot be reached.
   * (Single adds are batched the same way when they come while another is being written.)
   */
  addMany(jobs: readonly JobRecord[]): Promise<readonly (Error | undefined)[]> {
    return this.jobs.addMany(jobs);
  }

  replace(job: JobRecord): Promise<JobRecord | undefined> {
    return this.jobs.replace(job);
  }

  update(job: JobRecord): Promise<void> {
    return this.jobs.update(job);
  }

  saveRetry(job: JobRecord): Promise<boolean> {
    return this.jobs.saveRetry(job);
  }

  remove(id: string, only?: JobRecord): Promise<JobRecord | undefined> {
    return this.jobs.remove(id, only);
  }

  get(id: string): Promise<JobRecord | undefined> {
    return this.jobs.get(id);
  }

  list(): Promise<JobRecord[]> {
    return this.jobs.list();
  }

  count(): Promise<number> {
    return this.jobs.count();
  }

  page(query: JobPageQuery): Promise<JobPage> {
    return this.jobs.page(query);
  }

  // ---- the loop (claims.ts) ----

  earliestDue(): Promise<number | null> {
    return this.claims.earliestDue();
  }

  takeDue(now: number, limit: number): Promise<JobRecord[]> {
    return this.claims.takeDue(now, limit);
  }

  putBack(jobs: JobRecord[], claims: readonly FireClaim[] = [], replacing: ReadonlySet<FireClaim> | null = null): Promise<readonly FireClaim[]> {
    return this.claims.putBack(jobs, claims, replacing);
  }

  /**
   * cancelRun, cluster-wide: the job's unsettled runs on every node are recorded cancelled in one
   * statement, and each node running one aborts its signal (its notification; this node's own at once).
   * Returns how many runs were cancelled (running, or claimed and about to start).
   */
  async cancelRuns(jobId: string, reason: string): Promise<number> {
    // What settled here is written first, so a run that already finished keeps its outcome.
    await this.flush();
    const rows = await cancelJobRuns(this.session, jobId, reason);
    const context = this.session.context;
    const epoch = this.session.epoch;
    for (const row of rows) {
      if (row.node_id === this.nodeId && row.epoch === epoch) context?.onCancelled?.(jobId, row.scheduled_at, row.attempt, reason);
    }
    return countedRuns(rows);
  }

  /** overlap 'queue': a run of the job settled here; its waiting fire, if any, is made due (see PgClaims.slotFreed). */
  slotFreed(jobId: string): void {
    this.claims.slotFreed(jobId).catch((error: unknown) => {
      this.session.context?.logger.error(
        { event: 'store_error', jobId, error: { message: error instanceof Error ? error.message : String(error) } },
        "making a waiting fire due failed; it starts at the job's next pass instead",
      );
    });
  }

  claimManual(claim: FireClaim): Promise<boolean | 'conflict'> {
    return this.claims.claimManual(claim);
  }

  // ---- run history (history.ts, prune.ts) ----

  recordRun(run: RunRecord, _job?: JobRecord): void {
    this.history.record(run);
  }

  updateRun(run: RunRecord): void {
    this.history.update(run);
  }

  recordUnclaimed(run: RunRecord): void {
    this.history.record(run, true);
  }

  /**
   * Writes buffered run records (one upsert for the batch), then prunes now and then. Never throws: what
   * could not be written stays pending and is retried with backoff, so a pass and its claims never fail
   * for history.
   */
  async flush(): Promise<void> {
    await this.history.write(false);
    await this.pruner.maybePrune();
  }

  async healthFacts(jobIds: readonly string[]): Promise<Map<string, HealthFacts>> {
    await this.flush();
    const facts = new Map<string, HealthFacts>(jobIds.map((id) => [id, NO_HEALTH_FACTS]));
    if (jobIds.length === 0) return facts;
    const { rows } = await this.session.query<HealthRow>(
      `reading the health of ${jobIds.length === 1 ? `job "${jobIds[0]}"` : `${jobIds.length} jobs`}`,
      healthFactsSql(
        `SELECT job_id, scheduled_at, finished_at, status AS outcome, coalesced, error FROM ${this.session.s}.runs WHERE job_id = ANY($1::text[]) AND status <> 'queued'`,
      ),
      [jobIds],
    );
    for (const row of rows)
      facts.set(
        row.job_id,
        toHealthFacts(row, (value) => value as RunError),
      );
    return facts;
  }

  async getRuns(jobId: string, query: RunQuery): Promise<RunRecord[]> {
    await this.flush();
    const { rows } = await this.session.query<RunRow>(
      `reading runs of job "${jobId}"`,
      `SELECT * FROM ${this.session.s}.runs WHERE job_id = $1 AND status NOT IN ('claimed', 'queued') ${query.before === undefined ? '' : 'AND scheduled_at < $3::float8'}
       ORDER BY scheduled_at DESC, attempt DESC LIMIT $2`,
      query.before === undefined ? [jobId, query.limit] : [jobId, query.limit, query.before],
    );
    return rows.map((row) => toRunRecord(row, PG_CODEC));
  }
}
