/** `or` and `and` triggers: semantics, nesting, the bounded `and` search, words, preview and validation. */
import { describe, expect, it } from 'vitest';
import { CronCompiler } from '../../src/cron/compiler.js';
import { createTrigger } from '../../src/triggers/create.js';
import { AND_HORIZON_MS } from '../../src/triggers/combined.js';
import { previewSchedule } from '../../src/triggers/preview.js';
import type { Trigger, TriggerSpec } from '../../src/core/trigger.js';

const REFERENCE = Date.UTC(2026, 0, 1);
const env = { nowMs: REFERENCE, defaultTimezone: 'UTC', compiler: new CronCompiler() };
const MINUTE = 60_000;

function make(spec: TriggerSpec): Trigger {
  return createTrigger(spec, env);
}

function fires(trigger: Trigger, n: number, fromMs = REFERENCE - 1): number[] {
  const out: number[] = [];
  let after = fromMs;
  for (let i = 0; i < n; i++) {
    const t = trigger.next(after);
    if (t === null) break;
    out.push(t);
    after = t;
  }
  return out;
}

function errorOf(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('or', () => {
  it('fires at the earliest next fire of any, and an instant shared by several once', () => {
    const t = make({
      type: 'or',
      triggers: [
        { type: 'cron', expression: '*/15 * * * *' },
        { type: 'cron', expression: '*/10 * * * *' },
      ],
    });
    expect(fires(t, 7).map((ms) => (ms - REFERENCE) / MINUTE)).toEqual([0, 10, 15, 20, 30, 40, 45]);
  });

  it('ends when all of its triggers end; a date trigger among them fires once', () => {
    const t = make({
      type: 'or',
      triggers: [
        { type: 'date', runAt: new Date(REFERENCE + 7 * MINUTE) },
        { type: 'interval', seconds: 300, startDate: new Date(REFERENCE), endDate: new Date(REFERENCE + 10 * MINUTE) },
      ],
    });
    expect(fires(t, 10).map((ms) => (ms - REFERENCE) / MINUTE)).toEqual([0, 5, 7, 10]);
  });
});

describe('and', () => {
  // docs/semantics.md#combined-triggers
  it('fires at the instants on which all fire: every 15 minutes and on Mondays is every 15 minutes of Mondays', () => {
    const t = make({
      type: 'and',
      triggers: [
        { type: 'interval', seconds: 900, startDate: new Date(REFERENCE) },
        { type: 'cron', expression: '* 9 * * MON' },
      ],
    });
    // 2026-01-01 is a Thursday: the first Monday is January 5.
    expect(fires(t, 5).map((ms) => new Date(ms).toISOString())).toEqual([
      '2026-01-05T09:00:00.000Z',
      '2026-01-05T09:15:00.000Z',
      '2026-01-05T09:30:00.000Z',
      '2026-01-05T09:45:00.000Z',
      '2026-01-12T09:00:00.000Z',
    ]);
  });

  it('a calendar interval and a cron: the 13th of the month when it is a Friday', () => {
    const t = make({
      type: 'and',
      triggers: [
        { type: 'calendarInterval', months: 1, hour: 12, timezone: 'UTC', startDate: '2026-01-13' },
        { type: 'cron', expression: '0 12 * * FRI' },
      ],
    });
    expect(fires(t, 3).map((ms) => new Date(ms).toISOString().slice(0, 10))).toEqual(['2026-02-13', '2026-03-13', '2026-11-13']);
  });

  it('gives up past its horizon: triggers that never coincide have no fire (null), within bounded work', () => {
    const t = make({
      type: 'and',
      triggers: [
        { type: 'cron', expression: '*/2 * * * *' },
        { type: 'cron', expression: '1-59/2 * * * *' },
      ],
    });
    expect(t.next(REFERENCE)).toBeNull();
  });

  it('finds a coincidence close to the horizon but not past it', () => {
    const near = REFERENCE + AND_HORIZON_MS - 86_400_000;
    const spec = (at: number): TriggerSpec => ({
      type: 'and',
      triggers: [
        { type: 'date', runAt: new Date(at) },
        { type: 'cron', expression: '* * * * *' },
      ],
    });
    const atMinute = Math.floor(near / MINUTE) * MINUTE;
    expect(make(spec(atMinute)).next(REFERENCE)).toBe(atMinute);
    const past = Math.floor((REFERENCE + AND_HORIZON_MS + 86_400_000) / MINUTE) * MINUTE;
    expect(make(spec(past)).next(REFERENCE)).toBeNull();
  });
});

describe('combined: nesting, words, preview, round trip, validation', () => {
  const nested: TriggerSpec = {
    type: 'or',
    triggers: [
      { type: 'cron', expression: '0 9 * * *' },
      {
        type: 'and',
        triggers: [
          { type: 'interval', seconds: 7200, startDate: '2026-01-01T00:00:00Z' },
          { type: 'cron', expression: '0 * * * SAT,SUN' },
        ],
      },
    ],
  };

  it('nests and says so in words', () => {
    expect(make(nested).describe()).toBe('at 09:00 every day, UTC, or (when all of: every 2 hours; and every hour on Sunday and Saturday, UTC)');
  });

  it('round-trips through its resolved spec', () => {
    const t = make(nested);
    const again = createTrigger(JSON.parse(JSON.stringify(t.toSpec())) as TriggerSpec, { ...env, nowMs: REFERENCE + 5 * 86_400_000 });
    expect(again.toSpec()).toEqual(t.toSpec());
    expect(fires(again, 20)).toEqual(fires(t, 20));
    expect(t.toInfo()).toMatchObject({ type: 'or', description: t.describe() });
  });

  it('previews the fires of a combined spec', () => {
    const preview = previewSchedule(nested, { from: '2026-01-02T23:00:00Z', count: 4 });
    expect(preview.map((d) => d.toISOString())).toEqual([
      '2026-01-03T00:00:00.000Z',
      '2026-01-03T02:00:00.000Z',
      '2026-01-03T04:00:00.000Z',
      '2026-01-03T06:00:00.000Z',
    ]);
  });

  it('dispose releases the cron patterns of every nested trigger', () => {
    const compiler = new CronCompiler();
    const t = createTrigger(nested, { ...env, compiler });
    expect(compiler.size).toBeGreaterThan(0);
    t.dispose();
    expect(compiler.size).toBe(0);
  });

  it('a refused nested spec leaves nothing acquired', () => {
    const compiler = new CronCompiler();
    const error = errorOf(() =>
      createTrigger(
        {
          type: 'and',
          triggers: [
            { type: 'cron', expression: '0 9 * * *' },
            { type: 'cron', expression: '61 * * * *' },
          ],
        },
        { ...env, compiler },
      ),
    );
    expect(error).toMatchObject({ code: 'INVALID_TRIGGER', details: [{ path: 'trigger.triggers[1].expression' }] });
    expect(compiler.size).toBe(0);
  });

  it.each([
    [{ type: 'or', triggers: [] }, 'trigger.triggers', /array of 1 to 16/],
    [{ type: 'and' }, 'trigger.triggers', /array of 1 to 16/],
    [{ type: 'or', triggers: [{ type: 'hourly' }] }, 'trigger.triggers[0].type', /must be one of/],
    [{ type: 'or', triggers: [{ type: 'date', runAt: '2026-01-01T00:00:00Z' }], extra: 1 }, 'trigger.extra', /not a field of a or trigger/],
    [
      { type: 'or', triggers: [{ type: 'or', triggers: [{ type: 'or', triggers: [{ type: 'or', triggers: [{ type: 'or', triggers: [] }] }] }] }] },
      'trigger.triggers[0].triggers[0].triggers[0].triggers[0]',
      /more than 4 deep/,
    ],
  ])('refuses %j at %s', (spec, path, message) => {
    const error = errorOf(() => createTrigger(spec, env));
    expect(error).toMatchObject({ code: 'INVALID_TRIGGER', details: [{ path }] });
    expect((error as Error).message).toMatch(message);
  });
});
