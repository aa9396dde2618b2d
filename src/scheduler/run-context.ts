/**
 * The JobContext a job function receives. `scheduledAt`, `signal` and `logger` are built on first access:
 * an AbortController, a Date and a child logger per run would cost more than the rest of a fire.
 */
import type { JobContext } from './job.js';
import type { Logger } from './logger.js';

export class RunContext implements JobContext {
  private controller: AbortController | null = null;
  private abortReason: unknown = undefined;
  private aborted = false;
  private childLogger: Logger | null = null;
  private scheduledDate: Date | null = null;

  constructor(
    readonly jobId: string,
    readonly scheduledAtMs: number,
    readonly attempt: number,
    readonly args: unknown,
    private readonly baseLogger: Logger,
  ) {}

  get scheduledAt(): Date {
    this.scheduledDate ??= new Date(this.scheduledAtMs);
    return this.scheduledDate;
  }

  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  get logger(): Logger {
    if (this.childLogger === null) {
      const bindings = { jobId: this.jobId, scheduledAt: new Date(this.scheduledAtMs).toISOString(), attempt: this.attempt };
      this.childLogger = this.baseLogger.child === undefined ? this.baseLogger : this.baseLogger.child(bindings);
    }
    return this.childLogger;
  }

  /** Aborts the signal, now if it exists, else as soon as the job reads it. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.abortReason = reason;
    this.controller?.abort(reason);
  }
}
