/**
 * The SQLite schema, as numbered, append-only migrations: never edit one that has shipped, add the next.
 * `PRAGMA user_version` records the last applied; a file with a higher version than this code knows was
 * written by a newer Tickwork and is refused.
 */
export interface Migration {
  version: number;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        name TEXT NOT NULL,
        task TEXT NOT NULL,
        args TEXT,
        trigger TEXT NOT NULL,
        policy TEXT NOT NULL,
        paused INTEGER NOT NULL,
        next_run_time INTEGER,
        due_at INTEGER,
        jitter_ms INTEGER NOT NULL DEFAULT 0,
        retry TEXT
      ) STRICT;
      CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        job_id TEXT NOT NULL,
        scheduled_at INTEGER NOT NULL,
        attempt INTEGER NOT NULL,
        started_at INTEGER,
        finished_at INTEGER,
        outcome TEXT NOT NULL,
        lateness_ms REAL,
        duration_ms REAL,
        error TEXT,
        output TEXT,
        coalesced INTEGER,
        last_scheduled_at INTEGER,
        node TEXT
      ) STRICT;
      CREATE INDEX runs_by_job ON runs (job_id, id);
      CREATE INDEX runs_running ON runs (outcome) WHERE outcome = 'running';
    `,
  },
  {
    version: 3,
    // The trace id of the run's OpenTelemetry span (32 hex digits), when the run was traced.
    sql: `ALTER TABLE runs ADD COLUMN trace_id TEXT;`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
