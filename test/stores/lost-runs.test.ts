/**
 * Lost runs are decided by the scheduler, the same for every store: a store reports a run it marked lost
 * through `StoreContext.onLostRun` (SQLite at open for runs of a process that died, PostgreSQL when a node
 * stops heartbeating); it is reported (`job_lost`) and retried only when the job opts in with `retryLost`
 * and has retries left. A lost run may have done its work, so `retries` alone do not re-run it.
 */
import { describe, expect, it } from 'vitest';
import { SystemClock } from '../../src/core/clock.js';
import type { RunRecord } from '../../src/core/run.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { MemoryJobStore } from '../../src/stores/memory.js';
import type { StoreContext } from '../../src/stores/store.js';
import { captureLogger } from '../helpers.js';

/** A memory store that keeps its context, so the test can report a lost run as a shared store would. */
class ReportingStore extends MemoryJobStore {
  context: StoreContext | null = null;

  override open(context?: StoreContext): void {
    super.open(context);
    this.context = context ?? null;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function lostRun(jobId: string, scheduledAt: number, attempt = 1): RunRecord {
  return {
    jobId,
    scheduledAt,
    attempt,
    startedAt: scheduledAt,
    finishedAt: scheduledAt + 10,
    outcome: 'lost',
    latenessMs: 0,
    durationMs: 10,
    error: { code: 'LOST', message: 'the node running it stopped' },
  };
}

async function setup(): Promise<{ scheduler: SchedulerService; store: ReportingStore; attempts: { jobId: string; attempt: number }[]; lost: unknown[] }> {
  const store = new ReportingStore();
  const scheduler = new SchedulerService({ store, logger: captureLogger('warn'), clock: new SystemClock(), timezone: 'UTC' });
  const attempts: { jobId: string; attempt: number }[] = [];
  scheduler.registerTask('work', (ctx) => void attempts.push({ jobId: ctx.jobId, attempt: ctx.attempt }));
  const lost: unknown[] = [];
  scheduler.on('job_lost', (event) => void lost.push(event));
  await scheduler.start();
  return { scheduler, store, attempts, lost };
}

describe('lost runs: the scheduler decides, by retryLost', () => {
  // docs/semantics.md#lost-runs
  it('reports a lost run and does not run it again by default, even with retries', async () => {
    const { scheduler, store, attempts, lost } = await setup();
    try {
      await scheduler.addIntervalJob('work', 3600, 'plain', { retries: { max: 2, backoffSeconds: 0.01 } });
      store.context?.onLostRun(lostRun('plain', Date.now() - 1000));
      await sleep(200);
      expect(lost).toHaveLength(1);
      expect(attempts).toEqual([]);
      expect((await scheduler.getJob('plain'))?.retryLost).toBe(false);
    } finally {
      await scheduler.shutdown({ wait: false });
    }
  });

  it('retries a lost run with attempt + 1 when the job says retryLost and has retries; once for several lost runs of one job', async () => {
    const { scheduler, store, attempts } = await setup();
    try {
      await scheduler.addIntervalJob('work', 3600, 'opted', { retries: { max: 2, backoffSeconds: 0.01 }, retryLost: true });
      await scheduler.addIntervalJob('work', 3600, 'no-retries', { retryLost: true });
      const at = Date.now() - 1000;
      store.context?.onLostRun(lostRun('opted', at - 1000));
      store.context?.onLostRun(lostRun('opted', at));
      store.context?.onLostRun(lostRun('no-retries', at));
      await sleep(300);
      expect(attempts).toEqual([{ jobId: 'opted', attempt: 2 }]);
      expect((await scheduler.getJob('opted'))?.retryLost).toBe(true);
    } finally {
      await scheduler.shutdown({ wait: false });
    }
  });

  it('validates retryLost as a boolean', async () => {
    const { scheduler } = await setup();
    try {
      await expect(scheduler.addIntervalJob('work', 60, 'bad', { retryLost: 'yes' as unknown as boolean })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/retryLost/),
      });
    } finally {
      await scheduler.shutdown({ wait: false });
    }
  });
});
