/** Calendars of the SQLite store: the `calendars` table (migration 4), on the store's connection. */
import type { CalendarSpec } from '../../core/exclusion.js';
import type { SqliteJobStore } from '../sqlite/store.js';
import { toCalendarSpec, type CalendarStore } from './calendar-store.js';

export class SqliteCalendarStore implements CalendarStore {
  constructor(
    private readonly store: SqliteJobStore,
    private readonly now: () => number,
  ) {}

  async load(): Promise<Map<string, CalendarSpec>> {
    const rows = this.store.database.prepare('SELECT name, spec FROM calendars ORDER BY name').all() as { name: string; spec: string }[];
    return new Map(rows.map((row) => [row.name, toCalendarSpec(JSON.parse(row.spec))]));
  }

  async put(name: string, spec: CalendarSpec): Promise<boolean> {
    const db = this.store.database;
    return db.transaction(() => {
      const existed = db.prepare('SELECT 1 FROM calendars WHERE name = ?').get(name) !== undefined;
      db.prepare(
        'INSERT INTO calendars (name, spec, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at',
      ).run(name, JSON.stringify(spec), Math.trunc(this.now()));
      return !existed;
    })();
  }

  async remove(name: string): Promise<boolean> {
    return this.store.database.prepare('DELETE FROM calendars WHERE name = ?').run(name).changes > 0;
  }

  watch(): void {
    // One process holds the file (see file-lock.ts): nobody else changes them.
  }
}
