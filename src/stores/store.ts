/**
 * The JobStore contract: where jobs and run history live. Stores keep data; every decision (which fires
 * run, coalescing, misfire, max instances) stays in src/scheduler/policies.ts, the same for every store.
 *
 * Ownership: the scheduler hands JobRecord objects to the store and may keep mutating the ones it gets
 * back (the memory store keeps the very objects; a database store reads and writes copies). After
 * mutating a job's schedule fields the scheduler calls `update` or `putBack`.
 */
import type { JobRecord } from '../scheduler/job.js';
import type { RunRecord } from '../scheduler/run.js';

export interface RunQuery {
  /** Most records to return, newest first. */
  limit: number;
  /** Only records scheduled strictly before this instant (epoch ms): the cursor for older pages. */
  before?: number;
}

export interface JobStore {
  /** True when the store outlives the process: jobs must then name a registered task, not a closure. */
  readonly persistent: boolean;
  /** Opens the backing resource. Called by SchedulerService.start() or on first use; idempotent. */
  open(): Promise<void>;
  /** Flushes and releases resources. The store may be opened again. */
  close(): Promise<void>;
  /** Adds a job. Fails with ConflictingIdError when the id exists. */
  add(job: JobRecord): Promise<void>;
  /** Saves changed fields of a job the store holds. Fails with JobNotFoundError when it does not. */
  update(job: JobRecord): Promise<void>;
  /** Removes a job and its run history; returns it, or undefined when it did not exist. */
  remove(id: string): Promise<JobRecord | undefined>;
  get(id: string): Promise<JobRecord | undefined>;
  /** Every job, in no particular order. */
  list(): Promise<JobRecord[]>;
  /** The earliest `dueAt` of any job, or null when none is due ever. */
  earliestDue(): Promise<number | null>;
  /**
   * Takes up to `limit` jobs with `dueAt <= now`, earliest first (ties in insertion order). A taken job is
   * not returned again until `putBack`; it is still found by get/list/remove meanwhile.
   */
  takeDue(now: number, limit: number): Promise<JobRecord[]>;
  /** Returns taken jobs with their new schedule. Jobs removed meanwhile are ignored. */
  putBack(jobs: JobRecord[]): Promise<void>;
  /**
   * Records a new run (settled already, or `running`). Synchronous so that the hot path pays no promise;
   * durable stores buffer and write the batch in `flush`.
   */
  recordRun(run: RunRecord, job: JobRecord): void;
  /** Saves the settled state of a run recorded earlier as `running` (the same object, mutated). */
  updateRun(run: RunRecord): void;
  /** Writes what `recordRun` buffered; called once per wake-up. */
  flush(): Promise<void>;
  /** Run history of one job, newest first. */
  getRuns(jobId: string, query: RunQuery): Promise<RunRecord[]>;
}
