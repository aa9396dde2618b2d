/**
 * The outbox of the SQLite store: tables in the job store's own file (migration 2 of
 * stores/sqlite/migrations.ts), on its connection. One process holds the file, so a delivery held by a
 * process that died is simply let go at open.
 */
import type Database from 'better-sqlite3';
import type { HealthState } from '../core/health.js';
import type { SqliteJobStore } from '../stores/sqlite/store.js';
import type { AttemptResult, ClaimedDelivery, Delivery, DeliveryQuery, NotificationOutbox, OutboxEntry, StoredHealth } from './outbox.js';
import {
  attemptValues,
  DELIVERY_COLUMNS,
  deliveryFilter,
  targetValues,
  toClaimed,
  toDelivery,
  toStoredHealth,
  toTarget,
  type DeliveryRow,
  type HealthRow,
  type TargetRow,
} from './outbox-rows.js';
import type { NotificationTarget } from './targets.js';

/** Jobs per `IN (...)` list (SQLite allows 32 766 parameters). */
const IDS_PER_QUERY = 500;

export class SqliteOutbox implements NotificationOutbox {
  constructor(private readonly store: SqliteJobStore) {}

  private get db(): Database.Database {
    return this.store.database;
  }

  async open(): Promise<void> {
    this.db.prepare(`UPDATE notification_outbox SET lease_until = NULL, lease_owner = NULL WHERE lease_until IS NOT NULL`).run();
  }

  async listTargets(): Promise<NotificationTarget[]> {
    return (this.db.prepare('SELECT * FROM notification_targets ORDER BY id').all() as TargetRow[]).map(toTarget);
  }

  async putTarget(target: NotificationTarget): Promise<boolean> {
    const db = this.db;
    return db.transaction(() => {
      const existed = db.prepare('SELECT 1 FROM notification_targets WHERE id = ?').get(target.id) !== undefined;
      db.prepare(
        `INSERT INTO notification_targets (id, url, secret, events, jobs, source, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET url = excluded.url, secret = excluded.secret, events = excluded.events, jobs = excluded.jobs,
           source = excluded.source, updated_at = excluded.updated_at`,
      ).run(...targetValues(target));
      return !existed;
    })();
  }

  async deleteTarget(id: string): Promise<boolean> {
    const db = this.db;
    return db.transaction(() => {
      db.prepare('DELETE FROM notification_outbox WHERE target_id = ?').run(id);
      return db.prepare('DELETE FROM notification_targets WHERE id = ?').run(id).changes > 0;
    })();
  }

  async healthStates(jobIds: readonly string[]): Promise<Map<string, StoredHealth>> {
    const found = new Map<string, StoredHealth>();
    for (let i = 0; i < jobIds.length; i += IDS_PER_QUERY) {
      const ids = jobIds.slice(i, i + IDS_PER_QUERY);
      const rows = this.db.prepare(`SELECT * FROM notification_health WHERE job_id IN (${ids.map(() => '?').join(',')})`).all(...ids) as HealthRow[];
      for (const row of rows) found.set(row.job_id, toStoredHealth(row));
    }
    return found;
  }

  async transition(jobId: string, next: StoredHealth, entries: (old: HealthState | null) => OutboxEntry[]): Promise<HealthState | null | 'unchanged'> {
    const db = this.db;
    return db.transaction((): HealthState | null | 'unchanged' => {
      const row = db.prepare('SELECT state FROM notification_health WHERE job_id = ?').get(jobId) as { state: HealthState } | undefined;
      const old = row?.state ?? null;
      if (old === next.state) return 'unchanged';
      db.prepare(
        `INSERT INTO notification_health (job_id, state, since, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (job_id) DO UPDATE SET state = excluded.state, since = excluded.since, updated_at = excluded.updated_at`,
      ).run(jobId, next.state, next.since === null ? null : Math.round(next.since), Math.round(next.updatedAt));
      this.insert(entries(old), next.updatedAt);
      return old;
    })();
  }

  async forget(jobId: string): Promise<void> {
    this.db.prepare('DELETE FROM notification_health WHERE job_id = ?').run(jobId);
  }

  async enqueue(entries: readonly OutboxEntry[], now: number): Promise<number> {
    return this.db.transaction(() => this.insert(entries, now))();
  }

  private insert(entries: readonly OutboxEntry[], now: number): number {
    const statement = this.db.prepare(
      `INSERT INTO notification_outbox (target_id, job_id, event, dedupe_key, body, status, attempts, created_at, next_attempt_at)
       VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT (target_id, dedupe_key) DO NOTHING`,
    );
    const at = Math.round(now);
    let queued = 0;
    for (const e of entries) queued += statement.run(e.targetId, e.jobId, e.event, e.dedupeKey, e.body, at, at).changes;
    return queued;
  }

  async claimDue(now: number, limit: number, leaseUntil: number, owner: string): Promise<ClaimedDelivery[]> {
    const rows = this.db
      .prepare(
        `UPDATE notification_outbox SET lease_until = ?, lease_owner = ?
         WHERE id IN (SELECT id FROM notification_outbox WHERE status = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)
                      ORDER BY next_attempt_at, id LIMIT ?)
         RETURNING ${DELIVERY_COLUMNS}, body`,
      )
      .all(Math.round(leaseUntil), owner, now, now, limit) as DeliveryRow[];
    return rows.map(toClaimed).sort((a, b) => (a.nextAttemptAt ?? 0) - (b.nextAttemptAt ?? 0) || a.id - b.id);
  }

  async settle(id: number, owner: string, result: AttemptResult): Promise<void> {
    this.db
      .prepare(
        `UPDATE notification_outbox SET status = ?, attempts = ?, next_attempt_at = ?, last_attempt_at = ?, last_status = ?, last_error = ?, delivered_at = ?,
           lease_until = NULL, lease_owner = NULL
         WHERE id = ? AND lease_owner = ?`,
      )
      .run(...attemptValues(result), id, owner);
  }

  async nextDue(): Promise<number | null> {
    const row = this.db.prepare(`SELECT min(next_attempt_at) AS due FROM notification_outbox WHERE status = 'pending'`).get() as { due: number | null };
    return row.due;
  }

  async deliveries(query: DeliveryQuery): Promise<Delivery[]> {
    const { where, params } = deliveryFilter(query, () => '?');
    const sql = `SELECT ${DELIVERY_COLUMNS} FROM notification_outbox ${where} ORDER BY id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...params, query.limit) as DeliveryRow[]).map(toDelivery);
  }

  async prune(before: number): Promise<number> {
    return this.db.prepare(`DELETE FROM notification_outbox WHERE status <> 'pending' AND created_at < ?`).run(Math.round(before)).changes;
  }
}
