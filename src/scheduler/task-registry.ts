/**
 * Named tasks: functions registered under a name so that a stored job can refer to them (a closure cannot
 * be stored). Looked up by name when a job is added or loaded, and by identity when a function is passed.
 * A task may declare the JSON Schema of its args (shape and types, args-schema.ts) and a `checkArgs`
 * function for what a schema cannot say (the shell task's allow-list); both run when a job is created or
 * changed, and the schema again before each run.
 */
import { InvalidArgumentError } from '../core/errors.js';
import type { JobFunction } from '../core/job.js';
import { JOB_ID_PATTERN } from '../core/job-options.js';
import { describeType } from '../core/format.js';
import { compileArgsSchema, type ArgsValidator } from './args-schema.js';

/** `func`, checking the run's args against the task's schema first (a stored job's args may predate it). */
function checkedRun(func: JobFunction, validate: ArgsValidator): JobFunction {
  return (ctx) => {
    validate(ctx.args);
    return func(ctx);
  };
}

/** What a task may declare beside its function. */
export interface TaskOptions {
  /**
   * JSON Schema (draft-07 keywords) of a job's `args` for this task: checked when a job is added, replaced
   * or its args or task change (InvalidArgumentError naming the field, `args.url`; HTTP 400), and before
   * each run. Compiled at registration: an unknown keyword or a malformed schema is refused there.
   */
  argsSchema?: Record<string, unknown>;
  /**
   * Checks a job's `args` for this task when the job is added or its args or task change, after
   * `argsSchema`, for what a schema cannot say (a URL that parses, a command on an allow-list), so bad
   * args are refused at creation (an InvalidArgumentError, HTTP 400) instead of failing every run.
   * Throw to refuse; return normally to accept. Not run before each run: the task checks its own args.
   */
  checkArgs?: (args: unknown) => void;
}

export class TaskRegistry {
  /** The function a job of the task runs: the task's own, or (with an argsSchema) one that checks args first. */
  private readonly byName = new Map<string, JobFunction>();
  private readonly byFunc = new Map<JobFunction, string>();
  private readonly checks = new Map<string, (args: unknown) => void>();
  private readonly schemas = new Map<string, { schema: Record<string, unknown>; validate: ArgsValidator }>();

  register(name: string, func: JobFunction, options: TaskOptions = {}): void {
    if (typeof name !== 'string' || !JOB_ID_PATTERN.test(name)) {
      throw InvalidArgumentError.field('name', `a task name must be 1-200 characters of A-Z a-z 0-9 . _ : -, got ${describeType(name)}.`);
    }
    if (typeof func !== 'function') throw InvalidArgumentError.field('func', `must be a function, got ${describeType(func)}.`);
    if (options.checkArgs !== undefined && typeof options.checkArgs !== 'function') {
      throw InvalidArgumentError.field('options.checkArgs', `must be a function, got ${describeType(options.checkArgs)}.`);
    }
    const validate = options.argsSchema === undefined ? null : compileArgsSchema(options.argsSchema, 'options.argsSchema');
    if (options.checkArgs === undefined) this.checks.delete(name);
    else this.checks.set(name, options.checkArgs);
    if (validate === null) this.schemas.delete(name);
    // A copy: the caller's object may change later, and GET /tasks shows it.
    else this.schemas.set(name, { schema: structuredClone(options.argsSchema) as Record<string, unknown>, validate });
    const previous = this.originalOf(name);
    if (previous !== undefined && previous !== func) this.byFunc.delete(previous);
    // Only a task with a schema gets a wrapper (and its check at every run); others run as given.
    this.byName.set(name, validate === null ? func : checkedRun(func, validate));
    if (!this.byFunc.has(func)) this.byFunc.set(func, name);
  }

  /** Runs the task's args schema and check, if it has them (throws an InvalidArgumentError naming the field). */
  checkArgs(name: string, args: unknown): void {
    this.schemas.get(name)?.validate(args);
    const check = this.checks.get(name);
    if (check !== undefined) check(args);
  }

  /** The args schema the task was registered with, if any. */
  argsSchemaOf(name: string): Record<string, unknown> | undefined {
    return this.schemas.get(name)?.schema;
  }

  /** The function a job of the task runs (with an argsSchema: one that checks the args first). */
  get(name: string): JobFunction | undefined {
    return this.byName.get(name);
  }

  /** The function registered under `name`, as given (not its checking wrapper); a scan, at registration only. */
  private originalOf(name: string): JobFunction | undefined {
    for (const [func, registered] of this.byFunc) if (registered === name) return func;
    return undefined;
  }

  nameOf(func: JobFunction): string | undefined {
    // Most schedulers register no task: skip the lookup made on every add.
    return this.byFunc.size === 0 ? undefined : this.byFunc.get(func);
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }
}
