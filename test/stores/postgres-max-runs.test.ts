/**
 * maxRuns on PostgreSQL: the count is advanced in the claim transaction, so three nodes sharing a
 * schedule start exactly n fires of a limited job between them, and a node started after the others
 * stopped goes on from the stored count. Real time with generous bounds: the database is real.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SchedulerService } from '../../src/scheduler/service.js';
import { PostgresJobStore } from '../../src/stores/postgres/store.js';
import { captureLogger, until } from '../helpers.js';
import { PG_URL, dropSchema, pgAvailable, schemaName, sql } from './pg-helpers.js';

describe.skipIf(!pgAvailable)('PostgreSQL store: maxRuns', () => {
  let schema = '';
  const nodes: SchedulerService[] = [];

  function node(onFire: (jobId: string) => void): SchedulerService {
    const store = new PostgresJobStore({ connectionString: PG_URL, schema });
    const scheduler = new SchedulerService({ store, logger: captureLogger('error'), timezone: 'UTC' });
    scheduler.registerTask('tick', (ctx) => onFire(ctx.jobId));
    nodes.push(scheduler);
    return scheduler;
  }

  afterEach(async () => {
    for (const scheduler of nodes.splice(0)) if (scheduler.isRunning) await scheduler.shutdown({ wait: false });
    if (schema !== '') await dropSchema(schema);
  });

  it('three nodes start exactly maxRuns fires of each limited job between them, then the job is gone', async () => {
    schema = schemaName();
    const fires = new Map<string, number>();
    const onFire = (jobId: string): void => void fires.set(jobId, (fires.get(jobId) ?? 0) + 1);
    const members = [node(onFire), node(onFire), node(onFire)];
    for (const scheduler of members) await scheduler.start();
    for (let i = 0; i < 10; i++) await (members[i % 3] as SchedulerService).addIntervalJob('tick', 0.1, `job-${i}`, { maxRuns: 4 });
    await until(async () => (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".jobs`))[0]?.n === 0, 10_000, 'every job removed');
    for (let i = 0; i < 10; i++) expect(fires.get(`job-${i}`)).toBe(4);
  });

  it('a node started after a restart goes on from the stored count', async () => {
    schema = schemaName();
    let fires = 0;
    const first = node(() => void fires++);
    await first.start();
    await first.addIntervalJob('tick', 0.2, 'limited', { maxRuns: 6 });
    await until(() => fires >= 2, 10_000, 'two fires');
    await first.shutdown();
    const stored = await sql<{ run_count: number }>(`SELECT run_count FROM "${schema}".jobs WHERE id = 'limited'`);
    const counted = stored[0]?.run_count ?? -1;
    expect(counted).toBe(fires);
    const second = node(() => void fires++);
    await second.start();
    expect(await second.getJob('limited')).toMatchObject({ maxRuns: 6, remainingRuns: 6 - counted });
    await until(async () => (await second.getJob('limited')) === undefined, 10_000, 'the job removed');
    expect(fires).toBe(6);
  });
});
