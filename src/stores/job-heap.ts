/**
 * A binary min-heap of jobs keyed by `dueAt` (ties by insertion `seq`), intrusive: each job knows its
 * index, so removal and re-keying are O(log n) without a search.
 */
import type { JobRecord } from '../scheduler/job.js';

function before(a: JobRecord, b: JobRecord): boolean {
  const da = a.dueAt as number;
  const db = b.dueAt as number;
  return da < db || (da === db && a.seq < b.seq);
}

export class JobHeap {
  private readonly items: JobRecord[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): JobRecord | undefined {
    return this.items[0];
  }

  /** Adds a job whose `dueAt` is a number. */
  push(job: JobRecord): void {
    job.heapIndex = this.items.length;
    this.items.push(job);
    this.up(job.heapIndex);
  }

  pop(): JobRecord | undefined {
    const top = this.items[0];
    if (top !== undefined) this.removeAt(0);
    return top;
  }

  remove(job: JobRecord): void {
    if (job.heapIndex >= 0 && this.items[job.heapIndex] === job) this.removeAt(job.heapIndex);
  }

  /** Restores order after the job's `dueAt` changed. */
  update(job: JobRecord): void {
    if (job.heapIndex < 0 || this.items[job.heapIndex] !== job) return;
    this.up(job.heapIndex);
    this.down(job.heapIndex);
  }

  private removeAt(index: number): void {
    const items = this.items;
    const removed = items[index] as JobRecord;
    const last = items.pop() as JobRecord;
    removed.heapIndex = -1;
    if (index < items.length) {
      items[index] = last;
      last.heapIndex = index;
      this.up(index);
      this.down(last.heapIndex);
    }
  }

  private up(index: number): void {
    const items = this.items;
    const job = items[index] as JobRecord;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = items[parentIndex] as JobRecord;
      if (!before(job, parent)) break;
      items[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    items[index] = job;
    job.heapIndex = index;
  }

  private down(index: number): void {
    const items = this.items;
    const n = items.length;
    const job = items[index] as JobRecord;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && before(items[right] as JobRecord, items[left] as JobRecord)) child = right;
      const c = items[child] as JobRecord;
      if (!before(c, job)) break;
      items[index] = c;
      c.heapIndex = index;
      index = child;
    }
    items[index] = job;
    job.heapIndex = index;
  }
}
