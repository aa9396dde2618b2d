/**
 * Detects what to notify: health transitions of jobs, and lost or missed run records.
 *
 * A job's health is read through the scheduler (the same rules as JobInfo.health) when (a) a run outcome
 * of the job is recorded on this node, (b) the job is changed, paused, resumed or removed, (c) the
 * periodic sweep reads every job (time-based overdue, and what other nodes did). It is compared with the
 * state last reported (the outbox's stored state); a difference is compared and set in the outbox with
 * the deliveries in one transaction, so one node reports each transition, once, across restarts.
 *
 * The scheduler's events are listened to only while at least one target exists: without one, a fire
 * costs nothing more (the event bus builds no payload nobody wants).
 */
import type { RunEvent, SchedulerEventName } from '../core/events.js';
import type { HealthState, JobHealth } from '../core/health.js';
import type { Logger } from '../core/logger.js';
import { runId } from '../core/run.js';
import { toErrorLog } from '../scheduler/error-log.js';
import type { JobInfo } from '../scheduler/job-info.js';
import type { SchedulerService } from '../scheduler/service.js';
import type { NotificationOutbox, OutboxEntry } from './outbox.js';
import { buildBody, runPayload, type RunPayload } from './payload.js';
import { targetWants, type NotificationEvent, type NotificationTarget } from './targets.js';

/** Run events after which the job's health may have changed. */
const RUN_EVENTS = ['job_executed', 'job_error', 'job_timed_out', 'job_cancelled', 'job_max_instances', 'job_missed', 'job_lost'] as const;
/** Jobs per page of the sweep. */
const SWEEP_PAGE = 500;

/**
 * The event a change of reported state sends: the new state for failing, overdue and paused; `recovered`
 * from failing or overdue back to ok; nothing for ok or pending otherwise (a job first seen ok sends nothing).
 */
export function transitionEvent(old: HealthState | null, next: HealthState): NotificationEvent | null {
  if (old === next) return null;
  if (next === 'failing' || next === 'overdue' || next === 'paused') return next;
  if (next === 'ok' && (old === 'failing' || old === 'overdue')) return 'recovered';
  return null;
}

export interface WatcherContext {
  scheduler: SchedulerService;
  outbox: NotificationOutbox;
  logger: Logger;
  publicUrl: () => string;
  targets: () => readonly NotificationTarget[];
  /** Deliveries were queued: log and wake the deliverer. */
  queued: (event: NotificationEvent, jobId: string, count: number) => void;
}

export class HealthWatcher {
  private removers: (() => void)[] = [];
  /** Jobs whose health to read again. */
  private readonly dirty = new Set<string>();
  private readonly removed = new Set<string>();
  /** Lost and missed records to notify. */
  private records: RunEvent[] = [];
  private draining: Promise<void> | null = null;
  /** Events heard before the targets are read (runs found lost at open) wait for begin(). */
  private ready = false;

  constructor(private readonly context: WatcherContext) {}

  /** True while the scheduler's events are listened to. */
  get listening(): boolean {
    return this.removers.length > 0;
  }

  /** Listens to the scheduler's events, or stops (see the header: only while a target exists). */
  listen(on: boolean): void {
    if (on === this.listening) return;
    if (!on) {
      for (const remove of this.removers.splice(0)) remove();
      return;
    }
    const { scheduler } = this.context;
    for (const name of RUN_EVENTS) this.removers.push(scheduler.on(name, (event: RunEvent, event_name: SchedulerEventName) => this.onRun(event, event_name)));
    this.removers.push(scheduler.on('job_modified', ({ jobId }) => this.mark(jobId)));
    this.removers.push(
      scheduler.on('job_removed', ({ jobId }) => {
        this.removed.add(jobId);
        this.kick();
      }),
    );
  }

  /** The targets are read: evaluate what was heard so far, and from now on at once. */
  begin(): void {
    this.ready = true;
    this.kick();
  }

  /** Stops evaluating (what is heard meanwhile waits for the next begin()). */
  end(): void {
    this.ready = false;
  }

