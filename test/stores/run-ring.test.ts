import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/core/run.js';
import { RunRing } from '../../src/stores/run-ring.js';
import { RunSlab } from '../../src/stores/run-slab.js';

function record(scheduledAt: number, fields: Partial<RunRecord> = {}): RunRecord {
  return {
    jobId: 'job',
    scheduledAt,
    attempt: 1,
    startedAt: scheduledAt + 2,
    finishedAt: scheduledAt + 7,
    outcome: 'succeeded',
    latenessMs: 2,
    durationMs: 5,
    error: null,
    ...fields,
  };
}

const ALL = { limit: 1000 };

describe('RunRing (packed run history of the memory store)', () => {
  it('returns what was pushed, newest first, field for field', () => {
    const ring = new RunRing('job', 10, new RunSlab());
    const plain = record(1000);
    const rare = record(2000, {
      outcome: 'failed',
      attempt: 3,
      error: { code: 'E_X', message: 'boom' },
      output: 'tail',
      coalesced: 4,
      lastScheduledAt: 5000,
      node: 'n1',
    });
    const missed = record(3000, { outcome: 'missed', startedAt: null, finishedAt: null, durationMs: null, latenessMs: 61_000 });
    ring.push(plain);
    ring.push(rare);
    ring.push(missed);
    expect(ring.newest('job', ALL)).toEqual([missed, rare, plain]);
  });

  it("reads as its newest record (a job's lastRun), packed or pinned, after wrapping too", () => {
    const ring = new RunRing('job', 2, new RunSlab());
    const fields = (r: RunRecord): RunRecord => ({
      jobId: r.jobId,
      scheduledAt: r.scheduledAt,
      attempt: r.attempt,
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
      outcome: r.outcome,
      latenessMs: r.latenessMs,
      durationMs: r.durationMs,
      error: r.error,
      ...(r.output === undefined ? {} : { output: r.output }),
      ...(r.coalesced === undefined ? {} : { coalesced: r.coalesced }),
      ...(r.lastScheduledAt === undefined ? {} : { lastScheduledAt: r.lastScheduledAt }),
      ...(r.node === undefined ? {} : { node: r.node }),
    });
    const rare = record(2000, { outcome: 'failed', attempt: 2, error: { message: 'boom' }, output: 'o', coalesced: 3, lastScheduledAt: 4000, node: 'n' });
    ring.push(record(1000));
    ring.push(rare);
    expect(fields(ring)).toEqual(rare);
    const running = record(3000, { outcome: 'running', finishedAt: null, durationMs: null });
    ring.push(running); // wraps: overwrites the oldest slot
    expect(fields(ring)).toEqual(running);
    running.outcome = 'succeeded';
    running.finishedAt = 3009;
    expect(ring.outcome).toBe('succeeded');
    ring.settle(running);
    expect(fields(ring)).toEqual({ ...running });
    const missed = record(5000, { outcome: 'missed', startedAt: null, finishedAt: null, durationMs: null, latenessMs: 61_000 });
    ring.push(missed);
    expect(fields(ring)).toEqual(missed);
  });

  it('keeps the newest `capacity` records once it wraps, in order', () => {
    const ring = new RunRing('job', 3, new RunSlab());
    for (let i = 1; i <= 8; i++) ring.push(record(i * 1000));
    expect(ring.size).toBe(3);
    expect(ring.newest('job', ALL).map((r) => r.scheduledAt)).toEqual([8000, 7000, 6000]);
  });

  it('applies limit and before', () => {
    const ring = new RunRing('job', 100, new RunSlab());
    for (let i = 1; i <= 10; i++) ring.push(record(i * 1000));
    expect(ring.newest('job', { limit: 2 }).map((r) => r.scheduledAt)).toEqual([10_000, 9000]);
    expect(ring.newest('job', { limit: 3, before: 5000 }).map((r) => r.scheduledAt)).toEqual([4000, 3000, 2000]);
  });

  it('shows a running record as it is when read, and packs it when it settles', () => {
    const ring = new RunRing('job', 5, new RunSlab());
    const running = record(1000, { outcome: 'running', finishedAt: null, durationMs: null });
    ring.push(running);
    ring.push(record(2000));
    const seen = ring.newest('job', ALL)[1] as RunRecord;
    expect(seen).toEqual(running);
    expect(seen).not.toBe(running); // a copy: the executor reuses its record object for the next run
    running.outcome = 'failed';
    running.finishedAt = 1500;
    running.durationMs = 498;
    running.error = { message: 'late failure' };
    ring.settle(running);
    const after = ring.newest('job', ALL)[1] as RunRecord;
    expect(after).not.toBe(running);
    expect(after).toEqual(running);
  });

  it('drops a running record that newer runs pushed out; settling it later changes nothing', () => {
    const ring = new RunRing('job', 2, new RunSlab());
    const running = record(1000, { outcome: 'running' });
    ring.push(running);
    ring.push(record(2000));
    ring.push(record(3000));
    running.outcome = 'succeeded';
    ring.settle(running);
    expect(ring.newest('job', ALL).map((r) => [r.scheduledAt, r.outcome])).toEqual([
      [3000, 'succeeded'],
      [2000, 'succeeded'],
    ]);
  });

  it('hands out copies: changing a returned record does not change the history', () => {
    const ring = new RunRing('job', 2, new RunSlab());
    ring.push(record(1000, { outcome: 'failed', error: { message: 'x' } }));
    const first = ring.newest('job', ALL)[0] as RunRecord;
    first.outcome = 'succeeded';
    (first.error as { message: string }).message = 'changed';
    expect(ring.newest('job', ALL)[0]).toMatchObject({ outcome: 'failed', error: { message: 'x' } });
  });

  it('keeps rings that share a slab apart, and reuses the slab indexes of released rings', () => {
    const slab = new RunSlab();
    const rings = Array.from({ length: 150 }, () => new RunRing('job', 37, slab));
    // Interleaved pushes: the rings share columns, and each wraps after 37 records.
    for (let round = 1; round <= 45; round++) {
      rings.forEach((ring, r) => ring.push(record(round * 1000 + r, { attempt: r + 1 })));
    }
    rings.forEach((ring, r) => {
      const runs = ring.newest('job', ALL);
      expect(runs).toHaveLength(37);
      expect(runs.map((run) => run.scheduledAt)).toEqual(Array.from({ length: 37 }, (_, i) => (45 - i) * 1000 + r));
      expect(new Set(runs.map((run) => run.attempt))).toEqual(new Set([r + 1]));
    });
    // Released indexes go to new rings, which must not see or disturb the survivors.
    for (const ring of rings.slice(0, 75)) ring.release();
    const fresh = Array.from({ length: 75 }, () => new RunRing('job', 37, slab));
    for (let round = 1; round <= 40; round++) for (const ring of fresh) ring.push(record(-round));
    for (const ring of fresh) expect(ring.newest('job', { limit: 3 }).map((run) => run.scheduledAt)).toEqual([-40, -39, -38]);
    rings.slice(75).forEach((ring, k) => {
      expect((ring.newest('job', { limit: 1 })[0] as RunRecord).scheduledAt).toBe(45_000 + 75 + k);
    });
  });

  it('keeps histories right when rings arrive after their columns were made (columns grow, nothing is lost)', () => {
    const slab = new RunSlab();
    const early = Array.from({ length: 20 }, () => new RunRing('job', 10, slab));
    for (let round = 1; round <= 6; round++) early.forEach((ring, r) => ring.push(record(round * 100 + r)));
    const late = Array.from({ length: 300 }, () => new RunRing('job', 10, slab)); // past every column's end
    for (let round = 1; round <= 12; round++) late.forEach((ring, r) => ring.push(record(-(round * 1000 + r))));
    early.forEach((ring, r) => {
      expect(ring.newest('job', ALL).map((run) => run.scheduledAt)).toEqual([600, 500, 400, 300, 200, 100].map((t) => t + r));
    });
    late.forEach((ring, r) => {
      expect(ring.newest('job', ALL).map((run) => run.scheduledAt)).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3].map((k) => -(k * 1000 + r)));
    });
  });

  it('keeps a history of 20 000 records (20 000 columns)', () => {
    const ring = new RunRing('job', 20_000, new RunSlab());
    for (let i = 1; i <= 20_005; i++) ring.push(record(i));
    const runs = ring.newest('job', { limit: 20_000 });
    expect(runs).toHaveLength(20_000);
    expect(runs[0]?.scheduledAt).toBe(20_005);
    expect(runs[19_999]?.scheduledAt).toBe(6);
  });
});
