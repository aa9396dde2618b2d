/**
 * Model-based test of the scheduler-wide `maxConcurrentRuns` queue, with per-job `maxInstances`, the
 * misfire rule at start, timeouts, `cancelRun` and removals: seeded random mixes of asynchronous interval
 * jobs, checked against invariants rather than a full simulation (which run waits depends on which
 * settles first, and that is the scheduler's to decide):
 *
 * - every grid point of a job while it is live gets exactly one outcome, and none other does;
 * - at no instant do more than maxConcurrentRuns runs hold a slot, nor more than maxInstances of one job;
 * - waiting runs start in the order they were due (first in, first out across jobs);
 * - a run that waited past its job's misfire grace is recorded missed, not run; one that started ran;
 * - cancelRun cancels exactly the job's runs holding a slot at that instant, and frees their slots;
 * - overlap (docs/semantics.md#overlap): a `queue` job's fire that found its slots taken waits and starts
 *   when one frees (within its grace, else missed) or is cancelled unstarted with its job's removal; a
 *   `replace` job's fire cancels the oldest run (REPLACED) and starts; the bounds above hold throughout;
 * - a timed-out run frees its slot at its timeout; shutdown leaves nothing running and no timer behind.
 */
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/core/events.js';
import { prng } from '../cron/prng.js';
import { harness, sleepOn } from '../helpers.js';

interface Plan {
  id: string;
  periodMs: number;
  runMs: number;
  timeoutMs: number | null;
  maxInstances: number;
  graceMs: number | null;
  overlap: 'skip' | 'queue' | 'replace';
}

/** A run as the test saw it: from its start (the job function called) to when it gave its slot back. */
interface Held {
  id: string;
  scheduledAt: number;
  start: number;
  end: number;
}

