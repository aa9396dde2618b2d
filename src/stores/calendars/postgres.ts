/**
 * Calendars of the PostgreSQL store: the `calendars` table (migration 6) in its schema, shared by every
 * node. A change is written and announced in one transaction (NOTIFY 'calendars' on the schema's channel,
 * delivered at commit); each node reads the calendars again when it hears it, and after its LISTEN
 * connection comes back, since notifications sent meanwhile are gone.
 */
import type pg from 'pg';
import type { CalendarSpec } from '../../core/exclusion.js';
import { pgError } from '../postgres/connection.js';
import type { PostgresJobStore } from '../postgres/store.js';
import { withTransaction } from '../postgres/transaction.js';
import { toCalendarSpec, type CalendarStore } from './calendar-store.js';

export class PgCalendarStore implements CalendarStore {
  constructor(private readonly store: PostgresJobStore) {}

  async load(): Promise<Map<string, CalendarSpec>> {
    const { pool, s } = this.store.sharedDatabase();
    try {
      const { rows } = await pool.query<{ name: string; spec: unknown }>(`SELECT name, spec FROM ${s}.calendars ORDER BY name`);
      return new Map(rows.map((row) => [row.name, toCalendarSpec(row.spec)]));
    } catch (error) {
      throw pgError('calendars: loading', error);
    }
  }

  async put(name: string, spec: CalendarSpec): Promise<boolean> {
    return this.change('saving a calendar', async (client, s) => {
      const { rows } = await client.query<{ created: boolean }>(
        `INSERT INTO ${s}.calendars (name, spec, updated_at) VALUES ($1, $2, now())
         ON CONFLICT (name) DO UPDATE SET spec = EXCLUDED.spec, updated_at = now() RETURNING (xmax = 0) AS created`,
        [name, JSON.stringify(spec)],
      );
      return rows[0]?.created === true;
    });
  }

  async remove(name: string): Promise<boolean> {
    return this.change('removing a calendar', async (client, s) => {
      const { rowCount } = await client.query(`DELETE FROM ${s}.calendars WHERE name = $1`, [name]);
      return (rowCount ?? 0) > 0;
    });
  }

  watch(onChange: () => void): void {
    this.store.onCalendarsChanged = onChange;
  }

  /** A write and its NOTIFY in one transaction: the other nodes hear of it once it is committed. */
  private async change(action: string, write: (client: pg.PoolClient, s: string) => Promise<boolean>): Promise<boolean> {
    const { pool, s } = this.store.sharedDatabase();
    try {
      return await withTransaction(pool, async (client) => {
        const changed = await write(client, s);
        await client.query('SELECT pg_notify($1, $2)', [this.store.notifyChannel, 'calendars']);
        return changed;
      });
    } catch (error) {
      throw pgError(`calendars: ${action}`, error);
    }
  }
}
