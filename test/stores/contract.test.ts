/**
 * One JobStore contract suite, run unchanged against every store: memory, SQLite in memory, SQLite on a
 * file (which must also survive a reopen), and PostgreSQL (a schema of its own per test).
 */
import { NO_HEALTH_FACTS, type JobHealth } from '../../src/core/health.js';
import { healthFactsOf } from '../../src/stores/health-facts.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CronCompiler } from '../../src/cron/compiler.js';
import { JobRecord } from '../../src/core/job.js';
import { toJobInfo } from '../../src/scheduler/job-info.js';
import { DEFAULT_JOB_POLICY } from '../../src/core/job-options.js';
import { toRun, type RunRecord } from '../../src/core/run.js';
import { LIBRARY_ACTOR, SCHEDULER_ACTOR, type Actor } from '../../src/core/actor.js';
import { MemoryJobStore } from '../../src/stores/memory.js';
import { PostgresJobStore } from '../../src/stores/postgres/store.js';
import { SqliteJobStore } from '../../src/stores/sqlite/store.js';
import { loadErrorOf, type JobStore, type StoreContext, type StoredJob } from '../../src/stores/store.js';
import { createTrigger } from '../../src/triggers/create.js';
import { hydrateForTest } from './hydrate.js';
import { captureLogger, REFERENCE } from '../helpers.js';
import { PG_URL, dropSchema, pgAvailable, schemaName, sql } from './pg-helpers.js';

/** toJobInfo needs a health; these tests look at other fields. */
const ANY_HEALTH: JobHealth = { state: 'pending', since: null, consecutiveFailures: 0, lastSuccessAt: null, lastFailureAt: null, reason: '' };

const compiler = new CronCompiler();
const env = { nowMs: REFERENCE, defaultTimezone: 'UTC', compiler };

function makeJob(id: string, dueAt: number | null, task = 'noop'): JobRecord {
  const trigger = createTrigger({ type: 'interval', seconds: 60, startDate: new Date(REFERENCE + 60_000) }, env);
  return JobRecord.create(id, id, () => undefined, task, { id }, trigger, DEFAULT_JOB_POLICY, false, dueAt, dueAt);
}

function context(lost: RunRecord[] = [], loadErrors: { jobId: string; reason: string }[] = []): StoreContext {
  return {
    hydrate: (stored: StoredJob) => hydrateForTest(stored, env),
    onLostRun: (run) => void lost.push(run),
    now: () => REFERENCE,
    logger: captureLogger(),
    wake: () => undefined,
    onLoadError: (jobId, reason) => void loadErrors.push({ jobId, reason }),
  };
}

function run(jobId: string, scheduledAt: number, outcome: RunRecord['outcome'] = 'succeeded'): RunRecord {
  return {
    jobId,
    scheduledAt,
    attempt: 1,
    startedAt: scheduledAt,
    finishedAt: outcome === 'running' ? null : scheduledAt + 5,
    outcome,
    latenessMs: 0,
    durationMs: outcome === 'running' ? null : 5,
    error: null,
  };
}

const pgSchemas: string[] = [];
afterAll(async () => {
  for (const schema of pgSchemas) await dropSchema(schema);
});

/**
 * The per-store test hook of a store that keeps its data apart from the process: closes the store,
 * writes `trigger` into the job's row with raw SQL (a hand edit this version may not load; null: no
 * edit, a plain restart), and opens the same data again.
 */
type BadRowHook = (store: JobStore, jobId: string, trigger: string | null, context: StoreContext) => Promise<JobStore>;

