/**
 * Job rows found unloadable (a hand-edited trigger, an unknown zone), waiting for their reason to be
 * written to `load_error`. It is written in a short statement of its own once no claim of this node holds
 * the rows' locks (see drain), and only over the row as it was read; the node whose statement set it
 * reports it, so each is reported once across the cluster. The claim query skips such rows from then on.
 */
import { reportLoadError } from '../store.js';
import { errorLog } from '../store-errors.js';
import type { JobRow } from './rows.js';
import { cleanText } from './rows.js';
import type { PgSession } from './session.js';

/** A row set aside meanwhile: its reason is written once the claim that locked it has ended. */
interface SetAside {
  id: string;
  seq: number;
  version: number;
  reason: string;
}

function keyOf(row: { id: string; seq: number; version: number }): string {
  return `${row.id}\u0000${row.seq}\u0000${row.version}`;
}

export class SetAsideQueue {
  private queue: SetAside[] = [];
  /** `id:seq:version` of the rows queued or being written. */
  private readonly queued = new Set<string>();

  constructor(private readonly session: PgSession) {}

  add(row: JobRow, reason: string): void {
    const key = keyOf(row);
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push({ id: row.id, seq: Number(row.seq), version: Number(row.version), reason });
  }

  /**
   * Writes the reasons queued, each only if the row is still the one read (seq and version) and not set
   * aside already: called where no transaction of this node holds the rows' locks. Never throws: a row not
   * marked is found again at the next read.
   */
  async drain(): Promise<void> {
    const { pool, s, context } = this.session;
    if (this.queue.length === 0 || pool === null) return;
    const batch = this.queue;
    this.queue = [];
    try {
      const { rows } = await pool.query<{ id: string; reason: string }>(
        `UPDATE ${s}.jobs j SET load_error = u.reason
         FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[]) AS u(id, seq, version, reason)
         WHERE j.id = u.id AND j.seq = u.seq AND j.version = u.version AND j.load_error IS NULL
         RETURNING j.id, u.reason`,
        [batch.map((b) => b.id), batch.map((b) => b.seq), batch.map((b) => b.version), batch.map((b) => cleanText(b.reason))],
      );
      if (context !== null) for (const row of rows) reportLoadError(context, row.id, row.reason);
    } catch (error) {
      context?.logger.warn(
        { event: 'store_set_aside_failed', jobIds: batch.map((b) => b.id), error: errorLog(error) },
        'PostgreSQL store: marking unloadable jobs failed; they are skipped and marked at a later read',
      );
    } finally {
      for (const b of batch) this.queued.delete(keyOf(b));
    }
  }
}
