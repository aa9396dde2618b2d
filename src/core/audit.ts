/**
 * The audit trail: one entry per change to a job or to the scheduler, saying when, who (an Actor, see
 * actor.ts), what (the action) and the job's definition before and after (args left out, as monitors see
 * jobs: they may hold credentials). Kept by the store (an AuditLog), with the run history's retention.
 */
import type { Actor } from './actor.js';
import { exclusionInfo, type JobExclusionInfo } from './exclusion.js';
import type { JobPolicy } from './job.js';
import { policyValues, type PolicyValues } from './policy-fields.js';
import type { Trigger } from './trigger.js';

export const AUDIT_ACTIONS = [
  'job.added',
  'job.modified',
  'job.paused',
  'job.resumed',
  'job.removed',
  'job.run',
  'job.backfilled',
  'scheduler.paused',
  'scheduler.resumed',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** A job as an audit entry shows it: its definition without args, and whether it is paused. */
export interface AuditJob extends PolicyValues {
  id: string;
  name: string;
  task?: string;
  trigger: Record<string, unknown>;
  paused: boolean;
  /** The job's exclusions, when it has any. */
  exclude?: JobExclusionInfo;
  /** `job.run` only: the manual run's note and, when it was given its own, its args (secrets redacted). */
  run?: { args?: unknown; note?: string };
  /** Only in a `job.backfilled` entry's `after`: the range, the outcomes asked for and how many fires were re-run. */
  backfill?: AuditBackfill;
}

/** What a backfill did, as its audit entry shows it (times ISO 8601). */
export interface AuditBackfill {
  from: string;
  to: string;
  only: string[];
  fires: number;
}

/**
 * A job's state at the moment of a change, turned into its AuditJob when a log needs it: a memory log
 * keeps the subject and builds the view only when read, so a library adding a million jobs pays a small
 * object per add, not a view with its trigger spec (which doubled the time of an add).
 */
export interface AuditSubject {
  toAuditJob(): AuditJob;
}

/**
 * The job as an audit entry shows it, captured at a change and built into its AuditJob when a log reads
 * it: its definition without args (as a monitor sees it) and its pause. A change replaces a job's trigger
 * and policy objects rather than changing them, so the references captured here keep what the job was.
 * Its fields are public so that a memory log can keep them in its columns instead of keeping the object
 * (see MemoryAuditLog): an add then leaves nothing behind but the column slots it overwrites.
 */
export class JobAtChange implements AuditSubject {
  constructor(
    readonly id: string,
    readonly name: string,
    readonly task: string | null,
    readonly trigger: Trigger,
    readonly policy: JobPolicy,
    readonly paused: boolean,
  ) {}

  toAuditJob(): AuditJob {
    const p = this.policy;
    const view: AuditJob = {
      id: this.id,
      name: this.name,
      // The spec, not toInfo: no description to build, and it reads only what the trigger keeps after dispose.
      trigger: this.trigger.toSpec() as unknown as Record<string, unknown>,
      paused: this.paused,
      ...policyValues(p),
    };
    if (p.exclude !== null) view.exclude = exclusionInfo(p.exclude);
    if (this.task !== null) view.task = this.task;
    return view;
  }
}

/** What the scheduler hands a log to append. */
export interface AuditAppend {
  at: number;
  actor: Actor;
  action: AuditAction;
  jobId: string | null;
  before: AuditSubject | null;
  after: AuditSubject | null;
}

/** One audit entry as a store keeps it (times in epoch ms; `id` increases with each entry). */
export interface AuditRecord {
  id: number;
  at: number;
  actor: Actor;
  action: AuditAction;
  jobId: string | null;
  before: AuditJob | null;
  after: AuditJob | null;
}

/** One audit entry as getAudit answers it. */
export interface AuditEntry {
  at: Date;
  actor: Actor;
  action: AuditAction;
  jobId: string | null;
  before: AuditJob | null;
  after: AuditJob | null;
}

export interface AuditQuery {
  /** Only this job's entries. */
  jobId?: string;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
  /** 1-1000, default 50. */
  limit?: number;
}

export interface AuditPage {
  /** Newest first. */
  items: AuditEntry[];
  nextCursor: string | null;
}

/** What a store's audit log is asked: newest first, only entries with `id < beforeId` when given. */
export interface AuditPageQuery {
  jobId?: string;
  beforeId?: number;
  limit: number;
}

/**
 * Where a store keeps the audit trail. `append` runs on mutations only (never on the fire path) and
 * applies retention; a store without one (JobStore.auditLog) gets a bounded memory log.
 */
export interface AuditLog {
  append(entry: AuditAppend): void | Promise<void>;
  page(query: AuditPageQuery): AuditRecord[] | Promise<AuditRecord[]>;
}
