/**
 * addJobs on PostgreSQL: the valid specs of a call go into one INSERT (one commit, one NOTIFY) through
 * the store's addMany; a taken id, in the database or earlier in the call, fails its own item only; what
 * the call answers as added is committed, seen by another node. Real database.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
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

describe.skipIf(!pgAvailable)('PostgreSQL store: addJobs', () => {
  let schema = '';
  const nodes: Node[] = [];

  function node(pollSeconds = 2): Node {
    const store = new PostgresJobStore({ connectionString: PG_URL, schema, pollSeconds });
    const scheduler = new SchedulerService({ store, logger: captureLogger('warn'), timezone: 'UTC' });
    const created = { scheduler, store };
    nodes.push(created);
    return created;
  }

  afterEach(async () => {
    vi.restoreAllMocks();
    for (const { scheduler } of nodes.splice(0)) if (scheduler.isRunning) await scheduler.shutdown({ wait: false });
    if (schema !== '') await dropSchema(schema);
  });

  it('writes a batch in one INSERT, a taken id (stored or repeated) failing alone, every added job committed and seen by another node', async () => {
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

  it('another node hears of the batch and fires its jobs', async () => {
    schema = schemaName();
    const adder = node();
    // The other node polls only every 30 s: the batch's NOTIFY is what wakes it.
    const firer = node(30);
    const fired = new Set<string>();
    adder.scheduler.registerTask('tick', () => undefined);
    firer.scheduler.registerTask('tick', (ctx) => void fired.add(ctx.jobId));
    await adder.scheduler.start({ paused: true });
    await firer.scheduler.start();
    await until(async () => (await firer.scheduler.getJobs()).items.length === 0, 1000, 'the firer to be up');
    const runAt = new Date(Date.now() + 1500).toISOString();
    const results = await adder.scheduler.addJobs(Array.from({ length: 30 }, (_, i) => ({ id: `job-${i}`, task: 'tick', trigger: { type: 'date', runAt } })));
    expect(results.every((r) => r.ok)).toBe(true);
    await until(() => fired.size === 30, 10_000, 'the other node to fire every job');
  });
});
