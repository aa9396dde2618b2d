/**
 * A binary min-heap of jobs keyed by `dueAt` (ties by insertion `seq`), for the memory store.
 *
 * Everything a sift touches is in typed arrays: each job has a slot (a small integer, `job.heapSlot`,
 * kept while the job is in the store), the heap holds slots, and the keys and each slot's position sit
 * in arrays beside it. A sift never reads or writes a job object: at 100 000 jobs a pop moved ~17
 * entries, and writing each moved job's index into the job itself was a cache miss per level (jobs are
 * hundreds of bytes apart) plus a write barrier per pointer stored in the heap array; the sifts were
 * half of the CPU of a fire.
 *
 * Every downward sift (a pop, a fired job moved to its next time) is Floyd's bottom-up sift: the hole
 * goes down to a leaf along the smaller children (one comparison per level), and the entry, which is
 * usually among the latest, rises from there (rarely more than a level).
 */
import type { JobRecord } from '../core/job.js';

const INITIAL_CAPACITY = 64;

export class JobHeap {
  private count = 0;
  /** By heap position: the slot there and its keys. */
  private slots = new Int32Array(INITIAL_CAPACITY);
  private due = new Float64Array(INITIAL_CAPACITY);
  private seq = new Float64Array(INITIAL_CAPACITY);
  /** By slot: the job, and its heap position (-1 while it is out of the heap). */
  private readonly jobs: (JobRecord | undefined)[] = [];
  private pos = new Int32Array(INITIAL_CAPACITY);
  private readonly freeSlots: number[] = [];

  get size(): number {
    return this.count;
  }

  peek(): JobRecord | undefined {
    return this.count === 0 ? undefined : this.jobs[this.slots[0] as number];
  }

  /** The smallest key, or +Infinity when empty (no job object is read). */
  peekDue(): number {
    return this.count === 0 ? Number.POSITIVE_INFINITY : (this.due[0] as number);
  }

  /** True while the job is in the heap (it may hold a slot while out of it). */
  contains(job: JobRecord): boolean {
    const slot = job.heapSlot;
    return slot >= 0 && this.jobs[slot] === job && (this.pos[slot] as number) >= 0;
  }

  /** Adds a job whose `dueAt` is a number and which is not in the heap. */
  push(job: JobRecord): void {
    // The slot is read whether or not the job has one (see up() for why every access runs every time:
    // registration pushes only jobs without a slot, the fire path only jobs with one).
    const held = job.heapSlot;
    const holder = this.jobs[held < 0 ? 0 : held];
    const slot = held >= 0 && holder === job ? held : this.takeSlot(job);
    const index = this.count++;
    if (index === this.due.length) this.growPositions();
    this.up(index, slot, job.dueMsOrNaN, job.seq);
  }

  pop(): JobRecord | undefined {
    if (this.count === 0) return undefined;
    const slot = this.slots[0] as number;
    this.removeTop();
    return this.jobs[slot];
  }

  /** Takes the job out of the heap; it keeps its slot for a later push. */
  remove(job: JobRecord): void {
    if (this.contains(job)) this.removeAt(this.pos[job.heapSlot] as number);
  }

  /** Takes the job out of the heap and gives up its slot (the job left the store). */
  release(job: JobRecord): void {
    const slot = job.heapSlot;
    if (slot < 0 || this.jobs[slot] !== job) return;
    if ((this.pos[slot] as number) >= 0) this.removeAt(this.pos[slot] as number);
    this.jobs[slot] = undefined;
    this.freeSlots.push(slot);
    job.heapSlot = -1;
  }

  /** Restores order after the job's `dueAt` changed. */
  update(job: JobRecord): void {
    if (!this.contains(job)) return;
    const slot = job.heapSlot;
    const index = this.pos[slot] as number;
    this.place(index, slot, job.dueMsOrNaN, job.seq);
  }

