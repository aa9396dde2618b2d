/**
 * Node liveness for the PostgreSQL store. Each node upserts its row every heartbeat; a node whose
 * heartbeat is older than the lease is dead, and whichever node notices first records that node's
 * unsettled runs as `lost` (they are not run again unless the job has retries). Every heartbeat also
 * measures the database clock against this node's, so due-ness is decided on one clock for all nodes.
 */
import { hostname } from 'node:os';
import type pg from 'pg';
import type { StoreContext } from '../store.js';
import { pgError } from './connection.js';
import type { RunRow } from './rows.js';

/** The database clock in epoch ms. */
export const DB_NOW = '(extract(epoch from clock_timestamp()) * 1000)::float8';

/** Offsets measured over the last samples; the one with the shortest round trip is the most accurate. */
const SAMPLES = 8;

export class NodeHeartbeat {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly samples: { offset: number; rtt: number }[] = [];
  private offset = 0;
  private beating: Promise<void> | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
    readonly nodeId: string,
    private readonly intervalMs: number,
    private readonly leaseMs: number,
    private readonly context: StoreContext,
    /** Runs found lost: the store emits them and schedules retries. */
    private readonly onLost: (runs: RunRow[], dbNow: number) => Promise<void>,
  ) {}

  /** Database clock minus this node's clock, ms. */
  get offsetMs(): number {
    return this.offset;
  }

  /** Registers the node (first beat) and keeps beating until stop(). */
  async start(): Promise<void> {
    await this.beat();
    this.schedule();
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.beating = this.beat().catch((error: unknown) => {
        this.context.logger.warn({ event: 'store_heartbeat_failed', error: { message: pgError('heartbeat', error).message } },
          'PostgreSQL heartbeat failed; other nodes will treat this node as dead if it lasts past the lease');
      }).finally(() => {
        this.beating = null;
        if (this.timer === null && !this.stoppedFlag) this.schedule();
      });
    }, this.intervalMs);
    this.timer.unref?.();
  }

  private stoppedFlag = false;

  async stop(): Promise<void> {
    this.stoppedFlag = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.beating;
  }

  /** One heartbeat: upsert the node row, sample the clock offset, sweep dead nodes. */
  async beat(): Promise<void> {
    const before = this.context.now();
    const result = await this.pool.query<{ db_now: number; inserted: boolean }>(
      `INSERT INTO ${this.schema}.nodes (id, host, pid, started_at, heartbeat_at) VALUES ($1, $2, $3, ${DB_NOW}, ${DB_NOW})
       ON CONFLICT (id) DO UPDATE SET heartbeat_at = EXCLUDED.heartbeat_at
       RETURNING heartbeat_at AS db_now, (xmax = 0) AS inserted`,
      [this.nodeId, hostname(), process.pid],
    );
    const after = this.context.now();
    const row = result.rows[0] as { db_now: number; inserted: boolean };
    this.sample(row.db_now - (before + after) / 2, after - before);
    if (row.inserted && this.samples.length > 1) {
      this.context.logger.warn({ event: 'store_node_reregistered', node: this.nodeId },
        'this node had been declared dead (no heartbeat within the lease); its unsettled runs were recorded lost');
    }
    await this.sweep(row.db_now);
  }

  private sample(offset: number, rtt: number): void {
    this.samples.push({ offset, rtt });
    if (this.samples.length > SAMPLES) this.samples.shift();
    let best = this.samples[0] as { offset: number; rtt: number };
    for (const s of this.samples) if (s.rtt < best.rtt) best = s;
    this.offset = best.offset;
  }

  /** Deletes dead nodes and records their unsettled runs lost (each run is returned to one node only). */
  private async sweep(dbNow: number): Promise<void> {
    const s = this.schema;
    const lost = await this.pool.query<RunRow>(
      `WITH dead AS (DELETE FROM ${s}.nodes WHERE heartbeat_at < $1::float8 - $2::float8 RETURNING id)
       UPDATE ${s}.runs r SET status = 'lost', finished_at = $1::float8, recorded_at = $1::float8,
         duration_ms = CASE WHEN r.started_at IS NULL THEN NULL ELSE $1::float8 - r.started_at END, error = $3::jsonb
       WHERE r.status IN ('claimed', 'queued', 'running')
         AND (r.node_id IN (SELECT id FROM dead) OR NOT EXISTS (SELECT 1 FROM ${s}.nodes n WHERE n.id = r.node_id))
       RETURNING r.*`,
      [dbNow, this.leaseMs, JSON.stringify({ code: 'LOST', message: 'the node running it stopped (no heartbeat within the lease) before the run finished' })],
    );
    if (lost.rows.length > 0) await this.onLost(lost.rows, dbNow);
  }

  /** Graceful leave: the row goes at once, so nobody waits for the lease. */
  async leave(): Promise<void> {
    await this.pool.query(`DELETE FROM ${this.schema}.nodes WHERE id = $1`, [this.nodeId]);
  }
}

