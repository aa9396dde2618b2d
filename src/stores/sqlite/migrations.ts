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
    version: 2,
    // Notifications (src/notifications/): targets, the health state last reported per job (compared and
    // set with the outbox inserts in one transaction, so a transition is reported once), and the outbox
    // of deliveries, unique per target and dedupe key. Times are epoch ms.
    sql: `
      CREATE TABLE notification_targets (
        id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        secret TEXT,
        events TEXT NOT NULL,
        jobs TEXT,
        source TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE notification_health (
        job_id TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        since INTEGER,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE notification_outbox (
        id INTEGER PRIMARY KEY,
        target_id TEXT NOT NULL,
        job_id TEXT NOT NULL,
        event TEXT NOT NULL,
        dedupe_key TEXT NOT NULL,
        body TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        next_attempt_at INTEGER,
        last_attempt_at INTEGER,
        last_status INTEGER,
        last_error TEXT,
        delivered_at INTEGER,
        lease_until INTEGER,
        lease_owner TEXT,
        UNIQUE (target_id, dedupe_key)
      ) STRICT;
      CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at) WHERE status = 'pending';
      CREATE INDEX notification_outbox_job ON notification_outbox (job_id, id);
    `,
  },
  {
    version: 3,
    // The fires counted toward a job's maxRuns, kept with its schedule so that the limit holds across restarts.
    sql: `ALTER TABLE jobs ADD COLUMN run_count INTEGER NOT NULL DEFAULT 0;`,
  },
  {
    version: 4,
    // The trace id of the run's OpenTelemetry span (32 hex digits), when the run was traced.
    sql: `ALTER TABLE runs ADD COLUMN trace_id TEXT;`,
  },
  {
    version: 5,
    // Who created each job (config, api, library: what an import or a config reconcile with prune may
    // remove), and the audit trail of changes to jobs and the scheduler (actor and definitions as JSON).
    sql: `
      ALTER TABLE jobs ADD COLUMN owner TEXT NOT NULL DEFAULT 'library';
      CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        job_id TEXT,
        before TEXT,
        after TEXT
      ) STRICT;
      CREATE INDEX audit_by_job ON audit (job_id, id);
      CREATE INDEX audit_by_at ON audit (at);
    `,
  },
  {
    version: 6,
    // Exclusion calendars (src/stores/calendars/): name -> spec as JSON.
    sql: `CREATE TABLE calendars (name TEXT PRIMARY KEY, spec TEXT NOT NULL, updated_at INTEGER NOT NULL) STRICT;`,
  },
  {
    version: 7,
    // Pauses that explain themselves: who paused a job, when, why and until when (JSON, null when not
    // paused), and the last fire a resume with catch-up `all` runs (epoch ms, null when none).
    sql: `
      ALTER TABLE jobs ADD COLUMN pause TEXT;
      ALTER TABLE jobs ADD COLUMN catch_up_through INTEGER;
    `,
  },
  {
    version: 8,
    // Run provenance: what started each run (schedule, manual, retry, backfill), who (an actor as JSON,
    // null for the scheduler) and a manual run's note. Older retries (attempt > 1) read as retries.
    sql: `
      ALTER TABLE runs ADD COLUMN trigger TEXT NOT NULL DEFAULT 'schedule';
      ALTER TABLE runs ADD COLUMN actor TEXT;
      ALTER TABLE runs ADD COLUMN note TEXT;
      UPDATE runs SET trigger = 'retry' WHERE attempt > 1;
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
