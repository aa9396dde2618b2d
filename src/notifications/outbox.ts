/**
 * The persistence of notifications: targets, the health state last reported per job, and the outbox of
 * deliveries. One implementation per store, beside the jobs: memory (outbox-memory.ts), SQLite in the
 * job store's file (outbox-sqlite.ts) and PostgreSQL in its schema, on its pool (outbox-postgres.ts), so
 * a cluster shares targets and reports each transition once, and deliveries survive a restart.
 *
 * Exactly once per transition: `transition` compares and sets the stored state of a job and inserts the
 * deliveries in one transaction; whoever finds the state already set inserts nothing. Lost and missed
 * notifications are keyed by run id and event (`dedupeKey`, unique per target).
 */
import type { HealthState } from '../core/health.js';
import type { NotificationEvent, NotificationTarget } from './targets.js';

export interface StoredHealth {
  state: HealthState;
  /** Epoch ms: the state's `since`, when the health says. */
  since: number | null;
  updatedAt: number;
}

/** A delivery to queue: one per target. `body` is the JSON text sent on every attempt. */
export interface OutboxEntry {
  targetId: string;
  jobId: string;
  event: NotificationEvent;
  /** Unique per target: `<runId>:<event>` for lost and missed, `<jobId>:<event>:<time>` for a transition. */
  dedupeKey: string;
  body: string;
}

/** pending: to be sent (again); delivered: a 2xx was answered; failed: every attempt failed, or the target went. */
export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One delivery as recorded (times epoch ms). */
export interface Delivery {
  id: number;
  targetId: string;
  jobId: string;
  event: NotificationEvent;
  status: DeliveryStatus;
  attempts: number;
  createdAt: number;
  /** When the next attempt is due (pending only). */
  nextAttemptAt: number | null;
  lastAttemptAt: number | null;
  /** The HTTP status of the last attempt (null: no answer). */
  lastStatus: number | null;
  /** Why the last attempt failed (no answer, a timeout, a non-2xx status). */
  lastError: string | null;
  deliveredAt: number | null;
}

/** A delivery claimed for an attempt: with its body. */
export interface ClaimedDelivery extends Delivery {
  body: string;
}

/** What an attempt left. */
export interface AttemptResult {
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number | null;
  lastAttemptAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: number | null;
}

export interface DeliveryQuery {
  targetId?: string;
  jobId?: string;
  limit: number;
  /** Only deliveries with a smaller id (the cursor of the next, older page). */
  beforeId?: number;
}

export interface NotificationOutbox {
  /** Ready to use (the store is open). Releases leases this process held before a restart, where only one process can. */
  open(): Promise<void>;

  listTargets(): Promise<NotificationTarget[]>;
  /** Inserts or replaces the target by id; true when it was created. */
  putTarget(target: NotificationTarget): Promise<boolean>;
  /** Removes the target and its deliveries; false when there was none. */
  deleteTarget(id: string): Promise<boolean>;

  /** The stored state of each job asked that has one. */
  healthStates(jobIds: readonly string[]): Promise<Map<string, StoredHealth>>;
  /**
   * Sets the job's stored state to `next` unless it is that already, and in the same transaction queues
   * `entries(old)` (old: the state it replaced, null when none was stored). Answers the old state, or
   * `unchanged` when another node (or an earlier call) had set it.
   */
  transition(jobId: string, next: StoredHealth, entries: (old: HealthState | null) => OutboxEntry[]): Promise<HealthState | null | 'unchanged'>;
  /** Drops the stored state of a removed job. */
  forget(jobId: string): Promise<void>;
  /** Queues deliveries, due at `now`; one whose (target, dedupeKey) exists is skipped. Answers how many were queued. */
  enqueue(entries: readonly OutboxEntry[], now: number): Promise<number>;

  /** Takes up to `limit` pending deliveries due by `now` that nobody holds, holding them until `leaseUntil`. */
  claimDue(now: number, limit: number, leaseUntil: number, owner: string): Promise<ClaimedDelivery[]>;
  /** Records an attempt and lets go of the delivery (only while `owner` still holds it). */
  settle(id: number, owner: string, result: AttemptResult): Promise<void>;
  /** The earliest next attempt of a pending delivery, or null. */
  nextDue(): Promise<number | null>;

  /** Deliveries, newest first. */
  deliveries(query: DeliveryQuery): Promise<Delivery[]>;
  /** Removes delivered and failed deliveries created before `before`; answers how many. */
  prune(before: number): Promise<number>;
}
