/**
 * The SQLite store's audit log: the `audit` table in the job store's file. Retention as the run history's:
 * at most maxRunsPerJob entries per job (trimmed at each append), none older than maxRunAgeDays (expired
 * every EXPIRE_EVERY_APPENDS appends).
 */
import type Database from 'better-sqlite3';
import type { AuditAppend, AuditLog, AuditPageQuery, AuditRecord, AuditSubject } from '../../core/audit.js';
import type { Retention } from '../retention.js';
import { EXPIRE_EVERY_APPENDS, toAuditRecord, type AuditRow } from './audit-rows.js';

export class SqliteAuditLog implements AuditLog {
  private appends = 0;

  constructor(
    private readonly db: () => Database.Database,
    private readonly retention: Retention,
  ) {}

  append(entry: AuditAppend): void {
    const db = this.db();
    const json = (subject: AuditSubject | null): string | null => (subject === null ? null : JSON.stringify(subject.toAuditJob()));
    db.transaction(() => {
      db.prepare('INSERT INTO audit (at, actor, action, job_id, before, after) VALUES (?, ?, ?, ?, ?, ?)').run(
        Math.round(entry.at),
        JSON.stringify(entry.actor),
        entry.action,
        entry.jobId,
        json(entry.before),
        json(entry.after),
      );
      if (entry.jobId !== null) {
        db.prepare('DELETE FROM audit WHERE job_id = ? AND id < (SELECT id FROM audit WHERE job_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)').run(
          entry.jobId,
          entry.jobId,
          this.retention.maxRunsPerJob - 1,
        );
      }
      if (++this.appends % EXPIRE_EVERY_APPENDS === 1) db.prepare('DELETE FROM audit WHERE at < ?').run(Math.round(entry.at - this.retention.maxRunAgeMs));
    })();
  }

  page(query: AuditPageQuery): AuditRecord[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.jobId !== undefined) {
      where.push('job_id = ?');
      params.push(query.jobId);
    }
    if (query.beforeId !== undefined) {
      where.push('id < ?');
      params.push(query.beforeId);
    }
    const sql = `SELECT * FROM audit ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`} ORDER BY id DESC LIMIT ?`;
    const rows = this.db()
      .prepare(sql)
      .all(...params, query.limit) as AuditRow[];
    return rows.map((row) => toAuditRecord(row, (v) => JSON.parse(v as string) as unknown));
  }
}
