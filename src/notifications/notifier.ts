/**
 * Notifier: tells people when jobs start failing, become overdue, are paused, recover, or lose or miss a
 * run, by signed JSON POSTs to targets (targets.ts). It wires the watcher (what to notify), the outbox
 * (kept with the jobs: outbox-for-store.ts) and the deliverer (sending and retries).
 *
 *   const notifier = new Notifier({ scheduler, store, targets: [{ id: 'ops', url, secret }] });
 *   await notifier.start();   // before or after scheduler.start(); before it also hears of runs found lost at open
 *   await scheduler.start();
 *   ...
 *   await notifier.stop();    // before scheduler.shutdown(), which closes the store
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { SystemClock, type Clock, type TimerHandle } from '../core/clock.js';
import { InvalidArgumentError, NotificationTargetNotFoundError } from '../core/errors.js';
import { describeType } from '../core/format.js';
import { validateJobId } from '../core/job-options.js';
import { createDefaultLogger, type Logger } from '../core/logger.js';
import { toErrorLog } from '../scheduler/error-log.js';
import type { SchedulerService } from '../scheduler/service.js';
import type { JobStore } from '../stores/store.js';
import { Deliverer } from './deliverer.js';
import type { Delivery, NotificationOutbox } from './outbox.js';
import { outboxFor } from './outbox-for-store.js';
import { sameTarget, validateTarget, type NotificationEvent, type NotificationTarget, type NotificationTargetSpec } from './targets.js';
import { HealthWatcher } from './watcher.js';
import { PgOutbox } from './outbox-postgres.js';

export interface NotifierOptions {
  scheduler: SchedulerService;
  /**
   * The scheduler's store: targets, reported states and deliveries are kept with its jobs (the SQLite
   * file, the PostgreSQL schema shared by a cluster). Without it (or with the memory store) they are
   * kept in memory.
   */
  store?: JobStore;
  /**
   * Targets owned by configuration: created or updated at start, and a configured target no longer
   * listed is removed. Targets added through `putTarget` (or the API) are kept.
   */
  targets?: NotificationTargetSpec[];
  /** The dashboard's address, for the job link in each body (default http://127.0.0.1:8080). */
  publicUrl?: string;
  /** Seconds between sweeps over every job (time-based overdue, other nodes' changes); default 5. */
  checkIntervalSeconds?: number;
  /** Days delivered and failed deliveries are kept; default 7. */
  retentionDays?: number;
  /** Timers (default the system clock; tests pass the scheduler's ManualClock). */
  clock?: Clock;
  logger?: Logger;
}

const OPTION_KEYS = new Set(['scheduler', 'store', 'targets', 'publicUrl', 'checkIntervalSeconds', 'retentionDays', 'clock', 'logger']);
const DAY_MS = 86_400_000;

export class Notifier {
  private readonly scheduler: SchedulerService;
  private readonly outbox: NotificationOutbox;
  private readonly configured: NotificationTarget[];
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly checkIntervalMs: number;
  private readonly retentionMs: number;
  private readonly watcher: HealthWatcher;
  private readonly deliverer: Deliverer;
  private targets = new Map<string, NotificationTarget>();
  private url: string;
  private sweepTimer: TimerHandle | null = null;
  private sweeping: Promise<void> | null = null;
  private started = false;
  /** Between start() and stop(): listening is allowed. */
  private active = false;

