/**
 * The PostgreSQL schema as numbered, append-only migrations: never edit one that has shipped, add the
 * next. They run at start under an advisory lock (one node migrates, the others wait); a database whose
 * version is newer than this code knows is refused, so a rolling upgrade never runs old code on it.
 *
 * Times are epoch milliseconds (double precision: interval fires may fall between milliseconds) from the scheduler's clock, which on this store is the database
 * clock (see store.ts). `{schema}` is replaced by the quoted schema name.
 */
import type pg from 'pg';
import { StoreUnavailableError } from '../../core/errors.js';
import { PgTransaction } from './transaction.js';

export interface PgMigration {
  version: number;
  sql: string;
}

export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE {schema}.jobs (
        id text PRIMARY KEY,
        seq bigserial NOT NULL,
        version bigint NOT NULL DEFAULT 1,
        name text NOT NULL,
        task text NOT NULL,
        args jsonb,
        trigger jsonb NOT NULL,
        policy jsonb NOT NULL,
        paused boolean NOT NULL,
        next_run_time double precision,
        due_at double precision,
        jitter_ms integer NOT NULL DEFAULT 0,
        retry jsonb
      );
      CREATE INDEX jobs_due ON {schema}.jobs (due_at, seq) WHERE due_at IS NOT NULL;

      -- One row per fire, retry and manual run: the primary key is what makes a fire start at most once.
      -- status: claimed (recorded, about to start, holds an instance slot), queued (a later fire of the
      -- same submission), running, or a final outcome.
      CREATE TABLE {schema}.runs (
        job_id text NOT NULL,
        scheduled_at double precision NOT NULL,
        attempt integer NOT NULL,
        status text NOT NULL,
        node_id text,
        started_at double precision,
        finished_at double precision,
        lateness_ms double precision,
        duration_ms double precision,
        error jsonb,
        output text,
        coalesced integer,
        last_scheduled_at double precision,
        recorded_at double precision NOT NULL,
        PRIMARY KEY (job_id, scheduled_at, attempt)
      );
      CREATE INDEX runs_holding_slot ON {schema}.runs (job_id) WHERE status IN ('claimed', 'running');
      CREATE INDEX runs_unsettled ON {schema}.runs (node_id) WHERE status IN ('claimed', 'queued', 'running');
      CREATE INDEX runs_recorded ON {schema}.runs (recorded_at);

      -- Live nodes: a node whose heartbeat is older than the lease is dead; its unsettled runs are lost.
      CREATE TABLE {schema}.nodes (
        id text PRIMARY KEY,
        host text NOT NULL,
        pid integer NOT NULL,
        started_at double precision NOT NULL,
        heartbeat_at double precision NOT NULL
      );
    `,
  },
  {
    version: 2,
    // A job row this version cannot load (a hand-edited trigger, an unknown zone) is set aside: the reason
    // is kept here, the claim query skips it, and an update of the job through the API clears it.
    sql: `ALTER TABLE {schema}.jobs ADD COLUMN load_error text;`,
  },
  {
    version: 3,
    // Fencing: each registration of a node takes a new epoch from the sequence; a claim and every run row
    // written carry it, and a write is accepted only while the node's row still has that epoch. A node
    // declared dead (paused past its lease) and swept thus records nothing under its old registration.
    sql: `
      CREATE SEQUENCE {schema}.node_epochs;
      ALTER TABLE {schema}.nodes ADD COLUMN epoch bigint NOT NULL DEFAULT 0;
      ALTER TABLE {schema}.runs ADD COLUMN epoch bigint;
    `,
  },
  {
    version: 4,
    // Notifications (src/notifications/): targets shared by the cluster, the health state last reported
    // per job (locked, compared and set with the outbox inserts in one transaction, so one node reports
    // each transition), and the outbox, unique per target and dedupe key; a node holds a delivery it
    // sends with a lease (lease_until, lease_owner), claimed with FOR UPDATE SKIP LOCKED.
    sql: `
      CREATE TABLE {schema}.notification_targets (
        id text PRIMARY KEY,
        url text NOT NULL,
        secret text,
        events text NOT NULL,
        jobs text,
        source text NOT NULL,
        updated_at double precision NOT NULL
      );
      CREATE TABLE {schema}.notification_health (
        job_id text PRIMARY KEY,
        state text NOT NULL,
        since double precision,
        updated_at double precision NOT NULL
      );
      CREATE TABLE {schema}.notification_outbox (
        id bigserial PRIMARY KEY,
        target_id text NOT NULL,
        job_id text NOT NULL,
        event text NOT NULL,
        dedupe_key text NOT NULL,
        body text NOT NULL,
        status text NOT NULL,
        attempts integer NOT NULL,
        created_at double precision NOT NULL,
        next_attempt_at double precision,
        last_attempt_at double precision,
        last_status integer,
        last_error text,
        delivered_at double precision,
        lease_until double precision,
        lease_owner text,
        UNIQUE (target_id, dedupe_key)
      );
      CREATE INDEX notification_outbox_due ON {schema}.notification_outbox (next_attempt_at) WHERE status = 'pending';
      CREATE INDEX notification_outbox_job ON {schema}.notification_outbox (job_id, id);
    `,
  },
  {
    version: 5,
    // The fires counted toward a job's maxRuns: advanced in the claim transaction with the schedule, so
    // that the limit holds cluster-wide and across restarts.
    sql: `ALTER TABLE {schema}.jobs ADD COLUMN run_count integer NOT NULL DEFAULT 0;`,
  },
  {
    version: 6,
    // The trace id of the run's OpenTelemetry span (32 hex digits), when the run was traced.
    sql: `ALTER TABLE {schema}.runs ADD COLUMN trace_id text;`,
  },
  {
    version: 7,
    // Who created each job (config, api, library: what an import or a config reconcile with prune may
    // remove), and the audit trail of changes to jobs and the scheduler (times in epoch ms).
    sql: `
      ALTER TABLE {schema}.jobs ADD COLUMN owner text NOT NULL DEFAULT 'library';
      CREATE TABLE {schema}.audit (
        id bigserial PRIMARY KEY,
        at double precision NOT NULL,
        actor jsonb NOT NULL,
        action text NOT NULL,
        job_id text,
        before jsonb,
        after jsonb
      );
      CREATE INDEX audit_by_job ON {schema}.audit (job_id, id);
      CREATE INDEX audit_by_at ON {schema}.audit (at);
    `,
  },
  {
    version: 8,
    // Exclusion calendars (src/stores/calendars/), shared by every node; a change is announced with a
    // NOTIFY 'calendars' on the schema's channel.
    sql: `CREATE TABLE {schema}.calendars (name text PRIMARY KEY, spec jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());`,
  },
  {
    version: 9,
    // Pauses that explain themselves: who paused a job, when, why and until when (null when not paused),
    // and the last fire a resume with catch-up `all` runs (null when none).
    sql: `
      ALTER TABLE {schema}.jobs ADD COLUMN pause jsonb;
      ALTER TABLE {schema}.jobs ADD COLUMN catch_up_through double precision;
    `,
  },
  {
    version: 10,
    // overlap 'queue': the job's one fire waiting for an instance slot, { scheduledAt, dueAt, attempt }
    // (null: none), kept in the row so that whichever node frees the slot, or takes the job next, starts it.
    sql: `ALTER TABLE {schema}.jobs ADD COLUMN waiting_fire jsonb;`,
  },
  {
    version: 11,
    // Run provenance: what started each run (schedule, manual, retry, backfill), who (an actor, null for
    // the scheduler) and a manual run's note. Older retries (attempt > 1) read as retries.
    sql: `
      ALTER TABLE {schema}.runs ADD COLUMN trigger text NOT NULL DEFAULT 'schedule', ADD COLUMN actor jsonb, ADD COLUMN note text;
      UPDATE {schema}.runs SET trigger = 'retry' WHERE attempt > 1;
    `,
  },
  {
    version: 12,
    // Fewer index entries per fire. One partial index over the unsettled rows serves both the slot count
    // (by job) and the sweeps (the unsettled set is small, so filtering it by node is cheap) instead of two
    // (each claim wrote both). recorded_at only serves pruning, which deletes old rows in bulk: a BRIN index
    // (a summary per block range, near free to maintain on an append-mostly table) instead of a btree entry
    // per row version.
    sql: `
      CREATE INDEX runs_unsettled_by_job ON {schema}.runs (job_id) WHERE status IN ('claimed', 'queued', 'running');
      DROP INDEX {schema}.runs_holding_slot;
      DROP INDEX {schema}.runs_unsettled;
      DROP INDEX {schema}.runs_recorded;
      CREATE INDEX runs_recorded ON {schema}.runs USING brin (recorded_at);
    `,
  },
  {
    version: 13,
    // The age pruning reads every block range of runs_recorded not summarized yet (a range of new rows is
    // summarized by the next VACUUM of runs): autosummarize has autovacuum summarize each range as soon as
    // it is full, so that between vacuums a pruning pass reads few unsummarized ranges.
    sql: `ALTER INDEX {schema}.runs_recorded SET (autosummarize = on);`,
  },
];

export const PG_SCHEMA_VERSION = PG_MIGRATIONS[PG_MIGRATIONS.length - 1]?.version ?? 0;

/**
 * Applies the migrations `schema` (quoted as `s` in SQL) lacks, each in a transaction of its own, under a
 * session advisory lock so that one node migrates while the others wait; refuses a schema newer than this
 * code.
 */
export async function migrate(pool: pg.Pool, schema: string, s: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`tickwork:migrate:${schema}`]);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
      const { rows } = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${s}.schema_migrations`);
      const current = rows[0]?.version ?? 0;
      if (current > PG_SCHEMA_VERSION) {
        throw new StoreUnavailableError(
          `PostgreSQL store: schema ${schema} has version ${current}, newer than this Tickwork knows (${PG_SCHEMA_VERSION}); upgrade Tickwork on this node before it joins.`,
        );
      }
      for (const migration of PG_MIGRATIONS) {
        if (migration.version <= current) continue;
        // On the client that holds the advisory lock, which the transaction leaves to us: released below.
        await (
          await PgTransaction.begin(client, true)
        ).run(async () => {
          await client.query(migration.sql.replaceAll('{schema}', s));
          await client.query(`INSERT INTO ${s}.schema_migrations (version) VALUES ($1)`, [migration.version]);
        });
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`tickwork:migrate:${schema}`]).catch(() => undefined);
    }
  } finally {
    client.release();
  }
}
