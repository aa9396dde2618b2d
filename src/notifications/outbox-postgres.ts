/**
 * The outbox of the PostgreSQL store: tables in its schema (migration 4 of stores/postgres/migrations.ts),
 * on its pool, so every node of a cluster shares targets, reported states and deliveries.
 *
 * - A transition locks the job's state row (inserting it first if missing; a concurrent insert waits on
 *   the unique key), compares, updates and inserts the deliveries in one transaction: of several nodes
 *   that see the same change, the first to commit reports it and the others find it set.
 * - A delivery is claimed with FOR UPDATE SKIP LOCKED and held by a lease (lease_until, lease_owner), so
 *   two nodes never send it at once; a node that dies holding one lets it go when the lease lapses, and
 *   a settle counts only while the lease is still the node's own.
 */
import type pg from 'pg';
import type { HealthState } from '../core/health.js';
import { pgError } from '../stores/postgres/connection.js';
import type { PostgresJobStore } from '../stores/postgres/store.js';
import { withTransaction } from '../stores/postgres/transaction.js';
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

export class PgOutbox implements NotificationOutbox {
  constructor(private readonly store: PostgresJobStore) {}

  private get db(): { pool: pg.Pool; s: string } {
    return this.store.sharedDatabase();
  }

  private async query<R extends pg.QueryResultRow>(action: string, sql: string, params: unknown[] = []): Promise<R[]> {
    const { pool } = this.db;
    try {
      return (await pool.query<R>(sql, params)).rows;
    } catch (error) {
      throw pgError(`notifications: ${action}`, error);
    }
  }

  private async transaction<T>(action: string, fn: (client: pg.PoolClient, s: string) => Promise<T>): Promise<T> {
    const { pool, s } = this.db;
    try {
      return await withTransaction(pool, (client) => fn(client, s));
    } catch (error) {
      throw pgError(`notifications: ${action}`, error);
    }
  }

  async open(): Promise<void> {
    // Leases belong to nodes, which may still be sending: nothing to let go here.
  }

  async listTargets(): Promise<NotificationTarget[]> {
    return (await this.query<TargetRow>('listing targets', `SELECT * FROM ${this.db.s}.notification_targets ORDER BY id`)).map(toTarget);
  }

  async putTarget(target: NotificationTarget): Promise<boolean> {
    const rows = await this.query<{ created: boolean }>(
      'saving a target',
      `INSERT INTO ${this.db.s}.notification_targets AS t (id, url, secret, events, jobs, source, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (id) DO UPDATE SET url = EXCLUDED.url, secret = EXCLUDED.secret, events = EXCLUDED.events, jobs = EXCLUDED.jobs,
         source = EXCLUDED.source, updated_at = EXCLUDED.updated_at
       RETURNING (xmax = 0) AS created`,
      targetValues(target),
    );
    return rows[0]?.created === true;
  }

  async deleteTarget(id: string): Promise<boolean> {
    return this.transaction('removing a target', async (client, s) => {
      await client.query(`DELETE FROM ${s}.notification_outbox WHERE target_id = $1`, [id]);
      return ((await client.query(`DELETE FROM ${s}.notification_targets WHERE id = $1`, [id])).rowCount ?? 0) > 0;
    });
  }

  async healthStates(jobIds: readonly string[]): Promise<Map<string, StoredHealth>> {
    const found = new Map<string, StoredHealth>();
    if (jobIds.length === 0) return found;
    const rows = await this.query<HealthRow>('reading reported states', `SELECT * FROM ${this.db.s}.notification_health WHERE job_id = ANY($1::text[])`, [
      jobIds,
    ]);
    for (const row of rows) found.set(row.job_id, toStoredHealth(row));
    return found;
  }

