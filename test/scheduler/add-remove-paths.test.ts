/**
 * addXxxJob and removeJob take a synchronous path when the store is open and synchronous, and an async
 * one otherwise (store still opening, replaceExisting). Both must behave alike: promises that reject
 * (never a synchronous throw), and nothing acquired when an add fails.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConflictingIdError, InvalidArgumentError, InvalidTriggerError, JobNotFoundError } from '../../src/scheduler/errors.js';
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
        expect(() => { promise = call(); }).not.toThrow();
        await expect(promise).rejects.toBeInstanceOf(type);
      }
    }
    expect(await h.scheduler.getJobs()).toEqual([]);
  });

  it('a conflicting id rejects and releases the new job\'s cron pattern; the first job is untouched', async () => {
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
});
