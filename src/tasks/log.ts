/** Built-in task `log`: writes one structured log line. Args: `{ message, level? }`. */
import { InvalidArgumentError } from '../core/errors.js';
import type { JobContext } from '../core/job.js';

/** The shape of the log task's args (its registered argsSchema). */
export const logArgsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['message'],
  properties: {
    message: { type: 'string' },
    level: { type: 'string', enum: ['debug', 'info', 'warn', 'error'], description: 'Default info.' },
  },
};

export function logTask(ctx: JobContext): string {
  const args = (ctx.args ?? {}) as { message?: unknown; level?: unknown };
  if (typeof args.message !== 'string') throw InvalidArgumentError.field('args.message', 'the log task needs { message: string }.');
  const level = args.level ?? 'info';
  if (level !== 'debug' && level !== 'info' && level !== 'warn' && level !== 'error') {
    throw InvalidArgumentError.field('args.level', 'must be "debug", "info", "warn" or "error".');
  }
  ctx.logger[level]({ task: 'log' }, args.message);
  return args.message;
}
