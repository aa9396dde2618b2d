/**
 * The PostgreSQL store's options, and the settings they resolve to: checked once, when the store is made,
 * so that a bad value fails at construction with INVALID_ARGUMENT naming it, not at the first heartbeat.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import { resolveRetention, type Retention, type RetentionOptions } from '../retention.js';
import { checkSchemaName, DEFAULT_PG_SCHEMA } from './connection.js';

export interface PostgresJobStoreOptions extends RetentionOptions {
  /** A libpq-style URL, e.g. postgres://user@127.0.0.1:5432/app. */
  connectionString: string;
  /** The schema holding Tickwork's tables (default "tickwork"); created if missing. */
  schema?: string;
  /** Connections in this node's pool (default 10). */
  poolSize?: number;
  /** Seconds between heartbeats (default 1). */
  heartbeatSeconds?: number;
  /** A node silent this long is dead; its unsettled runs are recorded lost (default 3). */
  leaseSeconds?: number;
  /** Longest time between two looks at the schedule, whatever NOTIFY says (default 2). */
  pollSeconds?: number;
  /** Fires due this close together are claimed in one transaction (default 10 ms). */
  batchWindowMs?: number;
  /**
   * Retries of run history that could not be written: the first after `initial` ms (default 500),
   * doubling up to `max` ms (default 30 000). A record refused 5 times is dropped.
   */
  historyRetryMs?: { initial?: number; max?: number };
  /** Hydrated job records kept between reads, least recently used dropped first (default 10 000). */
  jobCacheSize?: number;
}

/** The options checked, with their defaults, in the units the store uses. */
/**
 * The backoff of history writes that failed: the first retry after `firstMs`, doubling up to `maxMs`.
 * Declared here, not in history.ts, so the public options' declarations do not reach the pg types.
 */
export interface HistoryRetry {
  firstMs: number;
  maxMs: number;
}

export interface PostgresSettings {
  connectionString: string;
  schema: string;
  poolSize: number;
  heartbeatMs: number;
  leaseMs: number;
  loopTuning: { maxSleepMs: number; minGapMs: number };
  retention: Retention;
  historyRetry: HistoryRetry;
  jobCacheSize: number;
}

export function resolvePostgresOptions(options: PostgresJobStoreOptions): PostgresSettings {
  if (typeof options?.connectionString !== 'string' || options.connectionString === '') {
    throw InvalidArgumentError.field('connectionString', 'must be a postgres:// URL, e.g. postgres://user@127.0.0.1:5432/app.');
  }
  // Checked in the order the interface lists them: of several bad options, the first is named.
  const schema = checkSchemaName(options.schema ?? DEFAULT_PG_SCHEMA);
  const poolSize = Math.round(positive(options.poolSize, 10, 'poolSize'));
  const heartbeatMs = positive(options.heartbeatSeconds, 1, 'heartbeatSeconds') * 1000;
  const leaseMs = positive(options.leaseSeconds, 3, 'leaseSeconds') * 1000;
  if (leaseMs < 2 * heartbeatMs)
    throw InvalidArgumentError.field('leaseSeconds', 'must be at least twice heartbeatSeconds, or live nodes would be declared dead.');
  const loopTuning = { maxSleepMs: positive(options.pollSeconds, 2, 'pollSeconds') * 1000, minGapMs: options.batchWindowMs ?? 10 };
  const retention = resolveRetention(options);
  const retry = options.historyRetryMs;
  if (retry !== undefined && (typeof retry !== 'object' || retry === null))
    throw InvalidArgumentError.field('historyRetryMs', 'must be { initial, max } in milliseconds.');
  const firstMs = positive(retry?.initial, 500, 'historyRetryMs.initial');
  const maxMs = positive(retry?.max, Math.max(30_000, firstMs), 'historyRetryMs.max');
  if (maxMs < firstMs) throw InvalidArgumentError.field('historyRetryMs.max', `must be at least historyRetryMs.initial (${firstMs}), got ${maxMs}.`);
  const jobCacheSize = Math.round(positive(options.jobCacheSize, 10_000, 'jobCacheSize'));
  return {
    connectionString: options.connectionString,
    schema,
    poolSize,
    heartbeatMs,
    leaseMs,
    loopTuning,
    retention,
    historyRetry: { firstMs, maxMs },
    jobCacheSize,
  };
}

function positive(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw InvalidArgumentError.field(field, `must be a positive number, got ${String(value)}.`);
  return value;
}
