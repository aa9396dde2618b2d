/**
 * What keeps the PostgreSQL store's cost per fire down, checked for what it must not change: a run that
 * ends within RUNNING_WRITE_AFTER_MS is written once after its claim (claimed → outcome), a longer one shows
 * `running` to every node after that wait; the jobs table is vacuumed once a node has moved
 * VACUUM_AFTER_ROWS schedules (at most once a second, a failure logged once); the store's connections make
 * no bitmap scans, and pruning by age still finds old rows through the BRIN index. Real time with generous
 * bounds where the database is involved.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { JobContext } from '../../src/core/job.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import type { StoreContext } from '../../src/stores/store.js';
import { createPool } from '../../src/stores/postgres/connection.js';
import { RUNNING_WRITE_AFTER_MS } from '../../src/stores/postgres/history.js';
import { AGE_PRUNE_SETTINGS, agePruneSql } from '../../src/stores/postgres/prune.js';
import { PgSession } from '../../src/stores/postgres/session.js';
import { PostgresJobStore } from '../../src/stores/postgres/store.js';
import { JobsVacuum, VACUUM_AFTER_ROWS } from '../../src/stores/postgres/vacuum.js';
import { captureLogger, deferred, until } from '../helpers.js';
import { PG_URL, dropSchema, pgAvailable, schemaName, sql } from './pg-helpers.js';

const DAY_MS = 86_400_000;

describe.skipIf(!pgAvailable)('PostgreSQL store: what each fire writes', () => {
  let schema = '';
  const cleanups: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    if (schema !== '') await dropSchema(schema);
    schema = '';
  });

  /** A started scheduler on a fresh schema; every insert and update of a run row is logged to run_writes. */
  let store: PostgresJobStore;

  async function scheduler(): Promise<SchedulerService> {
    schema = schemaName('tw_cost');
    store = new PostgresJobStore({ connectionString: PG_URL, schema });
    const service = new SchedulerService({ store, logger: captureLogger('warn'), timezone: 'UTC' });
    cleanups.push(() => (service.isRunning ? service.shutdown({ wait: true, timeoutSeconds: 5 }) : Promise.resolve()));
    await service.start();
    await sql(`CREATE TABLE "${schema}".run_writes (seq bigserial, job_id text, status text)`);
    await sql(`CREATE FUNCTION "${schema}".log_run_write() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO "${schema}".run_writes (job_id, status) VALUES (NEW.job_id, NEW.status); RETURN NEW; END $$`);
    await sql(`CREATE TRIGGER log_run_write AFTER INSERT OR UPDATE ON "${schema}".runs FOR EACH ROW EXECUTE FUNCTION "${schema}".log_run_write()`);
    return service;
  }

  async function writes(jobId: string): Promise<string[]> {
    const rows = await sql<{ status: string }>(`SELECT status FROM "${schema}".run_writes WHERE job_id = $1 ORDER BY seq`, [jobId]);
    return rows.map((row) => row.status);
  }

  /** A manual run of a new job `jobId` that is held running until `release`: its fire's key. */
  async function heldRun(service: SchedulerService, jobId: string): Promise<{ scheduledAt: number; attempt: number; release: () => void }> {
    const task = gatedTask(service, 'held');
    await service.addIntervalJob('held', 3600, jobId);
    await service.runJobNow(jobId);
    await task.started;
    const [run] = await sql<{ scheduled_at: number; attempt: number }>(`SELECT scheduled_at, attempt FROM "${schema}".runs WHERE job_id = $1`, [jobId]);
    return { scheduledAt: run?.scheduled_at as number, attempt: run?.attempt as number, release: task.release };
  }

  /** Registers task `name`, whose runs wait for `release` (released at the test's end in any case). */
  function gatedTask(service: SchedulerService, name: string): { started: Promise<void>; release: () => void } {
    const started = deferred();
    const gate = deferred();
    service.registerTask(name, async () => {
      started.resolve();
      await gate.promise;
    });
    cleanups.push(async () => gate.resolve());
    return { started: started.promise, release: () => gate.resolve() };
  }

  it('writes a run that ends at once as its claim and its outcome, nothing in between', async () => {
    const service = await scheduler();
    service.registerTask('quick', () => undefined);
    // A manual run of a job that stays (a date job is removed with its history once its run settles).
    await service.addIntervalJob('quick', 3600, 'q');
    await service.runJobNow('q');
    await until(async () => (await writes('q')).includes('succeeded'), 20_000, 'the outcome of q written');
    expect(await writes('q')).toEqual(['claimed', 'succeeded']);
  });

  it('never writes a record of a fire no claim took (skipped) over a run of that fire: the run keeps its row and its outcome', async () => {
    const run = await heldRun(await scheduler(), 'w');
    // What a pass decides for the same fire when a stale write rewound the schedule and the slot is busy.
    store.recordRun({
      jobId: 'w',
      scheduledAt: run.scheduledAt,
      attempt: run.attempt,
      startedAt: null,
      finishedAt: null,
      outcome: 'skipped',
      latenessMs: 0,
      durationMs: null,
      error: { code: 'MAX_INSTANCES_REACHED', message: 'maxInstances (1) runs of job "w" were already running' },
    });
    await store.flush();
    expect(await writes('w')).toEqual(['claimed']);
    run.release();
    await until(async () => (await writes('w')).includes('succeeded'), 20_000, 'the outcome of w written');
    expect(await writes('w')).toEqual(['claimed', 'succeeded']);
  });

  it('never writes the cancelled record of a waiting fire let go over a claim of that fire; writes it where the fire has no row', async () => {
    const run = await heldRun(await scheduler(), 'c');
    // A pause read the job with this fire still waiting, while a claim (committed since) started it.
    const dropped = (scheduledAt: number) => ({
      jobId: 'c',
      scheduledAt,
      attempt: run.attempt,
      startedAt: null,
      finishedAt: null,
      outcome: 'cancelled' as const,
      latenessMs: null,
      durationMs: null,
      error: { code: 'CANCELLED', message: 'the job was paused while the fire waited for a free instance' },
    });
    store.recordUnclaimed(dropped(run.scheduledAt));
    await store.flush();
    expect(await writes('c')).toEqual(['claimed']);
    run.release();
    await until(async () => (await writes('c')).includes('succeeded'), 20_000, 'the outcome of c written');
    expect(await writes('c')).toEqual(['claimed', 'succeeded']);
    // A fire no claim took: its record is written.
    store.recordUnclaimed(dropped(run.scheduledAt + 1));
    await store.flush();
    expect(await writes('c')).toEqual(['claimed', 'succeeded', 'cancelled']);
  });

  it.each([
    ['let go unclaimed (cancelled)', 'cancelled'],
    ['decided by a pass (skipped)', 'skipped'],
  ] as const)("keeps a run's own record of its fire when a record of that fire %s comes in the same write", async (_what, outcome) => {
    const service = await scheduler();
    service.registerTask('quick', () => undefined);
    await service.addIntervalJob('quick', 3600, 'f');
    const settled = deferred();
    service.on('job_executed', (run) => {
      // Before the history's next write: both records of the fire are pending together.
      const record = {
        jobId: 'f',
        scheduledAt: Date.parse(run.scheduledAt),
        attempt: run.attempt,
        startedAt: null,
        finishedAt: null,
        outcome,
        latenessMs: null,
        durationMs: null,
        error:
          outcome === 'cancelled'
            ? { code: 'CANCELLED', message: 'the job was paused while the fire waited for a free instance' }
            : { code: 'MAX_INSTANCES_REACHED', message: 'maxInstances (1) runs of job "f" were already running' },
      };
      // The PostgreSQL store's recordRun does not read its job argument.
      if (outcome === 'cancelled') store.recordUnclaimed(record);
      else store.recordRun(record, {} as never);
      settled.resolve();
    });
    await service.runJobNow('f');
    await settled.promise;
    await store.flush();
    await until(async () => (await writes('f')).length >= 2, 20_000, 'the outcome of f written');
    expect(await writes('f')).toEqual(['claimed', 'succeeded']);
  });

  it('records the waiting fire a pause lets go (overlap queue) as cancelled', async () => {
    const service = await scheduler();
    const task = gatedTask(service, 'long');
    await service.addIntervalJob('long', 1, 'q', { overlap: 'queue' });
    await task.started;
    // Read through the scheduler while passes run: a read while a claim held the job's record used to put the
    // row as it was back on it, losing the fire that began to wait (about 1 run in 10-40 timed out here).
    let waiting = Number.NaN;
    await until(
      async () => {
        waiting = (await service.getJob('q'))?.waitingFire?.scheduledAt.getTime() ?? Number.NaN;
        return !Number.isNaN(waiting);
      },
      20_000,
      'a fire of q waiting',
    );
    await service.pauseJob('q');
    await until(async () => (await writes('q')).includes('cancelled'), 20_000, 'the waiting fire of q recorded cancelled');
    const rows = await sql<{ scheduled_at: number; started_at: number | null }>(
      `SELECT scheduled_at, started_at FROM "${schema}".runs WHERE job_id = 'q' AND status = 'cancelled'`,
    );
    // The fire seen waiting, or a later one that took its place before the pause: never started.
    expect(rows).toHaveLength(1);
    expect(rows[0]?.started_at).toBeNull();
    expect(rows[0]?.scheduled_at).toBeGreaterThanOrEqual(waiting);
    task.release();
  });

  it('writes a longer run as running once it has run RUNNING_WRITE_AFTER_MS, then its outcome', async () => {
    const service = await scheduler();
    const started = deferred<number>();
    const gate = deferred();
    service.registerTask('slow', async (ctx: JobContext) => {
      started.resolve(Date.now());
      ctx.signal.addEventListener('abort', () => gate.resolve());
      await gate.promise;
    });
    cleanups.push(async () => gate.resolve());
    await service.addIntervalJob('slow', 3600, 's');
    await service.runJobNow('s');
    const startedAt = await started.promise;
    // The run was recorded before its function started: its running state cannot be written yet.
    expect(await writes('s')).toEqual(['claimed']);
    await until(async () => (await writes('s')).includes('running'), 20_000, 'the running state of s written');
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(RUNNING_WRITE_AFTER_MS - 50);
    // Another node's view of the history shows it running.
    const other = new PostgresJobStore({ connectionString: PG_URL, schema });
    const peer = new SchedulerService({ store: other, logger: captureLogger('warn'), timezone: 'UTC' });
    peer.registerTask('slow', () => undefined);
    await peer.start({ paused: true });
    cleanups.push(() => peer.shutdown({ wait: true, timeoutSeconds: 5 }));
    expect((await peer.getRuns('s')).map((run) => run.outcome)).toEqual(['running']);
    gate.resolve();
    await until(async () => (await writes('s')).includes('succeeded'), 20_000, 'the outcome of s written');
    expect(await writes('s')).toEqual(['claimed', 'running', 'succeeded']);
  });

  it('makes no bitmap scans on its connections, prunes runs older than maxRunAgeDays through the BRIN index and runs beyond maxRunsPerJob', async () => {
    schema = schemaName('tw_cost');
    const store = new PostgresJobStore({ connectionString: PG_URL, schema, maxRunAgeDays: 1, maxRunsPerJob: 2 });
    const service = new SchedulerService({ store, logger: captureLogger('warn'), timezone: 'UTC' });
    service.registerTask('t', () => undefined);
    await service.start({ paused: true });
    cleanups.push(() => service.shutdown({ wait: true, timeoutSeconds: 5 }));
    await service.addIntervalJob('t', 3600, 'j');
    await service.addIntervalJob('t', 3600, 'k');
    const now = Date.now();
    const row = (job: string, at: number, status: string, attempt = 1): string => `('${job}', ${at}, ${attempt}, '${status}', ${at})`;
    await sql(
      `INSERT INTO "${schema}".runs (job_id, scheduled_at, attempt, status, recorded_at) VALUES
       ${[row('j', now - 3 * DAY_MS, 'succeeded'), row('j', now - 2 * DAY_MS, 'failed'), row('j', now - 2 * DAY_MS + 1, 'missed'), row('j', now - 1000, 'succeeded')].join(', ')},
       ${[row('k', now - 5000, 'succeeded'), row('k', now - 4000, 'failed'), row('k', now - 4000, 'succeeded', 2), row('k', now - 3000, 'failed')].join(', ')}`,
    );
    await store.flush();
    const left = await sql<{ job_id: string; status: string; attempt: number }>(
      `SELECT job_id, status, attempt FROM "${schema}".runs ORDER BY job_id, scheduled_at, attempt`,
    );
    // j: the one run younger than a day; k: its two newest (the second attempt of a fire is newer than its first).
    expect(left).toEqual([
      { job_id: 'j', status: 'succeeded', attempt: 1 },
      { job_id: 'k', status: 'succeeded', attempt: 2 },
      { job_id: 'k', status: 'failed', attempt: 1 },
    ]);
    // The age pruning reads runs_recorded (a cutoff of clock_timestamp() evaluated per row could not).
    const probe = createPool(PG_URL, 'probe', 1, { noBitmapScans: true });
    const client = await probe.connect();
    try {
      await client.query('BEGIN');
      for (const setting of AGE_PRUNE_SETTINGS) await client.query(setting);
      const explained = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${agePruneSql(`"${schema}"`)}`, [DAY_MS]);
      expect(explained.rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/Bitmap Index Scan on runs_recorded/);
      await client.query('ROLLBACK');
    } finally {
      client.release();
      await probe.end();
    }
    const plan = await sql<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = 'runs_recorded'`, [schema]);
    expect(plan[0]?.indexdef).toMatch(/USING brin/);
    const pool = createPool(PG_URL, 'probe', 1, { noBitmapScans: true });
    try {
      expect((await pool.query<{ enable_bitmapscan: string }>('SHOW enable_bitmapscan')).rows[0]?.enable_bitmapscan).toBe('off');
    } finally {
      await pool.end();
    }
  });

  it('vacuums the jobs table after VACUUM_AFTER_ROWS moved schedules, at most once a second, and logs a failure once', async () => {
    schema = schemaName('tw_cost');
    const store = new PostgresJobStore({ connectionString: PG_URL, schema });
    const service = new SchedulerService({ store, logger: captureLogger('warn'), timezone: 'UTC' });
    await service.start({ paused: true });
    await service.shutdown({ wait: true });
    const vacuums = async (): Promise<number> =>
      Number((await sql<{ n: string }>(`SELECT vacuum_count AS n FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'jobs'`, [schema]))[0]?.n ?? 0);

    const session = new PgSession(schema, 'probe');
    const logger = captureLogger('warn');
    session.context = { logger } as unknown as StoreContext;
    session.pool = createPool(PG_URL, 'probe', 1);
    cleanups.push(() => (session.pool as NonNullable<typeof session.pool>).end());
    const vacuum = new JobsVacuum(session);
    vacuum.claimed(VACUUM_AFTER_ROWS - 1);
    await vacuum.idle();
    expect(await vacuums()).toBe(0);
    vacuum.claimed(1);
    await vacuum.idle();
    await until(async () => (await vacuums()) === 1, 10_000, 'the jobs table vacuumed once');
    // Within the second: no second vacuum however many rows moved.
    vacuum.claimed(VACUUM_AFTER_ROWS * 3);
    await vacuum.idle();
    expect(await vacuums()).toBe(1);

    // A vacuum that fails (the table is gone) is logged once, and the next one stays quiet.
    await sql(`DROP TABLE "${schema}".jobs CASCADE`);
    const failing = new JobsVacuum(session);
    failing.claimed(VACUUM_AFTER_ROWS);
    await failing.idle();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    failing.claimed(VACUUM_AFTER_ROWS);
    await failing.idle();
    expect(logger.lines.filter((line) => line.event === 'store_vacuum_failed')).toHaveLength(1);
  });
});
