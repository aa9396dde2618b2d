/**
 * The PostgreSQL store's run history writer. `recordRun` and `updateRun` only buffer (the hot path pays no
 * promise); the buffer is written within FLUSH_DELAY_MS, or at the loop's next flush, as one upsert for
 * the batch on connections with asynchronous commit. A run that starts is written `running` only once it
 * has run RUNNING_WRITE_AFTER_MS: most runs end sooner, and their claimed row then takes its outcome in one
 * write instead of two (each a new row version and an entry in every index whose predicate holds). Writes are fenced: a record lands only while this
 * node's registration holds its epoch, and only over an unsettled row of that very registration.
 *
 * Poison never spreads, and history never fails a claim: a batch PostgreSQL refuses for what it holds is
 * split until the refused records stand alone, and the others are written; a refused record is tried
 * again after a backoff and dropped after REFUSALS_BEFORE_DROP refusals (one `store_record_dropped` line).
 * When the database cannot be reached the whole buffer waits, backing off (historyRetryMs), and `write`
 * never throws.
 */
import type { RunOutcome } from '../../core/events.js';
import type { RunRecord } from '../../core/run.js';
import { errorLog, logTime, REFUSALS_BEFORE_DROP } from '../store-errors.js';
import { isUnavailable } from './connection.js';
import { DB_NOW } from './heartbeat.js';
import { fireKey, type InFlightFires } from './in-flight.js';
import { HISTORY_COLUMNS, HISTORY_UPDATES, RunColumns, runsUnnest } from './rows.js';
import type { PgSession } from './session.js';
import type { HistoryRetry } from './options.js';

/** How soon a new or changed record is written when nothing is backing off. */
const FLUSH_DELAY_MS = 5;

/**
 * How long a started run may stay `claimed` in the database before its `running` state is written. The
 * claimed row already holds the instance slot and is recorded lost if the node dies, so what waits is
 * only the shared view of it (other nodes' history reads show it from then on) and its start time.
 */
export const RUNNING_WRITE_AFTER_MS = 1000;

/** Outcomes of fires that were never claimed: decided by a pass (skipped, excluded) or a resume (paused), not by a run. */
const NEVER_CLAIMED: ReadonlySet<RunOutcome> = new Set<RunOutcome>(['skipped', 'excluded', 'paused']);

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

export class HistoryWriter {
  /** Run records to write (new or changed), keyed by identity so the newest state is written once. */
  private readonly pending = new Set<RunRecord>();
  /** Records of fires no claim took whose outcome does not say so (a dropped waiting fire's `cancelled`). */
  private readonly unclaimed = new WeakSet<RunRecord>();
  /** Records PostgreSQL refused: how often, and not before when they are tried again (alone). */
  private readonly refused = new Map<RunRecord, { count: number; retryAt: number }>();
  /** Started runs whose `running` state waits (see RUNNING_WRITE_AFTER_MS): not written before when. */
  private readonly held = new Map<RunRecord, number>();
  /** After a write that failed as a whole (the database unreachable): consecutive failures, and no write before. */
  private failures = 0;
  private retryAt = 0;
  /** The last write failed because the database could not be reached (not for what it holds). */
  private unreachable = false;
  private writing: Promise<void> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** The timer waits for a refused record's retry time: a new record must not wait for it. */
  private timerLate = false;
  /** When the armed timer fires (Date.now() time). */
  private timerAt = 0;

  /** `onTimer`: what the timer runs (the store's flush: this writer's write, then pruning). */
  constructor(
    private readonly session: PgSession,
    private readonly inFlight: InFlightFires,
    private readonly retry: HistoryRetry,
    private readonly onTimer: () => Promise<void>,
  ) {}

