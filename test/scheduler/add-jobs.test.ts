/**
 * addJobs: one call, one result per spec in order, each spec answered as addJob would answer it alone
 * (issue #22). Memory and SQLite stores (PostgreSQL: test/stores/postgres-group-add.test.ts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { ConflictingIdError, StoreUnavailableError } from '../../src/core/errors.js';
import type { JobRecord } from '../../src/core/job.js';
import { MAX_ADD_JOBS, SchedulerService, type AddJobsResult } from '../../src/scheduler/service.js';
import type { AddJobSpec } from '../../src/scheduler/scheduler-types.js';
import { MemoryJobStore } from '../../src/stores/memory.js';
import { SqliteJobStore } from '../../src/stores/sqlite/store.js';
import type { JobStore } from '../../src/stores/store.js';
import { captureLogger, REFERENCE } from '../helpers.js';

function boot(store?: JobStore, clock = new ManualClock(REFERENCE)): SchedulerService {
  const s = new SchedulerService({ clock, logger: captureLogger('warn'), timezone: 'UTC', ...(store === undefined ? {} : { store }) });
  s.registerTask('tick', () => undefined);
  return s;
}

const every = (id: string, seconds = 60, extra: Record<string, unknown> = {}): AddJobSpec => ({
  id,
  task: 'tick',
  trigger: { type: 'interval', seconds },
  ...extra,
});

/** Each result as `added <id>` or its error code: what a caller branches on. */
function outcomes(results: readonly AddJobsResult[]): string[] {
  return results.map((r) => (r.ok ? `added ${r.job.id}` : r.error.code));
}

/** A batch with one of every kind of item: valid, invalid, unknown task, taken id, an id twice. */
const mixed = (): unknown[] => [
  every('a'),
  { id: 'bad', task: 'tick', trigger: { type: 'interval', seconds: -1 } },
  every('b', 60, { args: { n: 1 } }),
  { id: 'nope', task: 'no-such-task', trigger: { type: 'interval', seconds: 60 } },
  every('taken'),
  every('a'),
  'not a spec',
  { id: 'both', func: () => undefined, task: 'tick', trigger: { type: 'interval', seconds: 60 } },
  every('c', 60, { bogus: true }),
  every('d'),
];
const MIXED_OUTCOMES = [
  'added a',
  'INVALID_TRIGGER',
  'added b',
  'TASK_NOT_REGISTERED',
  'CONFLICTING_ID',
  'CONFLICTING_ID',
  'INVALID_ARGUMENT',
  'INVALID_ARGUMENT',
  'INVALID_ARGUMENT',
  'added d',
];

