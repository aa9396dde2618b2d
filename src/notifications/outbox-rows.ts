/** The row mappings of the SQL outboxes (SQLite and PostgreSQL keep the same columns), written once. */
import type { HealthState } from '../core/health.js';
import type { AttemptResult, ClaimedDelivery, Delivery, DeliveryQuery, DeliveryStatus, StoredHealth } from './outbox.js';
import type { NotificationEvent, NotificationTarget, TargetSource } from './targets.js';

export interface TargetRow {
  id: string;
  url: string;
  secret: string | null;
  events: string;
  jobs: string | null;
  source: string;
  updated_at: number;
}

export interface HealthRow {
  job_id: string;
  state: string;
  since: number | null;
  updated_at: number;
}

export interface DeliveryRow {
  /** PostgreSQL answers a bigint as text. */
  id: number | string;
  target_id: string;
  job_id: string;
  event: string;
  status: string;
  attempts: number;
  created_at: number;
  next_attempt_at: number | null;
  last_attempt_at: number | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: number | null;
  body?: string;
}

/** The columns a Delivery is read from (the body only where it is sent). */
export const DELIVERY_COLUMNS =
  'id, target_id, job_id, event, status, attempts, created_at, next_attempt_at, last_attempt_at, last_status, last_error, delivered_at';

export function targetValues(target: NotificationTarget): unknown[] {
  return [
    target.id,
    target.url,
    target.secret,
    JSON.stringify(target.on),
    target.jobs === null ? null : JSON.stringify(target.jobs),
    target.source,
    Math.round(target.updatedAt),
  ];
}

export function toTarget(row: TargetRow): NotificationTarget {
  return {
    id: row.id,
    url: row.url,
    secret: row.secret,
    on: JSON.parse(row.events) as NotificationEvent[],
    jobs: row.jobs === null ? null : (JSON.parse(row.jobs) as string[]),
    source: row.source as TargetSource,
    updatedAt: Number(row.updated_at),
  };
}

export function toStoredHealth(row: HealthRow): StoredHealth {
  return { state: row.state as HealthState, since: row.since === null ? null : Number(row.since), updatedAt: Number(row.updated_at) };
}

export function toDelivery(row: DeliveryRow): Delivery {
  return {
    id: Number(row.id),
    targetId: row.target_id,
    jobId: row.job_id,
    event: row.event as NotificationEvent,
    status: row.status as DeliveryStatus,
    attempts: row.attempts,
    createdAt: Number(row.created_at),
    nextAttemptAt: nullableNumber(row.next_attempt_at),
    lastAttemptAt: nullableNumber(row.last_attempt_at),
    lastStatus: row.last_status,
    lastError: row.last_error,
    deliveredAt: nullableNumber(row.delivered_at),
  };
}

export function toClaimed(row: DeliveryRow): ClaimedDelivery {
  return { ...toDelivery(row), body: row.body ?? '' };
}

/** An attempt's result as the values of `SET status, attempts, next_attempt_at, last_attempt_at, last_status, last_error, delivered_at`. */
export function attemptValues(result: AttemptResult): unknown[] {
  return [
    result.status,
    result.attempts,
    roundOrNull(result.nextAttemptAt),
    roundOrNull(result.lastAttemptAt),
    result.lastStatus,
    result.lastError,
    roundOrNull(result.deliveredAt),
  ];
}

export function roundOrNull(value: number | null): number | null {
  return value === null ? null : Math.round(value);
}

function nullableNumber(value: number | null): number | null {
  return value === null ? null : Number(value);
}

/** The WHERE clause of a deliveries query; `placeholder(n)` spells the n-th parameter (1-based). */
export function deliveryFilter(query: DeliveryQuery, placeholder: (n: number) => string): { where: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (column: string, operator: string, value: unknown): void => {
    params.push(value);
    conditions.push(`${column} ${operator} ${placeholder(params.length)}`);
  };
  if (query.targetId !== undefined) add('target_id', '=', query.targetId);
  if (query.jobId !== undefined) add('job_id', '=', query.jobId);
  if (query.beforeId !== undefined) add('id', '<', query.beforeId);
  return { where: conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`, params };
}
