/**
 * Backfill that fills only the gaps (docs/semantics.md#backfill), on the manual clock, on the memory and
 * SQLite stores: only the fires whose recorded outcome is asked for are re-run (missed by default; lost
 * and failed only when asked; never one that succeeded or is running), a record standing for a stretch
 * is expanded into its fires, each re-run keeps its original scheduled time as the fire's next attempt
 * (`#n`), a dry run changes nothing, maxCatchUp bounds a backfill, a paused job is refused, bad input
 * names its field.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { idempotencyKey, type RunRecord } from '../../src/core/run.js';
import type { JobContext } from '../../src/core/job.js';
import { MemoryJobStore } from '../../src/stores/memory.js';
import { SqliteJobStore } from '../../src/stores/sqlite/store.js';
import type { JobStore } from '../../src/stores/store.js';
import { harness, REFERENCE, type Harness } from '../helpers.js';

let h: Harness;

afterEach(async () => {
  if (h?.scheduler.isRunning) await h.scheduler.shutdown({ wait: false });
});

const at = (seconds: number): Date => new Date(REFERENCE + seconds * 1000);
const iso = (seconds: number): string => at(seconds).toISOString();
const sec = (date: Date): number => (date.getTime() - REFERENCE) / 1000;

const stores: [string, () => JobStore][] = [
  ['memory', () => new MemoryJobStore()],
  ['sqlite', () => new SqliteJobStore({ path: ':memory:' })],
];

describe.each(stores)('backfill (%s store)', (_name, makeStore) => {
  let store: JobStore;
  /** Every call of the job's function: [scheduled second, attempt]. */
  let calls: [number, number][];
  /** The Idempotency-Key the http task would send for each call (it is derived from the run's context). */
  let keys: string[];
  const make = (options: { maxCatchUp?: number } = {}): Harness => {
    store = makeStore();
    calls = [];
    keys = [];
    return harness({ ...options, store });
  };
  /** A job every 10 s with a 1 s misfire grace, not coalescing; `fail(second)` says which fires throw. */
  const every10 = async (id: string, fail: (second: number) => boolean = () => false, options: Record<string, unknown> = {}): Promise<void> => {
    h.scheduler.registerTask(id, (ctx: JobContext) => {
      const second = sec(ctx.scheduledAt);
      calls.push([second, ctx.attempt]);
      keys.push(idempotencyKey(ctx.jobId, ctx.scheduledAtMs));
      if (fail(second) && ctx.attempt === 1) throw new Error(`fire ${second} fails`);
    });
    await h.scheduler.addJob({ id, task: id, trigger: { type: 'interval', seconds: 10 }, misfireGraceTime: 1, coalesce: false, ...options });
  };
  const outcomes = async (id: string): Promise<string[]> =>
    (await h.scheduler.getRuns(id, { limit: 200 }))
      .map((run) => `${sec(run.scheduledAt)}#${run.attempt}:${run.outcome}`)
      .sort((a, b) => parseFloat(a) - parseFloat(b) || a.localeCompare(b));
  /** Writes a record into the job's history, as a crashed process or another node would have left it. */
  const record = async (id: string, second: number, outcome: RunRecord['outcome'], more: Partial<RunRecord> = {}): Promise<void> => {
    const job = await store.get(id);
    if (job === undefined) throw new Error(`no job ${id}`);
    store.recordRun(
      {
        jobId: id,
        scheduledAt: REFERENCE + second * 1000,
        attempt: 1,
        startedAt: null,
        finishedAt: null,
        outcome,
        latenessMs: null,
        durationMs: null,
        error: null,
        ...more,
      },
      job,
    );
    await store.flush();
  };

  it('re-runs only the missed fires by default, under their original times as attempt 2; succeeded and failed ones are left alone', async () => {
    h = make();
    await h.scheduler.start();
    await every10('j', (s) => s === 50);
    await h.clock.advance(10_000); // 10: succeeded
    h.clock.stall(35_000); // blocked: 20, 30 and 40 are due at once, each past its 1 s grace
    await h.clock.advance(0);
    await h.clock.advance(5_000); // 50: failed
    expect(await outcomes('j')).toEqual(['10#1:succeeded', '20#1:missed', '30#1:missed', '40#1:missed', '50#1:failed']);
    calls = [];
    keys = [];

    const result = await h.scheduler.backfillJob('j', { from: iso(0), to: iso(55) });
    expect(result).toMatchObject({ jobId: 'j', dryRun: false, from: at(0), to: at(55), only: ['missed'], leftAlone: { succeeded: 1, failed: 1 } });
    expect(result.fires).toEqual([
      { scheduledAt: at(20), outcome: 'missed', attempt: 2, runId: `j@${iso(20)}#2` },
      { scheduledAt: at(30), outcome: 'missed', attempt: 2, runId: `j@${iso(30)}#2` },
      { scheduledAt: at(40), outcome: 'missed', attempt: 2, runId: `j@${iso(40)}#2` },
    ]);
    await h.clock.advance(0);
    // In order, oldest first, each under its original scheduled time; the originals stay in the history.
    expect(calls).toEqual([
      [20, 2],
      [30, 2],
      [40, 2],
    ]);
    // The original fire's Idempotency-Key: a receiver that processed it can drop the re-run.
    expect(keys).toEqual([`j@${iso(20)}`, `j@${iso(30)}`, `j@${iso(40)}`]);
    const runs = await h.scheduler.getRuns('j', { limit: 200 });
    expect(runs.filter((r) => r.attempt === 2).map((r) => r.id)).toEqual([`j@${iso(40)}#2`, `j@${iso(30)}#2`, `j@${iso(20)}#2`]);
    expect(await outcomes('j')).toContain('20#1:missed');
    // Provenance: what started each re-run, and who.
    for (const run of runs.filter((r) => r.attempt === 2)) expect(run).toMatchObject({ trigger: 'backfill', actor: { by: 'library' } });
    expect(runs.find((r) => r.attempt === 1 && r.outcome === 'missed')).toMatchObject({ trigger: 'schedule' });

    // Filled: a second backfill finds no gap; the failed fire is re-run only when asked.
    expect((await h.scheduler.backfillJob('j', { from: iso(0), to: iso(55) })).fires).toEqual([]);
    const failed = await h.scheduler.backfillJob('j', { from: iso(0), to: iso(55), only: ['failed'] });
    expect(failed.fires.map((f) => f.runId)).toEqual([`j@${iso(50)}#2`]);
    expect(failed.leftAlone).toEqual({ succeeded: 4 });
    await h.clock.advance(0);
    expect(calls.slice(3)).toEqual([[50, 2]]);
    expect(await outcomes('j')).toContain('50#2:succeeded');
  });

  it('re-runs a lost fire only when asked; never one with a successful attempt, nor one running now', async () => {
    h = make();
    await h.scheduler.start();
    await every10('j');
    await h.clock.advance(30_000); // 10, 20, 30 succeeded
    await record('j', 12, 'lost', { startedAt: REFERENCE + 12_000, node: 'gone' });
    // A fire whose first attempt was lost and whose retry succeeded: it did its work.
    await record('j', 14, 'lost');
    await record('j', 14, 'succeeded', { attempt: 2 });
    await record('j', 16, 'running', { startedAt: REFERENCE + 16_000 });
    expect((await h.scheduler.backfillJob('j', { from: iso(0), to: iso(30) })).fires).toEqual([]);
    const lost = await h.scheduler.backfillJob('j', { from: iso(0), to: iso(30), only: ['lost', 'missed'], dryRun: true });
    expect(lost.fires.map((f) => [sec(f.scheduledAt), f.outcome, f.attempt])).toEqual([[12, 'lost', 2]]);
    expect(lost.leftAlone).toEqual({ succeeded: 4, running: 1 });
  });

  it('expands a missed stretch into its fires, and bounds a backfill by maxCatchUp (nothing run, the error says where to cut)', async () => {
    h = make({ maxCatchUp: 2 });
    await h.scheduler.start();
    await every10('j');
    h.clock.stall(55_000); // 10..50 due at once: 10, 20, 30 beyond maxCatchUp (one record), 40 and 50 past their grace
    await h.clock.advance(0);
    const runs = await h.scheduler.getRuns('j', { limit: 200 });
    expect(runs.find((r) => r.error?.code === 'MAX_CATCH_UP')).toMatchObject({ scheduledAt: at(10), lastScheduledAt: at(30), coalesced: 3 });
    calls = [];

    const error = await h.scheduler.backfillJob('j', { from: iso(0), to: iso(55) }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BACKFILL_TOO_LARGE', status: 400, details: [{ path: 'to' }] });
    expect((error as Error).message).toContain(`with to at ${iso(20)} it holds the first 2`);
    await h.clock.advance(0);
    expect(calls).toEqual([]);

    // A range starting inside the stretch: the record (at 10) is before it and still stands for 20.
    const inside = await h.scheduler.backfillJob('j', { from: iso(15), to: iso(25), dryRun: true });
    expect(inside.fires).toEqual([{ scheduledAt: at(20), outcome: 'missed', attempt: 2, runId: `j@${iso(20)}#2` }]);

    await h.scheduler.backfillJob('j', { from: iso(0), to: iso(20) });
    await h.scheduler.backfillJob('j', { from: iso(21), to: iso(40) });
    await h.clock.advance(0);
    expect(calls).toEqual([
      [10, 2],
      [20, 2],
      [30, 2],
      [40, 2],
    ]);
    const rest = await h.scheduler.backfillJob('j', { from: iso(0), to: iso(55), dryRun: true });
    expect(rest.fires.map((f) => f.runId)).toEqual([`j@${iso(50)}#2`]);
  });

  it('expands a coalesced record into the fires it stood for: a missed coalesced run re-runs each, a coalesced run that succeeded none', async () => {
    h = make();
    await h.scheduler.start();
    await every10('j', () => false, { coalesce: true });
    h.clock.stall(35_000); // 10, 20, 30 due at once: one run at 30 standing for 3, past its grace
    await h.clock.advance(0);
    expect(await outcomes('j')).toEqual(['30#1:missed']);
    await h.clock.advance(5_000); // 40 on time
    h.clock.stall(25_000); // 50, 60 due at once: one run at 60 standing for 2, within no grace: missed too
    await h.clock.advance(0);
    const dry = await h.scheduler.backfillJob('j', { from: iso(15), to: iso(60), dryRun: true });
    expect(dry.fires.map((f) => `${sec(f.scheduledAt)}#${f.attempt}`)).toEqual(['20#2', '30#2', '50#2', '60#2']);
    expect(dry.leftAlone).toEqual({ succeeded: 1 });
    calls = [];
    await h.scheduler.backfillJob('j', { from: iso(0), to: iso(30) });
    await h.clock.advance(0);
    expect(calls).toEqual([
      [10, 2],
      [20, 2],
      [30, 2],
    ]);
    // Filled: the coalesced record's fires now have successful attempts of their own.
    expect((await h.scheduler.backfillJob('j', { from: iso(0), to: iso(30), dryRun: true })).fires).toEqual([]);
  });

  it('a dry run lists what would run and changes nothing: no run, no record, no audit entry', async () => {
    h = make();
    await h.scheduler.start();
    await every10('j');
    h.clock.stall(25_000);
    await h.clock.advance(0);
    calls = [];
    const before = await outcomes('j');
    const audit = (await h.scheduler.getAudit({ jobId: 'j' })).items.length;
    const dry = await h.scheduler.backfillJob('j', { from: iso(0), to: iso(25), dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, fires: [{ scheduledAt: at(10) }, { scheduledAt: at(20) }] });
    await h.clock.advance(0);
    expect(calls).toEqual([]);
    expect(await outcomes('j')).toEqual(before);
    expect((await h.scheduler.getAudit({ jobId: 'j' })).items.length).toBe(audit);

    // The real one: audited with the range, only and the count.
    await h.scheduler.backfillJob('j', { from: iso(0), to: iso(25) }, { actor: { role: 'admin', via: 'key', keyIndex: 0 } });
    const [entry] = (await h.scheduler.getAudit({ jobId: 'j' })).items;
    expect(entry).toMatchObject({
      action: 'job.backfilled',
      actor: { role: 'admin', via: 'key', keyIndex: 0 },
      before: null,
      after: { id: 'j', backfill: { from: iso(0), to: iso(25), only: ['missed'], fires: 2 } },
    });
  });

  it('a paused job is refused (JOB_PAUSED) and a dry run still answers; full slots are MAX_INSTANCES_REACHED, nothing started', async () => {
    h = make();
    await h.scheduler.start();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    h.scheduler.registerTask('slow', (ctx: JobContext) => {
      calls.push([sec(ctx.scheduledAt), ctx.attempt]);
      return sec(ctx.scheduledAt) === 10 && ctx.attempt === 1 ? held : undefined;
    });
    await h.scheduler.addJob({ id: 'slow', task: 'slow', trigger: { type: 'interval', seconds: 10 } });
    await h.clock.advance(30_000); // 10 runs and holds the slot; 20 and 30 are skipped
    expect(await outcomes('slow')).toEqual(['10#1:running', '20#1:skipped', '30#1:skipped']);
    const busy = h.scheduler.backfillJob('slow', { from: iso(0), to: iso(30), only: ['skipped'] });
    await expect(busy).rejects.toMatchObject({ code: 'MAX_INSTANCES_REACHED', status: 409 });
    release();
    await h.clock.advance(1_000);

    await h.scheduler.pauseJob('slow');
    await expect(h.scheduler.backfillJob('slow', { from: iso(0), to: iso(30), only: ['skipped'] })).rejects.toMatchObject({ code: 'JOB_PAUSED', status: 409 });
    const dry = await h.scheduler.backfillJob('slow', { from: iso(0), to: iso(30), only: ['skipped'], dryRun: true });
    expect(dry.fires.map((f) => f.runId)).toEqual([`slow@${iso(20)}#2`, `slow@${iso(30)}#2`]);
    await h.scheduler.resumeJob('slow');
    calls = [];
    await h.scheduler.backfillJob('slow', { from: iso(0), to: iso(30), only: ['skipped'] });
    await h.clock.advance(0);
    expect(calls).toEqual([
      [20, 2],
      [30, 2],
    ]);
  });

  it('two backfills of one range at once: the second finds the fires of the first running or pending, and runs none again', async () => {
    h = make();
    await h.scheduler.start();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let blocking = false;
    h.scheduler.registerTask('j', (ctx: JobContext) => {
      calls.push([sec(ctx.scheduledAt), ctx.attempt]);
      return blocking ? held : undefined;
    });
    await h.scheduler.addJob({ id: 'j', task: 'j', trigger: { type: 'interval', seconds: 10 }, misfireGraceTime: 1, coalesce: false });
    h.clock.stall(35_000); // 10, 20, 30 missed
    await h.clock.advance(0);
    calls = [];
    blocking = true;
    const [first, second] = await Promise.all([
      h.scheduler.backfillJob('j', { from: iso(0), to: iso(30) }),
      h.scheduler.backfillJob('j', { from: iso(0), to: iso(30), dryRun: true }),
    ]);
    expect(first.fires.map((f) => sec(f.scheduledAt))).toEqual([10, 20, 30]);
    // The first fire runs (recorded running), the two others wait in the first backfill's submission.
    expect(second.fires).toEqual([]);
    expect(second.leftAlone).toEqual({ running: 3 });
    blocking = false;
    release();
    await h.clock.advance(0);
    await h.clock.advance(0);
    expect(calls).toEqual([
      [10, 2],
      [20, 2],
      [30, 2],
    ]);
  });

  it('validates its options, naming the field', async () => {
    h = make();
    await h.scheduler.start();
    await every10('j');
    const bad = async (options: unknown, path: string): Promise<void> => {
      const error = await h.scheduler.backfillJob('j', options as never).catch((e: unknown) => e);
      expect(error, path).toMatchObject({ code: 'INVALID_ARGUMENT', status: 400, details: [{ path }] });
    };
    await bad(undefined, 'options');
    await bad({ to: iso(10) }, 'options.from');
    await bad({ from: 'yesterday', to: iso(10) }, 'options.from');
    await bad({ from: '2026-01-01T00:00:00', to: iso(10) }, 'options.from');
    await bad({ from: iso(10), to: iso(0) }, 'options.to');
    await bad({ from: iso(3600), to: iso(7200) }, 'options.from');
    await bad({ from: iso(0), to: iso(10), only: [] }, 'options.only');
    await bad({ from: iso(0), to: iso(10), only: 'missed' }, 'options.only');
    await bad({ from: iso(0), to: iso(10), only: ['missed', 'paused'] }, 'options.only.1');
    await bad({ from: iso(0), to: iso(10), only: ['excluded'] }, 'options.only.0');
    await bad({ from: iso(0), to: iso(10), dryRun: 'yes' }, 'options.dryRun');
    await bad({ from: iso(0), to: iso(10), everything: true }, 'options.everything');
    await expect(h.scheduler.backfillJob('nope', { from: iso(0), to: iso(10) })).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
  });
});
