/**
 * The in-memory store, the library default: a Map by id plus a binary heap by due time, and a bounded
 * ring of run records per job. Nothing survives the process; any function can be a job.
 */
import { ConflictingIdError, InvalidArgumentError, JobNotFoundError } from '../scheduler/errors.js';
import type { JobRecord } from '../scheduler/job.js';
import type { RunRecord } from '../scheduler/run.js';
import { JobHeap } from './job-heap.js';
import { compareJobs, decodeCursor, encodeCursor, isAfter, matchesFilter, type JobPage, type JobPageQuery } from './job-order.js';
import type { JobStore, RunQuery, StoreContext } from './store.js';

export interface MemoryJobStoreOptions {
  /** Run records kept per job, oldest dropped first (default 100; 0 keeps none). */
  maxRunsPerJob?: number;
}

/** A fixed-capacity ring of a job's newest run records. */
class RunRing {
  private readonly items: RunRecord[] = [];
  private head = 0;

  constructor(private readonly capacity: number) {}

  push(run: RunRecord): void {
    if (this.items.length < this.capacity) {
      this.items.push(run);
    } else {
      this.items[this.head] = run;
      this.head = (this.head + 1) % this.capacity;
    }
  }

  /** Newest first. */
  newest(query: RunQuery): RunRecord[] {
    const out: RunRecord[] = [];
    const n = this.items.length;
    for (let i = 0; i < n && out.length < query.limit; i++) {
      const run = this.items[(this.head - 1 - i + 2 * n) % n] as RunRecord;
      if (query.before === undefined || run.scheduledAt < query.before) out.push(run);
    }
    return out;
  }
}

export class MemoryJobStore implements JobStore {
  readonly persistent = false;
  private readonly jobs = new Map<string, JobRecord>();
  private readonly heap = new JobHeap();
  private readonly maxRunsPerJob: number;
  private seq = 0;
  /** Jobs sorted by id, rebuilt after adds and removes: listing by id is then a binary search and a slice. */
  private byId: JobRecord[] | null = null;

  constructor(options: MemoryJobStoreOptions = {}) {
    const max = options.maxRunsPerJob ?? 100;
    if (!Number.isInteger(max) || max < 0 || max > 1_000_000) {
      throw InvalidArgumentError.field('maxRunsPerJob', `must be an integer from 0 to 1000000, got ${String(max)}.`);
    }
    this.maxRunsPerJob = max;
  }

  open(_context?: StoreContext): void {
    // Nothing to open or load.
  }

  close(): void {
    // Jobs stay in memory, so a scheduler that is started again finds them.
  }

  add(job: JobRecord): void {
    if (this.jobs.has(job.id)) throw new ConflictingIdError(job.id);
    job.seq = this.seq++;
    this.jobs.set(job.id, job);
    this.byId = null;
    if (job.dueAt !== null) this.heap.push(job);
  }

  update(job: JobRecord): void {
    if (this.jobs.get(job.id) !== job) throw new JobNotFoundError(job.id);
    this.place(job);
  }

  remove(id: string): JobRecord | undefined {
    const job = this.jobs.get(id);
    if (job === undefined) return undefined;
    this.jobs.delete(id);
    this.byId = null;
    this.heap.remove(job);
    job.storeSlot = null;
    return job;
  }

  get(id: string): JobRecord | undefined {
    return this.jobs.get(id);
  }

  list(): JobRecord[] {
    return [...this.jobs.values()];
  }

  count(): number {
    return this.jobs.size;
  }

  ping(): void {
    // Memory is always reachable.
  }

  page(query: JobPageQuery): JobPage {
    const { sort, limit } = query;
    const q = query.q?.toLowerCase();
    const key = query.cursor === undefined ? null : decodeCursor(query.cursor, sort);
    const items: JobRecord[] = [];
    if (sort === 'id') {
      this.byId ??= [...this.jobs.values()].sort(compareJobs('id'));
      const sorted = this.byId;
      let lo = 0;
      if (key !== null) {
        let hi = sorted.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if ((sorted[mid] as JobRecord).id <= key.id) lo = mid + 1;
          else hi = mid;
        }
      }
      for (let i = lo; i < sorted.length && items.length <= limit; i++) {
        const job = sorted[i] as JobRecord;
        if (matchesFilter(job, q, query.state)) items.push(job);
      }
    } else {
      // Next run and last run change with every fire: select the first limit + 1 in one pass instead.
      const compare = compareJobs(sort);
      for (const job of this.jobs.values()) {
        if ((key !== null && !isAfter(job, key, sort)) || !matchesFilter(job, q, query.state)) continue;
        items.push(job);
        if (items.length > 4 * (limit + 1)) {
          items.sort(compare);
          items.length = limit + 1;
        }
      }
      items.sort(compare);
    }
    const more = items.length > limit;
    if (more) items.length = limit;
    const last = items[items.length - 1];
    return { items, nextCursor: more && last !== undefined ? encodeCursor(last, sort) : null };
  }

  earliestDue(): number | null {
    return this.heap.peek()?.dueAt ?? null;
  }

  takeDue(now: number, limit: number): JobRecord[] {
    const taken: JobRecord[] = [];
    for (;;) {
      const top = this.heap.peek();
      if (top === undefined || (top.dueAt as number) > now || taken.length >= limit) break;
      this.heap.pop();
      taken.push(top);
    }
    return taken;
  }

  putBack(jobs: JobRecord[]): void {
    for (const job of jobs) {
      if (this.jobs.get(job.id) === job) this.place(job);
    }
  }

  recordRun(run: RunRecord, job: JobRecord): void {
    if (this.maxRunsPerJob === 0) return;
    let ring = job.storeSlot as RunRing | null;
    if (ring === null) {
      // A job removed meanwhile gets no history back (its runs may still be settling).
      if (this.jobs.get(job.id) !== job) return;
      ring = new RunRing(this.maxRunsPerJob);
      job.storeSlot = ring;
    }
    ring.push(run);
  }

  updateRun(): void {
    // The ring holds the very object the scheduler mutated.
  }

  flush(): void {
    // Nothing buffered.
  }

  getRuns(jobId: string, query: RunQuery): RunRecord[] {
    const ring = this.jobs.get(jobId)?.storeSlot as RunRing | null | undefined;
    return ring?.newest(query) ?? [];
  }

  /** Puts the job in the heap at its dueAt, moves it, or takes it out when it has none. */
  private place(job: JobRecord): void {
    if (job.dueAt === null) this.heap.remove(job);
    else if (job.heapIndex >= 0) this.heap.update(job);
    else this.heap.push(job);
  }
}
