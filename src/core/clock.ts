/**
 * The Clock is the only place in Tickwork that reads the wall clock or sets timers, so that tests can
 * drive time deterministically with {@link ManualClock}.
 */

/** An opaque handle returned by {@link Clock.setTimer}. */
export type TimerHandle = unknown;

export interface Clock {
  /** Milliseconds since the Unix epoch (UTC). */
  now(): number;
  /** Calls `callback` after about `delayMs`. Implementations must cope with any non-negative delay. */
  setTimer(callback: () => void, delayMs: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

/**
 * setTimeout fires at once for delays above 2^31-1 ms, so long sleeps are split; the scheduler also caps
 * its own sleeps far below this and re-reads the clock on every wake.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** The real clock: `Date.now()` and `setTimeout`. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  setTimer(callback: () => void, delayMs: number): TimerHandle {
    const delay = Number.isFinite(delayMs) ? Math.min(Math.max(0, delayMs), MAX_TIMER_DELAY_MS) : MAX_TIMER_DELAY_MS;
    return setTimeout(callback, delay);
  }

  clearTimer(handle: TimerHandle): void {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  }
}

interface ManualTimer {
  readonly id: number;
  readonly at: number;
  readonly callback: () => void;
}

/**
 * A clock that only moves when told to. `advance(ms)` fires due timers in time order and lets promise
 * continuations settle between them, so async scheduler code runs as it would in real time.
 */
export class ManualClock implements Clock {
  /** Monotonic time: what timers run on. */
  private current: number;
  /** Wall clock minus monotonic time; changed by {@link jump}. */
  private wallOffset = 0;
  private nextId = 1;
  private readonly timers = new Map<number, ManualTimer>();

  constructor(startMs: number) {
    this.current = startMs;
  }

  now(): number {
    return this.current + this.wallOffset;
  }

  setTimer(callback: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    const delay = Number.isFinite(delayMs) ? Math.max(0, delayMs) : MAX_TIMER_DELAY_MS;
    this.timers.set(id, { id, at: this.current + delay, callback });
    return id;
  }

  clearTimer(handle: TimerHandle): void {
    this.timers.delete(handle as number);
  }

  /** Timers set and not yet fired or cleared: a test that leaks one fails on this. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    await flushMicrotasks();
    for (;;) {
      const next = this.earliest();
      if (next === undefined || next.at > target) break;
      this.timers.delete(next.id);
      if (next.at > this.current) this.current = next.at;
      next.callback();
      await flushMicrotasks();
    }
    this.current = target;
    await flushMicrotasks();
  }

  /**
   * Moves time forward without firing timers, as when the event loop is blocked or the process is
   * suspended; the overdue timers fire on the next `advance`.
   */
  stall(ms: number): void {
    this.current += ms;
  }

  /**
   * Sets the wall clock without firing timers: a jump, as when NTP or an operator moves the clock.
   * Timers keep running on monotonic time, as Node's setTimeout does.
   */
  jump(toMs: number): void {
    this.wallOffset = toMs - this.current;
  }

  private earliest(): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const timer of this.timers.values()) {
      if (best === undefined || timer.at < best.at || (timer.at === best.at && timer.id < best.id)) best = timer;
    }
    return best;
  }
}

/** Lets queued promise continuations (several levels deep) run; uses a macrotask turn. */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A clock shifted by a varying offset: the scheduler of a node sharing a database reads the database's
 * time through it, so that a node whose own clock is off still agrees with the others on what is due.
 * Timers are relative delays, so they pass through unchanged.
 */
export class OffsetClock implements Clock {
  constructor(
    private readonly inner: Clock,
    private readonly offsetMs: () => number,
  ) {}

  now(): number {
    return this.inner.now() + this.offsetMs();
  }

  setTimer(callback: () => void, delayMs: number): TimerHandle {
    return this.inner.setTimer(callback, delayMs);
  }

  clearTimer(handle: TimerHandle): void {
    this.inner.clearTimer(handle);
  }
}
