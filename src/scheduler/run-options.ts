/**
 * Validation of runJobNow's options (and the body of POST /jobs/:id/run): `args` replace the job's for
 * that run only and must survive JSON like a job's args (a retry of the run keeps them in the store);
 * `note` is one line of why, as a pause's.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { describeType } from '../core/format.js';
import { validateArgs } from '../core/job-options.js';
import { checkNote } from './pause-options.js';

/** runJobNow's options. */
export interface RunNowOptions {
  /** The args of this run instead of the job's (checked against the task's argsSchema); absent: the job's. */
  args?: unknown;
  /** Why, for the audit trail and the run record: at most 500 characters, no control characters. */
  note?: string;
}

const RUN_KEYS: readonly string[] = ['args', 'note'];

/** The options, checked: `args` undefined when the run uses the job's, `note` undefined when none. */
export function checkRunOptions(options: unknown, path = 'options'): { args: unknown; note: string | undefined } {
  if (options === undefined || options === null) return { args: undefined, note: undefined };
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw InvalidArgumentError.field(path, `must be an object { args?, note? }, got ${describeType(options)}.`);
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!RUN_KEYS.includes(key)) throw InvalidArgumentError.field(`${path}.${key}`, 'is not a run option; allowed: args, note.');
  }
  return { args: validateArgs(o.args, `${path}.args`), note: checkNote(o.note, `${path}.note`) ?? undefined };
}

/**
 * runJobNow(id, context), as before options came: a second argument holding only `actor` is the context
 * (`actor` is no run option, so nothing is taken for what it is not).
 */
export function isContextOnly(options: unknown, context: unknown): boolean {
  if (context !== undefined || typeof options !== 'object' || options === null) return false;
  const keys = Object.keys(options);
  return keys.length === 1 && keys[0] === 'actor';
}
