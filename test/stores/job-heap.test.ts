import { describe, expect, it } from 'vitest';
import { DEFAULT_JOB_POLICY } from '../../src/core/job-options.js';
import { JobRecord } from '../../src/core/job.js';
import { JobHeap } from '../../src/stores/job-heap.js';
import type { Trigger } from '../../src/core/trigger.js';

const NO_TRIGGER = {} as Trigger;

function job(id: number, dueAt: number): JobRecord {
  const record = JobRecord.create(`j${id}`, `j${id}`, null, null, undefined, NO_TRIGGER, DEFAULT_JOB_POLICY, false, dueAt, dueAt);
  record.seq = id;
  return record;
}

/** The order the heap must give: earliest dueAt first, ties by seq (insertion order). */
const byDueThenSeq = (a: JobRecord, b: JobRecord): number => (a.dueAt as number) - (b.dueAt as number) || a.seq - b.seq;

describe('JobHeap', () => {
  it('agrees with a sorted list over random pushes, pops, fires, removals, releases and re-keyings (with many ties)', () => {
    let seed = 12_345;
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    const heap = new JobHeap();
    const live: JobRecord[] = [];
    let nextId = 0;
    for (let step = 0; step < 20_000; step++) {
      const op = random(10);
      if (op < 4 || live.length === 0) {
        const added = job(nextId++, random(50)); // few distinct keys: ties everywhere
        heap.push(added);
        live.push(added);
      } else if (op < 6) {
        const expected = [...live].sort(byDueThenSeq)[0];
        expect(heap.peekDue()).toBe(expected?.dueAt);
        const popped = heap.pop();
        expect(popped).toBe(expected);
        live.splice(live.indexOf(popped as JobRecord), 1);
        expect(heap.contains(popped as JobRecord)).toBe(false);
      } else if (op < 8) {
        const removed = live.splice(random(live.length), 1)[0] as JobRecord;
        if (random(2) === 0) heap.remove(removed);
        else heap.release(removed);
        expect(heap.contains(removed)).toBe(false);
        heap.remove(removed); // removing twice changes nothing
        heap.release(removed);
      } else if (op < 9) {
        const moved = live[random(live.length)] as JobRecord;
        moved.dueAt = random(50);
        heap.update(moved);
      } else {
        // A fire: the top job comes out, gets its next time and goes back in (it kept its slot).
        const fired = heap.pop() as JobRecord;
        fired.dueAt = (fired.dueAt as number) + 1 + random(10);
        heap.push(fired);
      }
      expect(heap.size).toBe(live.length);
    }
    const drained: JobRecord[] = [];
    for (let next = heap.pop(); next !== undefined; next = heap.pop()) drained.push(next);
    expect(drained).toEqual([...live].sort(byDueThenSeq));
    expect(heap.peekDue()).toBe(Number.POSITIVE_INFINITY);
  });
});