describe('addJobs', () => {
  it('answers each spec on its own: the valid ones added, the others with the error addJob gives them', async () => {
    const s = boot();
    await s.start();
    await s.addIntervalJob('tick', 60, 'taken');
    const results = await s.addJobs(mixed() as AddJobSpec[]);
    expect(outcomes(results)).toEqual(MIXED_OUTCOMES);
    // The same errors addJob rejects with, message and all.
    for (const [i, spec] of mixed().entries()) {
      const result = results[i] as AddJobsResult;
      if (result.ok) continue;
      const alone = await s.addJob(spec as AddJobSpec).then(
        () => null,
        (error: Error) => error,
      );
      expect(alone, `spec ${i}`).toBeInstanceOf(result.error.constructor);
      expect(alone?.message, `spec ${i}`).toBe(result.error.message);
    }
    expect((results[2] as AddJobsResult & { ok: true }).job).toMatchObject({ id: 'b', task: 'tick', args: { n: 1 } });
    expect((await s.getJobs({ sort: 'id' })).items.map((j) => j.id)).toEqual(['a', 'b', 'd', 'taken']);
    await s.shutdown();
  });

  it('gives each added job its job_added event, its audit entry (with the caller) and a wake-up of the loop', async () => {
    const clock = new ManualClock(REFERENCE);
    const s = boot(undefined, clock);
    const fired: string[] = [];
    s.registerTask('mark', (ctx) => void fired.push(ctx.jobId));
    await s.start();
    const events: string[] = [];
    s.on('job_added', ({ jobId }) => void events.push(jobId));
    const actor = { role: 'admin', via: 'key', keyIndex: 0 } as const;
    const results = await s.addJobs(
      [
        { id: 'soon', task: 'mark', trigger: { type: 'interval', seconds: 1 } },
        every('x', -5),
        { id: 'later', task: 'mark', trigger: { type: 'interval', seconds: 2 } },
      ],
      { actor },
    );
    expect(outcomes(results)).toEqual(['added soon', 'INVALID_TRIGGER', 'added later']);
    expect(events).toEqual(['soon', 'later']);
    const audit = (await s.getAudit()).items;
    expect(audit.map((e) => [e.action, e.jobId])).toEqual([
      ['job.added', 'later'],
      ['job.added', 'soon'],
    ]);
    expect(audit.every((e) => JSON.stringify(e.actor) === JSON.stringify(actor))).toBe(true);
    expect((await s.getJob('soon'))?.owner).toBe('api');
    // The loop slept with nothing due: the batch woke it for its earliest job.
    await clock.advance(1000);
    expect(fired).toEqual(['soon']);
    await clock.advance(1000);
    expect(fired.sort()).toEqual(['later', 'soon', 'soon']);
    await s.shutdown();
  });

  it('refuses a call that is not a batch as a whole, adding nothing', async () => {
    const s = boot();
    await s.start();
    const tooMany = Array.from({ length: MAX_ADD_JOBS + 1 }, (_, i) => every(`j${i}`));
    for (const [specs, message] of [
      [undefined, /specs: must be an array of job specs .*got undefined/],
      [{ jobs: [] }, /specs: must be an array/],
      [[], /specs: is empty/],
      [tooMany, new RegExp(`specs: holds ${MAX_ADD_JOBS + 1} job specs; at most ${MAX_ADD_JOBS} per call`)],
    ] as const) {
      await expect(s.addJobs(specs as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(message) });
    }
    await expect(s.addJobs([every('a')], { actor: 'me' } as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((await s.status()).jobs).toBe(0);
    // The limit itself is a batch.
    const full = await s.addJobs(tooMany.slice(0, MAX_ADD_JOBS));
    expect(full.every((r) => r.ok)).toBe(true);
    expect((await s.status()).jobs).toBe(MAX_ADD_JOBS);
    await s.shutdown();
  });

  it('replaces a job per spec with replaceExisting, and takes an id given twice only once', async () => {
    const s = boot();
    await s.start();
    await s.addIntervalJob('tick', 60, 'r', { name: 'old' });
    const results = await s.addJobs([every('r', 30, { name: 'new', replaceExisting: true }), every('r', 90, { replaceExisting: true }), every('fresh')]);
    expect(outcomes(results)).toEqual(['added r', 'CONFLICTING_ID', 'added fresh']);
    expect(await s.getJob('r')).toMatchObject({ name: 'new', trigger: { seconds: 30 } });
    expect((await s.getAudit({ jobId: 'r' })).items.map((e) => e.action)).toEqual(['job.added', 'job.added']);
    await s.shutdown();
  });

  it('works before start, as addJob does, and rejects as a whole when the store cannot be opened', async () => {
    const idle = boot();
    expect(outcomes(await idle.addJobs([every('a')]))).toEqual(['added a']);
    class BrokenStore extends MemoryJobStore {
      override open(): void {
        throw new StoreUnavailableError('the test store does not open');
      }
    }
    const broken = boot(new BrokenStore());
    await expect(broken.addJobs([every('a')])).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });

  it("hands the valid specs to the store's addMany in one call, and rejects as a whole when it rejects", async () => {
    const calls: string[][] = [];
    let reachable = true;
    class BatchingStore extends MemoryJobStore {
      async addMany(jobs: readonly JobRecord[]): Promise<(Error | undefined)[]> {
        calls.push(jobs.map((job) => job.id));
        if (!reachable) throw new StoreUnavailableError('the test store is unreachable');
        return jobs.map((job) => (job.id === 'refused' ? new ConflictingIdError(job.id) : (this.add(job), undefined)));
      }
    }
    const s = boot(new BatchingStore());
    await s.start();
    await s.addIntervalJob('tick', 60, 'taken');
    const results = await s.addJobs([every('a'), every('bad', -1), every('refused'), every('a'), every('taken', 60, { replaceExisting: true }), every('b')]);
    expect(outcomes(results)).toEqual(['added a', 'INVALID_TRIGGER', 'CONFLICTING_ID', 'CONFLICTING_ID', 'added taken', 'added b']);
    // One call with the specs that were valid, new in the batch and not replacing.
    expect(calls).toEqual([['a', 'refused', 'b']]);
    reachable = false;
    await expect(s.addJobs([every('c'), every('d')])).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect((await s.getJobs({ sort: 'id' })).items.map((j) => j.id)).toEqual(['a', 'b', 'taken']);
    await s.shutdown();
  });

  it('on SQLite: adds the valid specs durably, the others answered alone', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tickwork-add-jobs-')), 'db.sqlite');
    const s = boot(new SqliteJobStore({ path }));
    await s.start();
    await s.addIntervalJob('tick', 60, 'taken');
    expect(outcomes(await s.addJobs(mixed() as AddJobSpec[]))).toEqual(MIXED_OUTCOMES);
    await s.shutdown();
    const reopened = boot(new SqliteJobStore({ path }));
    expect((await reopened.getJobs({ sort: 'id' })).items.map((j) => j.id)).toEqual(['a', 'b', 'd', 'taken']);
    expect((await reopened.getAudit()).items.filter((e) => e.action === 'job.added')).toHaveLength(4);
    await reopened.shutdown().catch(() => undefined);
  });
});
