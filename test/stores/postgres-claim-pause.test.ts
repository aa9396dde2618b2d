/**
 * A claim and a pause of the job it holds, on PostgreSQL. pauseJob changes the store's shared record, then
 * its UPDATE waits for the row lock of a claim that holds the same record: the claim must not write that
 * pause (paused, but without its pause: who, why) before the pause's own UPDATE commits, nor at all if that
 * UPDATE fails; and pauseJob answers (and audits) the pause it wrote, whatever a read of the row showed the
 * shared record while it waited. And a read of the row while a claim holds its record leaves the claim's
 * decisions on that record (the row is locked: the read can only show it as it was before the claim).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/core/job.js';
import type { JobInfo } from '../../src/scheduler/job-info.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { PostgresJobStore } from '../../src/stores/postgres/store.js';
import { captureLogger, until } from '../helpers.js';
import { dropSchema, pgAvailable, PG_URL, schemaName, sql } from './pg-helpers.js';

describe.skipIf(!pgAvailable)('a claim on PostgreSQL and a pause of the job it holds', () => {
  let schema = '';
  let store: PostgresJobStore | null = null;

  afterEach(async () => {
    await store?.close();
    store = null;
    if (schema !== '') await dropSchema(schema);
    schema = '';
  });

  /** A store and an unstarted scheduler with job `j` due; `beforeClaim` runs before the claim is taken. */
  async function setUp(beforeClaim: () => Promise<void> = async () => undefined): Promise<{ s: SchedulerService; store: PostgresJobStore }> {
    schema = schemaName();
    store = new PostgresJobStore({ connectionString: PG_URL, schema });
    const s = new SchedulerService({ store, logger: captureLogger('warn'), timezone: 'UTC' });
    s.registerTask('work', () => undefined);
    await s.addJob({ id: 'j', func: 'work', trigger: { type: 'interval', seconds: 3600 } });
    await beforeClaim();
    await sql(`UPDATE "${schema}".jobs SET due_at = 0 WHERE id = 'j'`);
    return { s, store };
  }

  /** Takes the claim of `j`, then starts pauseJob and waits until its UPDATE waits for the claim's row lock. */
  async function claimThenPause(s: SchedulerService, claiming: PostgresJobStore): Promise<{ held: JobRecord[]; pausing: Promise<JobInfo> }> {
    const held = (await claiming.takeDue(Date.now(), 10)) as JobRecord[];
    expect(held.map((job) => job.id)).toEqual(['j']);
    const pausing = s.pauseJob('j', { note: 'maintenance' });
    await until(
      async () =>
        (
          await sql<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%UPDATE "${schema}".jobs%'`)
        )[0]?.n === 1,
      10_000,
      "the pause's UPDATE to wait for the claim",
    );
    return { held, pausing };
  }

  it('leaves the row to the pause: no version of it is paused without its pause, and it ends paused with its note', async () => {
    const { s, store: claiming } = await setUp(async () => {
      // Every version the jobs row takes from here, as (paused, has its pause).
      await sql(`CREATE TABLE "${schema}".seen (n serial, paused boolean, has_pause boolean)`);
      await sql(
        `CREATE FUNCTION "${schema}".log_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN INSERT INTO "${schema}".seen (paused, has_pause) VALUES (NEW.paused, NEW.pause IS NOT NULL); RETURN NEW; END $$`,
      );
      await sql(`CREATE TRIGGER log_jobs AFTER UPDATE ON "${schema}".jobs FOR EACH ROW EXECUTE FUNCTION "${schema}".log_jobs()`);
    });
    await sql(`DELETE FROM "${schema}".seen`);
    const { held, pausing } = await claimThenPause(s, claiming);
    expect(held[0]?.paused).toBe(true); // the shared record the claim holds has the pause already
    await claiming.putBack(held, []);
    expect((await pausing).pause).toMatchObject({ note: 'maintenance' });
    const seen = await sql<{ paused: boolean; has_pause: boolean }>(`SELECT paused, has_pause FROM "${schema}".seen ORDER BY n`);
    expect(seen).toEqual([{ paused: true, has_pause: true }]); // the pause's own write only
    const [row] = await sql<{ paused: boolean; note: string | null; due_at: number | null }>(
      `SELECT paused, pause->>'note' AS note, due_at FROM "${schema}".jobs WHERE id = 'j'`,
    );
    expect(row).toEqual({ paused: true, note: 'maintenance', due_at: null });
  });

  it('answers and audits the pause as written when a read of the row came while its UPDATE waited', async () => {
    const { s, store: claiming } = await setUp();
    const { held, pausing } = await claimThenPause(s, claiming);
    // A read meanwhile (the dashboard, another getJob) leaves the record the claim holds as it is.
    expect((await claiming.get('j'))?.paused).toBe(true);
    await claiming.putBack(held, []);
    const paused = await pausing;
    expect(paused.paused).toBe(true);
    expect(paused.pause).toMatchObject({ note: 'maintenance' });
    expect(paused.nextRunTime).toBeNull();
    const [entry] = (await s.getAudit({ jobId: 'j', limit: 1 })).items;
    expect(entry?.action).toBe('job.paused');
    expect(entry?.after?.paused).toBe(true);
    expect((await s.getJob('j'))?.pause).toMatchObject({ note: 'maintenance' });
  });

  it('keeps what a claim decided when the row is read while the claim holds it: a fire left waiting is written', async () => {
    const { store: claiming } = await setUp();
    const [held] = (await claiming.takeDue(Date.now(), 10)) as JobRecord[];
    // What a pass decides for a fire while the job's slots are busy (overlap 'queue'): it waits.
    const waiting = { scheduledAt: 1_000, dueAt: 1_000, attempt: 1, coalesced: 1 };
    (held as JobRecord).waitingFire = waiting;
    (held as JobRecord).nextRunTime = 3_601_000;
    (held as JobRecord).dueAt = 3_601_000;
    // A read of the row meanwhile shows it as it was before the claim: that must not undo the decision.
    expect((await claiming.get('j'))?.waitingFire).toEqual(waiting);
    await claiming.putBack([held as JobRecord], []);
    const [row] = await sql<{ waiting: number | null; due_at: number }>(
      `SELECT (waiting_fire->>'scheduledAt')::float8 AS waiting, due_at FROM "${schema}".jobs WHERE id = 'j'`,
    );
    expect(row).toEqual({ waiting: 1_000, due_at: 3_601_000 });
    // Once the claim has ended, reads refresh the record from the row again.
    await sql(`UPDATE "${schema}".jobs SET waiting_fire = NULL WHERE id = 'j'`);
    expect((await claiming.get('j'))?.waitingFire).toBeNull();
  });
});
