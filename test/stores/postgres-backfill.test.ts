/**
 * A backfill on a PostgreSQL cluster: its fires are claimed (all or none) before any starts, under the
 * primary key (job, scheduled time, attempt), so two nodes backfilling the same range at once never run
 * a fire twice: one starts them, the other is refused (FIRE_CLAIMED) or finds nothing left. Real time,
 * real database; the missed fires are written as rows, as a node that missed them would have.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SchedulerService } from '../../src/scheduler/service.js';
import { PostgresJobStore } from '../../src/stores/postgres/store.js';
import { captureLogger, until } from '../helpers.js';
import { dropSchema, pgAvailable, PG_URL, schemaName, sql } from './pg-helpers.js';

const HOUR = 3_600_000;

describe.skipIf(!pgAvailable)('backfill on a PostgreSQL cluster', () => {
  let schema = '';
  const nodes: SchedulerService[] = [];

  afterEach(async () => {
    for (const node of nodes.splice(0)) if (node.isRunning) await node.shutdown({ wait: true, timeoutSeconds: 5 });
    if (schema !== '') await dropSchema(schema);
  });

  it('two nodes backfilling the same missed fires at once run each fire exactly once', async () => {
    schema = schemaName('tw_backfill');
    const ran: string[] = [];
    for (let i = 0; i < 2; i++) {
      const scheduler = new SchedulerService({
        store: new PostgresJobStore({ connectionString: PG_URL, schema }),
        logger: captureLogger('error'),
        timezone: 'UTC',
      });
      scheduler.registerTask('t', async (ctx) => {
        ran.push(`${ctx.scheduledAt.toISOString()}#${ctx.attempt}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      });
      await scheduler.start();
      nodes.push(scheduler);
    }
    const [a, b] = nodes as [SchedulerService, SchedulerService];
    const start = Math.floor(Date.now() / HOUR) * HOUR - 10 * HOUR;
    // Hourly, started ten hours ago; two slots, so that only the claim of the fires decides between the nodes.
    await a.addJob({ id: 'j', task: 't', trigger: { type: 'interval', seconds: 3600, startDate: new Date(start).toISOString() }, maxInstances: 2 });
    const missed = [1, 2, 3, 4, 5].map((k) => start + k * HOUR);
    for (const at of missed) {
      await sql(
        `INSERT INTO "${schema}".runs (job_id, scheduled_at, attempt, status, node_id, recorded_at, lateness_ms) VALUES ('j', $1, 1, 'missed', 'gone', $2, 120000)`,
        [at, Date.now()],
      );
    }
    const range = { from: new Date(start).toISOString(), to: new Date(start + 6 * HOUR).toISOString() };
    const dry = await b.backfillJob('j', { ...range, dryRun: true });
    expect(dry.fires.map((f) => f.runId)).toEqual(missed.map((at) => `j@${new Date(at).toISOString()}#2`));

    const answers = await Promise.allSettled([a.backfillJob('j', range), b.backfillJob('j', range)]);
    const started = answers.filter((r) => r.status === 'fulfilled').flatMap((r) => r.value.fires);
    const refused = answers.filter((r) => r.status === 'rejected').map((r) => (r.reason as { code?: string }).code);
    expect(started).toHaveLength(5);
    for (const code of refused) expect(code).toBe('FIRE_CLAIMED');
    await until(
      async () => ran.length >= 5 && (await sql(`SELECT 1 FROM "${schema}".runs WHERE status IN ('claimed', 'queued', 'running')`)).length === 0,
      15_000,
      'the backfilled fires to settle',
    );
    expect([...ran].sort()).toEqual(missed.map((at) => `${new Date(at).toISOString()}#2`));
    const rows = await sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${schema}".runs WHERE attempt = 2 AND status = 'succeeded' AND trigger = 'backfill'`,
    );
    expect(rows[0]?.n).toBe(5);

    // Filled: a backfill now, from either node, finds no gap.
    expect((await a.backfillJob('j', range)).fires).toEqual([]);
    expect((await b.backfillJob('j', range)).fires).toEqual([]);

    // One fire of the range claimed already (another node's backfill holds attempt 2, not yet recorded in
    // the history): the whole backfill is refused and writes nothing; none of its fires starts.
    await a.addJob({ id: 'k', task: 't', trigger: { type: 'interval', seconds: 3600, startDate: new Date(start).toISOString() }, maxInstances: 2 });
    for (const at of missed.slice(0, 2)) {
      await sql(`INSERT INTO "${schema}".runs (job_id, scheduled_at, attempt, status, node_id, recorded_at) VALUES ('k', $1, 1, 'missed', 'gone', $2)`, [
        at,
        Date.now(),
      ]);
    }
    await sql(`INSERT INTO "${schema}".runs (job_id, scheduled_at, attempt, status, node_id, recorded_at) VALUES ('k', $1, 2, 'queued', 'other', $2)`, [
      missed[1],
      Date.now(),
    ]);
    ran.length = 0;
    await expect(b.backfillJob('k', range)).rejects.toMatchObject({ code: 'FIRE_CLAIMED', status: 409 });
    const rowsOfK = await sql<{ attempt: number; node_id: string }>(`SELECT attempt, node_id FROM "${schema}".runs WHERE job_id = 'k' AND attempt = 2`);
    expect(rowsOfK).toEqual([{ attempt: 2, node_id: 'other' }]);
    expect(ran).toEqual([]);
  }, 60_000);
});
