/**
 * The wake-up loop: one timer, set for the earliest due job, never one timer per job. Sleeps are capped
 * so that a wall clock that jumps (NTP, a suspended VM) is noticed within MAX_SLEEP_MS, and the clock is
 * re-read on every wake: a wake is only a suggestion to look. One pass runs at a time.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { StoreUnavailableError, TickworkError } from '../core/errors.js';

/** Longest sleep between passes, whatever the schedule says. */
export const MAX_SLEEP_MS = 10_000;
/** Longest run of back-to-back passes in one macrotask before yielding to I/O. */
const TURN_BUDGET_MS = 10;
/** Backoff after a failed pass (the store was unreachable): doubles up to the cap. */
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;

export interface WakeLoopOptions {
  /** Longest sleep (a shared store polls for changes it was not told about). Default MAX_SLEEP_MS. */
  maxSleepMs?: number;
  /**
   * Shortest gap between two passes that were not asked for at once: a store reached over the network
   * batches fires due within this many ms into one pass instead of one round trip per due time.
   */
  minGapMs?: number;
}

export interface PassResult {
  /** More jobs are due right now than one pass takes. */
  more: boolean;
  /** The earliest due time after the pass, or null when nothing is scheduled. */
  next: number | null;
}

export class WakeLoop {
  private timer: TimerHandle | null = null;
  private timerAt = Number.POSITIVE_INFINITY;
  private running = false;
  private again = false;
  /** The earliest wake asked for while a pass was running: the pass's own answer may predate it. */
  private pendingWake = Number.POSITIVE_INFINITY;
  private stopped = true;
  private retryDelay = RETRY_MIN_MS;
  private readonly maxSleepMs: number;
  private readonly minGapMs: number;
  /** The pass in progress, so that shutdown can wait for it before closing the store. */
  private current: Promise<void> | null = null;
  private lastPassEnd = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly pass: () => Promise<PassResult>,
    options: WakeLoopOptions = {},
  ) {
    this.maxSleepMs = options.maxSleepMs ?? MAX_SLEEP_MS;
    this.minGapMs = options.minGapMs ?? 0;
  }

  /** Starts (or restarts) the loop with a pass as soon as possible. */
  wakeSoon(): void {
    this.stopped = false;
    this.arm(this.clock.now());
  }

  /** Makes sure a pass happens by `atMs` (a job was added or became due sooner). */
  wakeBy(atMs: number): void {
    if (this.stopped) return;
    if (this.running) {
      if (atMs <= this.clock.now()) this.again = true;
      else this.pendingWake = Math.min(this.pendingWake, atMs);
      return;
    }
    const at = Math.max(atMs, this.lastPassEnd + this.minGapMs);
    if (at < this.timerAt) this.arm(at);
  }

  stop(): void {
    this.stopped = true;
    this.clear();
  }

  /** Resolves when no pass is running (a pass already started finishes; none starts after stop()). */
  async settled(): Promise<void> {
    while (this.current !== null) await this.current;
  }

  /**
   * Jobs fell due while the pass ran: take them in this turn rather than after a timer (which Node
   * delays by at least 1 ms), as long as the turn has not run for TURN_BUDGET_MS; a store reached over
   * the network (minGapMs) batches them into its next pass instead.
   */
  private dueAgain(result: PassResult, started: number): boolean {
    if (this.minGapMs > 0 || result.next === null) return false;
    const now = this.clock.now();
    return result.next <= now && now - started < TURN_BUDGET_MS;
  }

  private clear(): void {
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.timer = null;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  private arm(atMs: number): void {
    this.clear();
    const now = this.clock.now();
    const delay = Math.min(Math.max(0, atMs - now), this.maxSleepMs);
    this.timerAt = now + delay;
    this.timer = this.clock.setTimer(() => {
      this.timer = null;
      this.timerAt = Number.POSITIVE_INFINITY;
      const pass = this.run().finally(() => {
        if (this.current === pass) this.current = null;
      });
      this.current = pass;
    }, delay);
  }

  private async run(): Promise<void> {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.pendingWake = Number.POSITIVE_INFINITY;
    let result: PassResult | null = null;
    try {
      const started = this.clock.now();
      do {
        this.again = false;
        result = await this.pass();
      } while (!this.stopped && !result.more && (this.again || this.dueAgain(result, started)));
      this.retryDelay = RETRY_MIN_MS;
    } catch (error) {
      const wrapped = error instanceof TickworkError ? error : new StoreUnavailableError('a scheduler pass failed', error);
      this.logger.error(
        { event: 'loop_error', code: wrapped.code, error: { message: wrapped.message, cause: String((wrapped as Error).cause ?? '') } },
        `scheduler pass failed; retrying in ${this.retryDelay} ms`,
      );
      result = null;
    } finally {
      this.running = false;
      this.lastPassEnd = this.clock.now();
    }
    if (this.stopped) return;
    if (result === null) {
      this.arm(this.clock.now() + this.retryDelay);
      this.retryDelay = Math.min(this.retryDelay * 2, RETRY_MAX_MS);
    } else if (result.more || this.again) {
      // Yield to I/O between batches instead of looping in one macrotask.
      this.arm(this.clock.now());
    } else {
      const next = Math.min(result.next ?? Number.POSITIVE_INFINITY, this.pendingWake);
      this.arm(Math.max(next, this.lastPassEnd + this.minGapMs));
    }
  }
}
