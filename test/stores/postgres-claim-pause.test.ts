/**
 * A claim never pauses a job. pauseJob changes the store's shared record, then its UPDATE waits for the row
 * lock of a claim that holds the same record; the claim must not write that pause (paused, but without
 * its pause: who, why) before the pause's own UPDATE commits, nor at all if that UPDATE fails.
 */
import { describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/core/job.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { PostgresJobStore } from '../../src/stores/postgres/store.js';
import { captureLogger, until } from '../helpers.js';
import { dropSchema, pgAvailable, PG_URL, schemaName, sql } from './pg-helpers.js';

describe.skipIf(!pgAvailable)('a claim on PostgreSQL and a pause of the job it holds', () => {
  it('leaves the row to the pause: no version of it is paused without its pause, and it ends paused with its note', async () => {
    const schema = schemaName();
    const store = new PostgresJobStore({ connectionString: PG_URL, schema });
    const s = new SchedulerService({ store, logger: captureLogger('warn'), timezone: 'UTC' });
    s.registerTask('work', () => undefined);
    try {
      await s.addJob({ id: 'j', func: 'work', trigger: { type: 'interval', seconds: 3600 } });
      // Every version the jobs row takes, as (paused, has its pause).
      await sql(`CREATE TABLE "${schema}".seen (n serial, paused boolean, has_pause boolean)`);
      await sql(
        `CREATE FUNCTION "${schema}".log_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN INSERT INTO "${schema}".seen (paused, has_pause) VALUES (NEW.paused, NEW.pause IS NOT NULL); RETURN NEW; END $$`,
      );
      await sql(`CREATE TRIGGER log_jobs AFTER UPDATE ON "${schema}".jobs FOR EACH ROW EXECUTE FUNCTION "${schema}".log_jobs()`);
      await sql(`UPDATE "${schema}".jobs SET due_at = 0 WHERE id = 'j'`);
      await sql(`DELETE FROM "${schema}".seen`);
      const held = (await store.takeDue(Date.now(), 10)) as JobRecord[];
      expect(held.map((job) => job.id)).toEqual(['j']);
      // The pause: the shared record is changed at once, its UPDATE waits for the claim's row lock.
      const pausing = s.pauseJob('j', { note: 'maintenance' });
      await until(
        async () =>
          (
            await sql<{ n: number }>(
              `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%UPDATE "${schema}".jobs%'`,
            )
          )[0]?.n === 1,
        10_000,
        "the pause's UPDATE to wait for the claim",
      );
      expect(held[0]?.paused).toBe(true); // what the claim holds now
      await store.putBack(held, []);
      const paused = await pausing;
      expect(paused.pause).toMatchObject({ note: 'maintenance' });
      const seen = await sql<{ paused: boolean; has_pause: boolean }>(`SELECT paused, has_pause FROM "${schema}".seen ORDER BY n`);
      expect(seen).toEqual([{ paused: true, has_pause: true }]); // the pause's own write only
      const [row] = await sql<{ paused: boolean; note: string | null; due_at: number | null }>(
        `SELECT paused, pause->>'note' AS note, due_at FROM "${schema}".jobs WHERE id = 'j'`,
      );
      expect(row).toEqual({ paused: true, note: 'maintenance', due_at: null });
    } finally {
      await store.close();
      await dropSchema(schema);
    }
  });
});