  /** Resolves when what the events asked for has been evaluated (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.draining !== null) await this.draining;
  }

  private onRun(event: RunEvent, name: SchedulerEventName): void {
    if (name === 'job_lost' || name === 'job_missed') this.records.push(event);
    this.mark(event.jobId);
  }

  private mark(jobId: string): void {
    this.dirty.add(jobId);
    this.kick();
  }

  private kick(): void {
    if (!this.ready) return;
    this.draining ??= this.drain()
      .catch((error: unknown) => {
        this.context.logger.error({ event: 'notification_check_failed', error: toErrorLog(error) }, 'notifications: checking job health failed');
      })
      .finally(() => {
        this.draining = null;
      });
  }

  /** Evaluates what the events marked, until nothing is left (events that arrive meanwhile join in). */
  private async drain(): Promise<void> {
    const { scheduler, outbox } = this.context;
    while (this.dirty.size > 0 || this.removed.size > 0 || this.records.length > 0) {
      const records = this.records.splice(0);
      for (const record of records) await this.notifyRecord(record);
      const removed = [...this.removed];
      this.removed.clear();
      for (const jobId of removed) {
        this.dirty.delete(jobId);
        await outbox.forget(jobId);
      }
      const ids = [...this.dirty];
      this.dirty.clear();
      if (!this.evaluating()) continue;
      const infos: JobInfo[] = [];
      for (const id of ids) {
        const info = await scheduler.getJob(id);
        if (info !== undefined) infos.push(info);
      }
      await this.compare(infos);
    }
  }

  /**
   * Health is judged only while this scheduler runs unpaused: a stopped or starting one sees fires due
   * while it was down as overdue until its first pass, and a pause of the whole scheduler is this
   * node's own (every job would read paused here and not on the other nodes).
   */
  private evaluating(): boolean {
    const { scheduler } = this.context;
    return scheduler.isRunning && !scheduler.isPaused;
  }

  /** One pass over every job, a page at a time (the periodic sweep). */
  async sweep(): Promise<void> {
    if (!this.evaluating()) return;
    let cursor: string | undefined;
    do {
      const page = await this.context.scheduler.getJobs({ limit: SWEEP_PAGE, sort: 'id', ...(cursor === undefined ? {} : { cursor }) });
      await this.compare(page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined && this.evaluating());
  }

  /** Reports each job whose health differs from the state last reported. */
  private async compare(infos: readonly JobInfo[]): Promise<void> {
    if (infos.length === 0) return;
    const stored = await this.context.outbox.healthStates(infos.map((info) => info.id));
    for (const info of infos) {
      if (stored.get(info.id)?.state !== info.health.state) await this.report(info);
    }
  }

  private async report(info: JobInfo): Promise<void> {
    const { outbox, scheduler } = this.context;
    const health = info.health;
    const now = scheduler.now();
    // The newest run, for the body: read before the transaction (the body is built inside it).
    const newest = (await scheduler.getRuns(info.id, { limit: 1 }))[0];
    const run = newest === undefined ? null : runPayload(newest);
    // Set inside the transaction's callback, from the state it actually replaced.
    const queued: { event: NotificationEvent | null; count: number } = { event: null, count: 0 };
    const old = await outbox.transition(info.id, { state: health.state, since: health.since?.getTime() ?? null, updatedAt: now }, (previous) => {
      queued.event = transitionEvent(previous, health.state);
      if (queued.event === null) return [];
      const entries = this.entries(queued.event, info, health, run, `${info.id}:${queued.event}:${now}`);
      queued.count = entries.length;
      return entries;
    });
    if (old !== 'unchanged' && queued.event !== null && queued.count > 0) this.context.queued(queued.event, info.id, queued.count);
  }

  /** A lost or missed record: once per run record and target (keyed by run id and event). */
  private async notifyRecord(record: RunEvent): Promise<void> {
    const { scheduler, outbox } = this.context;
    const event: NotificationEvent = record.outcome === 'lost' ? 'lost' : 'missed';
    if (!this.context.targets().some((target) => targetWants(target, event, record.jobId))) return;
    const info = await scheduler.getJob(record.jobId);
    if (info === undefined) return; // removed meanwhile: nobody to tell about
    const scheduledAt = Date.parse(record.scheduledAt);
    const id = runId(record.jobId, scheduledAt, record.attempt);
    const run = runPayload({ id, scheduledAt: new Date(scheduledAt), outcome: record.outcome, error: record.error ?? null });
    const entries = this.entries(event, info, info.health, run, `${id}:${event}`);
    const count = await outbox.enqueue(entries, scheduler.now());
    if (count > 0) this.context.queued(event, record.jobId, count);
  }

  private entries(event: NotificationEvent, info: JobInfo, health: JobHealth, run: RunPayload | null, dedupeKey: string): OutboxEntry[] {
    const targets = this.context.targets().filter((target) => targetWants(target, event, info.id));
    if (targets.length === 0) return [];
    const body = buildBody(event, { id: info.id, name: info.name }, health, run, this.context.publicUrl());
    return targets.map((target) => ({ targetId: target.id, jobId: info.id, event, dedupeKey, body }));
  }
}
