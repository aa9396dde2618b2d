/** The outbox of the memory store (and of a store of another kind): this process only, gone at exit. */
import type { HealthState } from '../core/health.js';
import type { AttemptResult, ClaimedDelivery, Delivery, DeliveryQuery, NotificationOutbox, OutboxEntry, StoredHealth } from './outbox.js';
import type { NotificationTarget } from './targets.js';

interface Row extends ClaimedDelivery {
  dedupeKey: string;
  leaseUntil: number | null;
  owner: string | null;
}

export class MemoryOutbox implements NotificationOutbox {
  private readonly targets = new Map<string, NotificationTarget>();
  private readonly states = new Map<string, StoredHealth>();
  /** By id, in insertion (id) order. */
  private readonly rows = new Map<number, Row>();
  private readonly keys = new Set<string>();
  private lastId = 0;

  async open(): Promise<void> {
    // Nothing to open.
  }

  async listTargets(): Promise<NotificationTarget[]> {
    return [...this.targets.values()].map((target) => ({ ...target }));
  }

  async putTarget(target: NotificationTarget): Promise<boolean> {
    const created = !this.targets.has(target.id);
    this.targets.set(target.id, { ...target });
    return created;
  }

  async deleteTarget(id: string): Promise<boolean> {
    if (!this.targets.delete(id)) return false;
    for (const row of this.rows.values()) {
      if (row.targetId !== id) continue;
      this.rows.delete(row.id);
      this.keys.delete(`${row.targetId}\n${row.dedupeKey}`);
    }
    return true;
  }

  async healthStates(jobIds: readonly string[]): Promise<Map<string, StoredHealth>> {
    const found = new Map<string, StoredHealth>();
    for (const id of jobIds) {
      const state = this.states.get(id);
      if (state !== undefined) found.set(id, state);
    }
    return found;
  }

  async transition(jobId: string, next: StoredHealth, entries: (old: HealthState | null) => OutboxEntry[]): Promise<HealthState | null | 'unchanged'> {
    // Synchronous from the read to the inserts: nothing else runs in between.
    const old = this.states.get(jobId)?.state ?? null;
    if (old === next.state) return 'unchanged';
    this.states.set(jobId, { ...next });
    this.insert(entries(old), next.updatedAt);
    return old;
  }

  async forget(jobId: string): Promise<void> {
    this.states.delete(jobId);
  }

  async enqueue(entries: readonly OutboxEntry[], now: number): Promise<number> {
    return this.insert(entries, now);
  }

  private insert(entries: readonly OutboxEntry[], now: number): number {
    let queued = 0;
    for (const entry of entries) {
      const key = `${entry.targetId}\n${entry.dedupeKey}`;
      if (this.keys.has(key)) continue;
      this.keys.add(key);
      const id = ++this.lastId;
      this.rows.set(id, {
        id,
        targetId: entry.targetId,
        jobId: entry.jobId,
        event: entry.event,
        dedupeKey: entry.dedupeKey,
        body: entry.body,
        status: 'pending',
        attempts: 0,
        createdAt: now,
        nextAttemptAt: now,
        lastAttemptAt: null,
        lastStatus: null,
        lastError: null,
        deliveredAt: null,
        leaseUntil: null,
        owner: null,
      });
      queued++;
    }
    return queued;
  }

  async claimDue(now: number, limit: number, leaseUntil: number, owner: string): Promise<ClaimedDelivery[]> {
    const due: Row[] = [];
    for (const row of this.rows.values()) {
      if (row.status !== 'pending' || row.nextAttemptAt === null || row.nextAttemptAt > now) continue;
      if (row.leaseUntil !== null && row.leaseUntil >= now) continue;
      due.push(row);
    }
    due.sort((a, b) => (a.nextAttemptAt as number) - (b.nextAttemptAt as number) || a.id - b.id);
    return due.slice(0, limit).map((row) => {
      row.leaseUntil = leaseUntil;
      row.owner = owner;
      return toClaimed(row);
    });
  }

  async settle(id: number, owner: string, result: AttemptResult): Promise<void> {
    const row = this.rows.get(id);
    if (row === undefined || row.owner !== owner) return;
    Object.assign(row, result, { leaseUntil: null, owner: null });
  }

  async nextDue(): Promise<number | null> {
    let earliest: number | null = null;
    for (const row of this.rows.values()) {
      if (row.status === 'pending' && row.nextAttemptAt !== null && (earliest === null || row.nextAttemptAt < earliest)) earliest = row.nextAttemptAt;
    }
    return earliest;
  }

  async deliveries(query: DeliveryQuery): Promise<Delivery[]> {
    const found: Delivery[] = [];
    const rows = [...this.rows.values()];
    for (let i = rows.length - 1; i >= 0 && found.length < query.limit; i--) {
      const row = rows[i] as Row;
      if (query.beforeId !== undefined && row.id >= query.beforeId) continue;
      if (query.targetId !== undefined && row.targetId !== query.targetId) continue;
      if (query.jobId !== undefined && row.jobId !== query.jobId) continue;
      found.push(toDelivery(row));
    }
    return found;
  }

  async prune(before: number): Promise<number> {
    let removed = 0;
    for (const row of this.rows.values()) {
      if (row.status === 'pending' || row.createdAt >= before) continue;
      this.rows.delete(row.id);
      this.keys.delete(`${row.targetId}\n${row.dedupeKey}`);
      removed++;
    }
    return removed;
  }
}

function toDelivery(row: Row): Delivery {
  return {
    id: row.id,
    targetId: row.targetId,
    jobId: row.jobId,
    event: row.event,
    status: row.status,
    attempts: row.attempts,
    createdAt: row.createdAt,
    nextAttemptAt: row.nextAttemptAt,
    lastAttemptAt: row.lastAttemptAt,
    lastStatus: row.lastStatus,
    lastError: row.lastError,
    deliveredAt: row.deliveredAt,
  };
}

function toClaimed(row: Row): ClaimedDelivery {
  return { ...toDelivery(row), body: row.body };
}
