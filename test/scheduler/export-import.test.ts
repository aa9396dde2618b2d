/** Definitions as data: export -> import round trip, owners kept, prune, dry run, on memory, SQLite and PostgreSQL. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { reconcileJobs } from '../../src/server/reconcile.js';
import { MemoryJobStore } from '../../src/stores/memory.js';
import { PostgresJobStore } from '../../src/stores/postgres/store.js';
import { SqliteJobStore } from '../../src/stores/sqlite/store.js';
import type { JobStore } from '../../src/stores/store.js';
import { captureLogger, REFERENCE } from '../helpers.js';
import { PG_URL, dropSchema, pgAvailable, schemaName } from '../stores/pg-helpers.js';

const API = { actor: { role: 'admin' as const, via: 'key' as const, keyIndex: 0 } };
const schemas: string[] = [];
afterEach(async () => {
  for (const schema of schemas.splice(0)) await dropSchema(schema);
});

type StoreFactory = () => JobStore;
const stores: [string, StoreFactory, boolean][] = [
  ['memory', () => new MemoryJobStore(), true],
  ['SQLite', () => new SqliteJobStore({ path: join(mkdtempSync(join(tmpdir(), 'tickwork-export-')), 'db.sqlite') }), true],
  [
    'PostgreSQL',
    () => {
      const schema = schemaName('tw_opaudit');
      schemas.push(schema);
      return new PostgresJobStore({ connectionString: PG_URL, schema });
    },
    pgAvailable,
  ],
];

function boot(store: JobStore): SchedulerService {
  const s = new SchedulerService({ store, clock: new ManualClock(REFERENCE), logger: captureLogger(), timezone: 'UTC' });
  s.registerTask('noop', () => undefined);
  s.registerTask('other', () => undefined);
  return s;
}

describe.each(stores)('export and import on %s', (_name, makeStore, available) => {
  it.skipIf(!available)('carries pauseAfterFailures through export and import, and a config change to it is applied', async () => {
    const s = boot(makeStore());
    await s.start();
    await s.addJob({ id: 'guarded', task: 'noop', trigger: { type: 'interval', seconds: 60 }, pauseAfterFailures: 3 });
    const exported = await s.exportJobs();
    expect(exported.jobs[0]).toMatchObject({ id: 'guarded', pauseAfterFailures: 3 });
    await s.removeJob('guarded');
    expect(await s.importJobs(JSON.parse(JSON.stringify(exported)) as { jobs: unknown[] })).toMatchObject({ created: ['guarded'] });
    expect((await s.getJob('guarded'))?.pauseAfterFailures).toBe(3);
    const config = { id: 'cfg', task: 'noop', trigger: { type: 'interval' as const, seconds: 60 } };
    await reconcileJobs(s, [{ ...config, pauseAfterFailures: 2 }], captureLogger());
    await reconcileJobs(s, [{ ...config, pauseAfterFailures: 5 }], captureLogger());
    expect((await s.getJob('cfg'))?.pauseAfterFailures).toBe(5);
    await s.shutdown();
  });

  it.skipIf(!available)('carries every policy option and the exclusions through export and import; the audit entry shows them', async () => {
    const s = boot(makeStore());
    await s.start();
    const options = {
      coalesce: false,
      maxInstances: 3,
      overlap: 'queue' as const,
      misfireGraceTime: null,
      jitterSeconds: 2,
      timeoutSeconds: 30,
      retries: { max: 2, backoffSeconds: 5 },
      retryLost: true,
      expectSuccessWithinSeconds: 7200,
      overdueAfterMissedFires: 4,
      maxRuns: 9,
      pauseAfterFailures: 2,
      exclude: { dates: ['2031-12-25'], timezone: 'Europe/Paris' },
    };
    await s.addJob({ id: 'full', task: 'noop', trigger: { type: 'interval', seconds: 60 }, ...options });
    const exported = await s.exportJobs();
    const { exclude, ...policies } = options;
    expect(exported.jobs[0]).toMatchObject({ id: 'full', ...policies, exclude: { calendars: [], dates: exclude.dates, timezone: exclude.timezone } });
    await s.removeJob('full');
    expect(await s.importJobs(JSON.parse(JSON.stringify(exported)) as { jobs: unknown[] })).toMatchObject({ created: ['full'] });
    expect(await s.exportJobs()).toEqual(exported);
    expect(await s.importJobs(JSON.parse(JSON.stringify(exported)) as { jobs: unknown[] })).toMatchObject({ unchanged: ['full'] });
    await s.updateJob('full', { pauseAfterFailures: 5, exclude: null });
    const [modified] = (await s.getAudit({ jobId: 'full' })).items;
    expect(modified?.action).toBe('job.modified');
    expect(modified?.before).toMatchObject({ pauseAfterFailures: 2, exclude: { dates: ['2031-12-25'] } });
    expect(modified?.after).toMatchObject({ pauseAfterFailures: 5 });
    expect(modified?.after).not.toHaveProperty('exclude');
    await s.shutdown();
  });

  it.skipIf(!available)('carries overlap through export and import (unchanged on a second import), and a config change to it is applied', async () => {
    const s = boot(makeStore());
    await s.start();
    await s.addJob({ id: 'queued', task: 'noop', trigger: { type: 'interval', seconds: 60 }, overlap: 'queue' });
    await s.addJob({ id: 'plain', task: 'noop', trigger: { type: 'interval', seconds: 60 } });
    const exported = await s.exportJobs();
    expect(exported.jobs).toMatchObject([
      { id: 'plain', overlap: 'skip' },
      { id: 'queued', overlap: 'queue' },
    ]);
    await s.removeJob('queued');
    const again = JSON.parse(JSON.stringify(exported)) as { jobs: unknown[] };
    expect(await s.importJobs(again)).toMatchObject({ created: ['queued'], unchanged: ['plain'] });
    expect((await s.getJob('queued'))?.overlap).toBe('queue');
    expect(await s.importJobs(again)).toMatchObject({ created: [], updated: [], unchanged: ['plain', 'queued'] });
    const config = { id: 'cfg', task: 'noop', trigger: { type: 'interval' as const, seconds: 60 } };
    await reconcileJobs(s, [{ ...config, overlap: 'replace' }], captureLogger());
    await reconcileJobs(s, [{ ...config, overlap: 'queue' }], captureLogger());
    expect((await s.getJob('cfg'))?.overlap).toBe('queue');
    await s.shutdown();
  });

  it.skipIf(!available)('names the entry of a definition whose trigger or option is wrong, new or changed', async () => {
    const s = boot(makeStore());
    await s.start();
    await s.addJob({ id: 'kept', task: 'noop', trigger: { type: 'interval', seconds: 60 } });
    const ok = { id: 'fine', task: 'noop', trigger: { type: 'interval', seconds: 60 } };
    const refused = async (jobs: unknown[]): Promise<unknown> =>
      s.importJobs({ jobs }).then(
        () => null,
        (error: unknown) => error,
      );
    const newEntry = await refused([ok, { id: 'bad', task: 'noop', trigger: { type: 'interval', seconds: -5 } }]);
    expect(newEntry).toMatchObject({ code: 'INVALID_TRIGGER', details: [{ path: 'jobs[1].trigger.seconds' }] });
    expect((newEntry as Error).message).toMatch(/^jobs\[1\]\.trigger\.seconds/);
    const changed = await refused([{ id: 'kept', task: 'noop', trigger: { type: 'interval', seconds: 60 }, maxInstances: 0 }]);
    expect(changed).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((changed as { details: { path: string }[] }).details[0]?.path).toMatch(/^jobs\[0\]\.maxInstances$/);
    expect((await s.getJobs()).items.map((j) => j.id)).toEqual(['kept']);
    await s.shutdown();
  });

  it.skipIf(!available)('round trip is unchanged, keeps owners and pauses; changes are updated; prune removes only the importer kind', async () => {
    const s = boot(makeStore());
    await s.start();
    await reconcileJobs(s, [{ id: 'cfg', task: 'noop', trigger: { type: 'cron', expression: '0 3 * * *' }, args: { a: 1 } }], captureLogger());
    await s.addJob({ id: 'lib', task: 'noop', trigger: { type: 'interval', seconds: 60 }, retries: { max: 2, backoffSeconds: 5 } });
    await s.addJob(
      {
        id: 'api1',
        task: 'other',
        trigger: {
          type: 'or',
          triggers: [
            { type: 'interval', seconds: 30 },
            { type: 'cron', expression: '*/5 * * * *' },
          ],
        },
      },
      API,
    );
    await s.addJob({ id: 'api2', task: 'noop', trigger: { type: 'calendarInterval', days: 1, hour: 4, timezone: 'Europe/Paris' }, maxRuns: 5 }, API);
    await s.pauseJob('api1');
    expect((await s.getJobs({ sort: 'id' })).items.map((j) => [j.id, j.owner])).toEqual([
      ['api1', 'api'],
      ['api2', 'api'],
      ['cfg', 'config'],
      ['lib', 'library'],
    ]);

    const exported = await s.exportJobs();
    expect(exported.jobs.map((j) => j.id)).toEqual(['api1', 'api2', 'cfg', 'lib']);
    expect(exported.jobs[0]).not.toHaveProperty('paused');
    expect(exported.jobs[0]).not.toHaveProperty('owner');
    const same = await s.importJobs(JSON.parse(JSON.stringify(exported)) as { jobs: unknown[] }, API);
    expect(same).toEqual({ created: [], updated: [], unchanged: ['api1', 'api2', 'cfg', 'lib'], removed: [] });
    expect((await s.getJob('cfg'))?.owner).toBe('config');
    expect((await s.getJob('api1'))?.paused).toBe(true);

    const jobs = exported.jobs.filter((j) => j.id !== 'api2').map((j) => (j.id === 'lib' ? { ...j, args: { b: 2 } } : j));
    jobs.push({ ...(exported.jobs[1] as (typeof jobs)[number]), id: 'api3' });
    const plan = await s.importJobs({ jobs, prune: true, dryRun: true }, API);
    expect(plan).toEqual({ created: ['api3'], updated: ['lib'], unchanged: ['api1', 'cfg'], removed: ['api2'] });
    expect(await s.getJob('api3')).toBeUndefined(); // dry run: nothing changed
    expect((await s.getJob('lib'))?.args).toBeUndefined();

    expect(await s.importJobs({ jobs, prune: true }, API)).toEqual(plan);
    expect((await s.getJobs({ sort: 'id' })).items.map((j) => [j.id, j.owner])).toEqual([
      ['api1', 'api'],
      ['api3', 'api'],
      ['cfg', 'config'],
      ['lib', 'library'], // updated, still the library's
    ]);
    expect((await s.getJob('lib'))?.args).toEqual({ b: 2 });
    // A library import prunes only library jobs.
    expect(await s.importJobs({ jobs: [], prune: true, dryRun: true })).toEqual({ created: [], updated: [], unchanged: [], removed: ['lib'] });
    await s.shutdown();
  });
});