const stores: [string, () => JobStore, BadRowHook | null][] = [
  // The memory store holds live records only: it cannot hold a row that does not load.
  ['memory', () => new MemoryJobStore(), null],
  ['sqlite (in memory)', () => new SqliteJobStore({ path: ':memory:' }), null],
  [
    'sqlite (file)',
    () => new SqliteJobStore({ path: join(mkdtempSync(join(tmpdir(), 'tickwork-store-')), 'jobs.db') }),
    async (store, jobId, trigger, ctx) => {
      const { path } = store as SqliteJobStore;
      await store.close();
      const Database = (await import('better-sqlite3')).default;
      const db = new Database(path);
      if (trigger !== null) db.prepare('UPDATE jobs SET trigger = ? WHERE id = ?').run(trigger, jobId);
      db.close();
      const reopened = new SqliteJobStore({ path });
      reopened.open(ctx);
      return reopened;
    },
  ],
];
if (pgAvailable) {
  stores.push([
    'postgres',
    () => {
      const schema = schemaName();
      pgSchemas.push(schema);
      return new PostgresJobStore({ connectionString: PG_URL, schema });
    },
    async (store, jobId, trigger, ctx) => {
      const { schema } = store as PostgresJobStore;
      await store.close();
      if (trigger !== null) await sql(`UPDATE "${schema}".jobs SET trigger = $2::jsonb WHERE id = $1`, [jobId, trigger]);
      const reopened = new PostgresJobStore({ connectionString: PG_URL, schema });
      await reopened.open(ctx);
      return reopened;
    },
  ]);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Sync stores throw, async ones reject: either way, the error. */
async function failure(action: () => unknown): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe.each(stores)('JobStore contract: %s', (_name, create, withBadRow) => {
  const open = async (): Promise<JobStore> => {
    const store = create();
    await store.open(context());
    return store;
  };

  it('adds, gets, lists and counts jobs; a second add of an id is CONFLICTING_ID', async () => {
    const store = await open();
    await store.add(makeJob('a', REFERENCE + 1000));
    await store.add(makeJob('b', null));
    expect((await store.get('a'))?.id).toBe('a');
    expect(await store.get('zzz')).toBeUndefined();
    expect((await store.list()).map((j) => j.id).sort()).toEqual(['a', 'b']);
    expect(await store.count()).toBe(2);
    expect(await failure(() => store.add(makeJob('a', null)))).toMatchObject({ code: 'CONFLICTING_ID' });
    await store.close();
  });

  it('takes due jobs earliest first, ties in insertion order, and not again until put back', async () => {
    const store = await open();
    await store.add(makeJob('late', REFERENCE + 3000));
    await store.add(makeJob('tie-1', REFERENCE + 1000));
    await store.add(makeJob('tie-2', REFERENCE + 1000));
    await store.add(makeJob('never', null));
    expect(await store.earliestDue()).toBe(REFERENCE + 1000);
    const due = await store.takeDue(REFERENCE + 2000, 100);
    expect(due.map((j) => j.id)).toEqual(['tie-1', 'tie-2']);
    expect(await store.takeDue(REFERENCE + 2000, 100)).toEqual([]);
    expect(await store.earliestDue()).toBe(REFERENCE + 3000);
    for (const job of due) job.dueAt = REFERENCE + 5000;
    await store.putBack(due);
    expect((await store.takeDue(REFERENCE + 10_000, 2)).map((j) => j.id)).toEqual(['late', 'tie-1']);
    await store.close();
  });

  it('updates a job (re-sorted by its new due time); update of an unknown job is JOB_NOT_FOUND', async () => {
    const store = await open();
    const a = makeJob('a', REFERENCE + 1000);
    const b = makeJob('b', REFERENCE + 2000);
    await store.add(a);
    await store.add(b);
    a.dueAt = REFERENCE + 9000;
    a.name = 'renamed';
    await store.update(a);
    expect(await store.earliestDue()).toBe(REFERENCE + 2000);
    expect((await store.get('a'))?.name).toBe('renamed');
    expect(await failure(() => store.update(makeJob('ghost', null)))).toMatchObject({ code: 'JOB_NOT_FOUND' });
    await store.close();
  });

  it('removes a job with its run history', async () => {
    const store = await open();
    const a = makeJob('a', REFERENCE + 1000);
    await store.add(a);
    store.recordRun(run('a', REFERENCE), a);
    await store.flush();
    expect((await store.remove('a'))?.id).toBe('a');
    expect(await store.remove('a')).toBeUndefined();
    expect(await store.getRuns('a', { limit: 10 })).toEqual([]);
    expect(await store.earliestDue()).toBeNull();
    await store.close();
  });

  it('removes a job only while it is the one under its id (remove with `only`): a job added since stays, with its history', async () => {
    const store = await open();
    const old = makeJob('a', REFERENCE + 1000);
    await store.add(old);
    await store.remove('a');
    const fresh = makeJob('a', REFERENCE + 2000);
    await store.add(fresh);
    store.recordRun(run('a', REFERENCE), fresh);
    await store.flush();
    expect(await store.remove('a', old)).toBeUndefined();
    expect((await store.get('a'))?.dueAt).toBe(REFERENCE + 2000);
    expect(await store.getRuns('a', { limit: 10 })).toHaveLength(1);
    expect((await store.remove('a', fresh))?.id).toBe('a');
    expect(await store.get('a')).toBeUndefined();
    await store.close();
  });

  it('updates a job only from a record of it: one of a job removed and added again under its id is refused, and the new job stays as it was', async () => {
    const store = await open();
    const old = makeJob('a', REFERENCE + 1000, 'old-task');
    await store.add(old);
    await store.remove('a');
    await store.add(makeJob('a', REFERENCE + 2000, 'new-task'));
    // What a retry of the old job's last run does: a new due time on the old record.
    old.dueAt = REFERENCE + 500;
    await expect(Promise.resolve().then(() => store.update(old))).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
    const kept = await store.get('a');
    expect(kept?.task).toBe('new-task');
    expect(kept?.dueAt).toBe(REFERENCE + 2000);
    expect(await store.earliestDue()).toBe(REFERENCE + 2000);
    await store.close();
  });

  it('records runs and their completion; lists them newest first with a before cursor', async () => {
    const store = await open();
    const a = makeJob('a', REFERENCE);
    await store.add(a);
    for (let i = 0; i < 5; i++) store.recordRun(run('a', REFERENCE + i * 1000), a);
    const running = run('a', REFERENCE + 5000, 'running');
    store.recordRun(running, a);
    await store.flush();
    running.outcome = 'failed';
    running.finishedAt = REFERENCE + 5100;
    running.error = { message: 'boom' };
    store.updateRun(running);
    await store.flush();
    const newest = await store.getRuns('a', { limit: 3 });
    expect(newest.map((r) => r.scheduledAt - REFERENCE)).toEqual([5000, 4000, 3000]);
    expect(newest[0]).toMatchObject({ outcome: 'failed', error: { message: 'boom' }, finishedAt: REFERENCE + 5100 });
    const older = await store.getRuns('a', { limit: 10, before: REFERENCE + 3000 });
    expect(older.map((r) => r.scheduledAt - REFERENCE)).toEqual([2000, 1000, 0]);
    await store.close();
  });

  it('folds the kept history into the same health facts as the plain fold (health-facts.ts), whatever the order', async () => {
    const store = await open();
    const a = makeJob('a', REFERENCE);
    const quiet = makeJob('quiet', REFERENCE);
    await store.add(a);
    await store.add(quiet);
    const at = (s: number): number => REFERENCE + s * 1000;
    const history: RunRecord[] = [
      run('a', at(0)),
      { ...run('a', at(1), 'failed'), error: { code: 'E1', message: 'first' } },
      { ...run('a', at(2), 'failed'), error: { message: 'second' } },
      // A retry of the fire at 2 s (recorded after the newer fires: order of recording is not fire order).
      { ...run('a', at(3), 'timed_out'), error: { code: 'JOB_TIMEOUT', message: 'third' } },
      { ...run('a', at(4), 'skipped'), startedAt: null, finishedAt: null, coalesced: 3, lastScheduledAt: at(6) },
      { ...run('a', at(7), 'missed'), startedAt: null, finishedAt: null },
      { ...run('a', at(8), 'lost'), finishedAt: null },
      { ...run('a', at(2), 'failed'), attempt: 2, finishedAt: at(9), error: { message: 'retry failed' } },
    ];
    for (const record of history) store.recordRun(record, a);
    await store.flush();
    const expected = healthFactsOf(history);
    expect(expected).toMatchObject({
      lastSuccessAt: at(0) + 5,
      lastFailureAt: at(9),
      consecutiveFailures: 3,
      failingSince: at(1),
      lastError: { message: 'retry failed' },
      notStarted: 5,
      notStartedSince: at(4),
      oldestScheduledAt: at(0),
      newestScheduledAt: at(8),
    });
    const facts = await (store.healthFacts as NonNullable<JobStore['healthFacts']>).call(store, ['a', 'quiet', 'unknown']);
    expect(facts.get('a')).toEqual(expected);
    expect(facts.get('quiet')).toEqual(NO_HEALTH_FACTS);
    expect(facts.get('unknown')).toEqual(NO_HEALTH_FACTS);
    await store.close();
  });

  it('pages jobs by id with a cursor, and filters by text', async () => {
    const store = await open();
    for (const id of ['c', 'a', 'e', 'b', 'd']) await store.add(makeJob(id, REFERENCE));
    const first = await store.page({ sort: 'id', limit: 2 });
    expect(first.items.map((j) => j.id)).toEqual(['a', 'b']);
    const second = await store.page({ sort: 'id', limit: 2, cursor: first.nextCursor as string });
    expect(second.items.map((j) => j.id)).toEqual(['c', 'd']);
    const last = await store.page({ sort: 'id', limit: 2, cursor: second.nextCursor as string });
    expect(last).toMatchObject({ nextCursor: null });
    expect((await store.page({ sort: 'id', limit: 10, q: 'E' })).items.map((j) => j.id)).toEqual(['e']);
    await store.close();
  });

  it('keeps calendarInterval and nested or/and specs as they were resolved, also across a restart', async () => {
    const specs = [
      { type: 'calendarInterval', months: 1, days: 2, hour: 9, minute: 30, timezone: 'Europe/Berlin', startDate: '2026-01-31', endDate: '2030-12-31' },
      {
        type: 'or',
        triggers: [
          { type: 'cron', expression: '0 9 * * MON', timezone: 'America/New_York' },
          {
            type: 'and',
            triggers: [
              { type: 'interval', seconds: 900, startDate: '2026-01-01T00:00:00Z' },
              { type: 'calendarInterval', weeks: 2, timezone: 'UTC', startDate: '2026-01-03' },
            ],
          },
          { type: 'date', runAt: '2027-01-01T00:00:00Z' },
        ],
      },
    ];
    let store = await open();
    const added = specs.map((spec, i) => {
      const trigger = createTrigger(spec, env);
      const job = JobRecord.create(`t${i}`, `t${i}`, () => undefined, 'noop', null, trigger, DEFAULT_JOB_POLICY, false, REFERENCE, REFERENCE);
      return job;
    });
    for (const job of added) await store.add(job);
    if (withBadRow !== null) store = await withBadRow(store, 't0', null, context());
    for (const job of added) {
      const loaded = (await store.get(job.id)) as JobRecord;
      expect(loaded.trigger.toSpec()).toEqual(job.trigger.toSpec());
      expect(loaded.trigger.describe()).toBe(job.trigger.describe());
      expect(loaded.trigger.next(REFERENCE)).toBe(job.trigger.next(REFERENCE));
    }
    await store.close();
  });

  it("keeps a job's maxRuns and its counted fires (runCount) through schedule writes, also across a restart", async () => {
    let store = await open();
    const trigger = createTrigger({ type: 'interval', seconds: 60, startDate: new Date(REFERENCE + 60_000) }, env);
    const policy = { ...DEFAULT_JOB_POLICY, maxRuns: 5 };
    const job = JobRecord.create('limited', 'limited', () => undefined, 'noop', null, trigger, policy, false, REFERENCE + 1000, REFERENCE + 1000);
    await store.add(job);
    // A pass: the job is taken, two fires counted, the schedule advanced and written back.
    const [taken] = await store.takeDue(REFERENCE + 1000, 10);
    expect(taken?.id).toBe('limited');
    (taken as JobRecord).runCount = 2;
    (taken as JobRecord).nextRunTime = REFERENCE + 120_000;
    (taken as JobRecord).dueAt = REFERENCE + 120_000;
    await store.putBack([taken as JobRecord]);
    await store.flush();
    if (withBadRow !== null) store = await withBadRow(store, 'limited', null, context());
    const loaded = (await store.get('limited')) as JobRecord;
    expect(loaded.runCount).toBe(2);
    expect(loaded.policy.maxRuns).toBe(5);
    expect(toJobInfo(loaded, ANY_HEALTH)).toMatchObject({ maxRuns: 5, remainingRuns: 3, nextRunTime: new Date(REFERENCE + 120_000) });
    await store.close();
  });

  it('records what started each run and who (trigger, actor, note) and reads them back, also across a restart', async () => {
    let store = await open();
    const a = makeJob('a', REFERENCE);
    await store.add(a);
    const api: Actor = { role: 'admin', via: 'key', keyIndex: 1 };
    // The scheduler's own records say nothing: the fire's trigger is read from the attempt.
    store.recordRun(run('a', REFERENCE), a);
    store.recordRun({ ...run('a', REFERENCE, 'failed'), attempt: 2, error: { message: 'again' } }, a);
    store.recordRun({ ...run('a', REFERENCE + 1000), trigger: 'manual', actor: LIBRARY_ACTOR }, a);
    store.recordRun({ ...run('a', REFERENCE + 2000), trigger: 'manual', actor: api, note: 'deploy check' }, a);
    store.recordRun({ ...run('a', REFERENCE + 3000, 'missed'), trigger: 'backfill', actor: { role: 'admin', via: 'loopback' } }, a);
    // A run recorded running, then settled, keeps its provenance; so does a retry of a manual run.
    store.recordRun({ ...run('a', REFERENCE + 2000), attempt: 2, trigger: 'retry', actor: SCHEDULER_ACTOR }, a);
    const running: RunRecord = { ...run('a', REFERENCE + 4000, 'running'), trigger: 'manual', actor: api, note: 'n' };
    store.recordRun(running, a);
    await store.flush();
    running.outcome = 'succeeded';
    running.finishedAt = REFERENCE + 4100;
    store.updateRun(running);
    await store.flush();
    const expected = [
      [REFERENCE + 4000, 1, 'manual', api, 'n'],
      [REFERENCE + 3000, 1, 'backfill', { role: 'admin', via: 'loopback' }, undefined],
      [REFERENCE + 2000, 2, 'retry', SCHEDULER_ACTOR, undefined],
      [REFERENCE + 2000, 1, 'manual', api, 'deploy check'],
      [REFERENCE + 1000, 1, 'manual', LIBRARY_ACTOR, undefined],
      [REFERENCE, 2, 'retry', SCHEDULER_ACTOR, undefined],
      [REFERENCE, 1, 'schedule', SCHEDULER_ACTOR, undefined],
    ];
    const read = async (): Promise<unknown[][]> =>
      (await store.getRuns('a', { limit: 10 }))
        .map(toRun)
        .map((r) => [r.scheduledAt.getTime(), r.attempt, r.trigger, r.actor, r.note])
        .sort((x, y) => (y[0] as number) - (x[0] as number) || (y[1] as number) - (x[1] as number));
    expect(await read()).toEqual(expected);
    if (withBadRow !== null) {
      store = await withBadRow(store, 'a', null, context());
      expect(await read()).toEqual(expected);
      // The job's last run, as a restart loads it, says the same.
      expect(toRun((await store.get('a'))?.lastRun as RunRecord)).toMatchObject({ trigger: 'manual', actor: api, note: 'n' });
    }
    await store.close();
  });

  it('answers ping', async () => {
    const store = await open();
    await store.ping();
    await store.close();
  });

  it.skipIf(withBadRow === null)("reloads a cron job with H at the same times: H hashes the job's id, which the store keeps", async () => {
    const spec = { type: 'cron', expression: 'H H(0-5) L * *', timezone: 'UTC' } as const;
    const hashed = (id: string): JobRecord => {
      const trigger = createTrigger(spec, { ...env, jobId: id });
      const next = trigger.first(REFERENCE);
      return JobRecord.create(id, id, () => undefined, 'noop', undefined, trigger, DEFAULT_JOB_POLICY, false, next, next);
    };
    const first = await open();
    await first.add(hashed('backup'));
    await first.add(hashed('report-1'));
    // Close and open the same data again (the hook writes the same trigger back into the row).
    const store = await (withBadRow as BadRowHook)(first, 'backup', JSON.stringify(spec), context());
    // backup: 04:28, report-1: 04:53 (test/cron/hash.test.ts), on the last day of the month.
    for (const [id, time] of [
      ['backup', '04:28'],
      ['report-1', '04:53'],
    ] as const) {
      const job = (await store.get(id)) as JobRecord;
      expect(job.trigger.toSpec()).toEqual(spec);
      expect(new Date(job.trigger.next(REFERENCE) as number).toISOString()).toBe(`2026-01-31T${time}:00.000Z`);
      expect(job.nextRunTime).toBe(job.trigger.next(REFERENCE));
    }
    await store.close();
  });

  it.skipIf(withBadRow === null)(
    'sets aside a stored job it cannot load: the others are taken as before, it is reported once, listed as load_error, removable',
    async () => {
      const first = await open();
      await first.add(makeJob('bad', REFERENCE + 1000));
      await first.add(makeJob('good', REFERENCE + 2000));
      await first.add(makeJob('later', REFERENCE + 3000));
      const reports: { jobId: string; reason: string }[] = [];
      const store = await (withBadRow as BadRowHook)(first, 'bad', '{"type":"cron","expression":"99 * * * *","timezone":"UTC"}', context([], reports));
      // The bad row is due first; every pass takes the others as if it were not there, and nothing throws.
      // (A shared store finds the row bad when it first reads it: from then on its due time counts no more.)
      for (let pass = 0; pass < 3; pass++) {
        const due = await store.takeDue(REFERENCE + 10_000, 100);
        expect(due.map((j) => j.id)).toEqual(['good', 'later']);
        await store.putBack(due);
        expect(await store.earliestDue()).toBe(REFERENCE + 2000);
      }
      const bad = await store.get('bad');
      expect(bad === undefined ? null : loadErrorOf(bad)).toMatch(/99/);
      expect(toJobInfo(bad as JobRecord, ANY_HEALTH)).toMatchObject({
        id: 'bad',
        status: 'load_error',
        statusReason: expect.stringMatching(/99/),
        nextRunTime: null,
      });
      expect((await store.list()).map((j) => [j.id, loadErrorOf(j) === null]).sort()).toEqual([
        ['bad', false],
        ['good', true],
        ['later', true],
      ]);
      expect((await store.page({ sort: 'id', limit: 10 })).items.map((j) => toJobInfo(j, ANY_HEALTH).status)).toEqual(['load_error', 'ok', 'ok']);
      expect(await store.count()).toBe(3);
      await sleep(50); // a store may report in the background
      expect(reports).toEqual([{ jobId: 'bad', reason: expect.stringMatching(/99/) }]);
      // It stays where it is until removed (or replaced: a remove and an add).
      expect((await store.remove('bad'))?.id).toBe('bad');
      expect(await store.get('bad')).toBeUndefined();
      expect(await store.count()).toBe(2);
      await store.add(makeJob('bad', REFERENCE + 1000));
      expect((await store.takeDue(REFERENCE + 10_000, 100)).map((j) => j.id)).toEqual(['bad', 'good', 'later']);
      expect(reports).toHaveLength(1);
      await store.close();
    },
  );
});

describe('SQLite store durability', () => {
  it('keeps jobs, schedule and history across a reopen, and marks runs left running as lost', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tickwork-reopen-')), 'jobs.db');
    const first = new SqliteJobStore({ path });
    first.open(context());
    const a = makeJob('a', REFERENCE + 60_000);
    a.paused = false;
    first.add(a);
    first.add(makeJob('b', null));
    a.nextRunTime = REFERENCE + 120_000;
    a.dueAt = REFERENCE + 120_000;
    first.putBack([a]);
    first.recordRun(run('a', REFERENCE + 60_000), a);
    first.recordRun({ ...run('a', REFERENCE + 61_000, 'running'), trigger: 'manual', actor: { role: 'admin', via: 'key', keyIndex: 0 }, note: 'why' }, a);
    first.flush();
    // The process "dies" here: its running run stays `running` in the file. The next store can open the
    // file only once this one has let go of its lock (one process per file), as a dead process does.
    first.close();
    const lost: RunRecord[] = [];
    const second = new SqliteJobStore({ path });
    second.open(context(lost));
    expect(
      second
        .list()
        .map((j) => j.id)
        .sort(),
    ).toEqual(['a', 'b']);
    const loaded = second.get('a') as JobRecord;
    expect(loaded.nextRunTime).toBe(REFERENCE + 120_000);
    expect(loaded.args).toEqual({ id: 'a' });
    expect(loaded.trigger.toSpec()).toEqual(a.trigger.toSpec());
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ jobId: 'a', outcome: 'lost', scheduledAt: REFERENCE + 61_000 });
    // A lost run still says what started it and who.
    expect(toRun(lost[0] as RunRecord)).toMatchObject({ trigger: 'manual', actor: { role: 'admin', via: 'key', keyIndex: 0 }, note: 'why' });
    expect(loaded.lastRun?.outcome).toBe('lost');
    expect(second.getRuns('a', { limit: 10 }).map((r) => r.outcome)).toEqual(['lost', 'succeeded']);
    second.close();
    first.close();
  });

  it('refuses a file that is not a database, and one written by a newer schema', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickwork-bad-'));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'junk.db'), 'this is not sqlite'.repeat(100));
    expect(() => new SqliteJobStore({ path: join(dir, 'junk.db') }).open(context())).toThrow(/not a Tickwork database or is corrupted/);
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(join(dir, 'future.db'));
    db.pragma('user_version = 999');
    db.close();
    expect(() => new SqliteJobStore({ path: join(dir, 'future.db') }).open(context())).toThrow(/schema version 999, newer than this Tickwork knows/);
  });
});
