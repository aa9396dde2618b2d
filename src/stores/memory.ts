/**
 * The in-memory store, the library default: a Map by id plus a binary heap by due time, and a bounded
 * ring of run records per job. Nothing survives the process; any function can be a job.
 */
import type { AuditLog } from '../core/audit.js';
import { ConflictingIdError, JobNotFoundError } from '../core/errors.js';
import type { JobRecord } from '../core/job.js';
import { NO_HEALTH_FACTS, type HealthFacts } from '../core/health.js';
import type { RunRecord } from '../core/run.js';
import { foldHealthFacts } from './health-facts.js';
import { JobHeap } from './job-heap.js';
import { checkMaxRunsPerJob } from './retention.js';
import { MemoryAuditLog } from './audit/memory-audit.js';
import { RunRing } from './run-ring.js';
import { RunSlab } from './run-slab.js';
import { compareJobs, decodeCursor, encodeCursor, isAfter, matchesFilter, type JobPage, type JobPageQuery } from './job-order.js';
import type { JobStore, RunQuery, StoreContext } from './store.js';

/** `seq` of a record this store has removed: cheaper to test on the hot path than a lookup by id. */
const REMOVED = -1;

/**
 * A job whose lastRun is its ring's view gets a copy of the newest record instead: before the ring is
 * released (its slab index is reused), or before a record that is not the job's last run is pushed.
 */
function freezeLastRun(job: JobRecord, ring: RunRing): void {
  if (job.lastRun === ring) job.lastRun = ring.newest(job.id, { limit: 1 })[0] ?? null;
}

export interface MemoryJobStoreOptions {
  /** Run records kept per job, oldest dropped first (default 100; 0 keeps none). */
  maxRunsPerJob?: number;
}

export class MemoryJobStore implements JobStore {
  readonly persistent = false;
  /**
   * The run ring packs settled records into numbers, so the scheduler may reuse its record objects; a
   * job's lastRun is then its ring, which reads as the newest record.
   */
  readonly copiesRuns = true;
  private readonly jobs = new Map<string, JobRecord>();
  private readonly heap = new JobHeap();
  /** Off-heap storage of every job's packed run history. */
  private readonly slab = new RunSlab();
  private readonly maxRunsPerJob: number;
  private seq = 0;
  /** Jobs sorted by id, rebuilt after adds and removes: listing by id is then a binary search and a slice. */
  private byId: JobRecord[] | null = null;

  private readonly audit = new MemoryAuditLog();

  constructor(options: MemoryJobStoreOptions = {}) {
    this.maxRunsPerJob = checkMaxRunsPerJob(options.maxRunsPerJob, 100, 0);
  }

  /** The newest MEMORY_AUDIT_ENTRIES audit entries, for as long as the process. */
  auditLog(): AuditLog {
    return this.audit;
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
    if (!Number.isNaN(job.dueMsOrNaN)) this.heap.push(job);
  }

  update(job: JobRecord): void {
    if (this.jobs.get(job.id) !== job) throw new JobNotFoundError(job.id);
    this.place(job);
  }

  reindex(job: JobRecord): void {
    if (this.jobs.get(job.id) === job) this.place(job);
  }

  remove(id: string, only?: JobRecord): JobRecord | undefined {
    const job = this.jobs.get(id);
    if (job === undefined || (only !== undefined && job !== only)) return undefined;
    this.jobs.delete(id);
    this.byId = null;
    this.heap.release(job);
    // The history goes with the job: its block is reused (getRuns of a removed job is empty anyway).
    const ring = job.storeSlot as RunRing | null;
    if (ring !== null) {
      freezeLastRun(job, ring);
      ring.release();
    }
    job.storeSlot = null;
    job.seq = REMOVED;
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
    const due = this.heap.peekDue();
    return due === Number.POSITIVE_INFINITY ? null : due;
  }

  takeDue(now: number, limit: number): JobRecord[] {
    const taken: JobRecord[] = [];
    while (taken.length < limit && this.heap.peekDue() <= now) taken.push(this.heap.pop() as JobRecord);
    return taken;
  }

  fireDue(now: number, limit: number, fire: (job: JobRecord) => void): number {
    let fired = 0;
    let again: JobRecord[] | null = null;
    while (fired < limit && this.heap.peekDue() <= now) {
      const job = this.heap.peek() as JobRecord;
      fired++;
      fire(job);
      if (job.seq === REMOVED) continue; // removed by its own function: out of the heap already
      if (job.dueMsOrNaN <= now) {
        // NaN (no due time) is not
        // Still due after its fire (only a trigger or policy bug does that): out until the call ends, so
        // that no job fires twice in one call.
        this.heap.remove(job);
        (again ??= []).push(job);
      } else {
        this.place(job);
      }
    }
    if (again !== null) this.putBack(again);
    return fired;
  }

  putBack(jobs: JobRecord[]): void {
    // A job removed while it was out (by its own function, say) stays out.
    for (const job of jobs) if (job.seq !== REMOVED) this.place(job);
  }

  recordRun(run: RunRecord, job: JobRecord): void {
    if (this.maxRunsPerJob === 0) return;
    let ring = job.storeSlot as RunRing | null;
    if (ring === null) {
      // A job removed meanwhile gets no history back (its runs may still be settling).
      if (job.seq === REMOVED) return;
      ring = new RunRing(job.id, this.maxRunsPerJob, this.slab);
      job.storeSlot = ring;
    }
    // The ring reads as its newest record: the job's lastRun without an object per job (copiesRuns).
    // A record that is not the job's last run (a fire cancelled before it started, a dropped stretch)
    // must not become it through the view: the view is frozen into a copy first.
    freezeLastRun(job, ring);
    ring.push(run);
    if (job.lastRun === run && run.outcome !== 'running') job.lastRun = ring;
  }

  updateRun(run: RunRecord): void {
    // The ring kept the running record as the object the scheduler mutated; pack it now that it settled.
    if (run.outcome === 'running') return;
    const ring = this.jobs.get(run.jobId)?.storeSlot as RunRing | null | undefined;
    ring?.settle(run);
  }

  flush(): void {
    // Nothing buffered.
  }

  getRuns(jobId: string, query: RunQuery): RunRecord[] {
    const ring = this.jobs.get(jobId)?.storeSlot as RunRing | null | undefined;
    return ring?.newest(jobId, query) ?? [];
  }

  healthFacts(jobIds: readonly string[]): Map<string, HealthFacts> {
    const facts = new Map<string, HealthFacts>();
    for (const id of jobIds) {
      const ring = this.jobs.get(id)?.storeSlot as RunRing | null | undefined;
      facts.set(id, ring === null || ring === undefined ? NO_HEALTH_FACTS : foldHealthFacts((visit) => ring.visit(visit)));
    }
    return facts;
  }

  /** Puts the job in the heap at its dueAt, moves it, or takes it out when it has none. */
  private place(job: JobRecord): void {
    if (Number.isNaN(job.dueMsOrNaN)) this.heap.remove(job);
    else if (this.heap.contains(job)) this.heap.update(job);
    else this.heap.push(job);
  }
}
