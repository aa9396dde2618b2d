/**
 * The PostgreSQL store's audit log: the `audit` table in the store's schema, shared by every node.
 * Retention as the run history's: at most maxRunsPerJob entries per job (trimmed at each append), none
 * older than maxRunAgeDays (expired every EXPIRE_EVERY_APPENDS appends of this node). Appends are
 * group-committed: those that come while a batch is written go in the next, one statement for all.
 */

/** At most this many entries per statement. */
const MAX_AUDIT_BATCH = 1000;
import type { AuditAppend, AuditLog, AuditPageQuery, AuditRecord, AuditSubject } from '../../core/audit.js';
import type { PgSession } from '../postgres/session.js';
import type { Retention } from '../retention.js';
import { pgError } from '../postgres/connection.js';
import { GroupCommit, type ItemOutcomes } from '../postgres/group-commit.js';
import { EXPIRE_EVERY_APPENDS, toAuditRecord, type AuditRow } from './audit-rows.js';

export class PgAuditLog implements AuditLog {
  private appends = 0;
  /** Entries that come while one batch is written go into the next together (see group-commit.ts). */
  private readonly batches = new GroupCommit<AuditAppend>((entries) => this.write(entries), MAX_AUDIT_BATCH);

  constructor(
    private readonly session: PgSession,
    private readonly retention: Retention,
  ) {}

  append(entry: AuditAppend): Promise<void> {
    return this.batches.submit(entry);
  }

  /**
   * Inserts the entries and trims their jobs' entries to maxRunsPerJob, in one statement: as appending
   * them one by one would leave it, the newest of the batch up to the bound are inserted, and its DELETE
   * (which does not see the rows its INSERT adds) keeps per job the bound minus the entries inserted.
   * Expires by age every EXPIRE_EVERY_APPENDS entries.
   */
  private async write(entries: AuditAppend[]): Promise<ItemOutcomes> {
    const { s } = this.session;
    const json = (subject: AuditSubject | null): string | null => (subject === null ? null : JSON.stringify(subject.toAuditJob()));
    await this.run(
      'writing the audit trail',
      `WITH added AS (
         INSERT INTO ${s}.audit (at, actor, action, job_id, before, after)
         SELECT at, actor::jsonb, action, job_id, before::jsonb, after::jsonb
         FROM (SELECT u.*, row_number() OVER (PARTITION BY job_id ORDER BY n DESC) AS newest
               FROM unnest($1::float8[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS u(at, actor, action, job_id, before, after, n)) v
         WHERE job_id IS NULL OR newest <= $7
         ORDER BY n
         RETURNING job_id),
       counts AS (SELECT job_id, count(*) AS n FROM added WHERE job_id IS NOT NULL GROUP BY job_id),
       older AS (
         SELECT a.id FROM (SELECT id, job_id, row_number() OVER (PARTITION BY job_id ORDER BY id DESC) AS r
                           FROM ${s}.audit WHERE job_id IN (SELECT job_id FROM counts)) a
         JOIN counts c ON c.job_id = a.job_id WHERE a.r > $7 - c.n)
       DELETE FROM ${s}.audit WHERE id IN (SELECT id FROM older)`,
      [
        entries.map((e) => e.at),
        entries.map((e) => JSON.stringify(e.actor)),
        entries.map((e) => e.action),
        entries.map((e) => e.jobId),
        entries.map((e) => json(e.before)),
        entries.map((e) => json(e.after)),
        this.retention.maxRunsPerJob,
      ],
    );
    const before = this.appends;
    this.appends += entries.length;
    const last = entries[entries.length - 1] as AuditAppend;
    if (before === 0 || Math.floor(before / EXPIRE_EVERY_APPENDS) !== Math.floor(this.appends / EXPIRE_EVERY_APPENDS)) {
      await this.run('expiring the audit trail', `DELETE FROM ${s}.audit WHERE at < $1`, [last.at - this.retention.maxRunAgeMs]);
    }
    return [];
  }

  /**
   * Writes go to the run history's connections, with asynchronous commit: an audit write is best effort
   * already (a failed one is logged, the change stands), and waiting for a second WAL flush after the
   * job's own would double the time an add over HTTP takes. A database crash may lose the newest
   * entries (those of the last fraction of a second), never a job.
   */
  private async run(action: string, sql: string, params: unknown[]): Promise<void> {
    try {
      await (this.session.historyPool ?? this.session.db).query(sql, params);
    } catch (error) {
      throw pgError(action, error);
    }
  }

  async page(query: AuditPageQuery): Promise<AuditRecord[]> {
    const { s } = this.session;
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.jobId !== undefined) {
      params.push(query.jobId);
      where.push(`job_id = $${params.length}`);
    }
    if (query.beforeId !== undefined) {
      params.push(query.beforeId);
      where.push(`id < $${params.length}`);
    }
    params.push(query.limit);
    const { rows } = await this.session.query<AuditRow>(
      'reading the audit trail',
      `SELECT * FROM ${s}.audit ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`} ORDER BY id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map((row) => toAuditRecord(row, (v) => v));
  }
}
