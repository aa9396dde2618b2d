/**
 * The JobContext a job function receives. `scheduledAt`, `signal` and `logger` are built on first access:
 * an AbortController, a Date and a child logger per run would cost more than the rest of a fire. What
 * they need sits in one side object made on first use, so that the context of a run that reads none of
 * them is six fields (every fire allocates one; at 100 000 fires a second its size is scavenger time).
 */
import type { JobContext } from '../core/job.js';
import type { Logger } from '../core/logger.js';

/** The lazily built parts, and an abort that came before the signal was read. */
interface Extras {
  controller: AbortController | null;
  aborted: boolean;
  abortReason: unknown;
  childLogger: Logger | null;
  scheduledDate: Date | null;
}

export class RunContext implements JobContext {
  private extras: Extras | null = null;

  constructor(
    readonly jobId: string,
    readonly scheduledAtMs: number,
    readonly attempt: number,
    readonly args: unknown,
    private readonly baseLogger: Logger,
  ) {}

  get scheduledAt(): Date {
    const extras = this.ownExtras();
    extras.scheduledDate ??= new Date(this.scheduledAtMs);
    return extras.scheduledDate;
  }

  get signal(): AbortSignal {
    const extras = this.ownExtras();
    if (extras.controller === null) {
      extras.controller = new AbortController();
      if (extras.aborted) extras.controller.abort(extras.abortReason);
    }
    return extras.controller.signal;
  }

  get logger(): Logger {
    const extras = this.ownExtras();
    if (extras.childLogger === null) {
      const bindings = { jobId: this.jobId, scheduledAt: new Date(this.scheduledAtMs).toISOString(), attempt: this.attempt };
      extras.childLogger = this.baseLogger.child === undefined ? this.baseLogger : this.baseLogger.child(bindings);
    }
    return extras.childLogger;
  }

  /** Aborts the signal, now if it exists, else as soon as the job reads it. */
  abort(reason: unknown): void {
    const extras = this.ownExtras();
    if (extras.aborted) return;
    extras.aborted = true;
    extras.abortReason = reason;
    extras.controller?.abort(reason);
  }

  private ownExtras(): Extras {
    this.extras ??= { controller: null, aborted: false, abortReason: undefined, childLogger: null, scheduledDate: null };
    return this.extras;
  }
}
