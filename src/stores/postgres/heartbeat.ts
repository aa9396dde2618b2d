/**
 * Node liveness for the PostgreSQL store, on a connection of its own (slow API reads on the shared pool
 * must not starve it).
 *
 * - Registration and fencing: a node registers with a new epoch (a fencing token from a sequence) and
 *   then heartbeats its row under that epoch. A node whose heartbeat is older than the lease is dead:
 *   whichever node notices first deletes its row and records its unsettled runs `lost`. A node that was
 *   only paused (SIGSTOP, a VM pause, a long collector pause) finds its row gone at its next beat: it is
 *   fenced. Its claims and run writes check the epoch in the same statement, so nothing it does under the
 *   old epoch is recorded (its late outcomes never overwrite `lost`); it aborts what it was running
 *   (hooks.onFenced) and registers again with a new epoch before it claims again.
 * - No false sweeps after an outage: a node whose own beats failed, or stopped for longer than the lease,
 *   sweeps nobody until it has beaten without a gap for a whole lease (after a database restart every
 *   node's heartbeat is stale; nobody declares everybody dead).
 * - Own runs repaired: every beat, the node records `lost` its own unsettled run rows (of its current
 *   epoch, older than the lease) that it no longer has in flight. The write that settled them was lost
 *   (run history is written with asynchronous commit, and a database crash may drop the last of it);
 *   without this, such a row would hold a maxInstances slot for as long as the node lives.
 * - One clock: every beat measures the database clock against this node's over a monotonic round trip;
 *   the sample with the shortest round trip of the last few wins, and a step of the wall clock resets them.
 */
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import type { StoreContext } from '../store.js';
import { createPool, pgError } from './connection.js';
import type { RunRow } from '../rows/run-row.js';

/** The database clock in epoch ms. */
export const DB_NOW = '(extract(epoch from clock_timestamp()) * 1000)::float8';

/** Offsets measured over the last samples; the one with the shortest round trip is the most accurate. */
const SAMPLES = 8;
/** The wall clock moved against the monotonic one by more than this between two beats: it stepped. */
const CLOCK_STEP_MS = 50;

/** The fire keys a node has in flight, as columns. */
export interface InFlightKeys {
  jobIds: string[];
  scheduledAts: number[];
  attempts: number[];
}

export interface HeartbeatHooks {
  /** Unsettled runs recorded lost: a dead node's, or this node's own that no longer run here. */
  onLost(runs: RunRow[]): void;
  /** The fires this node has claimed under its current epoch and not yet settled in the database. */
  inFlight(): InFlightKeys;
  /** This node's registration was gone (another node swept it): what runs under `oldEpoch` must stop. */
  onFenced(oldEpoch: number): void;
  /** Registered with a new epoch: at start, or again after being fenced. */
  onRegistered(epoch: number, again: boolean): void;
  /** The node may claim again (see `current`) after a time it could not. */
  onCurrent(): void;
}

export class NodeHeartbeat {
  private readonly pool: pg.Pool;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly samples: { offset: number; rtt: number }[] = [];
  private offset = 0;
  private beating: Promise<void> | null = null;
  private stopped = false;
  private epochValue: number | null = null;
  /** performance.now() at the end of the last beat that succeeded. */
  private lastOk = Number.NEGATIVE_INFINITY;
  /** A beat failed since the last one that succeeded. */
  private failed = false;
  /** performance.now() since when beats succeed without a gap; sweeping others waits a lease from it. */
  private healthySince = Number.NEGATIVE_INFINITY;
  /** Wall clock minus monotonic clock at the last beat (a change is a step of the wall clock). */
  private wallBase: number | null = null;

  constructor(
    connectionString: string,
    private readonly schema: string,
    readonly nodeId: string,
    private readonly intervalMs: number,
    private readonly leaseMs: number,
    private readonly context: StoreContext,
    private readonly hooks: HeartbeatHooks,
  ) {
    this.pool = createPool(connectionString, nodeId, 1, { noBitmapScans: true });
    this.pool.on('error', (error) =>
      context.logger.warn({ event: 'store_connection_lost', error: { message: error.message } }, 'the PostgreSQL heartbeat connection was lost'),
    );
    this.pool.on('connect', (client) => client.on('error', () => undefined));
  }

