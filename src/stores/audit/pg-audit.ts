/**
 * The PostgreSQL store's audit log: the `audit` table in the store's schema, shared by every node.
 * Retention as the run history's: at most maxRunsPerJob entries per job (trimmed at each append), none
 * older than maxRunAgeDays (expired every EXPIRE_EVERY_APPENDS appends of this node).
 */
import type { AuditAppend, AuditLog, AuditPageQuery, AuditRecord, AuditSubject } from '../../core/audit.js';
import type { PgSession } from '../postgres/session.js';
import type { Retention } from '../retention.js';
import { EXPIRE_EVERY_APPENDS, toAuditRecord, type AuditRow } from './audit-rows.js';

export class PgAuditLog implements AuditLog {
  private appends = 0;

  constructor(
    private readonly session: PgSession,
    private readonly retention: Retention,
  ) {}

  async append(entry: AuditAppend): Promise<void> {
    const { s } = this.session;
    const json = (subject: AuditSubject | null): string | null => (subject === null ? null : JSON.stringify(subject.toAuditJob()));
    await this.session.query(
      'writing an audit entry',
      `INSERT INTO ${s}.audit (at, actor, action, job_id, before, after) VALUES ($1, $2::jsonb, $3, $4, $5::jsonb, $6::jsonb)`,
      [entry.at, JSON.stringify(entry.actor), entry.action, entry.jobId, json(entry.before), json(entry.after)],
    );
    if (entry.jobId !== null) {
      await this.session.query(
        'trimming the audit trail',
        `DELETE FROM ${s}.audit WHERE job_id = $1 AND id < (SELECT id FROM ${s}.audit WHERE job_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)`,
        [entry.jobId, this.retention.maxRunsPerJob - 1],
      );
    }
    if (++this.appends % EXPIRE_EVERY_APPENDS === 1) {
      await this.session.query('expiring the audit trail', `DELETE FROM ${s}.audit WHERE at < $1`, [entry.at - this.retention.maxRunAgeMs]);
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
