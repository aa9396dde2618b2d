/**
 * Sends queued notifications: claims due deliveries from the outbox (held by a lease, so two nodes never
 * send one at once), POSTs each stored body signed for this attempt, and records the attempt. A failed
 * attempt (no answer within 10 s, or a status other than 2xx; redirects are not followed) is retried
 * after 1 s, doubling up to 1 h, at most 12 attempts, then the delivery is `failed`. On stop, attempts in
 * flight are aborted and left pending, due at once, for the next start.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { toErrorLog } from '../scheduler/error-log.js';
import type { AttemptResult, ClaimedDelivery, NotificationOutbox } from './outbox.js';
import { signatureHeader } from './signature.js';
import { urlForLog, type NotificationTarget } from './targets.js';

export const FIRST_RETRY_MS = 1_000;
export const MAX_RETRY_MS = 3_600_000;
export const MAX_ATTEMPTS = 12;
export const ATTEMPT_TIMEOUT_MS = 10_000;
/** How long a claim holds a delivery: longer than an attempt can take. */
const LEASE_MS = 3 * ATTEMPT_TIMEOUT_MS;
/** Deliveries claimed (and sent concurrently) at a time. */
const BATCH = 20;
/** The longest wait before looking again, with a shared outbox (other nodes queue too) and without. */
const SHARED_POLL_MS = 1_000;
const LOCAL_POLL_MS = 60_000;

/** The delay before the attempt after `attempts` failed ones. */
export function retryDelayMs(attempts: number): number {
  return Math.min(FIRST_RETRY_MS * 2 ** Math.max(0, attempts - 1), MAX_RETRY_MS);
}

export interface DelivererContext {
  outbox: NotificationOutbox;
  clock: Clock;
  /** Now on the scheduler's clock (a shared store's): the times written. */
  now: () => number;
  logger: Logger;
  target: (id: string) => NotificationTarget | undefined;
  /** This process's name in leases. */
  owner: string;
  /** Other processes queue into the same outbox: look again at least every second. */
  shared: boolean;
}

export class Deliverer {
  private timer: TimerHandle | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = true;
  private readonly inFlight = new Set<AbortController>();

  constructor(private readonly context: DelivererContext) {}

  start(): void {
    this.stopped = false;
    this.wake();
  }

