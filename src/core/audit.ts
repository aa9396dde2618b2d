/**
 * The audit trail: one entry per change to a job or to the scheduler, saying when, who (an Actor, see
 * actor.ts), what (the action) and the job's definition before and after (args left out, as monitors see
 * jobs: they may hold credentials). Kept by the store (an AuditLog), with the run history's retention.
 */
import type { Actor } from './actor.js';
import type { RetryPolicy } from './job.js';

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
export interface AuditJob {
  id: string;
  name: string;
  task?: string;
  trigger: Record<string, unknown>;
  paused: boolean;
  coalesce: boolean;
  maxInstances: number;
  misfireGraceTime: number | null;
  jitterSeconds: number;
  timeoutSeconds: number | null;
  retries: RetryPolicy | null;
  retryLost: boolean;
  expectSuccessWithinSeconds: number | null;
  overdueAfterMissedFires: number;
  maxRuns: number | null;
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
