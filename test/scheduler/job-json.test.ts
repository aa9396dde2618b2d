import { describe, expect, it } from 'vitest';
import { jobInfoJson } from '../../src/scheduler/job-json.js';
import { MemoryJobStore } from '../../src/stores/memory.js';
import type { JobRecord } from '../../src/core/job.js';
import { harness } from '../helpers.js';

describe('cached job JSON', () => {
  it('is rebuilt after a second run in the same millisecond (the run record object is reused)', async () => {
    const store = new MemoryJobStore();
    const h = harness({ store });
    await h.scheduler.start();
    let n = 0;
    await h.scheduler.addIntervalJob(() => `result ${++n}`, 3600, 'job');
    await h.scheduler.runJobNow('job');
    const first = JSON.parse(jobInfoJson(store.get('job') as JobRecord, true)) as { lastRun: { output: string } };
    await h.scheduler.runJobNow('job'); // the manual clock has not moved: same scheduledAt and times
    const second = JSON.parse(jobInfoJson(store.get('job') as JobRecord, true)) as { lastRun: { output: string } };
    expect([first.lastRun.output, second.lastRun.output]).toEqual(['result 1', 'result 2']);
    expect((await h.scheduler.getJob('job'))?.lastRun?.output).toBe('result 2');
    await h.scheduler.shutdown();
  });
});
