/**
 * The PostgreSQL store's records of job rows. Every read goes to the database (another node may have
 * changed the job), but a row's hydrated record is kept and reused while the row's version is unchanged:
 * hydrating builds its trigger, which a cron job pays for. Least recently used entries go beyond
 * `jobCacheSize`; an entry another node changed is dropped on its notification (dropChanged).
 */
import type { JobRecord } from '../../core/job.js';
import { readPause, setAsideRow, toStoredJob } from '../rows/job-row.js';
import { toRunRecord } from '../rows/run-row.js';
import type { StoreContext } from '../store.js';
import { PG_CODEC, readWaitingFire, type JobRow, type ScheduleRow } from './rows.js';
import type { PgSession } from './session.js';
import type { SetAsideQueue } from './set-aside.js';

interface Entry {
  version: number;
  job: JobRecord;
}

export class JobCache {
  /** Hydrated records by id, in least-recently-used order (the map's order). */
  private readonly entries = new Map<string, Entry>();
  /** Records whose rows an open claim of this node has locked (see hold), by id: held even if evicted from `entries`. */
  private readonly held = new Map<string, JobRecord>();

  constructor(
    private readonly session: PgSession,
    private readonly setAside: SetAsideQueue,
    private readonly size: number,
  ) {}

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** The ids cached, least recently used first. */
  keys(): IterableIterator<string> {
    return this.entries.keys();
  }

  /** The cached record of `id` while it is still the one at `version`. */
  current(id: string, job: JobRecord, version: number): boolean {
    const cached = this.entries.get(id);
    return cached !== undefined && cached.job === job && cached.version === version;
  }

  /**
   * An open claim locked these records' rows (FOR UPDATE) and is changing their schedules: until it ends
   * (hold is undone by unhold after its COMMIT or ROLLBACK) no other transaction can change those rows, so
   * a read of one can only show the row as it was before the claim. Put on the record, that would undo the
   * claim's decisions before it writes them (a fire that began to wait for a slot, a moved due time): a
   * read of a held record leaves it as it is.
   */
  hold(jobs: Iterable<JobRecord>): void {
    for (const job of jobs) this.held.set(job.id, job);
  }

  unhold(jobs: Iterable<JobRecord>): void {
    for (const job of jobs) if (this.held.get(job.id) === job) this.held.delete(job.id);
  }

  /**
   * A record for a row: the cached one when it was read from this very row (seq: a job removed and added
   * again under its id starts at version 1 too) and its definition is unchanged, with the row's schedule.
   * A row that cannot be loaded gives a placeholder and (`report`) is queued to be set aside.
   */
  fromRow(row: JobRow, report = true): JobRecord {
    if (row.load_error !== null) return this.placeholder(row, row.load_error);
    const held = this.held.get(row.id);
    if (held !== undefined && held.seq === row.seq) return held;
    const cached = this.entries.get(row.id);
    const sameRow = cached !== undefined && cached.job.seq === row.seq;
    let job: JobRecord;
    if (cached !== undefined && sameRow && cached.version === row.version) {
      job = this.reuse(cached, row);
    } else {
      try {
        job = (this.session.context as StoreContext).hydrate(toStoredJob(row, PG_CODEC));
      } catch (error) {
        // A row this version cannot load: set aside (see setAsideRecord), not thrown at every pass.
        const reason = error instanceof Error ? error.message : String(error);
        if (report) this.setAside.add(row, reason);
        return this.placeholder(row, reason);
      }
      if (cached !== undefined) {
        cached.job.releaseTrigger();
        if (sameRow) job.lastRun = cached.job.lastRun; // another job's last run is not this one's
      }
      this.set(row.id, { version: row.version, job });
    }
    job.running = row.active;
    job.waitingFire = readWaitingFire(row.waiting_fire);
    job.seq = row.seq;
    const last = row.last_run === null ? null : toRunRecord(row.last_run, PG_CODEC);
    if (last !== null && (job.lastRun === null || job.lastRun.scheduledAt <= last.scheduledAt)) job.lastRun = last;
    return job;
  }

  /**
   * The cached record of a row read without its definition (a claim's read), when it was read from this
   * very row at this version; null when the whole row must be read (not cached, changed, or set aside).
   */
  fromScheduleRow(row: ScheduleRow): JobRecord | null {
    if (row.load_error !== null) return null;
    const cached = this.entries.get(row.id);
    if (cached === undefined || cached.job.seq !== row.seq || cached.version !== row.version) return null;
    const job = this.reuse(cached, row);
    job.running = row.active;
    job.waitingFire = readWaitingFire(row.waiting_fire);
    return job;
  }

  /** A cached record with the row's schedule, now the most recently used. */
  private reuse(cached: Entry, row: ScheduleRow): JobRecord {
    // Most recently used: to the end of the map's order.
    this.entries.delete(row.id);
    this.entries.set(row.id, cached);
    const job = cached.job;
    job.paused = row.paused;
    // A paused job has no next run time, whatever the row says (see the service's hydrate).
    job.nextRunTime = row.paused ? null : row.next_run_time;
    job.dueAt = row.due_at;
    job.jitterMs = row.jitter_ms;
    job.retry = row.paused ? null : row.retry;
    job.runCount = row.run_count;
    job.pause = row.paused && row.pause !== null ? readPause(row.pause) : null;
    job.catchUpThrough = row.catch_up_through;
    return job;
  }

  /** The placeholder of a set-aside row (see setAsideRecord); never cached, never claimed. */
  private placeholder(row: JobRow, reason: string): JobRecord {
    this.drop(row.id);
    const job = setAsideRow(row, PG_CODEC, reason);
    job.seq = row.seq;
    job.running = row.active;
    if (row.last_run !== null) job.lastRun = toRunRecord(row.last_run, PG_CODEC);
    return job;
  }

  /** This node wrote `job` as the row's `version`: it is the cached record now. */
  replace(job: JobRecord, version: number): void {
    const old = this.entries.get(job.id);
    if (old !== undefined && old.job !== job) old.job.releaseTrigger();
    this.entries.delete(job.id);
    this.set(job.id, { version, job });
  }

  /** Adds an entry as the most recently used; the least recently used go beyond the cache's size. */
  private set(id: string, entry: Entry): void {
    this.entries.set(id, entry);
    if (this.entries.size <= this.size) return;
    for (const [oldest, { job }] of this.entries) {
      if (this.entries.size <= this.size) break;
      // Releasing a trigger still in use breaks nothing (see JobRecord.releaseTrigger): it is read again.
      job.releaseTrigger();
      this.entries.delete(oldest);
    }
  }

  /** The job changed to `version` elsewhere (NaN: removed): a record older than that goes. */
  dropChanged(id: string, version: number): void {
    const cached = this.entries.get(id);
    // NaN (removed) drops it; this node's own change is cached at that version already.
    if (cached === undefined || cached.version >= version) return;
    cached.job.releaseTrigger();
    this.entries.delete(id);
  }

  /** The row is gone or set aside: its record goes. */
  drop(id: string): void {
    const cached = this.entries.get(id);
    if (cached === undefined) return;
    cached.job.releaseTrigger();
    this.entries.delete(id);
  }

  /** The row was removed and its record handed to the caller: out of the cache, its trigger left as it is. */
  forget(id: string): void {
    this.entries.delete(id);
  }

  /** The store closed: every record goes. */
  clear(): void {
    for (const { job } of this.entries.values()) job.releaseTrigger();
    this.entries.clear();
    this.held.clear();
  }
}