  /**
   * `unclaimed`: the record is of a fire no claim took (a waiting fire let go), written only where the fire
   * has no row (see writeRuns), like the records of NEVER_CLAIMED outcomes.
   */
  record(run: RunRecord, unclaimed = false): void {
    if (this.inFlight.isFenced(run)) return;
    if (unclaimed) {
      // This node holds a claim of that very fire (started since the record was read): its run records it.
      if (this.inFlight.has(fireKey(run.jobId, run.scheduledAt, run.attempt))) return;
      this.unclaimed.add(run);
    }
    run.node = this.session.nodeId;
    this.pending.add(run);
    if (run.outcome !== 'running') {
      this.schedule();
      return;
    }
    // Its outcome, if it comes within the wait, is the one write (update schedules it); else the timer does.
    const at = Date.now() + RUNNING_WRITE_AFTER_MS;
    this.held.set(run, at);
    if (this.session.pool !== null && (this.timer === null || (this.timerLate && this.timerAt > at))) this.arm(RUNNING_WRITE_AFTER_MS, true);
  }

  update(run: RunRecord): void {
    if (this.inFlight.isFenced(run)) return;
    // A changed record is worth a try of its own, whatever its earlier state's fate.
    if (this.refused.size !== 0) this.refused.delete(run);
    this.pending.add(run);
    this.schedule();
  }

  /** This node was fenced: what it has not written belongs to the old registration, and is never written. */
  fence(): void {
    this.inFlight.fence(this.pending);
    this.pending.clear();
    this.refused.clear();
    this.held.clear();
  }

  /**
   * The database answers again (a claim committed, after a restart say): a write backing off because it
   * could not reach it goes now, not after its backoff, since the rows it settles hold their jobs'
   * instance slots meanwhile.
   */
  resume(): void {
    if (this.failures === 0 || !this.unreachable) return;
    this.unreachable = false;
    this.failures = 0;
    this.retryAt = 0;
    this.arm(FLUSH_DELAY_MS, false);
  }

