/**
 * The claim protocol of the PostgreSQL store, by which each fire starts at most once across the nodes:
 * `takeDue` locks due job rows (FOR UPDATE SKIP LOCKED) in a transaction, the scheduler decides the fires,
 * and `putBack` advances the schedules and inserts one run row per fire under the primary key (job_id,
 * scheduled_at, attempt) in one statement, then commits; only then do the fires start. Claims are fenced
 * by this node's epoch (a node declared dead records nothing), and the fires they record stay in flight
 * (in-flight.ts) until their settled state is written. `claimManual` does the same for a manual run,
 * counting the job's instance slots across the cluster.
 */
import type pg from 'pg';
import { JobNotFoundError, JobReplacedError, StoreUnavailableError } from '../../core/errors.js';
import type { JobRecord } from '../../core/job.js';
import { SCHEDULER_ACTOR } from '../../core/actor.js';
import { defaultTrigger, type RunTrigger } from '../../core/run.js';
import { loadErrorOf, type FireClaim } from '../store.js';
import { pgError } from './connection.js';
import { DB_NOW } from './heartbeat.js';
import type { HistoryWriter } from './history.js';
import { fireKey, type InFlightFire, type InFlightFires } from './in-flight.js';
import type { JobCache } from './job-cache.js';
import { jobColumns, jsonText, scheduleColumns, scheduleParams, type JobRow, type ScheduleRow } from './rows.js';
import type { PgSession } from './session.js';
import type { SetAsideQueue } from './set-aside.js';
import type { JobsVacuum } from './vacuum.js';
import { PgTransaction, withTransaction } from './transaction.js';

/** An open claim: a transaction holding the row locks of the jobs it took. */
interface Claim {
  tx: PgTransaction;
  jobs: Set<JobRecord>;
}

export class PgClaims {
  private readonly open = new Set<Claim>();

  /** `flush`: the store's flush, run before a claim so that settled runs free their slots first. */
  constructor(
    private readonly session: PgSession,
    private readonly cache: JobCache,
    private readonly setAside: SetAsideQueue,
    private readonly inFlight: InFlightFires,
    private readonly history: HistoryWriter,
    private readonly flush: () => Promise<void>,
    private readonly vacuum: JobsVacuum,
  ) {}

  async earliestDue(): Promise<number | null> {
    // No claims until the heartbeat holds the registration (see takeDue); it wakes the loop then.
    if (this.session.registration?.current !== true) return null;
    const { s } = this.session;
    const taken: string[] = [];
    for (const claim of this.open) for (const job of claim.jobs) taken.push(job.id);
    const { rows } = await this.session.query<{ due_at: number }>(
      'reading the next due time',
      `SELECT due_at FROM ${s}.jobs WHERE due_at IS NOT NULL AND load_error IS NULL ${taken.length === 0 ? '' : 'AND NOT (id = ANY($1))'} ORDER BY due_at LIMIT 1`,
      taken.length === 0 ? [] : [taken],
    );
    return rows[0]?.due_at ?? null;
  }