  constructor(options: NotifierOptions) {
    if (typeof options !== 'object' || options === null) throw InvalidArgumentError.field('options', `must be an object, got ${describeType(options)}.`);
    for (const key of Object.keys(options)) {
      if (!OPTION_KEYS.has(key)) throw InvalidArgumentError.field(`options.${key}`, `is not a Notifier option; allowed: ${[...OPTION_KEYS].join(', ')}.`);
    }
    if (typeof options.scheduler?.getJobs !== 'function') throw InvalidArgumentError.field('options.scheduler', 'must be the SchedulerService to watch.');
    this.scheduler = options.scheduler;
    this.clock = options.clock ?? new SystemClock();
    this.logger = options.logger ?? createDefaultLogger();
    this.url = checkPublicUrl(options.publicUrl ?? 'http://127.0.0.1:8080', 'options.publicUrl');
    this.checkIntervalMs = positive(options.checkIntervalSeconds ?? 5, 'options.checkIntervalSeconds', 0.1, 86_400) * 1000;
    this.retentionMs = positive(options.retentionDays ?? 7, 'options.retentionDays', 1 / 24, 3650) * DAY_MS;
    const specs = options.targets ?? [];
    if (!Array.isArray(specs)) throw InvalidArgumentError.field('options.targets', `must be an array of targets, got ${describeType(specs)}.`);
    const now = this.scheduler.now();
    this.configured = specs.map((spec, i) => validateTarget(spec, `notifications[${i}]`, 'config', now));
    const ids = new Set<string>();
    for (const target of this.configured) {
      if (ids.has(target.id)) throw InvalidArgumentError.field('notifications', `target id "${target.id}" is listed twice.`);
      ids.add(target.id);
    }
    this.outbox = outboxFor(options.store);
    this.watcher = new HealthWatcher({
      scheduler: this.scheduler,
      outbox: this.outbox,
      logger: this.logger,
      publicUrl: () => this.url,
      targets: () => [...this.targets.values()],
      queued: (event, jobId, count) => this.queued(event, jobId, count),
    });
    this.deliverer = new Deliverer({
      outbox: this.outbox,
      clock: this.clock,
      now: () => this.scheduler.now(),
      logger: this.logger,
      target: (id) => this.targets.get(id),
      owner: `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
      shared: this.outbox instanceof PgOutbox,
    });
  }

  /** The dashboard address in bodies. */
  get publicUrl(): string {
    return this.url;
  }

  /** Sets the dashboard address (the server sets its listen address when none was configured). */
  set publicUrl(url: string) {
    this.url = checkPublicUrl(url, 'publicUrl');
  }

  /** True while the scheduler's events are listened to: only while a target exists. */
  get listening(): boolean {
    return this.watcher.listening;
  }

  /**
   * Opens the store (if the scheduler has not), reconciles the configured targets, and starts watching
   * and delivering. Started before the scheduler, it also notifies the runs found lost when the store opens.
   */
  async start(): Promise<void> {
    if (this.active) return;
    this.active = true;
    // Listening before the store opens hears of runs the store finds lost at open.
    this.watcher.listen(this.configured.length > 0);
    await this.scheduler.status();
    await this.outbox.open();
    await this.reconcile();
    await this.refresh();
    this.started = true;
    this.watcher.begin();
    this.deliverer.start();
    this.scheduleSweep();
  }

  /** Stops sweeping and listening; attempts in flight are aborted and sent again after the next start. */
  async stop(): Promise<void> {
    if (!this.active) return;
    this.active = false;
    this.started = false;
    if (this.sweepTimer !== null) this.clock.clearTimer(this.sweepTimer);
    this.sweepTimer = null;
    this.watcher.listen(false);
    this.watcher.end();
    await this.deliverer.stop();
    await this.sweeping;
    await this.watcher.idle();
  }

  /** Every target (secrets included: the API shows views, see toTargetView). */
  async listTargets(): Promise<NotificationTarget[]> {
    await this.refresh();
    return [...this.targets.values()];
  }

  async getTarget(id: string): Promise<NotificationTarget> {
    validateJobId(id, 'id');
    await this.refresh();
    const target = this.targets.get(id);
    if (target === undefined) throw new NotificationTargetNotFoundError(id);
    return target;
  }

  /** Creates or replaces a target (the whole of it: a secret not given is removed). Answers it, and whether it was created; `path` names the spec in errors. */
  async putTarget(spec: NotificationTargetSpec, path = 'target'): Promise<{ target: NotificationTarget; created: boolean }> {
    const target = validateTarget(spec, path, 'api', this.scheduler.now());
    const created = await this.outbox.putTarget(target);
    await this.refresh();
    return { target, created };
  }

  async deleteTarget(id: string): Promise<void> {
    validateJobId(id, 'id');
    if (!(await this.outbox.deleteTarget(id))) throw new NotificationTargetNotFoundError(id);
    await this.refresh();
  }

  /** Deliveries, newest first: `limit` (1-1000, default 50), `cursor` (the previous page's nextCursor). */
  async deliveries(
    query: { targetId?: string; jobId?: string; limit?: number; cursor?: string } = {},
  ): Promise<{ items: Delivery[]; nextCursor: string | null }> {
    const limit = query.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw InvalidArgumentError.field('limit', `must be an integer from 1 to 1000, got ${describeType(limit)}.`);
    if (query.targetId !== undefined) validateJobId(query.targetId, 'targetId');
    if (query.jobId !== undefined) validateJobId(query.jobId, 'jobId');
    let beforeId: number | undefined;
    if (query.cursor !== undefined) {
      beforeId = Number(query.cursor);
      if (!/^[1-9][0-9]{0,15}$/.test(query.cursor)) throw InvalidArgumentError.field('cursor', 'must be the nextCursor of the previous page.');
    }
    const items = await this.outbox.deliveries({
      limit,
      ...(query.targetId === undefined ? {} : { targetId: query.targetId }),
      ...(query.jobId === undefined ? {} : { jobId: query.jobId }),
      ...(beforeId === undefined ? {} : { beforeId }),
    });
    const last = items[items.length - 1];
    return { items, nextCursor: items.length === limit && last !== undefined ? String(last.id) : null };
  }

  /** One sweep now, and what it queued evaluated (tests; the sweep runs every checkIntervalSeconds anyway). */
  async check(): Promise<void> {
    await this.sweepOnce();
    await this.watcher.idle();
  }

  /** Resolves when events heard so far are evaluated and the deliverer is between passes (tests). */
  async settled(): Promise<void> {
    await this.watcher.idle();
    await this.deliverer.idle();
  }

  /** Creates or updates the configured targets; removes configured ones no longer listed. */
  private async reconcile(): Promise<void> {
    const stored = new Map((await this.outbox.listTargets()).map((target) => [target.id, target]));
    for (const target of this.configured) {
      const existing = stored.get(target.id);
      if (existing !== undefined && sameTarget(existing, target)) continue;
      await this.outbox.putTarget(target);
      this.logger.info(
        { event: 'notification_target_configured', targetId: target.id, created: existing === undefined },
        'notification target from the configuration',
      );
    }
    const listed = new Set(this.configured.map((target) => target.id));
    for (const target of stored.values()) {
      if (target.source !== 'config' || listed.has(target.id)) continue;
      await this.outbox.deleteTarget(target.id);
      this.logger.info({ event: 'notification_target_configured', targetId: target.id, removed: true }, 'notification target no longer configured: removed');
    }
  }

  /** Reads the targets (another node may have changed them) and listens to events only while one exists. */
  private async refresh(): Promise<void> {
    this.targets = new Map((await this.outbox.listTargets()).map((target) => [target.id, target]));
    this.watcher.listen(this.active && this.targets.size > 0);
  }

  private queued(event: NotificationEvent, jobId: string, count: number): void {
    this.logger.info({ event: 'notification_queued', notification: event, jobId, targets: count }, `notification "${event}" queued for ${count} target(s)`);
    this.deliverer.wake();
  }

  private scheduleSweep(): void {
    if (!this.started) return;
    this.sweepTimer = this.clock.setTimer(() => {
      this.sweepTimer = null;
      this.sweeping = this.sweepOnce().finally(() => {
        this.sweeping = null;
        this.scheduleSweep();
      });
    }, this.checkIntervalMs);
  }

  /** Targets read again, every job's health compared, old deliveries pruned. Never throws (logged). */
  private async sweepOnce(): Promise<void> {
    try {
      await this.refresh();
      if (this.targets.size > 0) await this.watcher.sweep();
      await this.outbox.prune(this.scheduler.now() - this.retentionMs);
    } catch (error) {
      this.logger.error({ event: 'notification_check_failed', error: toErrorLog(error) }, 'notifications: the periodic check failed');
    }
  }
}

function checkPublicUrl(value: unknown, path: string): string {
  if (typeof value === 'string') {
    try {
      const url = new URL(value);
      if (url.protocol === 'http:' || url.protocol === 'https:') return value.replace(/\/+$/, '');
    } catch {
      // Reported below.
    }
  }
  throw InvalidArgumentError.field(path, `must be the dashboard's http or https address, e.g. "https://tickwork.example.com", got ${describeType(value)}.`);
}

function positive(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw InvalidArgumentError.field(path, `must be a number from ${min} to ${max}, got ${describeType(value)}.`);
  }
  return value;
}
