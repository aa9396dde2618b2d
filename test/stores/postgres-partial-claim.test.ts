/**
 * A submission of several fire times (a job without coalescing catching up) starts all of them or none.
 * When one of its times was recorded by another node already (its schedule rewound by a stale write),
 * starting the others would either run that fire twice or leave the rows it inserted queued for ever,
 * holding the job's instance slot. The claim takes its own rows back and is refused as a whole.
 */
import { describe, expect, it } from 'vitest';
import { SchedulerService } from '../../src/scheduler/service.js';
import type { JobRecord } from '../../src/core/job.js';
import { PostgresJobStore } from '../../src/stores/postgres/store.js';
import { captureLogger } from '../helpers.js';
import { dropSchema, pgAvailable, PG_URL, schemaName, sql } from './pg-helpers.js';

describe.skipIf(!pgAvailable)('a claim of several fire times on PostgreSQL', () => {
  it.each([
    ['the first', 0],
    ['a later one', 1],
  ])('is refused as a whole, its own rows taken back, when %s of its times was recorded elsewhere', async (_which, taken) => {
    const schema = schemaName();
    const store = new PostgresJobStore({ connectionString: PG_URL, schema });
    const logger = captureLogger('warn');
    const s = new SchedulerService({ store, logger, timezone: 'UTC' });
    s.registerTask('work', () => undefined);
    try {
      await s.addJob({ id: 'j', func: 'work', coalesce: false, trigger: { type: 'interval', seconds: 3600 } });
      const hour = 3_600_000;
      const now = Math.floor(Date.now() / hour) * hour;
      const times = [now - 3 * hour, now - 2 * hour, now - hour];
      await sql(`UPDATE "${schema}".jobs SET due_at = 0 WHERE id = 'j'`);
      await sql(
        `INSERT INTO "${schema}".runs (job_id, scheduled_at, attempt, status, node_id, recorded_at) VALUES ('j', $1, 1, 'succeeded', 'another-node', $2)`,
        [times[taken], Date.now()],
      );
      const jobs = (await store.takeDue(Date.now(), 10)) as JobRecord[];
      expect(jobs.map((job) => job.id)).toEqual(['j']);
      const claim = { job: jobs[0] as JobRecord, runTimes: times, attempt: 1, attempts: null, manual: false };
      const refused = await store.putBack(jobs, [claim]);
      expect(refused).toEqual([claim]);
      const rows = await sql<{ scheduled_at: number; node_id: string }>(
        `SELECT scheduled_at, node_id FROM "${schema}".runs WHERE job_id = 'j' ORDER BY scheduled_at`,
      );
      expect(rows).toEqual([{ scheduled_at: times[taken], node_id: 'another-node' }]);
      expect(logger.lines.filter((l) => l.event === 'fire_partly_claimed_elsewhere')).toHaveLength(1);
    } finally {
      await store.close();
      await dropSchema(schema);
    }
  });
});
