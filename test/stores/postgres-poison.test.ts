/**
 * Poison never spreads on the PostgreSQL store: a run record the database refuses neither stops the
 * writing of the others nor the firing of other jobs (it is written sanitised, or dropped after a few
 * tries with one log line), and a stored job that cannot be loaded (a hand-edited trigger) is set aside,
 * reported once cluster-wide and listed with status load_error, while every other job keeps firing.
 * Real time with generous bounds: the database is real.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SystemClock } from '../../src/core/clock.js';
import type { RunRecord } from '../../src/core/run.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { JobListCache } from '../../src/server/job-list-cache.js';
import { PostgresJobStore, type PostgresJobStoreOptions } from '../../src/stores/postgres/store.js';
import { captureLogger, type LogLine, sleep, until } from '../helpers.js';
import { PG_URL, dropSchema, pgAvailable, schemaName, sql } from './pg-helpers.js';

interface Node {
  scheduler: SchedulerService;
  store: PostgresJobStore;
  lines: LogLine[];
}

function settled(jobId: string, scheduledAt: number, extra: Partial<RunRecord> = {}): RunRecord {
  return {
    jobId,
    scheduledAt,
    attempt: 1,
    startedAt: scheduledAt + 1,
    finishedAt: scheduledAt + 6,
    outcome: 'succeeded',
    latenessMs: 1,
    durationMs: 5,
    error: null,
    ...extra,
  };
}

const count = (lines: LogLine[], event: string): number => lines.filter((line) => line.event === event).length;

describe.skipIf(!pgAvailable)('PostgreSQL store: poison never spreads', () => {
  let schema = '';
  const nodes: Node[] = [];
  function node(options: Partial<PostgresJobStoreOptions> = {}): Node {
    const store = new PostgresJobStore({ connectionString: PG_URL, schema, ...options });
    const logger = captureLogger('info');
    const scheduler = new SchedulerService({ store, logger, clock: new SystemClock(), timezone: 'UTC' });
    const created = { scheduler, store, lines: logger.lines };
    nodes.push(created);
    return created;
  }

  afterEach(async () => {
    try {
      for (const { scheduler } of nodes.splice(0)) if (scheduler.isRunning) await scheduler.shutdown({ wait: false }).catch(() => undefined);
    } finally {
      if (schema !== '') await dropSchema(schema);
    }
  });

  it('writes a run record holding NUL (error code, message, output, extra fields) sanitised, with the good ones, and keeps firing', async () => {
    schema = schemaName();
    const member = node();
    const fired: number[] = [];
    member.scheduler.registerTask('tick', () => void fired.push(Date.now()));
    member.scheduler.registerTask('idle', () => undefined);
    await member.scheduler.start();
    await member.scheduler.addIntervalJob('tick', 0.2, 'tick');
    await member.scheduler.addIntervalJob('idle', 3600, 'victim');
    const victim = await member.store.get('victim');
    if (victim === undefined) throw new Error('victim not stored');
    await until(() => fired.length >= 2, 5000, 'first fires');
    const base = Date.now() - 60_000;
    // Straight into the store, bypassing the executor (which strips NUL from what it records).
    member.store.recordRun(settled('victim', base), victim);
    member.store.recordRun(
      settled('victim', base + 1000, {
        outcome: 'failed',
        startedAt: base + 1000.4,
        finishedAt: base + 1005.6,
        latenessMs: 0.7,
        durationMs: 5.2,
        coalesced: 2,
        lastScheduledAt: base + 1500,
        error: { code: 'E\u0000NUL', message: 'bad\u0000message \ud800 lone surrogate', detail: { 'k\u0000ey': ['v\u0000'] } } as RunRecord['error'],
        output: 'out\u0000put',
      }),
      victim,
    );
    member.store.recordRun(settled('victim', base + 2000), victim);
    const before = fired.length;
    await sleep(2500);
    expect(fired.length - before).toBeGreaterThanOrEqual(6);
    const runs = await member.scheduler.getRuns('victim', { limit: 10 });
    expect(runs.map((r) => r.scheduledAt.getTime() - base)).toEqual([2000, 1000, 0]);
    expect(runs[1]).toMatchObject({ outcome: 'failed', error: { code: 'ENUL', message: 'badmessage \ufffd lone surrogate' }, output: 'output', durationMs: 5 });
    const rows = await sql<{ error: unknown; started_at: number }>(
      `SELECT error, started_at FROM "${schema}".runs WHERE job_id = 'victim' AND scheduled_at = $1`,
      [base + 1000],
    );
    expect(rows[0]?.error).toEqual({ code: 'ENUL', message: 'badmessage \ufffd lone surrogate', detail: { key: ['v'] } });
    expect(rows[0]?.started_at).toBe(base + 1000);
    expect(count(member.lines, 'store_flush_failed')).toBe(0);
    expect(count(member.lines, 'loop_error')).toBe(0);
  });

  it('drops a record it cannot write after 5 tries with one store_record_dropped line; the rest is written, firing goes on, retries back off', async () => {
    // The real backoff starts at 0.5 s and doubles up to 30 s; a few milliseconds keep this test short.
    schema = schemaName();
    const member = node({ historyRetryMs: { initial: 40, max: 320 } });
    const fired: number[] = [];
    member.scheduler.registerTask('tick', () => void fired.push(Date.now()));
    member.scheduler.registerTask('idle', () => undefined);
    await member.scheduler.start();
    await member.scheduler.addIntervalJob('tick', 0.2, 'tick');
    await member.scheduler.addIntervalJob('idle', 3600, 'victim');
    const victim = await member.store.get('victim');
    if (victim === undefined) throw new Error('victim not stored');
    await until(() => fired.length >= 2, 5000, 'first fires');
    const base = Date.now() - 60_000;
    member.store.recordRun(settled('victim', base), victim);
    // An attempt number out of the integer column's range: part of the run's key, nothing to sanitise.
    member.store.recordRun(settled('victim', base + 1000, { attempt: 2 ** 31 }), victim);
    member.store.recordRun(settled('victim', base + 2000), victim);
    const before = fired.length;
    await until(() => count(member.lines, 'store_record_dropped') === 1, 8000, 'the record to be dropped');
    await sleep(1000);
    expect(fired.length - before).toBeGreaterThanOrEqual(4);
    const dropped = member.lines.filter((line) => line.event === 'store_record_dropped');
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatchObject({
      level: 'error',
      jobId: 'victim',
      scheduledAt: new Date(base + 1000).toISOString(),
      attempt: 2 ** 31,
      error: { message: expect.stringMatching(/out of range/) },
    });
    const runs = await member.scheduler.getRuns('victim', { limit: 10 });
    expect(runs.map((r) => r.scheduledAt.getTime() - base)).toEqual([2000, 0]);
    // One failure line per try (5), not one every 5 ms.
    expect(count(member.lines, 'store_flush_failed')).toBeGreaterThanOrEqual(1);
    expect(count(member.lines, 'store_flush_failed')).toBeLessThanOrEqual(5);
    expect(count(member.lines, 'loop_error')).toBe(0);
  });

  it('backs off (0.5 s doubling) while run history cannot be written at all, keeps claiming and firing, and writes it once it can', async () => {
    schema = schemaName();
    const member = node();
    const fired: number[] = [];
    member.scheduler.registerTask('tick', () => void fired.push(Date.now()));
    await member.scheduler.start();
    // Every history write fails (not for what one record holds): claims still go through.
    await sql(`CREATE FUNCTION "${schema}".refuse() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.status NOT IN ('claimed', 'queued') THEN RAISE EXCEPTION 'history refused'; END IF; RETURN NEW; END $$`);
    await sql(`CREATE TRIGGER refuse BEFORE INSERT ON "${schema}".runs FOR EACH ROW EXECUTE FUNCTION "${schema}".refuse()`);
    // A run holds its instance slot until its outcome is written: room for every fire of the test.
    await member.scheduler.addIntervalJob('tick', 0.2, 'tick', { maxInstances: 100 });
    await sleep(3000);
    expect(fired.length).toBeGreaterThanOrEqual(10);
    // Tries at about 0, 0.5, 1.5 and 3.5 s: not one every 5 ms.
    const failed = count(member.lines, 'store_flush_failed');
    expect(failed).toBeGreaterThanOrEqual(2);
    expect(failed).toBeLessThanOrEqual(5);
    expect(count(member.lines, 'loop_error')).toBe(0);
    expect(count(member.lines, 'store_record_dropped')).toBe(0);
    await sql(`DROP TRIGGER refuse ON "${schema}".runs`);
    const written = async (): Promise<number> =>
      (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".runs WHERE status = 'succeeded'`))[0]?.n ?? 0;
    await until(async () => (await written()) >= fired.length - 2, 8000, 'the history to be written');
  });

  it('sets aside a stored job whose trigger no longer parses: reported once across nodes, listed as load_error, the others keep firing', async () => {
    schema = schemaName();
    const admin = node();
    admin.scheduler.registerTask('tick', () => undefined);
    await admin.scheduler.start();
    // Due at once and forever first by due time: before the fix, every pass on every node rolled back on it.
    await admin.scheduler.addIntervalJob('tick', 0.2, 'a-broken', { misfireGraceTime: null });
    await admin.scheduler.addIntervalJob('tick', 0.2, 'b-bad-zone', { misfireGraceTime: null });
    await admin.scheduler.addIntervalJob('tick', 0.2, 'good');
    await admin.scheduler.shutdown();
    await sql(`UPDATE "${schema}".jobs SET trigger = '{"type":"cron","expression":"99 * * * *","timezone":"UTC"}', due_at = 0 WHERE id = 'a-broken'`);
    await sql(`UPDATE "${schema}".jobs SET trigger = '{"type":"cron","expression":"* * * * *","timezone":"Mars/Olympus"}', due_at = 1 WHERE id = 'b-bad-zone'`);
    const members = [node(), node()];
    const fired: string[] = [];
    const loadErrors: unknown[] = [];
    for (const { scheduler } of members) {
      scheduler.registerTask('tick', (ctx) => void fired.push(ctx.jobId));
      scheduler.on('job_load_error', (event) => void loadErrors.push(event));
      await scheduler.start();
    }
    await until(() => fired.filter((id) => id === 'good').length >= 6, 8000, 'the good job to keep firing');
    await sleep(500);
    expect(fired.filter((id) => id !== 'good')).toEqual([]);
    // Reported once cluster-wide per job, whichever node found it.
    expect(loadErrors).toHaveLength(2);
    expect(loadErrors).toEqual(
      expect.arrayContaining([
        { jobId: 'a-broken', code: 'LOAD_ERROR', message: expect.stringMatching(/cannot be loaded.*99/s) },
        { jobId: 'b-bad-zone', code: 'LOAD_ERROR', message: expect.stringMatching(/Mars\/Olympus/) },
      ]),
    );
    for (const { lines } of members) expect(count(lines, 'loop_error')).toBe(0);
    const scheduler = (members[0] as Node).scheduler;
    const listed = await scheduler.getJobs({ sort: 'id', limit: 50 });
    expect(listed.items.map((j) => [j.id, j.status])).toEqual([
      ['a-broken', 'load_error'],
      ['b-bad-zone', 'load_error'],
      ['good', 'ok'],
    ]);
    expect(listed.items[0]?.statusReason).toMatch(/99/);
    expect(JSON.parse(await new JobListCache(scheduler).list({ sort: 'id', limit: 50 }, true)).items[1]).toMatchObject({
      id: 'b-bad-zone',
      status: 'load_error',
      statusReason: expect.stringMatching(/Mars/),
    });
    expect((await scheduler.getJobs()).items.filter((j) => j.status === 'load_error')).toHaveLength(2);
    expect(await scheduler.getJob('a-broken')).toMatchObject({ status: 'load_error', nextRunTime: null });
    const rows = await sql<{ id: string; load_error: string | null }>(`SELECT id, load_error FROM "${schema}".jobs ORDER BY id`);
    expect(rows.map((r) => [r.id, r.load_error !== null])).toEqual([
      ['a-broken', true],
      ['b-bad-zone', true],
      ['good', false],
    ]);
    // Changing it in place is refused with the way out; replacing or deleting it works.
    await expect(scheduler.pauseJob('a-broken')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/replace it.*or remove it/s),
    });
    await scheduler.removeJob('b-bad-zone');
    await scheduler.addJob({ id: 'a-broken', task: 'tick', trigger: { type: 'interval', seconds: 0.2 }, replaceExisting: true });
    await until(() => fired.includes('a-broken'), 5000, 'the replaced job to fire');
    expect((await scheduler.getJob('a-broken'))?.status).toBe('ok');
    expect(await sql(`SELECT id FROM "${schema}".jobs WHERE load_error IS NOT NULL`)).toEqual([]);
  });
});
