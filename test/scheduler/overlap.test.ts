/**
 * Overlap policies (docs/semantics.md#overlap), on the manual clock and the memory and SQLite stores: what
 * a fire does when maxInstances runs of its job are going. `skip` records it skipped; `queue` keeps one
 * waiting fire (JobInfo.waitingFire), starts it when the slot frees (missed if that is past the grace) and
 * skips a second; `replace` aborts the oldest run's signal, records it cancelled (REPLACED) and starts
 * the fire. A waiting fire is dropped, recorded, when its job is paused or removed and at shutdown.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { JobContext } from '../../src/core/job.js';
import type { Run } from '../../src/core/run.js';
import { overlapDecision } from '../../src/scheduler/policies.js';
import { SqliteJobStore } from '../../src/stores/sqlite/store.js';
import { harness, REFERENCE, sleepOn, type Harness } from '../helpers.js';

let h: Harness;

afterEach(async () => {
  if (h?.scheduler.isRunning) await h.scheduler.shutdown({ wait: false });
});

const at = (seconds: number): Date => new Date(REFERENCE + seconds * 1000);

describe('overlapDecision', () => {
  it('starts with a free slot, else skips, waits (one) or replaces by the policy', () => {
    expect(overlapDecision(0, 1, 'skip', false)).toBe('start');
    expect(overlapDecision(1, 2, 'replace', false)).toBe('start');
    expect(overlapDecision(1, 1, 'skip', false)).toBe('skip');
    expect(overlapDecision(1, 1, 'queue', false)).toBe('wait');
    expect(overlapDecision(1, 1, 'queue', true)).toBe('skip');
    expect(overlapDecision(2, 2, 'replace', false)).toBe('replace');
    // A policy stored before the option existed: skip, as then.
    expect(overlapDecision(1, 1, undefined, false)).toBe('skip');
  });
});

const stores: [string, () => SqliteJobStore | undefined][] = [
  ['memory', () => undefined],
  ['sqlite', () => new SqliteJobStore({ path: ':memory:' })],
];

// docs/semantics.md#overlap
describe.each(stores)('overlap policies (%s store)', (_name, store) => {
  const make = (): Harness => {
    const s = store();
    return harness(s === undefined ? {} : { store: s });
  };
  /** The runs of `id`, oldest fire first. */
  const runs = async (id: string): Promise<Run[]> =>
    (await h.scheduler.getRuns(id, { limit: 100 })).sort((a, b) => a.scheduledAt.getTime() - b.scheduledAt.getTime() || a.attempt - b.attempt);
  const summary = async (id: string): Promise<[number, string, number | null][]> =>
    (await runs(id)).map((run) => [(run.scheduledAt.getTime() - REFERENCE) / 1000, run.outcome, run.latenessMs]);
  /** A job every 10 s whose runs take `seconds` on the manual clock (aborted with their signal). */
  const slow = async (id: string, seconds: number, options: Record<string, unknown> = {}, onRun?: (ctx: JobContext) => void): Promise<void> => {
    h.scheduler.registerTask(id, (ctx: JobContext) => {
      onRun?.(ctx);
      return sleepOn(h.clock, seconds * 1000, ctx.signal);
    });
    await h.scheduler.addJob({ id, task: id, trigger: { type: 'interval', seconds: 10 }, ...options });
  };

  it('skip (the default): a fire while the run goes is recorded skipped', async () => {
    h = make();
    await h.scheduler.start();
    await slow('j', 15);
    expect(await h.scheduler.getJob('j')).toMatchObject({ overlap: 'skip', waitingFire: null });
    await h.clock.advance(30_000);
    expect(await summary('j')).toEqual([
      [10, 'succeeded', 0],
      [20, 'skipped', 0],
      [30, 'running', 0],
    ]);
  });

  it('queue: the fire waits, shown in JobInfo, and starts when the slot frees, with its real lateness', async () => {
    h = make();
    await h.scheduler.start();
    await slow('j', 15, { overlap: 'queue' });
    await h.clock.advance(20_000);
    const waiting = await h.scheduler.getJob('j');
    expect(waiting).toMatchObject({ overlap: 'queue', runningInstances: 1, waitingFire: { scheduledAt: at(20) } });
    // The run of 10 ends at 25: the fire of 20 starts then, 5 s late (within the 60 s grace).
    await h.clock.advance(5_000);
    expect(await h.scheduler.getJob('j')).toMatchObject({ waitingFire: null, runningInstances: 1 });
    expect(await summary('j')).toEqual([
      [10, 'succeeded', 0],
      [20, 'running', 5000],
    ]);
    // It runs till 40: the fire of 30 waits, and starts at 40, 10 s late; the fire of 40 waits behind it.
    await h.clock.advance(15_000);
    expect(await summary('j')).toEqual([
      [10, 'succeeded', 0],
      [20, 'succeeded', 5000],
      [30, 'running', 10000],
    ]);
    expect((await h.scheduler.getJob('j'))?.waitingFire).toEqual({ scheduledAt: at(40) });
    expect(h.named('job_max_instances')).toEqual([]);
  });

  it('queue keeps one: a second fire while one waits is skipped, saying that one waits', async () => {
    h = make();
    await h.scheduler.start();
    await slow('j', 35, { overlap: 'queue' });
    await h.clock.advance(40_000);
    expect(await summary('j')).toEqual([
      [10, 'running', 0],
      [30, 'skipped', 0],
      [40, 'skipped', 0],
    ]);
    const skipped = (await runs('j')).find((run) => run.outcome === 'skipped');
    expect(skipped?.error).toMatchObject({ code: 'MAX_INSTANCES_REACHED' });
    expect(skipped?.error?.message).toContain(`a fire of ${at(20).toISOString()} already waits for a free instance`);
    expect((await h.scheduler.getJob('j'))?.waitingFire).toEqual({ scheduledAt: at(20) });
    // The run of 10 ends at 45: the fire of 20 starts, 25 s late.
    await h.clock.advance(5_000);
    expect((await summary('j')).slice(0, 2)).toEqual([
      [10, 'succeeded', 0],
      [20, 'running', 25000],
    ]);
  });

  it('queue: a coalesced backlog that finds the slot taken waits as one fire standing for all of them', async () => {
    h = make();
    await h.scheduler.start();
    await slow('j', 40, { overlap: 'queue' });
    await h.clock.advance(15_000); // the run of 10 goes till 50
    await h.scheduler.pause();
    await h.clock.advance(30_000);
    await h.scheduler.resume(); // at 45: the fires of 20, 30 and 40 are due at once, coalesced into 40
    await h.clock.advance(0);
    expect((await h.scheduler.getJob('j'))?.waitingFire).toEqual({ scheduledAt: at(40) });
    await h.clock.advance(5_000);
    expect(await summary('j')).toEqual([
      [10, 'succeeded', 0],
      [40, 'running', 10000],
    ]);
    expect((await runs('j'))[1]?.coalesced).toBe(3);
  });

  it('queue: a fire that waited past the misfire grace is recorded missed when its slot frees', async () => {
    h = make();
    await h.scheduler.start();
    await slow('j', 15, { overlap: 'queue', misfireGraceTime: 3 });
    await h.clock.advance(25_000);
    expect(await summary('j')).toEqual([
      [10, 'succeeded', 0],
      [20, 'missed', 5000],
    ]);
    expect(h.named('job_missed')).toMatchObject([{ jobId: 'j', scheduledAt: at(20).toISOString(), latenessMs: 5000 }]);
    // The slot is free again: the fire of 30 runs on time.
    await h.clock.advance(5_000);
    expect((await summary('j'))[2]).toEqual([30, 'running', 0]);
  });

  it('queue: pausing or removing the job drops its waiting fire, recorded cancelled', async () => {
    h = make();
    await h.scheduler.start();
    await slow('j', 15, { overlap: 'queue' });
    await h.clock.advance(20_000);
    const paused = await h.scheduler.pauseJob('j');
    expect(paused.waitingFire).toBeNull();
    const dropped = (await runs('j')).find((run) => run.outcome === 'cancelled');
    expect(dropped).toMatchObject({ scheduledAt: at(20), startedAt: null, error: { code: 'CANCELLED' } });
    expect(dropped?.error?.message).toContain('the job was paused while the fire waited for a free instance');
    // The slot frees at 25: nothing starts.
    await h.clock.advance(10_000);
    expect((await summary('j')).map(([t, o]) => [t, o])).toEqual([
      [10, 'succeeded'],
      [20, 'cancelled'],
    ]);
    await h.scheduler.resumeJob('j');
    await slow('k', 15, { overlap: 'queue' });
    await h.clock.advance(20_000);
    expect((await h.scheduler.getJob('k'))?.waitingFire).not.toBeNull();
    const cancelled = h.named('job_cancelled').length;
    await h.scheduler.removeJob('k');
    expect(h.named('job_cancelled').slice(cancelled)).toMatchObject([{ jobId: 'k', error: { code: 'CANCELLED' } }]);
  });

  it('queue: changing the policy away from queue drops the waiting fire, recorded', async () => {
    h = make();
    await h.scheduler.start();
    await slow('j', 15, { overlap: 'queue' });
    await h.clock.advance(20_000);
    const changed = await h.scheduler.updateJob('j', { overlap: 'skip' });
    expect(changed).toMatchObject({ overlap: 'skip', waitingFire: null });
    expect((await runs('j')).find((run) => run.outcome === 'cancelled')?.error?.message).toContain("overlap policy became 'skip'");
  });

  it('queue: a slot that frees while the scheduler is paused starts the waiting fire at resume, judged by its lateness', async () => {
    h = make();
    await h.scheduler.start();
    await slow('j', 15, { overlap: 'queue', misfireGraceTime: 30 });
    await h.clock.advance(20_000);
    await h.scheduler.pause();
    await h.clock.advance(10_000); // the run of 10 ends at 25, while paused
    expect((await h.scheduler.getJob('j'))?.waitingFire).toEqual({ scheduledAt: at(20) });
    await h.scheduler.resume();
    expect((await summary('j')).slice(0, 2)).toEqual([
      [10, 'succeeded', 0],
      [20, 'running', 10000],
    ]);
  });

  it('queue: shutdown drops the waiting fire, recorded cancelled', async () => {
    h = make();
    await h.scheduler.start();
    await slow('j', 15, { overlap: 'queue' });
    await h.clock.advance(20_000);
    await h.scheduler.shutdown({ wait: false });
    expect(h.named('job_cancelled')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ jobId: 'j', scheduledAt: at(20).toISOString(), error: expect.objectContaining({ code: 'CANCELLED' }) }),
      ]),
    );
  });

  it('replace: the oldest run is aborted and recorded cancelled (REPLACED, naming the fire), and the new fire starts', async () => {
    h = make();
    await h.scheduler.start();
    const signals: AbortSignal[] = [];
    await slow('j', 100, { overlap: 'replace' }, (ctx) => signals.push(ctx.signal));
    await h.clock.advance(10_000);
    expect(signals).toHaveLength(1);
    await h.clock.advance(10_000);
    expect(signals).toHaveLength(2);
    expect(signals[0]?.aborted).toBe(true);
    expect(signals[1]?.aborted).toBe(false);
    const [first, second] = await runs('j');
    expect(first).toMatchObject({ scheduledAt: at(10), outcome: 'cancelled', error: { code: 'REPLACED' } });
    expect(first?.error?.message).toContain(`replaced by its fire of ${at(20).toISOString()}`);
    expect(second).toMatchObject({ scheduledAt: at(20), outcome: 'running' });
    expect(await h.scheduler.getJob('j')).toMatchObject({ overlap: 'replace', runningInstances: 1 });
    expect(h.named('job_cancelled')).toMatchObject([{ jobId: 'j', error: { code: 'REPLACED' } }]);
  });

  it('replace with maxInstances 2: the oldest of the two goes; a run that ignores its signal no longer holds a slot', async () => {
    h = make();
    await h.scheduler.start();
    // Ignores its signal: settles only after 100 s whatever happens.
    h.scheduler.registerTask('j', () => sleepOn(h.clock, 100_000));
    await h.scheduler.addJob({ id: 'j', task: 'j', trigger: { type: 'interval', seconds: 10 }, overlap: 'replace', maxInstances: 2 });
    await h.clock.advance(30_000);
    expect((await summary('j')).map(([t, o]) => [t, o])).toEqual([
      [10, 'cancelled'],
      [20, 'running'],
      [30, 'running'],
    ]);
    expect((await h.scheduler.getJob('j'))?.runningInstances).toBe(2);
    // The replaced run settles at 110 s: its record stays cancelled.
    await h.clock.advance(80_000);
    expect((await runs('j'))[0]).toMatchObject({ scheduledAt: at(10), outcome: 'cancelled', error: { code: 'REPLACED' } });
  });

  it('refuses an unknown overlap, naming the allowed values, on add and on change', async () => {
    h = make();
    await h.scheduler.start();
    h.scheduler.registerTask('t', () => undefined);
    const add = h.scheduler.addJob({ id: 'j', task: 't', trigger: { type: 'interval', seconds: 10 }, overlap: 'buffer' as never });
    await expect(add).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: [{ path: 'options.overlap' }] });
    await expect(add).rejects.toThrow(/must be one of 'skip', 'queue', 'replace'.*got "buffer"/);
    await h.scheduler.addJob({ id: 'j', task: 't', trigger: { type: 'interval', seconds: 10 } });
    await expect(h.scheduler.updateJob('j', { overlap: 3 as never })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: [{ path: 'changes.overlap' }],
    });
    expect((await h.scheduler.getJob('j'))?.overlap).toBe('skip');
  });
});