  /** Opens a claim: locks up to `limit` due jobs no other node holds. The transaction ends in putBack. */
  async takeDue(now: number, limit: number): Promise<JobRecord[]> {
    // Settled runs should be visible before slots are counted; a history write that fails does not stop
    // the claim (flush never throws: it retries in the background).
    await this.flush();
    // Not registered, or no heartbeat within the lease (this node may have been declared dead): no claim
    // until a heartbeat says it holds its registration (its claims would be refused by the epoch anyway).
    if (this.session.registration?.current !== true) return [];
    const { s } = this.session;
    let tx: PgTransaction;
    try {
      tx = await PgTransaction.begin(await this.session.db.connect());
    } catch (error) {
      throw pgError('claiming due jobs', error);
    }
    try {
      // The schedules only: a job's definition (its trigger, policy, args) is read again only when this
      // node has no record of that row at that version, which at a steady fire rate is almost never.
      const { rows } = await tx.client.query<ScheduleRow>(
        this.session.prepared(
          'take_due',
          `SELECT ${scheduleColumns(s)} FROM ${s}.jobs j WHERE j.due_at <= $1::float8 AND j.load_error IS NULL
         ORDER BY j.due_at, j.seq LIMIT $2 FOR UPDATE OF j SKIP LOCKED`,
          [now, limit],
        ),
      );
      const taken: (JobRecord | null)[] = rows.map((row) => this.cache.fromScheduleRow(row));
      const unknown = rows.filter((_row, i) => taken[i] === null).map((row) => row.id);
      const whole = new Map<string, JobRow>();
      if (unknown.length !== 0) {
        // Locked by this transaction already: the rows read here are the ones taken.
        const read = await tx.client.query<JobRow>(
          this.session.prepared('take_due_rows', `SELECT ${jobColumns(s, false)} FROM ${s}.jobs j WHERE j.id = ANY($1::text[])`, [unknown]),
        );
        for (const row of read.rows) whole.set(row.id, row);
      }
      // A row that cannot be loaded is left out (its lock goes with the claim) and set aside once the claim ends.
      const jobs: JobRecord[] = [];
      rows.forEach((row, i) => {
        const full = whole.get(row.id);
        const job = taken[i] ?? (full === undefined ? null : this.cache.fromRow(full));
        if (job !== null && (job.func !== null || loadErrorOf(job) === null)) jobs.push(job);
      });
      if (jobs.length === 0) {
        await tx.commit();
        await this.setAside.drain();
        return [];
      }
      this.open.add({ tx, jobs: new Set(jobs) });
      this.cache.hold(jobs);
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
  async putBack(jobs: JobRecord[], claims: readonly FireClaim[] = [], replacing: ReadonlySet<FireClaim> | null = null): Promise<readonly FireClaim[]> {
    const mine = [...this.open].filter((claim) => jobs.some((job) => claim.jobs.has(job)));
    if (mine.length === 0) return claims;
    const refused: FireClaim[] = [];
    for (const claim of mine) {
      const batchJobs = jobs.filter((job) => claim.jobs.has(job));
      const batchClaims = claims.filter((c) => claim.jobs.has(c.job));
      let accepted: Map<string, InFlightFire> | null = null;
      try {
        accepted = await this.writeClaim(claim.tx.client, batchJobs, batchClaims);
        if (replacing !== null) await this.replaceOldest(claim.tx.client, batchClaims, replacing, accepted);
        // A submission starts all its fire times or none: one whose times were partly recorded elsewhere
        // already (a schedule rewound by a stale write, say) would run some of them twice, or leave the
        // rows it did insert queued for ever. Its own rows are taken back before the commit.
        const partial = batchClaims.filter((c) => !c.runTimes.every((at) => accepted?.has(fireKey(c.job.id, at, c.attempt))));
        if (partial.length !== 0) await this.withdrawFires(claim.tx.client, partial, accepted);
        // In flight before the commit: the heartbeat must never take a committed claim for a lost write.
        for (const [key, fire] of accepted) this.inFlight.add(key, fire);
        await this.commit(claim);
        this.vacuum.claimed(batchJobs.length);
        for (const c of batchClaims) if (partial.includes(c) || !accepted.has(fireKey(c.job.id, c.runTimes[0] as number, c.attempt))) refused.push(c);
        this.history.resume();
      } catch (error) {
        if (accepted !== null) for (const key of accepted.keys()) this.inFlight.delete(key);
        await this.rollback(claim, error);
        throw pgError('recording claimed fires', error);
      }
    }
    const others = claims.filter((c) => !mine.some((claim) => claim.jobs.has(c.job)));
    return [...refused, ...others];
  }

  /**
   * Rolls back every open claim (closing, or fenced: their writes would be refused by the epoch, and their
   * row locks would hold the jobs meanwhile). All leave the open set at once, so none commits after this.
   */
  async rollbackAll(): Promise<void> {
    await Promise.all([...this.open].map((claim) => this.rollback(claim)));
  }

  /**
   * A manual run or a backfill: locks the job, counts its slots cluster-wide, records its fires (the
   * first `claimed`, holding the slot, the later ones `queued`, as a catch-up's) in one statement. The
   * primary key (job, scheduled time, attempt) decides between two nodes or two backfills asking for the
   * same attempt of a fire: the one whose insert lands runs it; the other writes nothing ('conflict'; a
   * manual run's answer stays false, the same millisecond taken).
   */
  async claimManual(claim: FireClaim): Promise<boolean | 'conflict'> {
    const { s } = this.session;
    const fires: InFlightFire[] = claim.runTimes.map((scheduledAt, i) => ({
      jobId: claim.job.id,
      scheduledAt,
      attempt: claim.attempts === null ? claim.attempt : (claim.attempts[i] as number),
    }));
    let added = false;
    try {
      return await withTransaction(this.session.db, async (client) => {
        const { rows } = await client.query<{ active: number }>(
          `SELECT (SELECT count(*)::int FROM ${s}.runs a WHERE a.job_id = j.id AND a.status IN ('claimed', 'running')) AS active
           FROM ${s}.jobs j WHERE j.id = $1 FOR UPDATE`,
          [claim.job.id],
        );
        const row = rows[0];
        if (row === undefined) throw new JobNotFoundError(claim.job.id);
        // Its slots are taken: nothing is written (the transaction only held the job's row).
        if (row.active >= claim.job.policy.maxInstances) return false;
        // The claimed row says what started the run and who from the start: if it is lost before it runs, it says so still.
        const inserted = await client.query(
          `INSERT INTO ${s}.runs (job_id, scheduled_at, attempt, status, node_id, epoch, recorded_at, trigger, actor)
           SELECT $1, u.scheduled_at, u.attempt, CASE WHEN u.n = 1 THEN 'claimed' ELSE 'queued' END, $4, $5::bigint, ${DB_NOW}, $6, $7::jsonb
           FROM unnest($2::float8[], $3::int[]) WITH ORDINALITY AS u(scheduled_at, attempt, n)
           WHERE EXISTS (SELECT 1 FROM ${s}.nodes WHERE id = $4 AND epoch = $5::bigint FOR KEY SHARE)
           ON CONFLICT DO NOTHING`,
          [
            claim.job.id,
            fires.map((f) => f.scheduledAt),
            fires.map((f) => f.attempt),
            this.session.nodeId,
            this.session.epoch,
            claimTrigger(claim),
            claimActor(claim),
          ],
        );
        if (inserted.rowCount !== fires.length) {
          // Not all written: either a fire is claimed already (another node's backfill of it, or a second
          // manual run in the same millisecond), or this node was fenced. Only the first is "taken"; a
          // fenced node says so, or the caller would report a refusal for a run nobody holds.
          const registered = await client.query(`SELECT 1 FROM ${s}.nodes WHERE id = $1 AND epoch = $2::bigint`, [this.session.nodeId, this.session.epoch]);
          if (registered.rowCount === 0) {
            throw new StoreUnavailableError(
              'PostgreSQL store: this node lost its registration (no heartbeat within the lease) and registers again within seconds; nothing was started, retry the manual run.',
            );
          }
          // All or none: the rows this claim did insert go with the rollback.
          throw new ClaimRefused(claim.attempts === null ? false : 'conflict');
        }
        // In flight before the commit, as in putBack; taken back below when the commit fails.
        added = true;
        for (const fire of fires) this.inFlight.add(fireKey(fire.jobId, fire.scheduledAt, fire.attempt), fire);
        return true;
      });
    } catch (error) {
      if (added) for (const fire of fires) this.inFlight.delete(fireKey(fire.jobId, fire.scheduledAt, fire.attempt));
      if (error instanceof ClaimRefused) return error.answer;
      throw pgError('claiming a manual run', error);
    }
  }

  /**
   * The claim, fenced: the schedules move and the run rows go in only while this node's registration
   * holds the epoch it claims under (its row is key-share-locked: a sweep's delete waits for the commit,
   * the heartbeat's update does not). Answers the fires recorded, by key.
   */
  private async writeClaim(client: pg.PoolClient, jobs: JobRecord[], claims: readonly FireClaim[]): Promise<Map<string, InFlightFire>> {
    const { s } = this.session;
    const fires = {
      jobId: [] as string[],
      scheduledAt: [] as number[],
      attempt: [] as number[],
      status: [] as string[],
      trigger: [] as string[],
      actor: [] as (string | null)[],
    };
    for (const claim of claims) {
      const trigger = claimTrigger(claim);
      const actor = claimActor(claim);
      claim.runTimes.forEach((at, i) => {
        fires.jobId.push(claim.job.id);
        fires.scheduledAt.push(at);
        fires.attempt.push(claim.attempt);
        fires.status.push(i === 0 ? 'claimed' : 'queued');
        fires.trigger.push(trigger);
        fires.actor.push(actor);
      });
    }
    const { rows } = await client.query<{ job_id: string; scheduled_at: number; attempt: number }>(
      this.session.prepared(
        'claim',
        // run_count never goes back: the rows are locked, so the record's count is the row's plus this
        // pass's fires; GREATEST keeps a stale record from rewinding it all the same.
        // A pass only ever lifts a pause, never makes one: a record paused over a row that is not is a pause
        // (pauseJob, updateJob) changed on the shared record whose own UPDATE waits for this claim's row
        // lock. That row is left as it is (the pass fired nothing of a paused record): written here, the
        // job would be paused without its pause (who, why) until that UPDATE, or for good if it failed.
        `WITH me AS (SELECT 1 FROM ${s}.nodes WHERE id = $7 AND epoch = $12::bigint FOR KEY SHARE),
       moved AS (
         UPDATE ${s}.jobs j SET next_run_time = u.next, due_at = u.due, jitter_ms = u.jitter, retry = u.retry::jsonb,
           run_count = GREATEST(j.run_count, u.runs), paused = u.paused, pause = CASE WHEN u.paused THEN j.pause END,
           waiting_fire = u.waiting::jsonb
         FROM unnest($1::text[], $2::float8[], $3::float8[], $4::int[], $5::text[], $6::int[], $13::bool[], $14::text[])
           AS u(id, next, due, jitter, retry, runs, paused, waiting)
         WHERE j.id = u.id AND (j.paused OR NOT u.paused) AND EXISTS (SELECT 1 FROM me))
       INSERT INTO ${s}.runs (job_id, scheduled_at, attempt, status, node_id, epoch, recorded_at, trigger, actor)
       SELECT u.job_id, u.scheduled_at, u.attempt, u.status, $7, $12::bigint, ${DB_NOW}, u.trigger, u.actor::jsonb
       FROM unnest($8::text[], $9::float8[], $10::int[], $11::text[], $15::text[], $16::text[]) AS u(job_id, scheduled_at, attempt, status, trigger, actor)
       WHERE EXISTS (SELECT 1 FROM me)
       ON CONFLICT DO NOTHING
       RETURNING job_id, scheduled_at, attempt`,
        [
          ...scheduleParams(jobs),
          this.session.nodeId,
          fires.jobId,
          fires.scheduledAt,
          fires.attempt,
          fires.status,
          this.session.epoch,
          // A pause that lifted itself in this pass (its end came) is written with the claim, in the same
          // transaction: another node must never see the row still paused past its end.
          jobs.map((job) => job.paused),
          // overlap 'queue': the fire this pass left waiting, or null (started, or none).
          jobs.map((job) => (job.waitingFire === null ? null : JSON.stringify(job.waitingFire))),
          fires.trigger,
          fires.actor,
        ],
      ),
    );
    const accepted = new Map<string, InFlightFire>();
    for (const row of rows)
      accepted.set(fireKey(row.job_id, row.scheduled_at, row.attempt), { jobId: row.job_id, scheduledAt: row.scheduled_at, attempt: row.attempt });
    return accepted;
  }

  /**
   * overlap 'replace', inside the claim: for each accepted claim that replaces, the oldest other unsettled
   * run of its job (on any node) is recorded cancelled (REPLACED), which frees its slot cluster-wide in the
   * same commit; a NOTIFY `replaced:` (delivered at the commit) tells the node running it to abort its
   * signal. Fenced like the claim: nothing is written once this node's registration is gone.
   */
  private async replaceOldest(
    client: pg.PoolClient,
    claims: readonly FireClaim[],
    replacing: ReadonlySet<FireClaim>,
    accepted: Map<string, InFlightFire>,
  ): Promise<void> {
    const { s, channel } = this.session;
    for (const c of claims) {
      const at = c.runTimes[0] as number;
      if (!replacing.has(c) || !accepted.has(fireKey(c.job.id, at, c.attempt))) continue;
      const error = new JobReplacedError(c.job.id, at);
      await client.query(
        `WITH oldest AS (
           SELECT job_id, scheduled_at, attempt FROM ${s}.runs
           WHERE job_id = $1 AND status IN ('claimed', 'running') AND NOT (scheduled_at = $2::float8 AND attempt = $3)
           ORDER BY scheduled_at, attempt LIMIT 1 FOR UPDATE),
         replaced AS (
           UPDATE ${s}.runs r SET status = 'cancelled', finished_at = ${DB_NOW}, recorded_at = ${DB_NOW},
             duration_ms = CASE WHEN r.started_at IS NULL THEN NULL ELSE ${DB_NOW} - r.started_at END, error = $4::jsonb
           FROM oldest o WHERE r.job_id = o.job_id AND r.scheduled_at = o.scheduled_at AND r.attempt = o.attempt
             AND EXISTS (SELECT 1 FROM ${s}.nodes WHERE id = $5 AND epoch = $6::bigint)
           RETURNING r.job_id, r.scheduled_at, r.attempt)
         SELECT pg_notify('${channel}', 'replaced:' || attempt::text || ':' || scheduled_at::text || ':' || $2::float8::text || ':' || job_id) FROM replaced`,
        [c.job.id, at, c.attempt, JSON.stringify({ code: error.code, message: error.message }), this.session.nodeId, this.session.epoch],
      );
    }
  }

  /**
   * overlap 'queue': a run of `jobId` settled on this node. Once its outcome is written (the slot is free
   * in the database), a job with a waiting fire is made due now, so that the next pass of whichever node
   * takes it (the row lock: one node) starts the fire, exactly once.
   */
  async slotFreed(jobId: string): Promise<void> {
    await this.flush();
    const { s } = this.session;
    await this.session.query(
      `making job "${jobId}"'s waiting fire due`,
      `WITH woken AS (
         UPDATE ${s}.jobs SET due_at = LEAST(COALESCE(due_at, ${DB_NOW}), ${DB_NOW})
         WHERE id = $1 AND waiting_fire IS NOT NULL AND NOT paused AND load_error IS NULL RETURNING due_at)
       SELECT ${this.session.notifySql('due_at')} FROM woken`,
      [jobId],
    );
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
      this.session.context?.logger.warn(
        { event: 'fire_partly_claimed_elsewhere', jobId: c.job.id, runTimes: c.runTimes.map((t) => new Date(t).toISOString()) },
        'some fire times of this submission were recorded by another node already; none of them starts here',
      );
    }
    if (ids.length === 0) return;
    await client.query(
      `DELETE FROM ${this.session.s}.runs r USING unnest($1::text[], $2::float8[], $3::int[]) AS u(job_id, scheduled_at, attempt)
       WHERE r.job_id = u.job_id AND r.scheduled_at = u.scheduled_at AND r.attempt = u.attempt AND r.node_id = $4 AND r.status IN ('claimed', 'queued')`,
      [ids, times, attempts, this.session.nodeId],
    );
  }

  /** Commits a claim; a failed (ambiguous) COMMIT is thrown: its fires must not start. */
  private async commit(claim: Claim): Promise<void> {
    if (!this.open.delete(claim)) {
      throw new StoreUnavailableError('PostgreSQL store: the claim was rolled back (the store closed); its fires do not start.');
    }
    try {
      await claim.tx.commit();
    } finally {
      // The rows are unlocked now (committed, or rolled back by a failed COMMIT): reads refresh them again.
      this.cache.unhold(claim.jobs);
      // Rows the claim left out because they cannot be loaded: their locks are free now.
      await this.setAside.drain();
    }
  }

  /** Rolls a claim back (if it is still open); never throws. `cause`: the error that ends it. */
  private async rollback(claim: Claim, cause?: unknown): Promise<void> {
    if (!this.open.delete(claim)) return;
    try {
      await claim.tx.rollback(cause);
    } finally {
      this.cache.unhold(claim.jobs);
    }
    await this.setAside.drain();
  }
}

/** Thrown inside a manual claim's transaction to roll back what it inserted, and answer `answer`. */
class ClaimRefused extends Error {
  constructor(readonly answer: false | 'conflict') {
    super('claim refused');
  }
}

/** What started a claim's runs, as its rows record it (see RunRecord.trigger). */
function claimTrigger(claim: FireClaim): RunTrigger {
  return claim.trigger ?? defaultTrigger(claim.attempt);
}

/** Who started them, as JSON; null for the scheduler. */
function claimActor(claim: FireClaim): string | null {
  const actor = claim.actor;
  return actor === undefined || actor === SCHEDULER_ACTOR ? null : jsonText(actor);
}
