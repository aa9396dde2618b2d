/** The audit log of the memory store (and of a store without one): the newest entries, bounded in number. */
import type { Actor } from '../../core/actor.js';
import {
  JobAtChange,
  type AuditAction,
  type AuditAppend,
  type AuditJob,
  type AuditLog,
  type AuditPageQuery,
  type AuditRecord,
  type AuditSubject,
} from '../../core/audit.js';
import type { JobPolicy } from '../../core/job.js';
import type { Trigger } from '../../core/trigger.js';

/** Entries a memory audit log keeps by default: the oldest go first. */
export const MEMORY_AUDIT_ENTRIES = 10_000;

/**
 * One side (before or after) of every entry, by column. A JobAtChange is kept as its parts, not as the
 * object: an entry outlives thousands of later adds, long enough for the collector to copy it out of the
 * young generation and later find it dead in the old one. Kept in columns that are overwritten in place,
 * what an add hands the log dies young (a million library adds promoted ~100 bytes each before).
 */
class SubjectColumns {
  private readonly id: (string | null)[] = [];
  private readonly name: string[] = [];
  private readonly task: (string | null)[] = [];
  private readonly trigger: (Trigger | null)[] = [];
  private readonly policy: (JobPolicy | null)[] = [];
  private readonly paused: boolean[] = [];
  /** A subject that is not a JobAtChange (a custom one) is kept as it is. */
  private readonly other: (AuditSubject | null)[] = [];

  set(slot: number, subject: AuditSubject | null): void {
    if (subject instanceof JobAtChange) {
      this.id[slot] = subject.id;
      this.name[slot] = subject.name;
      this.task[slot] = subject.task;
      this.trigger[slot] = subject.trigger;
      this.policy[slot] = subject.policy;
      this.paused[slot] = subject.paused;
      this.other[slot] = null;
    } else {
      this.id[slot] = null;
      this.name[slot] = '';
      this.task[slot] = null;
      this.trigger[slot] = null;
      this.policy[slot] = null;
      this.paused[slot] = false;
      this.other[slot] = subject;
    }
  }

  view(slot: number): AuditJob | null {
    const id = this.id[slot] as string | null;
    if (id === null) return this.other[slot]?.toAuditJob() ?? null;
    return new JobAtChange(
      id,
      this.name[slot] as string,
      this.task[slot] as string | null,
      this.trigger[slot] as Trigger,
      this.policy[slot] as JobPolicy,
      this.paused[slot] as boolean,
    ).toAuditJob();
  }
}

export class MemoryAuditLog implements AuditLog {
  /**
   * A ring of the newest `maxEntries` entries by column, filled up to its size and then overwritten
   * oldest first (no copy as it trims). The entry appended n-th (from 1) has id n.
   */
  private readonly at: number[] = [];
  private readonly actor: Actor[] = [];
  private readonly action: AuditAction[] = [];
  private readonly jobId: (string | null)[] = [];
  private readonly before = new SubjectColumns();
  private readonly after = new SubjectColumns();
  private appended = 0;

  constructor(private readonly maxEntries = MEMORY_AUDIT_ENTRIES) {}

  append(entry: AuditAppend): void {
    const slot = this.appended % this.maxEntries;
    this.appended++;
    this.at[slot] = entry.at;
    this.actor[slot] = entry.actor;
    this.action[slot] = entry.action;
    this.jobId[slot] = entry.jobId;
    this.before.set(slot, entry.before);
    this.after.set(slot, entry.after);
  }

  page(query: AuditPageQuery): AuditRecord[] {
    const out: AuditRecord[] = [];
    const oldestId = Math.max(1, this.appended - this.maxEntries + 1);
    const newestId = query.beforeId === undefined ? this.appended : Math.min(this.appended, query.beforeId - 1);
    for (let id = newestId; id >= oldestId && out.length < query.limit; id--) {
      const slot = (id - 1) % this.maxEntries;
      const jobId = this.jobId[slot] as string | null;
      if (query.jobId !== undefined && jobId !== query.jobId) continue;
      out.push({
        id,
        at: this.at[slot] as number,
        actor: this.actor[slot] as Actor,
        action: this.action[slot] as AuditAction,
        jobId,
        before: this.before.view(slot),
        after: this.after.view(slot),
      });
    }
    return out;
  }
}