  /** Database clock minus this node's clock, ms. */
  get offsetMs(): number {
    return this.offset;
  }

  /** The epoch of this node's registration; null while it is not registered (fenced, registering again). */
  get epoch(): number | null {
    return this.epochValue;
  }

  /**
   * Registered, with a heartbeat that succeeded within the lease: only then may the node claim. (After
   * longer, other nodes may have declared it dead; a claim would be refused by its epoch anyway.)
   */
  get current(): boolean {
    return this.epochValue !== null && performance.now() - this.lastOk < this.leaseMs;
  }

  /** Registers the node (first beat) and keeps beating until stop(). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.beat();
    this.schedule();
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.beating = this.beat()
        .catch((error: unknown) => {
          this.failed = true;
          this.context.logger.warn(
            { event: 'store_heartbeat_failed', error: { message: pgError('heartbeat', error).message } },
            'PostgreSQL heartbeat failed; other nodes will treat this node as dead if it lasts past the lease',
          );
        })
        .finally(() => {
          this.beating = null;
          if (this.timer === null && !this.stopped) this.schedule();
        });
    }, this.intervalMs);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.beating;
  }

  /** One heartbeat: keep (or take again) the registration, sample the clock, sweep dead nodes, repair own runs. */
  async beat(): Promise<void> {
    const wall = this.context.now();
    const before = performance.now();
    const wasCurrent = this.current;
    this.checkStep(wall, before);
    let dbNow: number;
    if (this.epochValue === null) {
      dbNow = await this.register();
    } else {
      const { rows } = await this.pool.query<{ db_now: number }>(
        `UPDATE ${this.schema}.nodes SET heartbeat_at = ${DB_NOW} WHERE id = $1 AND epoch = $2 RETURNING heartbeat_at AS db_now`,
        [this.nodeId, this.epochValue],
      );
      const row = rows[0];
      if (row === undefined) {
        const old = this.epochValue;
        this.epochValue = null;
        this.context.logger.error(
          { event: 'store_node_fenced', node: this.nodeId, epoch: old, sinceLastBeatMs: Math.round(before - this.lastOk) },
          'this node was declared dead (no heartbeat within the lease) and its unsettled runs recorded lost; what it still runs is aborted and recorded nowhere, and it registers again',
        );
        this.hooks.onFenced(old);
        dbNow = await this.register();
      } else {
        dbNow = row.db_now;
      }
    }
    const after = performance.now();
    // The database read its clock somewhere between sending (wall) and the answer (wall + rtt). Taking the
    // end of that window, the node's idea of the database time is never ahead of it, so a node never fires
    // early; it may fire late by the round trip of its best sample (well under a millisecond on a quiet
    // network). The midpoint would halve that error but let a node on a busy machine fire tens of ms early.
    this.sample(dbNow - (wall + (after - before)), after - before);
    // An outage of this node's own (failed beats, or none for a lease: paused): sweep nobody for a lease.
    if (this.failed || before - this.lastOk > this.leaseMs) {
      if (this.lastOk !== Number.NEGATIVE_INFINITY) this.healthySince = after;
      this.failed = false;
    }
    this.lastOk = after;
    if (!wasCurrent && this.lastOk !== Number.NEGATIVE_INFINITY) this.hooks.onCurrent();
    if (after - this.healthySince >= this.leaseMs) await this.sweep(dbNow);
    await this.repairOwn(dbNow);
  }

  /** A new registration: a new epoch from the sequence. Answers the database's clock. */
  private async register(): Promise<number> {
    const again = this.lastOk !== Number.NEGATIVE_INFINITY;
    const { rows } = await this.pool.query<{ db_now: number; epoch: number }>(
      `INSERT INTO ${this.schema}.nodes (id, host, pid, started_at, heartbeat_at, epoch)
       VALUES ($1, $2, $3, ${DB_NOW}, ${DB_NOW}, nextval('${this.schema}.node_epochs'))
       ON CONFLICT (id) DO UPDATE SET heartbeat_at = EXCLUDED.heartbeat_at, epoch = EXCLUDED.epoch
       RETURNING heartbeat_at AS db_now, epoch`,
      [this.nodeId, hostname(), process.pid],
    );
    const row = rows[0] as { db_now: number; epoch: number };
    this.epochValue = Number(row.epoch);
    if (again) this.healthySince = performance.now();
    this.hooks.onRegistered(this.epochValue, again);
    return row.db_now;
  }

