/**
 * addXxxJob and removeJob take a synchronous path when the store is open and synchronous, and an async
 * one otherwise (store still opening, replaceExisting). Both must behave alike: promises that reject
 * (never a synchronous throw), and nothing acquired when an add fails.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConflictingIdError, InvalidArgumentError, InvalidTriggerError, JobNotFoundError } from '../../src/core/errors.js';
import { harness, type Harness } from '../helpers.js';

let h: Harness;

afterEach(async () => {
  if (h?.scheduler.isRunning) await h.scheduler.shutdown({ wait: false });
});

/** Distinct cron expressions the scheduler holds (a failed add must not keep one). */
function cronPatterns(hh: Harness): number {
  return (hh.scheduler as unknown as { cron: { size: number } }).cron.size;
}

const noop = (): void => undefined;

describe('add and remove paths', () => {
  it('return rejected promises for bad input instead of throwing, on either path', async () => {
    h = harness();
    for (const started of [false, true]) {
      if (started) await h.scheduler.start();
      const calls: [() => Promise<unknown>, new (...args: never[]) => Error][] = [
        [() => h.scheduler.addIntervalJob(noop, -1, 'a'), InvalidTriggerError],
        [() => h.scheduler.addIntervalJob(noop, 1, 'bad id'), InvalidArgumentError],
        [() => h.scheduler.addCronJob(noop, '61 * * * *', 'a'), InvalidTriggerError],
        [() => h.scheduler.addCronJob(noop, '* * * * *', 'a', { maxInstances: 0 }), InvalidArgumentError],
        [() => h.scheduler.addIntervalJob(noop, 1, 'a', { nope: 1 } as never), InvalidArgumentError],
        [() => h.scheduler.removeJob('bad id'), InvalidArgumentError],
        [() => h.scheduler.removeJob('missing'), JobNotFoundError],
      ];
      for (const [call, type] of calls) {
        let promise: Promise<unknown> | undefined;
        expect(() => {
          promise = call();
        }).not.toThrow();
        await expect(promise).rejects.toBeInstanceOf(type);
      }
    }
    expect((await h.scheduler.getJobs()).items).toEqual([]);
  });

  it("a conflicting id rejects and releases the new job's cron pattern; the first job is untouched", async () => {
    h = harness();
    await h.scheduler.start();
    await h.scheduler.addCronJob(noop, '5 4 * * *', 'a');
    expect(cronPatterns(h)).toBe(1);
    await expect(h.scheduler.addCronJob(noop, '7 7 * * *', 'a')).rejects.toBeInstanceOf(ConflictingIdError);
    expect(cronPatterns(h)).toBe(1);
    expect((await h.scheduler.getJob('a'))?.trigger).toMatchObject({ expression: '5 4 * * *' });
  });

  it('adds before start (the store opens first) and replaces on request; removal frees the pattern', async () => {
    h = harness();
    const first = await h.scheduler.addCronJob(noop, '5 4 * * *', 'a');
    expect(first.trigger).toEqual({ type: 'cron', expression: '5 4 * * *', timezone: 'UTC', description: expect.any(String) });
    const replaced = await h.scheduler.addCronJob(noop, '7 7 * * *', 'a', { replaceExisting: true });
    expect(replaced.trigger).toMatchObject({ expression: '7 7 * * *' });
    expect(cronPatterns(h)).toBe(1);
    await h.scheduler.start();
    expect(h.named('job_added')).toHaveLength(2);
    await h.scheduler.removeJob('a');
    expect(h.named('job_removed')).toEqual([{ jobId: 'a' }]);
    expect(cronPatterns(h)).toBe(0);
    expect(await h.scheduler.getJob('a')).toBeUndefined();
  });

  it('cron jobs on one expression and zone share one trigger; each job keeps its own reference to the pattern', async () => {
    h = harness();
    await h.scheduler.start();
    const fired: string[] = [];
    for (const id of ['a', 'b', 'c']) await h.scheduler.addCronJob((ctx) => void fired.push(ctx.jobId), '* * * * *', id);
    await h.scheduler.addJob({ id: 'bounded', func: noop, trigger: { type: 'cron', expression: '* * * * *', startDate: new Date(h.clock.now() + 3_600_000) } });
    await h.scheduler.addCronJob(noop, '* * * * *', 'berlin', { timezone: 'Europe/Berlin' });
    const store = (h.scheduler as unknown as { store: { get(id: string): { trigger: object } | undefined } }).store;
    const trigger = (id: string): object | undefined => store.get(id)?.trigger;
    expect(trigger('a')).toBe(trigger('b'));
    expect(trigger('a')).toBe(trigger('c'));
    expect(trigger('bounded')).not.toBe(trigger('a'));
    expect(trigger('berlin')).not.toBe(trigger('a'));
    await h.scheduler.removeJob('a');
    await h.scheduler.removeJob('bounded');
    await h.scheduler.removeJob('berlin');
    expect(cronPatterns(h)).toBe(1);
    await h.clock.advance(60_000);
    expect([...new Set(fired)].sort()).toEqual(['b', 'c']);
    await h.scheduler.removeJob('b');
    await h.scheduler.removeJob('c');
    expect(cronPatterns(h)).toBe(0);
  });

  it('interval jobs added in the same millisecond with the same period share one trigger, and each fires', async () => {
    h = harness();
    await h.scheduler.start();
    const fired: string[] = [];
    for (const id of ['a', 'b']) await h.scheduler.addIntervalJob((ctx) => void fired.push(ctx.jobId), 10, id);
    await h.scheduler.addIntervalJob((ctx) => void fired.push(ctx.jobId), 20, 'slow');
    await h.clock.advance(1);
    await h.scheduler.addIntervalJob((ctx) => void fired.push(ctx.jobId), 10, 'later');
    const store = (h.scheduler as unknown as { store: { get(id: string): { trigger: object } | undefined } }).store;
    const trigger = (id: string): object | undefined => store.get(id)?.trigger;
    expect(trigger('a')).toBe(trigger('b'));
    expect(trigger('slow')).not.toBe(trigger('a'));
    expect(trigger('later')).not.toBe(trigger('a'));
    await h.clock.advance(19_999);
    expect(fired.sort()).toEqual(['a', 'a', 'b', 'b', 'later', 'slow']);
    expect((await h.scheduler.getJob('later'))?.trigger).toMatchObject({ startDate: new Date(h.clock.now() - 20_000 + 10_001).toISOString() });
  });

  // docs/semantics.md#end-dates
  it('a job let go twice (its end reached while removeJob runs) gives its pattern back once', async () => {
    h = harness();
    await h.scheduler.start();
    const start = h.clock.now();
    // x fires for the last time at 00:01 (its end is 00:01:30); y, a date job at 00:01, removes x from a
    // listener while x's own removal as a finished job is under way.
    await h.scheduler.addJob({ id: 'x', func: noop, trigger: { type: 'cron', expression: '* * * * *', endDate: new Date(start + 90_000) } });
    await h.scheduler.addCronJob(noop, '* * * * *', 'z');
    await h.scheduler.addJob({ id: 'y', func: noop, trigger: { type: 'date', runAt: new Date(start + 60_000) } });
    const removals: Promise<unknown>[] = [];
    h.scheduler.on('job_executed', (e) => {
      if (e.jobId === 'y') removals.push(h.scheduler.removeJob('x').catch(() => undefined));
    });
    await h.clock.advance(60_000);
    await Promise.all(removals);
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(cronPatterns(h)).toBe(1); // z still holds it
    // One removal, one event: the finished-job path sees that removeJob took the job first.
    expect(h.named('job_removed').filter((e) => e.jobId === 'x')).toHaveLength(1);
    await h.scheduler.removeJob('z');
    expect(cronPatterns(h)).toBe(0);
  });

  it('a job re-added under the id of a finishing job is left alone: the finished one is not removed again', async () => {
    h = harness();
    await h.scheduler.start();
    const start = h.clock.now();
    // x's last fire is at 00:01; in the same turn a listener removes x and adds a new job under its id,
    // before the removal of x as a finished job runs.
    await h.scheduler.addJob({ id: 'x', func: noop, trigger: { type: 'cron', expression: '* * * * *', endDate: new Date(start + 90_000) } });
    await h.scheduler.addJob({ id: 'y', func: noop, trigger: { type: 'date', runAt: new Date(start + 60_000) } });
    const calls: Promise<unknown>[] = [];
    h.scheduler.on('job_executed', (e) => {
      if (e.jobId !== 'y') return;
      calls.push(h.scheduler.removeJob('x'), h.scheduler.addCronJob(noop, '*/5 * * * *', 'x'));
    });
    await h.clock.advance(60_000);
    await Promise.all(calls);
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect((await h.scheduler.getJobs()).items.map((j) => j.id)).toEqual(['x']);
    expect((await h.scheduler.getJob('x'))?.trigger).toMatchObject({ expression: '*/5 * * * *' });
    expect(h.named('job_removed').filter((e) => e.jobId === 'x')).toHaveLength(1);
    expect(cronPatterns(h)).toBe(1); // the new x's; the old x's is released
  });

  it('validates options in the documented order and keeps description last in trigger JSON', async () => {
    h = harness();
    await h.scheduler.start();
    await expect(h.scheduler.addIntervalJob('noSuchTask', 5, 'a', { replaceExisting: 'yes' } as never)).rejects.toMatchObject({ code: 'TASK_NOT_REGISTERED' });
    await expect(h.scheduler.addIntervalJob(noop, 5, 'a', { maxInstances: -1, replaceExisting: 1 } as never)).rejects.toThrow(/options.maxInstances/);
    await expect(h.scheduler.addIntervalJob(noop, 5, 'a', { replaceExisting: 1 } as never)).rejects.toThrow(/options.replaceExisting/);
    const end = new Date(h.clock.now() + 3_600_000);
    const cron = await h.scheduler.addJob({ id: 'c', func: noop, trigger: { type: 'cron', expression: '* * * * *', endDate: end } });
    const every = await h.scheduler.addJob({ id: 'i', func: noop, trigger: { type: 'interval', seconds: 60, endDate: end } });
    expect(Object.keys(cron.trigger).at(-1)).toBe('description');
    expect(Object.keys(every.trigger).at(-1)).toBe('description');
    expect(Object.keys(cron.trigger)).toEqual(['type', 'expression', 'timezone', 'endDate', 'description']);
  });

  it('rejects, never throws, when the logger fails on job_added; the job is in', async () => {
    h = harness();
    await h.scheduler.start();
    const info = h.logger.info;
    h.logger.info = () => {
      throw new Error('log sink down');
    };
    let promise: Promise<unknown> | undefined;
    expect(() => {
      promise = h.scheduler.addIntervalJob(noop, 5, 'a');
    }).not.toThrow();
    await expect(promise).rejects.toThrow('log sink down');
    h.logger.info = info;
    expect((await h.scheduler.getJob('a'))?.id).toBe('a');
  });
});
