/**
 * The PostgreSQL store's record cache across nodes: a record one node holds of a job that another node
 * removed and added again under its id must stay the old job's, so that what that node does with it
 * (a retry of its last run, the removal of a finished job) cannot touch the new job. And within a node: a
 * record an open claim holds goes to no other reader, so that a read cannot rewind the claim's schedule
 * nor a change made through it be written by the claim before the change commits.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CronCompiler } from '../../src/cron/compiler.js';
import { JobRecord } from '../../src/core/job.js';
import { DEFAULT_JOB_POLICY } from '../../src/core/job-options.js';
import { PostgresJobStore } from '../../src/stores/postgres/store.js';
import type { StoreContext, StoredJob } from '../../src/stores/store.js';
import { createTrigger } from '../../src/triggers/create.js';
import { hydrateForTest } from './hydrate.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { captureLogger, REFERENCE, until } from '../helpers.js';
import { PG_URL, dropSchema, pgAvailable, schemaName, sql } from './pg-helpers.js';

const env = { nowMs: REFERENCE, defaultTimezone: 'UTC', compiler: new CronCompiler() };

function makeJob(id: string, dueAt: number, task: string): JobRecord {
  const trigger = createTrigger({ type: 'interval', seconds: 60, startDate: new Date(REFERENCE + 60_000) }, env);
  return JobRecord.create(id, id, () => undefined, task, { id }, trigger, DEFAULT_JOB_POLICY, false, dueAt, dueAt);
}

const context = (): StoreContext => ({
  hydrate: (stored: StoredJob) => hydrateForTest(stored, env),
  onLostRun: () => undefined,
  now: () => REFERENCE,
  logger: captureLogger(),
  wake: () => undefined,
});

describe.skipIf(!pgAvailable)('PostgreSQL store: records cached by another node', () => {
  const schema = schemaName();
  afterAll(async () => {
    await dropSchema(schema);
  });

  it("a node's record of a job removed and added again elsewhere stays the old job: it can neither update nor remove the new one", async () => {
    const a = new PostgresJobStore({ connectionString: PG_URL, schema });
    const b = new PostgresJobStore({ connectionString: PG_URL, schema });
    await a.open(context());
    await b.open(context());
    try {
      await a.add(makeJob('j', REFERENCE + 1000, 'old-task'));
      const old = await b.get('j'); // node B holds the old job (its run in flight, say)
      await a.remove('j');
      await a.add(makeJob('j', REFERENCE + 2000, 'new-task')); // version 1 again, a new seq
      const seen = await b.get('j'); // node B reads the row again (a pass, a list, the dashboard)
      expect(seen).not.toBe(old);
      expect(seen?.task).toBe('new-task');
      expect(old?.task).toBe('old-task');
      // What node B does with the old record: a retry of its last run, then the finished job's removal.
      (old as JobRecord).dueAt = REFERENCE + 500;
      await expect(b.update(old as JobRecord)).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
      expect(await b.remove('j', old as JobRecord)).toBeUndefined();
      const kept = await a.get('j');
      expect(kept?.task).toBe('new-task');
      expect(kept?.dueAt).toBe(REFERENCE + 2000);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('keeps at most jobCacheSize records (least recently used dropped), and drops a record another node changed when told', async () => {
    const a = new PostgresJobStore({ connectionString: PG_URL, schema, jobCacheSize: 2 });
    const b = new PostgresJobStore({ connectionString: PG_URL, schema });
    await a.open(context());
    await b.open(context());
    const cache = (a as unknown as { cache: { keys(): Iterable<string>; has(id: string): boolean } }).cache;
    try {
      for (const id of ['c1', 'c2', 'c3']) await b.add(makeJob(id, REFERENCE + 1000, 'task'));
      await a.get('c1');
      await a.get('c2');
      await a.get('c1'); // c1 used last: c2 is the least recently used
      await a.get('c3');
      expect([...cache.keys()].sort()).toEqual(['c1', 'c3']);
      const changed = await b.get('c3');
      await b.update(changed as JobRecord);
      const deadline = Date.now() + 3000;
      while (cache.has('c3') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(cache.has('c3'), 'dropped on the change notification').toBe(false);
      expect(cache.has('c1')).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('hands a record an open claim holds to no other reader: a read neither rewinds it nor lends it a pause before the pause commits', async () => {
    const own = schemaName();
    const store = new PostgresJobStore({ connectionString: PG_URL, schema: own });
    const s = new SchedulerService({ store, logger: captureLogger('warn'), timezone: 'UTC' });
    s.registerTask('work', () => undefined);
    try {
      await s.addJob({ id: 'j', func: 'work', trigger: { type: 'interval', seconds: 3600 } });
      await sql(`UPDATE "${own}".jobs SET due_at = 0 WHERE id = 'j'`);
      const [held] = (await store.takeDue(Date.now(), 10)) as JobRecord[];
      const advanced = Date.now() + 7_200_000;
      (held as JobRecord).nextRunTime = advanced; // what the pass does with the record it claimed
      (held as JobRecord).dueAt = advanced;
      // A read meanwhile (getJob, a list, the dashboard) gets a record of its own; the claim's keeps its schedule.
      const read = await store.get('j');
      expect(read).not.toBe(held);
      expect(read?.nextRunTime).not.toBe(advanced);
      expect(held?.nextRunTime).toBe(advanced);
      // A pause meanwhile: its UPDATE waits for the claim's row lock; the claim writes only its own state.
      const pausing = s.pauseJob('j', { note: 'maintenance' });
      await until(
        async () =>
          (
            await sql<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%UPDATE "${own}".jobs%'`)
          )[0]?.n === 1,
        10_000,
        "the pause's UPDATE to wait for the claim",
      );
      expect(held?.paused).toBe(false);
      await store.putBack([held as JobRecord], []);
      const paused = await pausing;
      expect(paused.pause).toMatchObject({ note: 'maintenance' });
      const [row] = await sql<{ paused: boolean; note: string | null; due_at: number | null }>(
        `SELECT paused, pause->>'note' AS note, due_at FROM "${own}".jobs WHERE id = 'j'`,
      );
      expect(row).toEqual({ paused: true, note: 'maintenance', due_at: null });
      // The claim over, reads share the cached record again.
      expect(await store.get('j')).toBe(await store.get('j'));
    } finally {
      await store.close();
      await dropSchema(own);
    }
  });

  it('validates its options: historyRetryMs and jobCacheSize', () => {
    expect(() => new PostgresJobStore({ connectionString: PG_URL, historyRetryMs: { initial: 0 } })).toThrow(/historyRetryMs.initial/);
    expect(() => new PostgresJobStore({ connectionString: PG_URL, historyRetryMs: { initial: 1000, max: 10 } })).toThrow(/historyRetryMs.max/);
    expect(() => new PostgresJobStore({ connectionString: PG_URL, jobCacheSize: -1 })).toThrow(/jobCacheSize/);
    expect(() => new PostgresJobStore({ connectionString: PG_URL, historyRetryMs: { initial: 40, max: 320 }, jobCacheSize: 5 })).not.toThrow();
  });
});
