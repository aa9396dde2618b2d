import type { JobHealth } from '../../src/core/health.js';
import { describe, expect, it } from 'vitest';
import { JobListCache } from '../../src/server/job-list-cache.js';
import { MemoryJobStore } from '../../src/stores/memory.js';
import type { JobRecord } from '../../src/core/job.js';
import { harness } from '../helpers.js';

const ANY_HEALTH: JobHealth = { state: 'ok', since: null, consecutiveFailures: 0, lastSuccessAt: null, lastFailureAt: null, reason: '' };

describe('cached job JSON', () => {
  it('is rebuilt after a second run in the same millisecond (the run record object is reused)', async () => {
    const store = new MemoryJobStore();
    const h = harness({ store });
    const cache = new JobListCache(h.scheduler);
    await h.scheduler.start();
    let n = 0;
    await h.scheduler.addIntervalJob(() => `result ${++n}`, 3600, 'job');
    await h.scheduler.runJobNow('job');
    const first = JSON.parse(cache.jobJson(store.get('job') as JobRecord, ANY_HEALTH, true)) as { lastRun: { output: string } };
    await h.scheduler.runJobNow('job'); // the manual clock has not moved: same scheduledAt and times
    const second = JSON.parse(cache.jobJson(store.get('job') as JobRecord, ANY_HEALTH, true)) as { lastRun: { output: string } };
    expect([first.lastRun.output, second.lastRun.output]).toEqual(['result 1', 'result 2']);
    expect((await h.scheduler.getJob('job'))?.lastRun?.output).toBe('result 2');
    await h.scheduler.shutdown();
  });

  it('lists a page as getJobs does, in the admin or the monitor view', async () => {
    const h = harness();
    const cache = new JobListCache(h.scheduler);
    await h.scheduler.addIntervalJob(() => undefined, 60, 'b', { args: { token: 'secret-value' } });
    await h.scheduler.addIntervalJob(() => undefined, 30, 'a');
    await h.scheduler.addIntervalJob(() => undefined, 90, 'c');
    const query = { sort: 'id', limit: 2 } as const;
    const expected = await h.scheduler.getJobs(query);
    const admin = JSON.parse(await cache.list(query, true)) as { items: unknown[]; nextCursor: string | null };
    expect(admin).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(admin.nextCursor).not.toBeNull();
    const monitor = JSON.parse(await cache.list(query, false)) as { items: { id: string; args?: unknown }[] };
    expect(monitor.items.map((j) => [j.id, j.args])).toEqual([
      ['a', undefined],
      ['b', undefined],
    ]);
    // A change to a job is seen at once (the entry remembers what it was built from).
    await h.scheduler.modifyJob('a', { name: 'renamed' });
    expect((JSON.parse(await cache.list(query, true)) as { items: { name: string }[] }).items[0]?.name).toBe('renamed');
  });
});
