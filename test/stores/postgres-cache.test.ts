/**
 * The PostgreSQL store's record cache across nodes: a record one node holds of a job that another node
 * removed and added again under its id must stay the old job's, so that what that node does with it
 * (a retry of its last run, the removal of a finished job) cannot touch the new job.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CronCompiler } from '../../src/cron/compiler.js';
import { JobRecord } from '../../src/core/job.js';
import { DEFAULT_JOB_POLICY } from '../../src/core/job-options.js';
import { PostgresJobStore } from '../../src/stores/postgres/store.js';
import type { StoreContext, StoredJob } from '../../src/stores/store.js';
import { createTrigger } from '../../src/triggers/create.js';
import { hydrateForTest } from './hydrate.js';
import { captureLogger, REFERENCE } from '../helpers.js';
import { PG_URL, dropSchema, pgAvailable, schemaName } from './pg-helpers.js';

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

  it('validates its options: historyRetryMs and jobCacheSize', () => {
    expect(() => new PostgresJobStore({ connectionString: PG_URL, historyRetryMs: { initial: 0 } })).toThrow(/historyRetryMs.initial/);
    expect(() => new PostgresJobStore({ connectionString: PG_URL, historyRetryMs: { initial: 1000, max: 10 } })).toThrow(/historyRetryMs.max/);
    expect(() => new PostgresJobStore({ connectionString: PG_URL, jobCacheSize: -1 })).toThrow(/jobCacheSize/);
    expect(() => new PostgresJobStore({ connectionString: PG_URL, historyRetryMs: { initial: 40, max: 320 }, jobCacheSize: 5 })).not.toThrow();
  });
});