  /** Something was queued (or is due): look now. */
  wake(): void {
    if (this.stopped) return;
    if (this.running !== null) {
      this.again = true;
      return;
    }
    this.clearTimer();
    this.running = this.tick()
      .catch((error: unknown) => {
        this.context.logger.error({ event: 'notification_delivery_error', error: toErrorLog(error) }, 'notifications: reading the outbox failed');
      })
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.wake();
        } else this.sleep();
      });
  }

  /** Resolves when no pass is running (tests). */
  async idle(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  /** Stops: no new attempt; those in flight are aborted and left pending. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimer();
    for (const controller of this.inFlight) controller.abort();
    await this.idle();
  }

  private clearTimer(): void {
    if (this.timer !== null) this.context.clock.clearTimer(this.timer);
    this.timer = null;
  }

  private sleep(): void {
    if (this.stopped) return;
    const poll = this.context.shared ? SHARED_POLL_MS : LOCAL_POLL_MS;
    this.context.outbox.nextDue().then(
      (due) => {
        if (this.stopped || this.running !== null) return;
        const delay = due === null ? poll : Math.min(poll, Math.max(0, due - this.context.now()));
        this.clearTimer();
        this.timer = this.context.clock.setTimer(() => {
          this.timer = null;
          this.wake();
        }, delay);
      },
      (error: unknown) => {
        this.context.logger.error({ event: 'notification_delivery_error', error: toErrorLog(error) }, 'notifications: reading the outbox failed');
        if (!this.stopped) this.timer = this.context.clock.setTimer(() => this.wake(), poll);
      },
    );
  }

  private async tick(): Promise<void> {
    const { outbox, owner } = this.context;
    for (;;) {
      const now = this.context.now();
      const batch = await outbox.claimDue(now, BATCH, now + LEASE_MS, owner);
      if (batch.length === 0 || this.stopped) return;
      await Promise.all(batch.map((delivery) => this.attempt(delivery)));
      if (batch.length < BATCH) return;
    }
  }

  private async attempt(delivery: ClaimedDelivery): Promise<void> {
    const { outbox, owner, logger } = this.context;
    const target = this.context.target(delivery.targetId);
    const at = this.context.now();
    const attempts = delivery.attempts + 1;
    const base = { deliveryId: delivery.id, targetId: delivery.targetId, jobId: delivery.jobId, notification: delivery.event, attempt: attempts };
    if (target === undefined) {
      await outbox.settle(delivery.id, owner, settled(delivery, 'failed', delivery.attempts, at, null, 'the target was removed'));
      return;
    }
    const outcome = await this.post(target, delivery.body, delivery.id, at);
    if (outcome === 'aborted') {
      // Shutting down: this attempt does not count; it is due again at the next start.
      await outbox.settle(delivery.id, owner, {
        ...settled(delivery, 'pending', delivery.attempts, at, null, 'aborted: the notifier stopped'),
        nextAttemptAt: at,
      });
      return;
    }
    const done = this.context.now();
    if (outcome.ok) {
      await outbox.settle(delivery.id, owner, { ...settled(delivery, 'delivered', attempts, at, outcome.status, null), deliveredAt: done });
      logger.info({ event: 'notification_delivered', ...base, status: outcome.status, url: urlForLog(target.url) }, 'notification delivered');
      return;
    }
    const final = attempts >= MAX_ATTEMPTS;
    const result = settled(delivery, final ? 'failed' : 'pending', attempts, at, outcome.status, outcome.error);
    if (!final) result.nextAttemptAt = done + retryDelayMs(attempts);
    await outbox.settle(delivery.id, owner, result);
    const line = {
      event: 'notification_failed',
      ...base,
      status: outcome.status,
      error: outcome.error,
      final,
      nextAttemptAt: result.nextAttemptAt === null ? null : new Date(result.nextAttemptAt).toISOString(),
      url: urlForLog(target.url),
    };
    if (final) logger.error(line, `notification failed after ${attempts} attempts`);
    else logger.warn(line, 'notification attempt failed; it will be retried');
  }

  /** One POST: the stored body, signed now when the target has a secret. */
  private async post(
    target: NotificationTarget,
    body: string,
    deliveryId: number,
    at: number,
  ): Promise<{ ok: boolean; status: number | null; error: string | null } | 'aborted'> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = this.context.clock.setTimer(() => {
      timedOut = true;
      controller.abort();
    }, ATTEMPT_TIMEOUT_MS);
    this.inFlight.add(controller);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'tickwork',
      'tickwork-delivery': String(deliveryId),
    };
    if (target.secret !== null) headers['tickwork-signature'] = signatureHeader(target.secret, Math.floor(at / 1000), body);
    try {
      const response = await fetch(target.url, { method: 'POST', headers, body, redirect: 'manual', signal: controller.signal });
      // The answer's body is not read: release the connection.
      await response.body?.cancel().catch(() => undefined);
      const ok = response.status >= 200 && response.status < 300;
      return { ok, status: response.status, error: ok ? null : `the receiver answered HTTP ${response.status}` };
    } catch (error) {
      if (timedOut) return { ok: false, status: null, error: `no answer within ${ATTEMPT_TIMEOUT_MS / 1000} s` };
      if (controller.signal.aborted) return 'aborted';
      const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
      const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : (error as Error).message;
      return { ok: false, status: null, error: `the request failed: ${detail}` };
    } finally {
      this.context.clock.clearTimer(timer);
      this.inFlight.delete(controller);
    }
  }
}

function settled(
  delivery: ClaimedDelivery,
  status: AttemptResult['status'],
  attempts: number,
  at: number,
  httpStatus: number | null,
  error: string | null,
): AttemptResult {
  return {
    status,
    attempts,
    nextAttemptAt: null,
    lastAttemptAt: at,
    lastStatus: httpStatus,
    lastError: error,
    deliveredAt: delivery.deliveredAt,
  };
}
