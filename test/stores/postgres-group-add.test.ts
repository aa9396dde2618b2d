/**
 * Job creation on PostgreSQL is group-committed: adds that come while one is written go into the next
 * statement together (one INSERT, one NOTIFY per batch), each add settling only once its row is
 * committed. A taken id fails its own add only; a failed statement fails every add in it and leaves
 * none of them; the other nodes hear of the batch and fire its jobs. Real database, real time (the
 * wake-up of another node is what is tested), with generous bounds. addJobs puts the valid specs of a
 * call into one INSERT through the store's addMany: a taken id, in the database or earlier in the call,
 * fails its own item only.
 */
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConflictingIdError } from '../../src/core/errors.js';
import { JobRecord } from '../../src/core/job.js';
import { DEFAULT_JOB_POLICY } from '../../src/core/job-options.js';
import type { Trigger } from '../../src/core/trigger.js';
import { CronCompiler } from '../../src/cron/compiler.js';
import { createTrigger } from '../../src/triggers/create.js';
import { SchedulerService, type AddJobsResult } from '../../src/scheduler/service.js';
import type { AddJobSpec } from '../../src/scheduler/scheduler-types.js';
import { PostgresJobStore } from '../../src/stores/postgres/store.js';
import { captureLogger, until } from '../helpers.js';
import { PG_URL, dropSchema, pgAvailable, schemaName, sql, textOf } from './pg-helpers.js';

interface Node {
  scheduler: SchedulerService;
  store: PostgresJobStore;
}

const every = (id: string, seconds = 3600): AddJobSpec => ({ id, task: 'tick', trigger: { type: 'interval', seconds } });

function outcomes(results: readonly AddJobsResult[]): string[] {
  return results.map((r) => (r.ok ? `added ${r.job.id}` : r.error.code));
}

