/**
 * What every part of the PostgreSQL store shares (jobs.ts, claims.ts, history.ts, prune.ts): the schema's
 * SQL names, this node's id, and while the store is open its pools, its heartbeat (the registration's
 * epoch, which fences every write) and the scheduler's context.
 */
import type pg from 'pg';
import { StoreUnavailableError } from '../../core/errors.js';
import type { StoreContext } from '../store.js';
import { pgError } from './connection.js';

/** What the store's parts read of the heartbeat (heartbeat.ts). */
export interface Registration {
  /** The epoch of this node's registration; null while it is not registered (fenced, registering again). */
  readonly epoch: number | null;
  /** Registered, with a heartbeat within the lease: only then may the node claim. */
  readonly current: boolean;
}

export class PgSession {
  /** The quoted schema name, as SQL text. */
  readonly s: string;
  /** The NOTIFY channel of this schema. */
  readonly channel: string;
  /** Claims, jobs and pruning; null while the store is closed. */
  pool: pg.Pool | null = null;
  /** Run history is written on connections with asynchronous commit (see history.ts). */
  historyPool: pg.Pool | null = null;
  registration: Registration | null = null;
  context: StoreContext | null = null;

  constructor(
    readonly schema: string,
    readonly nodeId: string,
  ) {
    this.s = `"${schema}"`;
    this.channel = `tickwork_${schema}`;
  }

  /** The pool; STORE_UNAVAILABLE while the store is not open. */
  get db(): pg.Pool {
    if (this.pool === null) throw new StoreUnavailableError('PostgreSQL store is not open; start the scheduler first.');
    return this.pool;
  }

  /** This node's epoch, for the fenced statements (null: not registered, and they write nothing). */
  get epoch(): number | null {
    return this.registration?.epoch ?? null;
  }

  /** A statement on the pool; a driver error is wrapped (STORE_UNAVAILABLE when the database is unreachable). */
  async query<R extends pg.QueryResultRow>(action: string, sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    try {
      return await this.db.query<R>(sql, params);
    } catch (error) {
      throw pgError(action, error);
    }
  }

  /**
   * A named statement: node-postgres prepares it once per connection, so PostgreSQL parses and plans the
   * statements of every pass once instead of on each call (the planning of the unnest-based claim and
   * history statements was a measurable part of the database's CPU at 5 000 fires/s). The schema is part
   * of the name, since the text differs per schema.
   */
  prepared(name: string, text: string, values: unknown[]): pg.QueryConfig {
    return { name: `tickwork_${name}_${this.schema}`, text, values };
  }

  /** Wakes the other nodes' loops by the due time in `dueColumn`. */
  notifySql(dueColumn: string): string {
    return `pg_notify('${this.channel}', ${dueColumn}::text)`;
  }

  /**
   * Tells the other nodes that the job `$1` changed (to `versionColumn`; null: removed): they drop a
   * cached record older than that. (Not a number: nodes of an earlier version ignore it.)
   */
  changedSql(versionColumn: string | null): string {
    return `pg_notify('${this.channel}', 'changed:' || ${versionColumn === null ? "'removed'" : `${versionColumn}::text`} || ':' || $1::text) AS changed_notified`;
  }
}
