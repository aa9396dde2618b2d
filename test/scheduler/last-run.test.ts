/**
 * A job's lastRun with the memory store: synchronous runs share one scratch record and the job's lastRun
 * is then its run ring, read in place. These tests pin down that no job ever shows another job's run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryJobStore } from '../../src/stores/memory.js';
import { deferred, harness, REFERENCE, type Harness } from '../helpers.js';
import type { JobRecord } from '../../src/core/job.js';

let h: Harness;

afterEach(async () => {
  if (h?.scheduler.isRunning) await h.scheduler.shutdown({ wait: false });
});

describe('lastRun (memory store)', () => {
  it('keeps each job its own last run when jobs due together succeed, fail and return output', async () => {
    h = harness();
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(() => 'ok output', 1, 'a');
    await h.scheduler.addIntervalJob(
      () => {
        throw Object.assign(new Error('broken'), { code: 'E_BROKEN' });
      },
      1,
      'b',
    );
    await h.scheduler.addIntervalJob(() => undefined, 2, 'c');
    await h.clock.advance(2_000);
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((id) => h.scheduler.getJob(id)));
    expect(a?.lastRun).toMatchObject({ jobId: 'a', outcome: 'succeeded', output: 'ok output', error: null, attempt: 1 });
    expect(a?.lastRun?.scheduledAt.getTime()).toBe(REFERENCE + 2_000);
    expect(b?.lastRun).toMatchObject({ jobId: 'b', outcome: 'failed', error: { code: 'E_BROKEN', message: 'broken' } });
    expect(b?.lastRun?.output).toBeUndefined();
    expect(c?.lastRun).toMatchObject({ jobId: 'c', outcome: 'succeeded', latenessMs: 0, durationMs: 0 });
    expect(c?.lastRun?.scheduledAt.getTime()).toBe(REFERENCE + 2_000);
    // The history agrees with lastRun.
    const [newestA] = await h.scheduler.getRuns('a', { limit: 1 });
    expect(newestA).toEqual(a?.lastRun);
  });

  it('shows an asynchronous run as running until it settles, then settled', async () => {
    h = harness();
    await h.scheduler.start();
    const gate = deferred();
    let calls = 0;
    await h.scheduler.addIntervalJob(
      async () => {
        if (++calls === 2) await gate.promise;
      },
      1,
      'job',
    );
    await h.scheduler.addIntervalJob(() => undefined, 1, 'other');
    await h.clock.advance(2_000);
    expect((await h.scheduler.getJob('job'))?.lastRun?.outcome).toBe('running');
    expect((await h.scheduler.getJob('job'))?.lastRun?.scheduledAt.getTime()).toBe(REFERENCE + 2_000);
    expect((await h.scheduler.getJob('other'))?.lastRun?.outcome).toBe('succeeded');
    gate.resolve();
    await h.clock.advance(0);
    const settled = (await h.scheduler.getJob('job'))?.lastRun;
    expect(settled?.outcome).toBe('succeeded');
    expect(settled?.scheduledAt.getTime()).toBe(REFERENCE + 2_000);
  });

  it('records a missed fire as the last run', async () => {
    h = harness({ jobDefaults: { misfireGraceTime: 1, coalesce: true } });
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(() => undefined, 10, 'job');
    h.clock.stall(12_000);
    await h.clock.advance(0);
    const last = (await h.scheduler.getJob('job'))?.lastRun;
    expect(last?.outcome).toBe('missed');
    expect(last?.startedAt).toBeNull();
  });

  it('does not turn a fire cancelled before it started into the last run (shutdown drops queued fires)', async () => {
    const store = new MemoryJobStore();
    h = harness({ store, maxConcurrentRuns: 1 });
    await h.scheduler.start();
    const gate = deferred();
    let n = 0;
    await h.scheduler.addIntervalJob(
      async () => {
        if (++n === 2) await gate.promise;
      },
      10,
      'slow',
    );
    await h.scheduler.addIntervalJob(() => 'sync', 10, 'sync');
    await h.scheduler.addIntervalJob(async () => 'async', 10, 'async');
    await h.clock.advance(10_000); // all three run once
    await h.clock.advance(10_000); // slow holds the only slot; the two others wait in the queue
    const done = h.scheduler.shutdown({ wait: true, timeoutSeconds: 1 });
    await h.clock.advance(0);
    const last = (id: string): JobRecord['lastRun'] => (store.get(id) as JobRecord).lastRun;
    expect(last('sync')).toMatchObject({ outcome: 'succeeded', scheduledAt: REFERENCE + 10_000, output: 'sync' });
    expect(last('async')).toMatchObject({ outcome: 'succeeded', scheduledAt: REFERENCE + 10_000 });
    // The cancelled fires are in the history all the same.
    expect(store.getRuns('sync', { limit: 1 })[0]?.outcome).toBe('cancelled');
    gate.resolve();
    await h.clock.advance(2_000);
    await done;
  });

  it('keeps a last run when the store keeps no history (maxRunsPerJob 0)', async () => {
    h = harness({ store: new MemoryJobStore({ maxRunsPerJob: 0 }) });
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(() => 'kept', 1, 'a');
    await h.scheduler.addIntervalJob(() => 'other', 1, 'b');
    await h.clock.advance(2_000);
    expect((await h.scheduler.getJob('a'))?.lastRun).toMatchObject({ jobId: 'a', outcome: 'succeeded', output: 'kept' });
    expect((await h.scheduler.getJob('a'))?.lastRun?.scheduledAt.getTime()).toBe(REFERENCE + 2_000);
    expect(await h.scheduler.getRuns('a')).toEqual([]);
  });

  it('leaves a removed job a copy of its last run, not a view of a history block that is reused', async () => {
    const store = new MemoryJobStore();
    h = harness({ store });
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(() => 'done', 1, 'job');
    await h.scheduler.addIntervalJob(
      () => {
        void h.scheduler.removeJob('self');
        return 'last words';
      },
      1,
      'self',
    );
    await h.clock.advance(3_000);
    const job = store.get('job');
    const self = store.get('self');
    expect(self).toBeUndefined();
    await h.scheduler.removeJob('job');
    // A new job takes the released block and runs; the removed job's record must not change.
    await h.scheduler.addIntervalJob(() => 'new owner', 1, 'next');
    await h.clock.advance(2_000);
    expect(job?.lastRun).toMatchObject({ jobId: 'job', outcome: 'succeeded', output: 'done', scheduledAt: REFERENCE + 3_000 });
  });
});
