/**
 * Keeps the jobs table's due index short under a high fire rate. Each claim moves its jobs' due times, and
 * since `due_at` is indexed (jobs_due) every fire leaves a dead row version and a dead index entry. The
 * loop's earliest-due read and the claim's scan walk jobs_due from the earliest due time, so they step over
 * every dead entry of the past until a VACUUM removes them; autovacuum visits a database at most once a
 * minute (autovacuum_naptime), and at 5 000 fires/s the earliest-due read had grown to 30-65 ms (about
 * 1 000 index pages) within 40 s, most of PostgreSQL's CPU per fire.
 *
 * So a node that has moved VACUUM_AFTER_ROWS schedules since its last vacuum, and not within
 * VACUUM_MIN_INTERVAL_MS of it, vacuums the jobs table (one row per job: a few milliseconds). SKIP_LOCKED:
 * if another node is vacuuming it, this one does not wait. A failure (a role that does not own the table
 * gets a warning from PostgreSQL, not an error) is logged once per streak of failures and leaves the work
 * to autovacuum.
 */
import type { PgSession } from './session.js';

/** Schedules moved by this node's claims before it vacuums the jobs table. */
export const VACUUM_AFTER_ROWS = 2000;
/** At most one vacuum per node this often. */
export const VACUUM_MIN_INTERVAL_MS = 1000;

export class JobsVacuum {
  private moved = 0;
  private lastAt = 0;
  private running: Promise<void> | null = null;
  private warned = false;

  constructor(private readonly session: PgSession) {}

  /** A claim committed, moving `rows` job schedules: vacuums in the background when it is time. */
  claimed(rows: number): void {
    this.moved += rows;
    if (this.moved < VACUUM_AFTER_ROWS || this.running !== null) return;
    const now = Date.now();
    if (now - this.lastAt < VACUUM_MIN_INTERVAL_MS) return;
    this.moved = 0;
    this.lastAt = now;
    this.running = this.vacuum().finally(() => {
      this.running = null;
    });
  }

  /** The store closes: waits for a vacuum under way (its connection goes back to the pool first). */
  async idle(): Promise<void> {
    await this.running;
  }

  private async vacuum(): Promise<void> {
    const pool = this.session.pool;
    if (pool === null) return;
    try {
      // No parameters: a simple query, which VACUUM needs (it cannot run inside a transaction block).
      await pool.query(`VACUUM (SKIP_LOCKED) ${this.session.s}.jobs`);
      // Working again (after a database restart, say): the next failure is worth a line of its own.
      this.warned = false;
    } catch (error) {
      if (this.warned) return;
      this.warned = true;
      this.session.context?.logger.warn(
        { event: 'store_vacuum_failed', error: { message: (error as Error).message } },
        'PostgreSQL store: vacuuming the jobs table failed; autovacuum alone keeps it (claims may slow at high fire rates)',
      );
    }
  }
}