  async transition(jobId: string, next: StoredHealth, entries: (old: HealthState | null) => OutboxEntry[]): Promise<HealthState | null | 'unchanged'> {
    return this.transaction('reporting a transition', async (client, s) => {
      // A first report inserts the row, a later one finds it: either way the row is locked below, and a
      // node inserting concurrently waits here on the key until the first commits, then sees its row.
      const inserted = await client.query<{ job_id: string }>(
        `INSERT INTO ${s}.notification_health (job_id, state, since, updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (job_id) DO NOTHING RETURNING job_id`,
        [jobId, next.state, next.since, next.updatedAt],
      );
      let old: HealthState | null = null;
      if (inserted.rowCount === 0) {
        const locked = await client.query<{ state: HealthState }>(`SELECT state FROM ${s}.notification_health WHERE job_id = $1 FOR UPDATE`, [jobId]);
        old = locked.rows[0]?.state ?? null;
        if (old === next.state) return 'unchanged';
        await client.query(`UPDATE ${s}.notification_health SET state = $2, since = $3, updated_at = $4 WHERE job_id = $1`, [
          jobId,
          next.state,
          next.since,
          next.updatedAt,
        ]);
      }
      await insertEntries(client, s, entries(old), next.updatedAt);
      return old;
    });
  }

  async forget(jobId: string): Promise<void> {
    await this.query('forgetting a job', `DELETE FROM ${this.db.s}.notification_health WHERE job_id = $1`, [jobId]);
  }

  async enqueue(entries: readonly OutboxEntry[], now: number): Promise<number> {
    if (entries.length === 0) return 0;
    return this.transaction('queueing deliveries', (client, s) => insertEntries(client, s, entries, now));
  }

  async claimDue(now: number, limit: number, leaseUntil: number, owner: string): Promise<ClaimedDelivery[]> {
    const s = this.db.s;
    const rows = await this.query<DeliveryRow>(
      'claiming deliveries',
      `UPDATE ${s}.notification_outbox SET lease_until = $2, lease_owner = $3
       WHERE id IN (SELECT id FROM ${s}.notification_outbox
                    WHERE status = 'pending' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until < $1)
                    ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED)
       RETURNING ${DELIVERY_COLUMNS}, body`,
      [now, leaseUntil, owner, limit],
    );
    return rows.map(toClaimed).sort((a, b) => (a.nextAttemptAt ?? 0) - (b.nextAttemptAt ?? 0) || a.id - b.id);
  }

  async settle(id: number, owner: string, result: AttemptResult): Promise<void> {
    await this.query(
      'recording an attempt',
      `UPDATE ${this.db.s}.notification_outbox SET status = $1, attempts = $2, next_attempt_at = $3, last_attempt_at = $4, last_status = $5,
         last_error = $6, delivered_at = $7, lease_until = NULL, lease_owner = NULL
       WHERE id = $8 AND lease_owner = $9`,
      [...attemptValues(result), id, owner],
    );
  }

  async nextDue(): Promise<number | null> {
    const rows = await this.query<{ due: number | null }>(
      'reading the next delivery',
      `SELECT min(next_attempt_at) AS due FROM ${this.db.s}.notification_outbox WHERE status = 'pending'`,
    );
    return rows[0]?.due ?? null;
  }

  async deliveries(query: DeliveryQuery): Promise<Delivery[]> {
    const { where, params } = deliveryFilter(query, (n) => `$${n}`);
    const rows = await this.query<DeliveryRow>(
      'listing deliveries',
      `SELECT ${DELIVERY_COLUMNS} FROM ${this.db.s}.notification_outbox ${where} ORDER BY id DESC LIMIT $${params.length + 1}`,
      [...params, query.limit],
    );
    return rows.map(toDelivery);
  }

  async prune(before: number): Promise<number> {
    const s = this.db.s;
    const { pool } = this.db;
    try {
      return (await pool.query(`DELETE FROM ${s}.notification_outbox WHERE status <> 'pending' AND created_at < $1`, [before])).rowCount ?? 0;
    } catch (error) {
      throw pgError('notifications: pruning deliveries', error);
    }
  }
}

async function insertEntries(client: pg.PoolClient, s: string, entries: readonly OutboxEntry[], now: number): Promise<number> {
  if (entries.length === 0) return 0;
  const result = await client.query(
    `INSERT INTO ${s}.notification_outbox (target_id, job_id, event, dedupe_key, body, status, attempts, created_at, next_attempt_at)
     SELECT t, j, e, k, b, 'pending', 0, $6, $6 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS x(t, j, e, k, b)
     ON CONFLICT (target_id, dedupe_key) DO NOTHING`,
    [
      entries.map((e) => e.targetId),
      entries.map((e) => e.jobId),
      entries.map((e) => e.event),
      entries.map((e) => e.dedupeKey),
      entries.map((e) => e.body),
      now,
    ],
  );
  return result.rowCount ?? 0;
}