  private checkStep(wall: number, mono: number): void {
    const base = wall - mono;
    if (this.wallBase !== null && Math.abs(base - this.wallBase) > CLOCK_STEP_MS) this.samples.length = 0;
    this.wallBase = base;
  }

  private sample(offset: number, rtt: number): void {
    this.samples.push({ offset, rtt });
    if (this.samples.length > SAMPLES) this.samples.shift();
    let best = this.samples[0] as { offset: number; rtt: number };
    for (const s of this.samples) if (s.rtt < best.rtt) best = s;
    this.offset = best.offset;
  }

  /**
   * Deletes dead nodes and records lost the unsettled runs of any registration that is not live (a dead
   * node's, or an older epoch of a live node's id); each run is returned to one node only.
   */
  private async sweep(dbNow: number): Promise<void> {
    const s = this.schema;
    const lost = await this.pool.query<RunRow>(
      `WITH dead AS (DELETE FROM ${s}.nodes WHERE heartbeat_at < $1::float8 - $2::float8 RETURNING id)
       UPDATE ${s}.runs r SET status = 'lost', finished_at = $1::float8, recorded_at = $1::float8,
         duration_ms = CASE WHEN r.started_at IS NULL THEN NULL ELSE $1::float8 - r.started_at END, error = $3::jsonb
       WHERE r.status IN ('claimed', 'queued', 'running')
         AND (r.node_id IN (SELECT id FROM dead)
           OR NOT EXISTS (SELECT 1 FROM ${s}.nodes n WHERE n.id = r.node_id AND (r.epoch IS NULL OR n.epoch = r.epoch)))
       RETURNING r.*`,
      [dbNow, this.leaseMs, JSON.stringify({ code: 'LOST', message: 'the node running it stopped (no heartbeat within the lease) before the run finished' })],
    );
    if (lost.rows.length > 0) this.hooks.onLost(lost.rows);
  }

  /** This node's own unsettled rows that it no longer runs (their settling write was lost): recorded lost. */
  private async repairOwn(dbNow: number): Promise<void> {
    const epoch = this.epochValue;
    if (epoch === null) return;
    const keys = this.hooks.inFlight();
    const s = this.schema;
    const lost = await this.pool.query<RunRow>(
      `UPDATE ${s}.runs r SET status = 'lost', finished_at = $3::float8, recorded_at = $3::float8,
         duration_ms = CASE WHEN r.started_at IS NULL THEN NULL ELSE $3::float8 - r.started_at END, error = $5::jsonb
       WHERE r.node_id = $1 AND r.epoch = $2 AND r.status IN ('claimed', 'queued', 'running') AND r.recorded_at < $3::float8 - $4::float8
         AND NOT EXISTS (SELECT 1 FROM unnest($6::text[], $7::float8[], $8::int[]) AS f(job_id, scheduled_at, attempt)
           WHERE f.job_id = r.job_id AND f.scheduled_at = r.scheduled_at AND f.attempt = r.attempt)
       RETURNING r.*`,
      [
        this.nodeId,
        epoch,
        dbNow,
        this.leaseMs,
        JSON.stringify({ code: 'LOST', message: 'its node no longer runs it and its outcome was not recorded (the write was lost, e.g. in a database crash)' }),
        keys.jobIds,
        keys.scheduledAts,
        keys.attempts,
      ],
    );
    if (lost.rows.length > 0) this.hooks.onLost(lost.rows);
  }

  /** Graceful leave: the row goes at once, so nobody waits for the lease. */
  async leave(): Promise<void> {
    if (this.epochValue === null) return;
    await this.pool.query(`DELETE FROM ${this.schema}.nodes WHERE id = $1 AND epoch = $2`, [this.nodeId, this.epochValue]);
    this.epochValue = null;
  }

  /** Closes the heartbeat's connection. */
  async end(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}
