/**
 * Retention of the PostgreSQL store's run history (see retention.ts), by one node at a time under an
 * advisory lock: runs older than maxRunAgeDays, and beyond maxRunsPerJob for a slice of jobs per pass (a
 * cursor walks the job ids). Rows still holding a slot or unsettled are never pruned.
 */
import type { Retention } from '../retention.js';
import { DB_NOW } from './heartbeat.js';
import type { PgSession } from './session.js';
import { PgTransaction } from './transaction.js';

/**
 * How often a node trims the history of a slice of JOBS_PER_PASS jobs by count: small slices often rather
 * than one large pass a minute, whose half second of database work at 20 000 fires/s showed as a lateness
 * spike of every fire in flight.
 */
const PRUNE_EVERY_MS = 12_000;
/** Jobs per count-pruning pass: 500 jobs a minute. */
const JOBS_PER_PASS = 100;
/**
 * How often a node deletes runs past maxRunAgeDays: a tenth of the retention, between a minute and an hour
 * (30 days: hourly). This pass reads most of the table once pruned rows' space has been reused (see
 * AGE_PRUNE_SETTINGS), so it runs no more often than the retention needs.
 */
function agePruneEveryMs(maxRunAgeMs: number): number {
  return Math.min(3_600_000, Math.max(60_000, maxRunAgeMs / 10));
}

/**
 * runs_recorded is a BRIN index, read only by a bitmap scan (this pool turns them off: connection.ts). The
 * planner takes the cutoff, a parameter to it, for a third of the table and would scan it all: through the
 * index, only the block ranges that may hold old rows are read (and those not summarized yet, see migration
 * 13). A range's summary only widens, though: once the space of pruned rows is reused by new ones, its
 * oldest time stays, and most ranges may hold old rows again. Set in the pruning transaction, before
 * agePruneSql.
 */
export const AGE_PRUNE_SETTINGS = ['SET LOCAL enable_bitmapscan = on', 'SET LOCAL enable_seqscan = off'] as const;

/**
 * Deletes the settled runs recorded more than $1 ms ago. The cutoff is a subquery, evaluated once: as an
 * expression of clock_timestamp() (volatile) it was evaluated for every row and could not use the index.
 */
export function agePruneSql(s: string): string {
  return `DELETE FROM ${s}.runs WHERE recorded_at < (SELECT ${DB_NOW} - $1::float8) AND status NOT IN ('claimed', 'queued', 'running')`;
}

export class HistoryPruner {
  private lastPrune = 0;
  private lastAgePrune = 0;
  /** The last job id of the previous slice ('' : start again from the first). */
  private cursor = '';

  constructor(
    private readonly session: PgSession,
    private readonly retention: Retention,
  ) {}

  /**
   * Prunes by count if PRUNE_EVERY_MS have passed since the last try, and by age too when agePruneEveryMs
   * have since the last age pass (both at the first call). Never throws: a failure is logged and tried again later.
   */
  async maybePrune(): Promise<void> {
    const { context, pool, s, schema } = this.session;
    if (context === null || pool === null) return;
    const now = context.now();
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    const byAge = now - this.lastAgePrune >= agePruneEveryMs(this.retention.maxRunAgeMs);
    // Not even a connection: nothing to report (the statements of the loop report the database unreachable).
    const client = await pool.connect().catch(() => null);
    if (client === null) return;
    // Set once the age pass committed: another node's pass holding the lock, or a failure, leaves it due.
    let agePruned = false;
    try {
      await (
        await PgTransaction.begin(client)
      ).run(async () => {
        const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock(hashtext($1)) AS ok', [`tickwork:prune:${schema}`]);
        if (rows[0]?.ok !== true) return;
        if (byAge) {
          for (const setting of AGE_PRUNE_SETTINGS) await client.query(setting);
          await client.query(agePruneSql(s), [this.retention.maxRunAgeMs]);
          await client.query('RESET enable_seqscan');
          await client.query('RESET enable_bitmapscan');
          agePruned = true;
        }
        const slice = await client.query<{ id: string }>(`SELECT id FROM ${s}.jobs WHERE id COLLATE "C" > $1 ORDER BY id COLLATE "C" LIMIT $2`, [
          this.cursor,
          JOBS_PER_PASS,
        ]);
        const ids = slice.rows.map((row) => row.id);
        this.cursor = ids.length < JOBS_PER_PASS ? '' : (ids[ids.length - 1] as string);
        if (ids.length === 0) return;
        // Per job, the newest run beyond maxRunsPerJob (found in the primary key, newest first, without
        // reading the rows: a job with fewer runs yields none), and the settled runs from it back. Ranking
        // every run of the slice's jobs instead read and sorted all their rows.
        await client.query(
          `DELETE FROM ${s}.runs r USING (
             SELECT j.id, b.scheduled_at, b.attempt FROM unnest($1::text[]) AS j(id)
             CROSS JOIN LATERAL (SELECT x.scheduled_at, x.attempt FROM ${s}.runs x WHERE x.job_id = j.id
               ORDER BY x.scheduled_at DESC, x.attempt DESC OFFSET $2 LIMIT 1) b) cut
           WHERE r.job_id = cut.id AND (r.scheduled_at, r.attempt) <= (cut.scheduled_at, cut.attempt)
             AND r.status NOT IN ('claimed', 'queued', 'running')`,
          [ids, this.retention.maxRunsPerJob],
        );
      });
      if (agePruned) this.lastAgePrune = now;
    } catch (error) {
      context.logger.warn({ event: 'store_prune_failed', error: { message: (error as Error).message } }, 'pruning run history failed; will retry');
    }
  }
}