describe.skipIf(!pgAvailable)('PostgreSQL store: adds group-committed', () => {
  let schema = '';
  const nodes: Node[] = [];

  function node(pollSeconds = 2): Node {
    const store = new PostgresJobStore({ connectionString: PG_URL, schema, pollSeconds });
    const scheduler = new SchedulerService({ store, logger: captureLogger('warn'), timezone: 'UTC' });
    const created = { scheduler, store };
    nodes.push(created);
    return created;
  }

  /** From now on, counts the statements on the node's pool whose text contains each needle (the spy calls through). */
  function countStatements(store: PostgresJobStore, ...needles: string[]): () => number[] {
    const spy = vi.spyOn(store.sharedDatabase().pool, 'query');
    return () => needles.map((needle) => spy.mock.calls.filter((call) => textOf(call[0]).includes(needle)).length);
  }

  afterEach(async () => {
    vi.restoreAllMocks();
    for (const { scheduler } of nodes.splice(0)) if (scheduler.isRunning) await scheduler.shutdown({ wait: false });
    if (schema !== '') await dropSchema(schema);
  });

  it('commits many concurrent adds on one node in a few statements, each add settled after its commit', async () => {
    schema = schemaName();
    const { scheduler, store } = node();
    scheduler.registerTask('tick', () => undefined);
    await scheduler.start();
    const counts = countStatements(store, `INSERT INTO "${schema}".jobs`, `INSERT INTO "${schema}".audit`);
    // One connection reads (its queries queue): a connection per add would take 200 of the server's slots.
    const reader = new pg.Client({ connectionString: PG_URL });
    await reader.connect();
    let settled: (number | undefined)[];
    try {
      settled = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          scheduler.addIntervalJob('tick', 3600, `job-${i}`).then(async (info) => {
            // Resolved: the row is committed (visible to another connection).
            const { rows } = await reader.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".jobs WHERE id = $1`, [info.id]);
            return rows[0]?.n;
          }),
        ),
      );
    } finally {
      await reader.end();
    }
    expect(settled.every((n) => n === 1)).toBe(true);
    const [inserts, audits] = counts() as [number, number];
    expect(inserts).toBeGreaterThanOrEqual(2); // the first add alone, the others batched behind it
    expect(inserts).toBeLessThan(20);
    expect(audits).toBeLessThan(20);
    expect((await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".jobs`))[0]?.n).toBe(200);
    expect((await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".audit WHERE action = 'job.added'`))[0]?.n).toBe(200);
    // Listed in the order they were added, as the memory store lists them.
    const ids = (await scheduler.getJobs({ limit: 1000, sort: 'id' })).items.map((job) => job.id);
    expect(ids).toHaveLength(200);
    const bySeq = (await sql<{ id: string }>(`SELECT id FROM "${schema}".jobs ORDER BY seq`)).map((row) => row.id);
    expect(bySeq).toEqual(Array.from({ length: 200 }, (_, i) => `job-${i}`));
  });

  it('fails only the add whose id is taken (already stored, or twice in one batch); the rest of its batch is committed', async () => {
    schema = schemaName();
    const { scheduler } = node();
    scheduler.registerTask('tick', () => undefined);
    await scheduler.start();
    await scheduler.addIntervalJob('tick', 3600, 'taken');
    const ids = ['blocker', ...Array.from({ length: 10 }, (_, i) => `new-${i}`), 'taken', 'twice', 'twice', 'last'];
    const results = await Promise.allSettled(ids.map((id) => scheduler.addIntervalJob('tick', 3600, id)));
    const failed = ids.filter((_, i) => results[i]?.status === 'rejected');
    expect(failed).toEqual(['taken', 'twice']);
    const errors = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as Error);
    for (const error of errors) {
      expect(error).toBeInstanceOf(ConflictingIdError);
      expect((error as ConflictingIdError).code).toBe('CONFLICTING_ID');
    }
    expect(results.filter((r, i) => r.status === 'rejected' && ids.indexOf(ids[i] as string) !== i)).toHaveLength(1); // the second "twice"
    const stored = (await sql<{ id: string }>(`SELECT id FROM "${schema}".jobs ORDER BY id`)).map((row) => row.id);
    expect(stored).toEqual([...new Set(ids)].sort());
  });

  it('adds many jobs in one statement with addMany, a taken or repeated id failing alone', async () => {
    schema = schemaName();
    const { scheduler, store } = node();
    scheduler.registerTask('tick', () => undefined);
    await scheduler.start();
    await scheduler.addIntervalJob('tick', 3600, 'taken');
    const counts = countStatements(store, `INSERT INTO "${schema}".jobs`);
    const trigger = (): Trigger =>
      createTrigger({ type: 'interval', seconds: 3600 }, { nowMs: Date.now(), defaultTimezone: 'UTC', compiler: new CronCompiler() });
    const job = (id: string): JobRecord => JobRecord.create(id, id, () => undefined, 'tick', undefined, trigger(), DEFAULT_JOB_POLICY, false, null, null);
    const records = ['a', 'taken', 'b', 'a', 'c'].map(job);
    const outcomes = await store.addMany(records);
    expect(outcomes.map((error) => (error === undefined ? 'added' : (error as ConflictingIdError).code))).toEqual([
      'added',
      'CONFLICTING_ID',
      'added',
      'CONFLICTING_ID',
      'added',
    ]);
    expect(counts()[0]).toBe(1);
    const stored = (await sql<{ id: string }>(`SELECT id FROM "${schema}".jobs ORDER BY seq`)).map((row) => row.id);
    expect(stored).toEqual(['taken', 'a', 'b', 'c']);
    expect(await scheduler.getJob('b')).toMatchObject({ id: 'b', task: 'tick' });
  });

  it('a statement that fails fails every add in it, and none of them is stored', async () => {
    schema = schemaName();
    const { scheduler, store } = node();
    scheduler.registerTask('tick', () => undefined);
    await scheduler.start();
    const locker = new pg.Client({ connectionString: PG_URL });
    await locker.connect();
    try {
      // Every add waits on the lock; its connection is cut while it waits (a database restart, say).
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE "${schema}".jobs IN ACCESS EXCLUSIVE MODE`);
      const adds = Array.from({ length: 20 }, (_, i) => scheduler.addIntervalJob('tick', 3600, `job-${i}`));
      const results = Promise.allSettled(adds);
      let done = false;
      void results.then(() => (done = true));
      await until(
        async () => {
          // From another connection: pg_stat_activity is a snapshot per transaction, and the locker's is open.
          await sql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, [
            `tickwork ${store.nodeId}`.slice(0, 63),
          ]);
          return done;
        },
        10_000,
        'every add to fail',
      );
      for (const result of await results) {
        expect(result.status).toBe('rejected');
        expect(((result as PromiseRejectedResult).reason as { code?: string }).code).toBe('STORE_UNAVAILABLE');
      }
      await locker.query('COMMIT');
    } finally {
      await locker.end();
    }
    expect((await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".jobs`))[0]?.n).toBe(0);
    // The node goes on: the next adds land.
    await Promise.all(Array.from({ length: 5 }, (_, i) => scheduler.addIntervalJob('tick', 3600, `after-${i}`)));
    expect((await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".jobs`))[0]?.n).toBe(5);
  });

  it('a row PostgreSQL refuses fails its own add; the others of its batch are committed', async () => {
    schema = schemaName();
    const { scheduler } = node();
    scheduler.registerTask('tick', () => undefined);
    await scheduler.start();
    // jsonb refuses the escaped NUL character: the batch's statement fails, and its jobs are written one by one.
    const ids = Array.from({ length: 12 }, (_, i) => `job-${i}`);
    const results = await Promise.allSettled(ids.map((id, i) => scheduler.addIntervalJob('tick', 3600, id, i === 5 ? { args: { text: 'a\u0000b' } } : {})));
    expect(ids.filter((_, i) => results[i]?.status === 'rejected')).toEqual(['job-5']);
    expect((await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".jobs`))[0]?.n).toBe(11);
  });

  /**
   * Two started nodes on a fresh schema: `adder` adds jobs (`pausedAdder`: its scheduler paused, so that only
   * the other fires), `firer` records the ids it fires. The firer polls only every 30 s: a NOTIFY is what wakes it.
   */
  async function adderAndFirer(pausedAdder = false): Promise<{ adder: Node; firer: Node; fired: Set<string> }> {
    schema = schemaName();
    const adder = node();
    const firer = node(30);
    const fired = new Set<string>();
    adder.scheduler.registerTask('tick', () => undefined);
    firer.scheduler.registerTask('tick', (ctx) => void fired.add(ctx.jobId));
    await adder.scheduler.start(pausedAdder ? { paused: true } : undefined);
    await firer.scheduler.start();
    await until(async () => (await firer.scheduler.getJobs()).items.length === 0, 1000, 'the firer to be up');
    return { adder, firer, fired };
  }

  it('other nodes hear of a batch (one NOTIFY) and fire its jobs on time', async () => {
    const { adder, firer, fired } = await adderAndFirer();
    const runAt = new Date(Date.now() + 1500);
    await Promise.all(Array.from({ length: 40 }, (_, i) => adder.scheduler.addDateJob('tick', runAt, `job-${i}`)));
    // The adding node leaves before the jobs are due: the other node fires them all.
    await adder.scheduler.shutdown({ wait: false });
    const ids = (await firer.scheduler.getJobs({ limit: 100 })).items.map((job) => job.id);
    expect(ids).toHaveLength(40);
    await until(() => fired.size === 40, 10_000, 'the other node to fire every job');
    expect(Date.now() - runAt.getTime()).toBeLessThan(8000);
  });

  it('audit entries appended together keep the per-job bound (the newest maxRunsPerJob)', async () => {
    schema = schemaName();
    const store = new PostgresJobStore({ connectionString: PG_URL, schema, maxRunsPerJob: 3 });
    const scheduler = new SchedulerService({ store, logger: captureLogger('warn'), timezone: 'UTC' });
    nodes.push({ scheduler, store });
    await scheduler.start();
    const log = store.auditLog();
    const append = (i: number, jobId: string): Promise<void> =>
      log.append({ at: 1000 + i, actor: { by: 'library' }, action: 'job.paused', jobId, before: null, after: null }) as Promise<void>;
    await Promise.all(Array.from({ length: 10 }, (_, i) => append(i, i % 2 === 0 ? 'x' : 'y')));
    await Promise.all(Array.from({ length: 2 }, (_, i) => append(10 + i, 'x')));
    const rows = await sql<{ job_id: string; at: number }>(`SELECT job_id, at FROM "${schema}".audit ORDER BY id`);
    expect(rows.map((row) => `${row.job_id}@${row.at}`)).toEqual(['y@1005', 'y@1007', 'x@1008', 'y@1009', 'x@1010', 'x@1011']);
  });

  it('addJobs writes a batch in one INSERT, a taken id (stored or repeated) failing alone, every added job committed and seen by another node', async () => {
    schema = schemaName();
    const { scheduler, store } = node();
    scheduler.registerTask('tick', () => undefined);
    await scheduler.start();
    await scheduler.addIntervalJob('tick', 3600, 'taken');
    const spy = vi.spyOn(store.sharedDatabase().pool, 'query');
    const specs = [every('a'), every('taken'), every('b'), every('a'), every('bad', -1), ...Array.from({ length: 200 }, (_, i) => every(`bulk-${i}`))];
    const results = await scheduler.addJobs(specs);
    expect(outcomes(results).slice(0, 6)).toEqual(['added a', 'CONFLICTING_ID', 'added b', 'CONFLICTING_ID', 'INVALID_TRIGGER', 'added bulk-0']);
    expect(results.filter((r) => r.ok)).toHaveLength(202);
    const inserts = spy.mock.calls.filter((call) => textOf(call[0]).includes(`INSERT INTO "${schema}".jobs`));
    expect(inserts).toHaveLength(1);
    // Answered: committed (another connection sees the rows, and their audit entries).
    expect((await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".jobs`))[0]?.n).toBe(203);
    expect((await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".audit WHERE action = 'job.added'`))[0]?.n).toBe(203);
    const other = node();
    other.scheduler.registerTask('tick', () => undefined);
    await other.scheduler.start();
    const seen = (await other.scheduler.getJobs({ sort: 'id' })).items.map((job) => job.id);
    expect(seen).toHaveLength(203);
    expect(seen).toEqual(expect.arrayContaining(['a', 'b', 'taken', 'bulk-0', 'bulk-199']));
    expect(await other.scheduler.getJob('a')).toMatchObject({ id: 'a', task: 'tick', trigger: { type: 'interval', seconds: 3600 } });
  });

  it('addJobs: another node hears of the batch and fires its jobs', async () => {
    const { adder, fired } = await adderAndFirer(true);
    const runAt = new Date(Date.now() + 1500).toISOString();
    const results = await adder.scheduler.addJobs(Array.from({ length: 30 }, (_, i) => ({ id: `job-${i}`, task: 'tick', trigger: { type: 'date', runAt } })));
    expect(results.every((r) => r.ok)).toBe(true);
    await until(() => fired.size === 30, 10_000, 'the other node to fire every job');
  });
});