  private takeSlot(job: JobRecord): number {
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      slot = this.jobs.length;
      this.jobs.push(job);
      if (slot === this.pos.length) {
        const pos = new Int32Array(this.pos.length * 2);
        pos.set(this.pos);
        this.pos = pos;
      }
    } else {
      this.jobs[slot] = job;
    }
    this.pos[slot] = -1;
    job.heapSlot = slot;
    return slot;
  }

  private growPositions(): void {
    const size = this.due.length * 2;
    const slots = new Int32Array(size);
    const due = new Float64Array(size);
    const seq = new Float64Array(size);
    slots.set(this.slots);
    due.set(this.due);
    seq.set(this.seq);
    this.slots = slots;
    this.due = due;
    this.seq = seq;
  }

  /** Floyd's pop: the hole sinks to a leaf, then the last entry rises into it (see down()). */
  private removeTop(): void {
    this.pos[this.slots[0] as number] = -1;
    const n = --this.count;
    if (n === 0) return;
    this.down(0, this.slots[n] as number, this.due[n] as number, this.seq[n] as number);
  }

  private removeAt(index: number): void {
    const slots = this.slots;
    this.pos[slots[index] as number] = -1;
    const lastIndex = --this.count;
    if (index === lastIndex) return;
    const slot = slots[lastIndex] as number;
    const due = this.due[lastIndex] as number;
    this.place(index, slot, due, this.seq[lastIndex] as number);
  }

  /** Puts `slot` with its keys at `index`, then up or down to where they belong. */
  private place(index: number, slot: number, due: number, seq: number): void {
    const parent = index > 0 ? (index - 1) >> 1 : 0; // never a read before the array (see column reads in RunSlab)
    const pd = this.due[parent] as number;
    if (index > 0 && (due < pd || (due === pd && seq < (this.seq[parent] as number)))) this.up(index, slot, due, seq);
    else this.down(index, slot, due, seq);
  }

  /**
   * Places `slot` (keys `due`, `seq`) at `index` or above it. Each step fills the hole at `index` with
   * the parent (which moves down) or with the new entry (and stops), and every array access runs on
   * every call: code optimized while jobs were only appended (registration: keys in order, nothing ever
   * rises) then meets no untried access when the first entry rises, which would deoptimize the fire path.
   * The key comparison is written out, here and below, not called: the first fires run before the
   * optimizing compiler is done, and a call per level was a third of a cold sift.
   */
  private up(index: number, slot: number, due: number, seq: number): void {
    const slots = this.slots;
    const dues = this.due;
    const seqs = this.seq;
    const pos = this.pos;
    for (;;) {
      const parent = index > 0 ? (index - 1) >> 1 : 0;
      const ps = slots[parent] as number;
      const pd = dues[parent] as number;
      const pq = seqs[parent] as number;
      const rises = index > 0 && (due < pd || (due === pd && seq < pq));
      const s = rises ? ps : slot;
      slots[index] = s;
      dues[index] = rises ? pd : due;
      seqs[index] = rises ? pq : seq;
      pos[s] = index;
      if (!rises) return;
      index = parent;
    }
  }

  /**
   * Places `slot` (keys `due`, `seq`) at `index` or below it, where `index`'s parent is not greater (so
   * it cannot rise past `index`). Floyd's way: the hole sinks to a leaf along the smaller
   * children (one comparison per level), then the entry rises from there. A fired job's next time is
   * usually later than every other job's, so it belongs near a leaf, and the standard sift's second
   * comparison per level (child against entry) was spent for nothing.
   */
  private down(index: number, slot: number, due: number, seq: number): void {
    const slots = this.slots;
    const dues = this.due;
    const seqs = this.seq;
    const pos = this.pos;
    const n = this.count;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n) {
        const rd = dues[right] as number;
        const cd = dues[child] as number;
        if (rd < cd || (rd === cd && (seqs[right] as number) < (seqs[child] as number))) child = right;
      }
      const c = slots[child] as number;
      slots[index] = c;
      dues[index] = dues[child] as number;
      seqs[index] = seqs[child] as number;
      pos[c] = index;
      index = child;
    }
    this.up(index, slot, due, seq);
  }
}
