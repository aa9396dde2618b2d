/**
 * A retry is stored on its own on PostgreSQL: the failing node's record of the job may be older than the
 * row (another node advanced the schedule, paused or changed the job meanwhile), and writing that record
 * whole rewound the schedule to fires that had run, or undid the pause. Only the retry is written, and
 * only while the row still allows it.
 */
import { describe, expect, it } from 'vitest';
import { SchedulerService } from '../../src/scheduler/service.js';
import type { JobRecord } from '../../src/core/job.js';
import { PostgresJobStore } from '../../src/stores/postgres/store.js';
import { captureLogger } from '../helpers.js';
import { dropSchema, pgAvailable, PG_URL, schemaName, sql } from './pg-helpers.js';

describe.skipIf(!pgAvailable)('saving a retry on PostgreSQL', () => {
  it('writes only the retry, never a stale schedule, and not over a pause or a sooner regular fire', async () => {
    const schema = schemaName();
    const store = new PostgresJobStore({ connectionString: PG_URL, schema });
    const s = new SchedulerService({ store, logger: captureLogger('warn'), timezone: 'UTC' });
    s.registerTask('work', () => undefined);
    try {
      await s.addJob({ id: 'j', func: 'work', name: 'before', trigger: { type: 'interval', seconds: 3600 } });
      const stale = (await store.get('j')) as JobRecord;
      const staleNext = stale.nextRunTime as number;
      // Another node: the schedule moved on two hours and the job was renamed.
      await sql(`UPDATE "${schema}".jobs SET next_run_time = $1, due_at = $1, name = 'after', version = version + 1 WHERE id = 'j'`, [staleNext + 7_200_000]);
      const at = staleNext + 60_000;
      stale.retry = { scheduledAt: staleNext - 3_600_000, attempt: 2, at };
      expect(await store.saveRetry(stale)).toBe(true);
      const [row] = await sql<{ next_run_time: number; due_at: number; name: string; retry: unknown }>(
        `SELECT next_run_time, due_at, name, retry FROM "${schema}".jobs WHERE id = 'j'`,
      );
      expect(row?.next_run_time).toBe(staleNext + 7_200_000);
      expect(row?.name).toBe('after');
      expect(row?.due_at).toBe(at);
      expect(row?.retry).toEqual({ scheduledAt: staleNext - 3_600_000, attempt: 2, at });

      // Paused elsewhere: no retry.
      await sql(`UPDATE "${schema}".jobs SET retry = NULL, paused = true, next_run_time = NULL, due_at = NULL WHERE id = 'j'`);
      const record = (await store.get('j')) as JobRecord;
      record.paused = false;
      record.retry = { scheduledAt: staleNext, attempt: 2, at };
      expect(await store.saveRetry(record)).toBe(false);
      expect(record.retry).toBeNull();
      expect((await sql<{ retry: unknown }>(`SELECT retry FROM "${schema}".jobs WHERE id = 'j'`))[0]?.retry).toBeNull();

      // A regular fire at or before the retry: no retry (the fire comes first).
      await sql(`UPDATE "${schema}".jobs SET paused = false, next_run_time = $1, due_at = $1 WHERE id = 'j'`, [at - 1]);
      const again = (await store.get('j')) as JobRecord;
      again.retry = { scheduledAt: staleNext, attempt: 2, at };
      expect(await store.saveRetry(again)).toBe(false);
    } finally {
      await store.close();
      await dropSchema(schema);
    }
  });
});
