/** The store capabilities the scheduler finds once, at construction, and that each shipped store has. */
import { describe, expect, it } from 'vitest';
import { MemoryJobStore } from '../../src/stores/memory.js';
import { PostgresJobStore } from '../../src/stores/postgres/store.js';
import { SqliteJobStore } from '../../src/stores/sqlite/store.js';
import {
  isClaimingStore,
  isLocalStore,
  isReplacingStore,
  type ClaimingStore,
  type JobStore,
  type LocalStore,
  type ReplacingStore,
} from '../../src/stores/store.js';

function capabilities(store: JobStore): string[] {
  return [isLocalStore(store) && 'local', isReplacingStore(store) && 'replacing', isClaimingStore(store) && 'claiming'].filter((c) => c !== false);
}

describe('store capabilities', () => {
  it('memory: local; SQLite: local and replacing; PostgreSQL: claiming and replacing', () => {
    // Constructing the PostgreSQL store connects to nothing.
    const postgres = new PostgresJobStore({ connectionString: 'postgres://nobody@127.0.0.1:1/none' });
    const memory = new MemoryJobStore();
    const sqlite = new SqliteJobStore({ path: ':memory:' });
    // The implementations meet the interfaces the guards stand for (checked by the compiler).
    const typed: [LocalStore, LocalStore & ReplacingStore, ClaimingStore & ReplacingStore] = [memory, sqlite, postgres];
    expect(typed.map(capabilities)).toEqual([['local'], ['local', 'replacing'], ['replacing', 'claiming']]);
  });
});
