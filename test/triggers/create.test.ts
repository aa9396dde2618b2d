/** createTrigger: the cron engine's CronError reaches the API as INVALID_TRIGGER naming the spec field. */
import { describe, expect, it } from 'vitest';
import { CronCompiler } from '../../src/cron/compiler.js';
import { CronError } from '../../src/cron/cron-error.js';
import { InvalidTriggerError } from '../../src/core/errors.js';
import { createTrigger } from '../../src/triggers/create.js';

const env = { nowMs: 0, defaultTimezone: 'UTC', compiler: new CronCompiler() };

function errorOf(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('createTrigger wraps cron engine errors', () => {
  it('a bad expression is INVALID_TRIGGER at trigger.expression, with the engine error as cause', () => {
    const error = errorOf(() => createTrigger({ type: 'cron', expression: '61 * * * *' }, env));
    expect(error).toBeInstanceOf(InvalidTriggerError);
    expect(error).toMatchObject({ code: 'INVALID_TRIGGER', status: 400, details: [{ path: 'trigger.expression' }] });
    expect((error as Error).message).toMatch(/minute field "61" is out of range 0-59/);
    expect((error as Error).cause).toBeInstanceOf(CronError);
  });

  it('an unknown zone is INVALID_TRIGGER at trigger.timezone', () => {
    const error = errorOf(() => createTrigger({ type: 'cron', expression: '0 * * * *', timezone: 'Mars/Olympus_Mons' }, env));
    expect(error).toMatchObject({ code: 'INVALID_TRIGGER', details: [{ path: 'trigger.timezone' }] });
  });

  it('the path follows the caller (a nested spec names its own field)', () => {
    const error = errorOf(() => createTrigger({ type: 'cron', expression: '* * *' }, env, 'jobs[2].trigger'));
    expect(error).toMatchObject({ details: [{ path: 'jobs[2].trigger.expression' }] });
  });
});
