/**
 * Connecting to PostgreSQL: the `postgres://…` spec (with Tickwork's own `schema` parameter), a pool that
 * turns bigint columns into numbers (epoch milliseconds fit a double exactly), and the mapping of driver
 * errors to STORE_UNAVAILABLE when they mean "the database cannot be reached right now".
 */
import { userInfo } from 'node:os';
import pg from 'pg';
import { InvalidArgumentError } from '../../core/errors.js';
import { toStoreError } from '../store-errors.js';

export const DEFAULT_PG_SCHEMA = 'tickwork';

const INT8_OID = 20;
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    if (oid === INT8_OID && format !== 'binary') return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as unknown as pg.CustomTypesConfig;

/** A schema name we can splice into SQL: lower-case letters, digits and underscores. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function checkSchemaName(schema: string, field = 'schema'): string {
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
    throw InvalidArgumentError.field(
      field,
      `must be a PostgreSQL schema name of lower-case letters, digits and underscores (at most 63, not starting with a digit), got ${JSON.stringify(schema)}.`,
    );
  }
  return schema;
}

/** Tickwork's own parameters in a postgres:// URL (removed before the URL reaches the driver). */
export interface PostgresSpecOptions {
  schema: string;
  poolSize?: number;
  heartbeatSeconds?: number;
  leaseSeconds?: number;
  pollSeconds?: number;
}

const NUMERIC_PARAMS = ['poolSize', 'heartbeatSeconds', 'leaseSeconds', 'pollSeconds'] as const;

/** Splits `postgres://…?schema=name&leaseSeconds=3` into the driver's connection string and our options. */
export function parsePostgresSpec(spec: string): { connectionString: string } & PostgresSpecOptions {
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw InvalidArgumentError.field('TICKWORK_STORE', 'is not a valid postgres:// URL, e.g. postgres://user@127.0.0.1:5432/app?schema=tickwork.');
  }
  const options: PostgresSpecOptions = { schema: checkSchemaName(url.searchParams.get('schema') ?? DEFAULT_PG_SCHEMA, 'TICKWORK_STORE schema') };
  url.searchParams.delete('schema');
  for (const name of NUMERIC_PARAMS) {
    const raw = url.searchParams.get(name);
    if (raw === null) continue;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) throw InvalidArgumentError.field(`TICKWORK_STORE ${name}`, `must be a positive number, got "${raw}".`);
    options[name] = value;
    url.searchParams.delete(name);
  }
  return { connectionString: url.toString(), ...options };
}

/**
 * Like libpq, a URL without a user name connects as the operating-system user. (node-postgres would read
 * $USER, which is empty under some service managers, and lets the URL override a separate `user` option,
 * so the name goes into the URL.)
 */
function withDefaultUser(connectionString: string): string {
  const url = new URL(connectionString);
  if (url.username !== '' || (process.env.PGUSER ?? '') !== '') return connectionString;
  url.username = (process.env.USER ?? '') !== '' ? (process.env.USER as string) : userInfo().username;
  return url.toString();
}

export interface PoolOptions {
  /** Commits do not wait for the WAL flush (run history only: see the store's writeRuns). */
  asyncCommit?: boolean;
  /**
   * The server ends a session idle inside a transaction this long: the only thing that releases the row
   * locks of a client stopped mid-transaction (SIGSTOP, a VM pause, a long collector pause), so it is set
   * below the lease on the connections that claim.
   */
  idleInTransactionMs?: number;
  /**
   * No bitmap scans: every fire leaves a dead entry in the runs table's index of unsettled rows (its claimed
   * row settles), and the slot counts and sweeps read that index. A plain index scan marks an entry it finds
   * dead so that later scans skip it without visiting the table; a bitmap scan never does, and the
   * planner chose one, which visited every dead row of the last autovacuum period on each read (a sweep
   * took 13-48 ms and a slot count 24 pages at 5 000 fires/s). Statements that need one (pruning by a BRIN
   * index) turn it back on for their transaction.
   */
  noBitmapScans?: boolean;
}

export function createPool(connectionString: string, nodeId: string, max: number, options: PoolOptions = {}): pg.Pool {
  const settings: string[] = [];
  if (options.asyncCommit === true) settings.push('-c synchronous_commit=off');
  if (options.noBitmapScans === true) settings.push('-c enable_bitmapscan=off');
  if (options.idleInTransactionMs !== undefined)
    settings.push(`-c idle_in_transaction_session_timeout=${Math.max(1, Math.round(options.idleInTransactionMs))}`);
  return new pg.Pool({
    ...(settings.length > 0 ? { options: settings.join(' ') } : {}),
    connectionString: withDefaultUser(connectionString),
    max,
    types,
    application_name: `tickwork ${nodeId}`.slice(0, 63),
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    // A statement stuck on a lock or a dead server fails instead of stalling the loop for ever.
    statement_timeout: 30_000,
    query_timeout: 35_000,
    keepAlive: true,
  });
}

export function createClient(connectionString: string, nodeId: string): pg.Client {
  return new pg.Client({
    connectionString: withDefaultUser(connectionString),
    types,
    application_name: `tickwork ${nodeId} listen`.slice(0, 63),
    connectionTimeoutMillis: 5_000,
    keepAlive: true,
  });
}

/** SQLSTATE classes that mean the server is unreachable, restarting or out of resources. */
const UNAVAILABLE_SQLSTATE = /^(08|53|57P0|58)/;
const UNAVAILABLE_NET = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const UNAVAILABLE_MESSAGE = /Connection terminated|not queryable|timeout exceeded when trying to connect|Query read timeout|connection timeout/i;

export function isUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_NET.has(code))) return true;
  return error instanceof Error && UNAVAILABLE_MESSAGE.test(error.message);
}

/** Wraps driver errors: unavailability becomes STORE_UNAVAILABLE; our own errors pass through. */
export function pgError(action: string, error: unknown): Error {
  return toStoreError(error, isUnavailable, () => `PostgreSQL store: ${action} failed (${(error as Error).message}); retrying with backoff.`);
}

export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '23505';
}
