/** Picks the outbox that lives with the job store: SQLite's file, PostgreSQL's schema, or memory. */
import { PostgresJobStore } from '../stores/postgres/store.js';
import { SqliteJobStore } from '../stores/sqlite/store.js';
import type { JobStore } from '../stores/store.js';
import type { NotificationOutbox } from './outbox.js';
import { MemoryOutbox } from './outbox-memory.js';
import { PgOutbox } from './outbox-postgres.js';
import { SqliteOutbox } from './outbox-sqlite.js';

/**
 * The outbox for `store`. A store of another kind (the memory store, one of your own) gets a memory
 * outbox: targets, reported states and deliveries last as long as the process.
 */
export function outboxFor(store: JobStore | undefined): NotificationOutbox {
  if (store instanceof SqliteJobStore) return new SqliteOutbox(store);
  if (store instanceof PostgresJobStore) return new PgOutbox(store);
  return new MemoryOutbox();
}
