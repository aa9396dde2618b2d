/** Bad input fails with a typed error that names the field, and changes nothing. */
import { describe, expect, it } from 'vitest';
import { ERROR_STATUS, InvalidArgumentError, TickworkError } from '../../src/core/errors.js';
import { JOB_ID_PATTERN, validateJobId } from '../../src/core/job-options.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { harness } from '../helpers.js';

const noop = (): void => undefined;

describe('invalid input', () => {
  const cases: [string, (s: SchedulerService) => Promise<unknown>, string, RegExp][] = [
    ['an empty id', (s) => s.addIntervalJob(noop, 1, ''), 'INVALID_ARGUMENT', /jobId.*1-200 characters/],
    ['an id with a slash', (s) => s.addIntervalJob(noop, 1, 'a/b'), 'INVALID_ARGUMENT', /jobId/],
    ['an id of 201 characters', (s) => s.addIntervalJob(noop, 1, 'x'.repeat(201)), 'INVALID_ARGUMENT', /jobId/],
    ['a negative interval', (s) => s.addIntervalJob(noop, -1, 'job'), 'INVALID_TRIGGER', /seconds must be a finite number from 0.001/],
    ['an infinite interval', (s) => s.addIntervalJob(noop, Number.POSITIVE_INFINITY, 'job'), 'INVALID_TRIGGER', /trigger.seconds/],
    ['a NaN interval', (s) => s.addIntervalJob(noop, Number.NaN, 'job'), 'INVALID_TRIGGER', /trigger.seconds/],
    ['a bad cron field', (s) => s.addCronJob(noop, '61 * * * *', 'job'), 'INVALID_TRIGGER', /minute/],
    ['a cron with 3 fields', (s) => s.addCronJob(noop, '* * *', 'job'), 'INVALID_TRIGGER', /5 fields/],
    ['an unknown time zone', (s) => s.addCronJob(noop, '0 * * * *', 'job', { timezone: 'Mars/Olympus' }), 'INVALID_TRIGGER', /Mars\/Olympus/],
    [
      'a start date after the end date',
      (s) => s.addJob({ func: noop, id: 'job', trigger: { type: 'interval', seconds: 1, startDate: '2026-02-01T00:00:00Z', endDate: '2026-01-01T00:00:00Z' } }),
      'INVALID_TRIGGER',
      /startDate .* is after .*endDate/,
    ],
    ['a date without a zone', (s) => s.addDateJob(noop, '2026-02-01T00:00:00', 'job'), 'INVALID_TRIGGER', /with "Z" or an offset/],
    ['maxInstances 0', (s) => s.addIntervalJob(noop, 1, 'job', { maxInstances: 0 }), 'INVALID_ARGUMENT', /maxInstances: must be an integer from 1/],
    ['a negative grace', (s) => s.addIntervalJob(noop, 1, 'job', { misfireGraceTime: -1 }), 'INVALID_ARGUMENT', /misfireGraceTime/],
    ['an unknown option', (s) => s.addIntervalJob(noop, 1, 'job', { colaesce: true } as never), 'INVALID_ARGUMENT', /options.colaesce: is not a job option/],
    ['a non-function func', (s) => s.addIntervalJob(42 as never, 1, 'job'), 'INVALID_ARGUMENT', /func/],
    ['an unregistered task', (s) => s.addIntervalJob('nope', 1, 'job'), 'TASK_NOT_REGISTERED', /registerTask\("nope"/],
    ['args that are not JSON', (s) => s.addIntervalJob(noop, 1, 'job', { args: { f: 1n } }), 'INVALID_ARGUMENT', /JSON-serializable/],
    ['an unknown trigger type', (s) => s.addJob({ func: noop, trigger: { type: 'weekly' } as never }), 'INVALID_TRIGGER', /trigger.type must be/],
    ['retries without max', (s) => s.addIntervalJob(noop, 1, 'job', { retries: { backoffSeconds: 1 } as never }), 'INVALID_ARGUMENT', /retries.max/],
    ['getRuns with limit 0', (s) => s.getRuns('job', { limit: 0 }), 'INVALID_ARGUMENT', /limit/],
  ];

  it.each(cases)('rejects %s', async (_name, call, code, message) => {
    const { scheduler } = harness();
    await scheduler.addIntervalJob(noop, 5, 'existing');
    const error = await call(scheduler).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TickworkError);
    expect(error).toMatchObject({ code, status: ERROR_STATUS[code as keyof typeof ERROR_STATUS] });
    expect((error as Error).message).toMatch(message);
    // Nothing changed.
    expect((await scheduler.getJobs()).items.map((j) => j.id)).toEqual(['existing']);
  });

  it('rejects invalid scheduler options at construction', () => {
    expect(() => new SchedulerService({ maxConcurrentRuns: 0 })).toThrow(/maxConcurrentRuns/);
    expect(() => new SchedulerService({ timezone: 'Nowhere/Land' })).toThrow(/Nowhere\/Land/);
    expect(() => new SchedulerService({ timezone: 'Nowhere/Land' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', details: [expect.objectContaining({ path: 'options.timezone' })] }),
    );
    expect(() => new SchedulerService({ jobDefaults: { maxInstances: -1 } })).toThrow(/jobDefaults.maxInstances/);
    expect(() => new SchedulerService({ bogus: 1 } as never)).toThrow(/options.bogus/);
  });

  it('error details name the field', () => {
    const error = InvalidArgumentError.field('options.maxInstances', 'must be an integer from 1 to 10000, got 0.');
    expect(error.toJSON()).toEqual({
      code: 'INVALID_ARGUMENT',
      message: 'options.maxInstances: must be an integer from 1 to 10000, got 0.',
      details: [{ path: 'options.maxInstances', message: 'must be an integer from 1 to 10000, got 0.' }],
    });
  });

  // docs/semantics.md#defaults
  it('applies scheduler jobDefaults under per-job options', async () => {
    const { scheduler } = harness({ jobDefaults: { misfireGraceTime: 5, maxInstances: 3 } });
    const a = await scheduler.addIntervalJob(noop, 1, 'a');
    const b = await scheduler.addIntervalJob(noop, 1, 'b', { maxInstances: 1, coalesce: false });
    expect(a).toMatchObject({ coalesce: true, maxInstances: 3, misfireGraceTime: 5 });
    expect(b).toMatchObject({ coalesce: false, maxInstances: 1, misfireGraceTime: 5 });
    const plain = await harness().scheduler.addIntervalJob(noop, 1, 'c');
    expect(plain).toMatchObject({ coalesce: true, maxInstances: 1, misfireGraceTime: 60, jitterSeconds: 0, timeoutSeconds: null, retries: null });
  });
});

describe('job id check', () => {
  it('accepts exactly what JOB_ID_PATTERN accepts (the check is a character table, not the regex)', () => {
    const alphabet = 'aZ09._:-@/ é\u0000\u007f\u00ff😀';
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    const samples = ['', 'a'.repeat(200), 'a'.repeat(201), 'job-1', 'a b', 'ünïcode'];
    for (let i = 0; i < 2000; i++) {
      let id = '';
      const length = random(12);
      for (let k = 0; k < length; k++) id += alphabet[random(alphabet.length)] as string;
      samples.push(id);
    }
    for (const id of samples) {
      let accepted = true;
      try {
        validateJobId(id);
      } catch {
        accepted = false;
      }
      expect(accepted, JSON.stringify(id)).toBe(JOB_ID_PATTERN.test(id));
    }
  });
});
