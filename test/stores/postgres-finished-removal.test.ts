/**
 * A finished job is removed only while its row has no pending retry. A node paused past its lease finds,
 * when it wakes, its date job finished in memory; meanwhile another node recorded the run lost and gave the
 * job a retry (retryLost). Removing the job then would drop that retry and the history with it.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { PostgresJobStore } from '../../src/stores/postgres/store.js';
import { captureLogger, REFERENCE } from '../helpers.js';
import { dropSchema, pgAvailable, PG_URL, schemaName, sql } from './pg-helpers.js';

describe.skipIf(!pgAvailable)('removing a finished job on PostgreSQL', () => {
  it('leaves a row that another node gave a retry meanwhile', async () => {
    const schema = schemaName();
    const store = new PostgresJobStore({ connectionString: PG_URL, schema });
    const s = new SchedulerService({ store, clock: new ManualClock(REFERENCE), logger: captureLogger('warn'), timezone: 'UTC' });
    s.registerTask('work', () => undefined);
    try {
      await s.start();
      await s.addJob({ id: 'once', func: 'work', trigger: { type: 'date', runAt: new Date(Date.now() + 3_600_000).toISOString() } });
      const job = await store.get('once');
      expect(job).toBeDefined();
      // Another node: the run was lost, and its retry is pending in the row.
      await sql(`UPDATE "${schema}".jobs SET retry = $1::jsonb WHERE id = 'once'`, [JSON.stringify({ scheduledAt: 1, attempt: 2, at: 2 })]);
      expect(await store.remove('once', job)).toBeUndefined();
      expect((await sql(`SELECT id FROM "${schema}".jobs`)).length).toBe(1);
      // Without a retry, the same removal goes through.
      await sql(`UPDATE "${schema}".jobs SET retry = NULL WHERE id = 'once'`);
      expect((await store.remove('once', job))?.id).toBe('once');
    } finally {
      if (s.isRunning) await s.shutdown().catch(() => undefined);
      await dropSchema(schema);
    }
  });
});
