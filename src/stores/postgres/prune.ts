/**
 * Retention of the PostgreSQL store's run history (see retention.ts), by one node at a time under an
 * advisory lock: runs older than maxRunAgeDays, and beyond maxRunsPerJob for a slice of jobs per pass (a
 * cursor walks the job ids). Rows still holding a slot or unsettled are never pruned.
 */
import { PRUNE_JOBS_PER_PASS, type Retention } from '../retention.js';
import { DB_NOW } from './heartbeat.js';
import type { PgSession } from './session.js';
import { PgTransaction } from './transaction.js';

/** How often a node tries to prune. */
const PRUNE_EVERY_MS = 60_000;

export class HistoryPruner {
  private lastPrune = 0;
  /** The last job id of the previous slice ('' : start again from the first). */
  private cursor = '';

  constructor(
    private readonly session: PgSession,
    private readonly retention: Retention,
  ) {}

  /** Prunes if PRUNE_EVERY_MS have passed since the last try. Never throws: a failure is logged and tried again later. */
  async maybePrune(): Promise<void> {
    const { context, pool, s, schema } = this.session;
    if (context === null || pool === null) return;
    const now = context.now();
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    // Not even a connection: nothing to report (the statements of the loop report the database unreachable).
    const client = await pool.connect().catch(() => null);
    if (client === null) return;
    try {
      await (
        await PgTransaction.begin(client)
      ).run(async () => {
        const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock(hashtext($1)) AS ok', [`tickwork:prune:${schema}`]);
        if (rows[0]?.ok !== true) return;
        // runs_recorded is a BRIN index, read only by a bitmap scan (this pool turns them off: connection.ts).
        await client.query('SET LOCAL enable_bitmapscan = on');
        await client.query(`DELETE FROM ${s}.runs WHERE recorded_at < ${DB_NOW} - $1::float8 AND status NOT IN ('claimed', 'queued', 'running')`, [
          this.retention.maxRunAgeMs,
        ]);
        const slice = await client.query<{ id: string }>(`SELECT id FROM ${s}.jobs WHERE id COLLATE "C" > $1 ORDER BY id COLLATE "C" LIMIT $2`, [
          this.cursor,
          PRUNE_JOBS_PER_PASS,
        ]);
        const ids = slice.rows.map((row) => row.id);
        this.cursor = ids.length < PRUNE_JOBS_PER_PASS ? '' : (ids[ids.length - 1] as string);
        if (ids.length === 0) return;
        await client.query(
          `DELETE FROM ${s}.runs r USING (
             SELECT job_id, scheduled_at, attempt FROM (
               SELECT job_id, scheduled_at, attempt, row_number() OVER (PARTITION BY job_id ORDER BY scheduled_at DESC, attempt DESC) AS n
               FROM ${s}.runs WHERE job_id = ANY($1)) ranked WHERE n > $2) old
           WHERE r.job_id = old.job_id AND r.scheduled_at = old.scheduled_at AND r.attempt = old.attempt AND r.status NOT IN ('claimed', 'queued', 'running')`,
          [ids, this.retention.maxRunsPerJob],
        );
      });
    } catch (error) {
      context.logger.warn({ event: 'store_prune_failed', error: { message: (error as Error).message } }, 'pruning run history failed; will retry');
    }
  }
}