  /** The store closes: no timer outlives it; what could not be written stays pending (for a reopen). */
  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.failures = 0;
    this.retryAt = 0;
  }

  /**
   * Writes what is pending (one write at a time); `force`: also what is backing off (closing: the last
   * chance). Never throws: what could not be written stays pending and is retried with backoff.
   */
  async write(force: boolean): Promise<void> {
    while (this.writing !== null) await this.writing;
    // Not registered (fenced, registering again): nothing is written until the new epoch.
    if (this.pending.size === 0 || this.session.pool === null || this.session.epoch === null) return;
    const now = Date.now();
    if (!force && this.retryAt > now) {
      this.armRetry();
      return;
    }
    let batch: RunRecord[];
    if (force || (this.refused.size === 0 && this.held.size === 0)) {
      batch = [...this.pending];
    } else {
      batch = [];
      for (const run of this.pending) if (this.readyAt(run, now) <= now) batch.push(run);
      if (batch.length === 0) {
        this.armRetry();
        return;
      }
    }
    for (const run of batch) {
      this.pending.delete(run);
      this.held.delete(run);
    }
    this.writing = this.writeBatch(batch)
      .catch((error: unknown) => {
        // Not a database answer (writeBatch handles those): keep the batch and retry later, never throw.
        for (const run of batch) this.pending.add(run);
        this.session.context?.logger.warn({ event: 'store_flush_failed', error: errorLog(error) }, 'writing run history failed; will retry');
      })
      .finally(() => {
        this.writing = null;
      });
    await this.writing;
  }

  /** A new or changed record: written within FLUSH_DELAY_MS, unless a failed write is backing off. */
  private schedule(): void {
    if ((this.timer !== null && !this.timerLate) || this.session.pool === null) return;
    this.arm(FLUSH_DELAY_MS, false);
  }

  private arm(delayMs: number, late: boolean): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerLate = late;
    this.timerAt = Date.now() + delayMs;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.onTimer().catch(() => undefined);
    }, delayMs);
  }

  /** After a write: the timer for what is still pending, at the earliest time any of it may be tried. */
  private armRetry(): void {
    if (this.pending.size === 0 || this.session.pool === null) return;
    const now = Date.now();
    if (this.retryAt > now) {
      this.arm(this.retryAt - now, false);
      return;
    }
    let at = Number.POSITIVE_INFINITY;
    for (const run of this.pending) {
      at = Math.min(at, this.readyAt(run, now));
      if (at <= now) break;
    }
    if (at <= now) this.arm(FLUSH_DELAY_MS, false);
    else this.arm(at - now, true);
  }

  /** When a pending record may be written: after its refusal's backoff, or its running state's wait. */
  private readyAt(run: RunRecord, now: number): number {
    const refused = this.refused.get(run);
    if (refused !== undefined) return refused.retryAt;
    const heldUntil = this.held.get(run);
    if (heldUntil === undefined) return now;
    // Settled meanwhile: its outcome goes now.
    if (run.outcome === 'running') return heldUntil;
    this.held.delete(run);
    return now;
  }

  private backoffMs(failures: number): number {
    const { firstMs, maxMs } = this.retry;
    return Math.min(firstMs * 2 ** Math.max(0, failures - 1), maxMs);
  }

  /**
   * Writes a batch; when PostgreSQL refuses it for what it holds, halves it until the refused records stand
   * alone, so the others are written. A record refused before is tried alone from the start. When the
   * database cannot be reached, the rest waits, backing off as a whole.
   */
  private async writeBatch(batch: RunRecord[]): Promise<void> {
    // One row per fire identity: a later state of the same run replaces an earlier one.
    const byKey = new Map<string, RunRecord>();
    for (const run of batch) {
      const key = fireKey(run.jobId, run.scheduledAt, run.attempt);
      const earlier = byKey.get(key);
      // A run's own record of the fire is never replaced by a record of a fire no claim took (which the
      // write below would not put over the run's row either: the run's outcome would be lost).
      if (earlier !== undefined && this.neverClaimed(run) && !this.neverClaimed(earlier)) continue;
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
      this.unreachable = isUnavailable(failure);
      this.failures++;
      this.retryAt = Date.now() + this.backoffMs(this.failures);
    } else {
      this.failures = 0;
      this.retryAt = 0;
    }
    if (failure !== null) {
      const retryInMs = unreachable ? this.retryAt - Date.now() : null;
      this.session.context?.logger.warn(
        { event: 'store_flush_failed', error: errorLog(failure), pending: this.pending.size, dropped, ...(retryInMs === null ? {} : { retryInMs }) },
        unreachable
          ? `writing run history failed; retrying in ${retryInMs ?? 0} ms`
          : 'PostgreSQL refused run records; the others were written, the refused ones are retried alone',
      );
    }
    this.armRetry();
  }

  /** A record refused alone: kept for a later try, or dropped after the last one (true). */
  private refusedOnce(run: RunRecord, error: unknown): boolean {
    const count = (this.refused.get(run)?.count ?? 0) + 1;
    if (count >= REFUSALS_BEFORE_DROP) {
      this.refused.delete(run);
      // Not in flight any more: the heartbeat records its row lost, so it does not hold a slot for ever. (A
      // record of a fire no claim took settles no claim: a claim of the same fire keeps its key.)
      if (!this.neverClaimed(run)) this.inFlight.delete(fireKey(run.jobId, run.scheduledAt, run.attempt));
      this.session.context?.logger.error(
        {
          event: 'store_record_dropped',
          jobId: run.jobId,
          scheduledAt: logTime(run.scheduledAt),
          attempt: run.attempt,
          writeAttempts: count,
          error: errorLog(error),
        },
        `PostgreSQL refused a run record ${count} times; it is dropped`,
      );
      return true;
    }
    this.refused.set(run, { count, retryAt: Date.now() + this.backoffMs(count) });
    this.pending.add(run);
    return false;
  }

  /** A record of a fire no claim took: decided by a pass or a resume (NEVER_CLAIMED), or let go unclaimed. */
  private neverClaimed(run: RunRecord): boolean {
    return NEVER_CLAIMED.has(run.outcome) || this.unclaimed.has(run);
  }

  private async writeRuns(runs: RunRecord[]): Promise<void> {
    const { s } = this.session;
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
    // A record of a fire never claimed settles no claim (and never goes over one: see below).
    const unclaimed = runs.filter((run) => this.unclaimed.has(run));
    const settles =
      this.inFlight.size === 0
        ? []
        : runs.filter((run) => run.outcome !== 'running' && !this.neverClaimed(run)).map((run) => fireKey(run.jobId, run.scheduledAt, run.attempt));
    // Asynchronous commit: a crash of the database server (not of a node) may lose the last fraction of a
    // second of run outcomes, never a claim; claims commit synchronously, so no fire can run twice. A row
    // whose settling write was lost is recorded lost by this node's heartbeat (see heartbeat.ts).
    // Fenced: written only while this node's registration holds the epoch, and only over an unsettled row
    // of that very registration (a `lost` written by another node stays). A record of a fire that was never
    // claimed (skipped, excluded, paused: decided by a pass or a resume, not by a run) never goes over a
    // claimed, queued or running row: such a row is a run of the same fire that a stale schedule (a change
    // written from a record read before a claim committed) made a pass decide again; written over it, the
    // run's outcome would be refused when it comes and its instance slot freed while it runs. Nor does a
    // record of a waiting fire let go (recorded unclaimed, its outcome `cancelled`): a claim may have started
    // that fire since its record was read. The node, epoch and unclaimed keys' parameters follow the arrays
    // of runsUnnest(1).
    const node = `$${HISTORY_COLUMNS.length + 1}`;
    const epoch = `$${HISTORY_COLUMNS.length + 2}::bigint`;
    const unclaimedKeys = `unnest($${HISTORY_COLUMNS.length + 3}::text[], $${HISTORY_COLUMNS.length + 4}::float8[], $${HISTORY_COLUMNS.length + 5}::int[])`;
    await (this.session.historyPool ?? this.session.db).query(
      this.session.prepared(
        'write_runs',
        `INSERT INTO ${s}.runs (${HISTORY_COLUMNS.join(', ')}, node_id, epoch, recorded_at)
       SELECT u.*, ${node}, ${epoch}, ${DB_NOW} FROM ${runsUnnest(1)}
       WHERE EXISTS (SELECT 1 FROM ${s}.jobs x WHERE x.id = u.job_id)
         AND EXISTS (SELECT 1 FROM ${s}.nodes n WHERE n.id = ${node} AND n.epoch = ${epoch})
       ON CONFLICT (job_id, scheduled_at, attempt) DO UPDATE SET ${HISTORY_UPDATES}, recorded_at = EXCLUDED.recorded_at
       WHERE ${s}.runs.node_id = EXCLUDED.node_id AND ${s}.runs.epoch = EXCLUDED.epoch
         AND ${s}.runs.status IN ('claimed', 'queued', 'running') AND NOT (EXCLUDED.status = ANY ('{${[...NEVER_CLAIMED].join(',')}}'::text[]))
         AND NOT EXISTS (SELECT 1 FROM ${unclaimedKeys} AS k(job_id, scheduled_at, attempt)
           WHERE k.job_id = EXCLUDED.job_id AND k.scheduled_at = EXCLUDED.scheduled_at AND k.attempt = EXCLUDED.attempt)`,
        [
          ...columns.params(),
          this.session.nodeId,
          this.session.epoch,
          unclaimed.map((run) => run.jobId),
          unclaimed.map((run) => run.scheduledAt),
          unclaimed.map((run) => run.attempt),
        ],
      ),
    );
    // Settled in the database: no longer in flight (see InFlightFires).
    for (const key of settles) this.inFlight.delete(key);
  }
}