async function runSequence(seed: number): Promise<Record<string, number>> {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const limit = pick([1, 1, 2, 3]);
  // Odd seeds as in production (on-time fires take the executor's fast path), even ones through the submission queue.
  const h = harness({ maxConcurrentRuns: limit, fastPath: seed % 2 === 1 });
  const { scheduler, clock } = h;
  await scheduler.start();
  const t0 = clock.now();
  const plans: Plan[] = [];
  const started = new Map<string, number>(); // `${id}@${scheduledAt}` -> start
  const live = new Map<string, number>(); // id -> added at
  const gone = new Map<string, number>(); // id -> removed at
  const order: string[] = []; // starts in order
  // Slots held right now, by `${id}@${scheduledAt}`: from the function's start to the run's event.
  const holding = new Set<string>();
  const count = 2 + Math.floor(random() * 4);
  for (let j = 0; j < count; j++) {
    const plan: Plan = {
      id: `job-${j}`,
      periodMs: pick([1009, 1511, 2003, 3001]),
      runMs: pick([97, 877, 1733, 3907]),
      timeoutMs: pick([null, null, 1301, 2503]),
      maxInstances: pick([1, 1, 2, 3]),
      graceMs: pick([null, 599, 2207]),
      overlap: pick(['skip', 'skip', 'queue', 'replace'] as const),
    };
    plans.push(plan);
    await scheduler.addIntervalJob(
      async (ctx) => {
        const k = `${plan.id}@${ctx.scheduledAtMs}`;
        started.set(k, clock.now());
        order.push(k);
        holding.add(k);
        await sleepOn(clock, plan.runMs, ctx.signal).catch(() => undefined); // aborted: settles at once
      },
      plan.periodMs / 1000,
      plan.id,
      {
        maxInstances: plan.maxInstances,
        timeoutSeconds: plan.timeoutMs === null ? null : plan.timeoutMs / 1000,
        misfireGraceTime: plan.graceMs === null ? null : plan.graceMs / 1000,
        overlap: plan.overlap,
      },
    );
    live.set(plan.id, t0);
  }
  const held: Held[] = [];
  const release = (e: RunEvent): void => {
    const k = `${e.jobId}@${Date.parse(e.scheduledAt)}`;
    if (!holding.delete(k)) return;
    held.push({ id: e.jobId, scheduledAt: Date.parse(e.scheduledAt), start: started.get(k) as number, end: clock.now() });
  };
  for (const name of ['job_executed', 'job_error', 'job_timed_out', 'job_cancelled'] as const) scheduler.on(name, release);
  let cancels = 0;
  const horizon = t0 + 40_000;
  while (clock.now() < horizon) {
    await clock.advance(Math.min(1 + Math.floor(random() * 2500), horizon - clock.now()));
    const r = random();
    const ids = [...live.keys()];
    if (r < 0.12 && ids.length > 0) {
      const id = pick(ids);
      const expected = [...holding].filter((k) => k.startsWith(`${id}@`)).length;
      const n = await scheduler.cancelRun(id);
      expect(n, `seed ${seed}: cancelRun(${id}) cancels the runs holding a slot`).toBe(expected);
      cancels += n;
    } else if (r < 0.16 && ids.length > 1) {
      const id = pick(ids);
      await scheduler.removeJob(id);
      live.delete(id);
      gone.set(id, clock.now());
    }
  }
  for (const id of live.keys()) {
    await scheduler.removeJob(id);
    gone.set(id, clock.now());
  }
  await clock.advance(60_000); // every run started or queued settles
  await scheduler.shutdown({ wait: true, timeoutSeconds: 1 });
  expect(clock.pendingTimers, `seed ${seed}: timers left after shutdown`).toBe(0);

  // Holding intervals: never more than `limit` at once, nor more than maxInstances of one job.
  const points = held
    .flatMap((x) => [
      { t: x.start, d: 1, id: x.id },
      { t: x.end, d: -1, id: x.id },
    ])
    .sort((a, b) => a.t - b.t || a.d - b.d); // a slot given back at t is free for a start at t
  let now = 0;
  const perJob = new Map<string, number>();
  for (const p of points) {
    now += p.d;
    perJob.set(p.id, (perJob.get(p.id) ?? 0) + p.d);
    expect(now, `seed ${seed}: runs at once`).toBeLessThanOrEqual(limit);
    const plan = plans.find((x) => x.id === p.id) as Plan;
    expect(perJob.get(p.id), `seed ${seed}: ${p.id} runs at once`).toBeLessThanOrEqual(plan.maxInstances);
  }
  // First in, first out: a run due earlier never starts after one due later. A queue job's waiting fire
  // is the exception: it joins the concurrency queue only when its own slot frees.
  const queueJobs = new Set(plans.filter((p) => p.overlap === 'queue').map((p) => p.id));
  const fifo = order.filter((k) => !queueJobs.has(k.split('@')[0] as string));
  const starts = fifo.map((k) => Number(k.split('@')[1]));
  for (let i = 1; i < starts.length; i++) {
    expect(starts[i] as number, `seed ${seed}: start ${i} (${fifo[i - 1]} then ${fifo[i]})`).toBeGreaterThanOrEqual(starts[i - 1] as number);
  }

  // One outcome per grid point of each job's life; missed exactly when the start came past the grace.
  const stats: Record<string, number> = { cancelled: cancels, queued: 0, replaced: 0, waitedThenRan: 0, waitingDropped: 0 };
  const outcomes = new Map<string, string[]>();
  for (const [name, payload] of h.events) {
    const e = payload as RunEvent;
    if (!name.startsWith('job_') || e.outcome === undefined) continue;
    const k = `${e.jobId}@${Date.parse(e.scheduledAt)}`;
    outcomes.set(k, [...(outcomes.get(k) ?? []), e.outcome]);
    stats[e.outcome] = (stats[e.outcome] ?? 0) + 1;
    if (e.error?.code === 'REPLACED') stats.replaced = (stats.replaced ?? 0) + 1;
  }
  for (const plan of plans) {
    const end = gone.get(plan.id) as number;
    const grid: number[] = [];
    for (let g = t0 + plan.periodMs; g <= end; g += plan.periodMs) grid.push(g);
    const mine = [...outcomes.keys()]
      .filter((k) => k.startsWith(`${plan.id}@`))
      .map((k) => Number(k.split('@')[1]))
      .sort((a, b) => a - b);
    expect(mine, `seed ${seed}: ${plan.id} (${JSON.stringify(plan)}) fires`).toEqual(grid);
    for (const g of grid) {
      const got = outcomes.get(`${plan.id}@${g}`) as string[];
      expect(got, `seed ${seed}: ${plan.id}@${g}`).toHaveLength(1);
      const start = started.get(`${plan.id}@${g}`);
      if (got[0] === 'missed') {
        expect(start, `seed ${seed}: a missed run never starts`).toBeUndefined();
      } else if (got[0] === 'cancelled' && start === undefined) {
        // Cancelled unstarted: a queue job's waiting fire (its job removed while it waited), or a replace
        // job's instance that was still waiting for a concurrency slot when a newer fire replaced it.
        expect(plan.overlap, `seed ${seed}: ${plan.id}@${g} cancelled unstarted`).not.toBe('skip');
        if (plan.overlap === 'queue') stats.waitingDropped = (stats.waitingDropped ?? 0) + 1;
      } else if (got[0] === 'skipped') {
        // A replace job never skips: it cancels its oldest run instead (every run here is asynchronous).
        expect(plan.overlap, `seed ${seed}: ${plan.id}@${g} skipped`).not.toBe('replace');
      } else {
        expect(start, `seed ${seed}: ${plan.id}@${g} ${got[0]} started`).toBeDefined();
        if (plan.graceMs !== null) expect((start as number) - g).toBeLessThanOrEqual(plan.graceMs);
        if ((start as number) > g) stats.queued = (stats.queued ?? 0) + 1;
        if (plan.overlap === 'queue' && (start as number) > g) stats.waitedThenRan = (stats.waitedThenRan ?? 0) + 1;
      }
    }
  }
  return stats;
}

describe('maxConcurrentRuns, maxInstances, timeouts and cancelRun against invariants', () => {
  it('holds every invariant over 150 random mixes', async () => {
    const total: Record<string, number> = {};
    for (let seed = 1; seed <= 150; seed++) {
      for (const [k, v] of Object.entries(await runSequence(seed))) total[k] = (total[k] ?? 0) + v;
    }
    for (const kind of ['succeeded', 'timed_out', 'cancelled', 'missed', 'skipped', 'queued', 'replaced', 'waitedThenRan', 'waitingDropped']) {
      expect(total[kind] ?? 0, `${kind} (all: ${JSON.stringify(total)})`).toBeGreaterThan(20);
    }
  }, 60_000);
});
