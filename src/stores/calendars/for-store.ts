/** Picks the calendar store that lives with the job store: SQLite's file, PostgreSQL's schema, or memory. */
import { PostgresJobStore } from '../postgres/store.js';
import { SqliteJobStore } from '../sqlite/store.js';
import type { JobStore } from '../store.js';
import type { CalendarStore } from './calendar-store.js';
import { MemoryCalendarStore } from './memory.js';
import { PgCalendarStore } from './postgres.js';
import { SqliteCalendarStore } from './sqlite.js';

/** The calendars of `store`; a store of another kind keeps them in this process, per store object. */
export function calendarStoreFor(store: JobStore, now: () => number): CalendarStore {
  if (store instanceof SqliteJobStore) return new SqliteCalendarStore(store, now);
  if (store instanceof PostgresJobStore) return new PgCalendarStore(store);
  return new MemoryCalendarStore(store);
}