describe('import refusals', () => {
  it('checks everything before changing anything, naming the entry and field', async () => {
    const s = boot(new MemoryJobStore());
    await s.start();
    await s.addIntervalJob(() => undefined, 60, 'closure');
    const exported = await s.exportJobs();
    expect(exported.jobs[0]).toMatchObject({ id: 'closure', note: expect.stringContaining('not importable') });
    expect(exported.jobs[0]).not.toHaveProperty('task');
    const good = { id: 'good', task: 'noop', trigger: { type: 'interval', seconds: 10 } };
    await expect(s.importJobs({ jobs: [good, ...exported.jobs] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: [{ path: 'jobs[1]' }] });
    await expect(s.importJobs({ jobs: [good, { ...good, id: 'bad', trigger: { type: 'interval', seconds: -1 } }] })).rejects.toMatchObject({
      code: 'INVALID_TRIGGER',
    });
    await expect(s.importJobs({ jobs: [good, good] })).rejects.toMatchObject({ details: [{ path: 'jobs[1].id' }] });
    await expect(s.importJobs({ jobs: [{ ...good, paused: true }] })).rejects.toMatchObject({ details: [{ path: 'jobs[0].paused' }] });
    await expect(s.importJobs({ jobs: [{ ...good, task: 'missing' }] })).rejects.toMatchObject({ code: 'TASK_NOT_REGISTERED' });
    await expect(s.importJobs({ jobs: 'x' } as never)).rejects.toMatchObject({ details: [{ path: 'jobs' }] });
    await expect(s.importJobs({ jobs: [], prune: 'yes' } as never)).rejects.toMatchObject({ details: [{ path: 'prune' }] });
    expect(await s.getJob('good')).toBeUndefined();
    await s.shutdown();
  });
});

describe('config reconcile with prune', () => {
  it('removes only config-owned jobs no longer listed, across a restart on SQLite', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tickwork-prune-')), 'db.sqlite');
    const logger = captureLogger();
    const one = boot(new SqliteJobStore({ path }));
    const config = [
      { id: 'keep', task: 'noop', trigger: { type: 'interval' as const, seconds: 60 } },
      { id: 'drop', task: 'noop', trigger: { type: 'interval' as const, seconds: 60 } },
    ];
    await reconcileJobs(one, config, logger, { prune: true });
    await one.start();
    await one.addJob({ id: 'api', task: 'noop', trigger: { type: 'interval', seconds: 5 } }, API);
    await one.addJob({ id: 'lib', task: 'noop', trigger: { type: 'interval', seconds: 5 } });
    await one.shutdown();

    const two = boot(new SqliteJobStore({ path }));
    await reconcileJobs(two, [config[0] as (typeof config)[number]], logger);
    expect((await two.getJobs({ sort: 'id' })).items.map((j) => j.id)).toEqual(['api', 'drop', 'keep', 'lib']); // no prune: kept
    await reconcileJobs(two, [config[0] as (typeof config)[number]], logger, { prune: true });
    expect((await two.getJobs({ sort: 'id' })).items.map((j) => [j.id, j.owner])).toEqual([
      ['api', 'api'],
      ['keep', 'config'],
      ['lib', 'library'],
    ]);
    expect(logger.lines.filter((l) => l.event === 'config_job_removed').map((l) => l.jobId)).toEqual(['drop']);
    await two.start();
    await two.shutdown();
  });
});
