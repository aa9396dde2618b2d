/**
 * Named tasks: functions registered under a name so that a stored job can refer to them (a closure cannot
 * be stored). Looked up by name when a job is added or loaded, and by identity when a function is passed.
 */
import { InvalidArgumentError } from '../core/errors.js';
import type { JobFunction } from '../core/job.js';
import { JOB_ID_PATTERN } from '../core/job-options.js';
import { describeType } from '../core/format.js';

/** What a task may declare beside its function. */
export interface TaskOptions {
  /**
   * Checks a job's `args` for this task when the job is added or its args or task change, so bad args
   * are refused at creation (an InvalidArgumentError, HTTP 400) instead of failing every run. Throw to
   * refuse; return normally to accept.
   */
  checkArgs?: (args: unknown) => void;
}

export class TaskRegistry {
  private readonly byName = new Map<string, JobFunction>();
  private readonly byFunc = new Map<JobFunction, string>();
  private readonly checks = new Map<string, (args: unknown) => void>();

  register(name: string, func: JobFunction, options: TaskOptions = {}): void {
    if (typeof name !== 'string' || !JOB_ID_PATTERN.test(name)) {
      throw InvalidArgumentError.field('name', `a task name must be 1-200 characters of A-Z a-z 0-9 . _ : -, got ${describeType(name)}.`);
    }
    if (typeof func !== 'function') throw InvalidArgumentError.field('func', `must be a function, got ${describeType(func)}.`);
    if (options.checkArgs !== undefined && typeof options.checkArgs !== 'function') {
      throw InvalidArgumentError.field('options.checkArgs', `must be a function, got ${describeType(options.checkArgs)}.`);
    }
    if (options.checkArgs === undefined) this.checks.delete(name);
    else this.checks.set(name, options.checkArgs);
    const previous = this.byName.get(name);
    if (previous !== undefined && previous !== func) this.byFunc.delete(previous);
    this.byName.set(name, func);
    if (!this.byFunc.has(func)) this.byFunc.set(func, name);
  }

  /** Runs the task's args check, if it has one (throws what the check throws). */
  checkArgs(name: string, args: unknown): void {
    const check = this.checks.get(name);
    if (check !== undefined) check(args);
  }

  get(name: string): JobFunction | undefined {
    return this.byName.get(name);
  }

  nameOf(func: JobFunction): string | undefined {
    // Most schedulers register no task: skip the lookup made on every add.
    return this.byFunc.size === 0 ? undefined : this.byFunc.get(func);
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }
}
