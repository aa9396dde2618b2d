/**
 * A change the store refuses is not applied: pauseJob, resumeJob and updateJob reject with the store's
 * error, and the job keeps what the store holds (its definition, trigger and place in the schedule), as
 * it would after a restart. Before, the change stayed in memory and vanished at the next restart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/core/errors.js';
import type { JobRecord } from '../../src/core/job.js';
import { MemoryJobStore } from '../../src/stores/memory.js';
import { harness, type Harness } from '../helpers.js';

/** A memory store whose next `refusals` updates fail, as a database that went away would. */
class RefusingStore extends MemoryJobStore {
  refusals = 0;
  override update(job: JobRecord): void {
    if (this.refusals > 0) {
      this.refusals--;
      super.update(job); // the store's index saw the change before the write failed, as SQLite's does
      throw new StoreUnavailableError('updating job', new Error('connection lost'));
    }
    super.update(job);
  }
}

let h: Harness | undefined;
afterEach(async () => {
  if (h?.scheduler.isRunning) await h.scheduler.shutdown({ wait: false });
});

describe('a change the store refuses', () => {
  it('is undone: pause, update of trigger, name and args, resume; the job still fires on its old schedule', async () => {
    const store = new RefusingStore();
    h = harness({ store });
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(() => undefined, 10, 'job', { name: 'old name', args: { n: 1 } });
    const original = await h.scheduler.getJob('job');

    store.refusals = 1;
    await expect(h.scheduler.pauseJob('job')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(await h.scheduler.getJob('job')).toEqual(original);

    store.refusals = 1;
    await expect(h.scheduler.updateJob('job', { name: 'new name', args: { n: 2 }, trigger: { type: 'interval', seconds: 3 } })).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
    });
    expect(await h.scheduler.getJob('job')).toEqual(original);

    // It fires at its old times: at 10 s, not at 3 s or 6 s.
    await h.clock.advance(9_999);
    expect(h.named('job_executed')).toHaveLength(0);
    await h.clock.advance(1);
    expect(h.named('job_executed')).toHaveLength(1);

    // The same change goes through once the store takes it.
    const changed = await h.scheduler.updateJob('job', { name: 'new name', trigger: { type: 'interval', seconds: 3 } });
    expect(changed.name).toBe('new name');
    expect(changed.trigger.type === 'interval' && changed.trigger.seconds).toBe(3);
  });

  it('resume is undone too: a paused job stays paused', async () => {
    const store = new RefusingStore();
    h = harness({ store });
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(() => undefined, 10, 'job');
    await h.scheduler.pauseJob('job');
    store.refusals = 1;
    await expect(h.scheduler.resumeJob('job')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    const job = await h.scheduler.getJob('job');
    expect(job?.paused).toBe(true);
    expect(job?.nextRunTime).toBeNull();
    await h.clock.advance(60_000);
    expect(h.named('job_executed')).toHaveLength(0);
  });

  it('gives back the trigger it acquired: shared cron patterns are counted as before the refused change', async () => {
    const store = new RefusingStore();
    h = harness({ store });
    await h.scheduler.start();
    const patterns = (): number => (h?.scheduler as unknown as { cron: { size: number } }).cron.size;
    await h.scheduler.addCronJob(() => undefined, '0 * * * *', 'a');
    await h.scheduler.addCronJob(() => undefined, '0 * * * *', 'b');
    expect(patterns()).toBe(1);
    for (const expression of ['0 * * * *', '5 * * * *']) {
      store.refusals = 1;
      await expect(h.scheduler.rescheduleJob('a', { type: 'cron', expression })).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      expect(patterns()).toBe(1);
    }
    await h.scheduler.rescheduleJob('a', { type: 'cron', expression: '5 * * * *' });
    expect(patterns()).toBe(2);
    await h.scheduler.removeJob('a');
    await h.scheduler.removeJob('b');
    expect(patterns()).toBe(0);
  });
});
