/**
 * The scheduler's side of the audit trail: the job views entries hold, the writes (after each mutation,
 * never on the fire path; a failed write is logged, not thrown: the change itself is done) and the paged
 * reads of getAudit.
 */
import type { Actor } from '../core/actor.js';
import { JobAtChange, type AuditAction, type AuditBackfill, type AuditLog, type AuditPage, type AuditQuery, type AuditSubject } from '../core/audit.js';
import type { Clock } from '../core/clock.js';
import { InvalidArgumentError } from '../core/errors.js';
import { describeType } from '../core/format.js';
import type { JobRecord } from '../core/job.js';
import { validateJobId } from '../core/job-options.js';
import type { Logger } from '../core/logger.js';
import { MemoryAuditLog } from '../stores/audit/memory-audit.js';
import type { JobStore } from '../stores/store.js';
import { toErrorLog } from './error-log.js';
import { redactArgs } from './redact.js';

export class AuditTrail {
  private readonly log: AuditLog;

  constructor(
    store: JobStore,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.log = store.auditLog?.() ?? new MemoryAuditLog();
  }

  /**
   * Writes one entry; never throws nor rejects (see the file comment). Synchronous with a synchronous log
   * (memory, SQLite): a library adding many jobs pays no promise per add. `at`: when the change was made,
   * if the caller has read the clock already.
   */
  record(
    action: AuditAction,
    actor: Actor,
    jobId: string | null,
    before: AuditSubject | null,
    after: AuditSubject | null,
    at: number = this.clock.now(),
  ): void | Promise<void> {
    try {
      const appended = this.log.append({ at, actor, action, jobId, before, after });
      if (appended instanceof Promise) return appended.then(undefined, (error: unknown) => this.failed(action, jobId, error));
    } catch (error) {
      this.failed(action, jobId, error);
    }
    return undefined;
  }

  private failed(action: AuditAction, jobId: string | null, error: unknown): void {
    this.logger.error({ event: 'audit_write_failed', action, jobId, error: toErrorLog(error) }, 'the audit entry could not be written');
  }

  /** One page, newest first; pass `nextCursor` back as `cursor`. */
  async page(query: AuditQuery = {}): Promise<AuditPage> {
    if (typeof query !== 'object' || query === null) throw InvalidArgumentError.field('query', `must be an object, got ${describeType(query)}.`);
    const limit = query.limit ?? 50;
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw InvalidArgumentError.field('query.limit', `must be an integer from 1 to 1000, got ${describeType(limit)}.`);
    }
    const jobId = query.jobId === undefined ? undefined : validateJobId(query.jobId, 'query.jobId');
    let beforeId: number | undefined;
    if (query.cursor !== undefined) {
      beforeId = typeof query.cursor === 'string' && /^[0-9]{1,15}$/.test(query.cursor) ? Number(query.cursor) : Number.NaN;
      if (Number.isNaN(beforeId)) throw InvalidArgumentError.field('query.cursor', 'is not a cursor from a previous page (its nextCursor).');
    }
    const asked = { limit: limit + 1, ...(jobId === undefined ? {} : { jobId }), ...(beforeId === undefined ? {} : { beforeId }) };
    const read = this.log.page(asked);
    const records = read instanceof Promise ? await read : read;
    const page = records.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => ({ at: new Date(r.at), actor: r.actor, action: r.action, jobId: r.jobId, before: r.before, after: r.after })),
      nextCursor: records.length > limit && last !== undefined ? String(last.id) : null,
    };
  }
}

/** The job as an audit entry shows it (see JobAtChange): references it holds now, its views built when read. */
export function auditJob(job: JobRecord): AuditSubject {
  return new JobAtChange(job.id, job.name, job.task, job.trigger, job.policy, job.paused);
}

/**
 * The `after` of a `job.run` entry: the job, and what the manual run was given (its args with their secrets
 * redacted, as redactArgs has them; its note). Built once, when the run starts (not on the fire path).
 */
export function auditRun(job: JobRecord, args: unknown, note: string | undefined): AuditSubject {
  if (args === undefined && note === undefined) return auditJob(job);
  const run: { args?: unknown; note?: string } = {};
  if (args !== undefined) run.args = redactArgs(args);
  if (note !== undefined) run.note = note;
  const subject = auditJob(job);
  return { toAuditJob: () => ({ ...subject.toAuditJob(), run }) };
}

/** The job as a `job.backfilled` entry shows it: as auditJob, with what the backfill did. */
export function auditBackfill(job: JobRecord, backfill: AuditBackfill): AuditSubject {
  const subject = auditJob(job);
  return { toAuditJob: () => ({ ...subject.toAuditJob(), backfill }) };
}
