/**
 * The decorators' checks (at decoration time, with the way to fix it) and what findDecoratedJobs makes of
 * decorated instances: `@nestjs/schedule` milliseconds as Tickwork seconds and dates, the options mapped
 * (waitForCompletion, disabled, timeZone, tickwork), request-scoped instances skipped, an override winning
 * over its base method, and no getter run during discovery.
 */
import { describe, expect, it } from 'vitest';
import { Cron, Interval, Timeout } from '../../src/nestjs/decorators.js';
import { findDecoratedJobs, type DiscoveredInstance } from '../../src/nestjs/explorer.js';
import { REFERENCE } from '../helpers.js';

const singleton = (instance: unknown): DiscoveredInstance => ({ instance, isDependencyTreeStatic: () => true });

describe('decorator checks', () => {
  it('refuses milliseconds that are not a number of at least 1', () => {
    expect(() => Interval(0)).toThrow(/ms: @Interval needs a number of milliseconds, at least 1, got /);
    expect(() => Timeout('warm', Number.NaN)).toThrow(/ms: @Timeout needs a number of milliseconds/);
    expect(() => Interval('only-a-name' as never)).toThrow(/ms: @Interval needs a number of milliseconds/);
  });

  it('refuses @nestjs/schedule options with no Tickwork meaning, saying what to use instead', () => {
    expect(() => Cron('* * * * *', { utcOffset: 2 } as never)).toThrow(/options\.utcOffset: is not supported; give an IANA zone in timeZone/);
    expect(() => Cron('* * * * *', { threshold: 250 } as never)).toThrow(/use tickwork\.misfireGraceTime/);
    expect(() => Cron('* * * * *', { colour: 'red' } as never)).toThrow(/options\.colour: is not a @Cron option; allowed: name, timeZone/);
    expect(() => Cron('* * * * *', { waitForCompletion: 'yes' } as never)).toThrow(/options\.waitForCompletion: must be true or false/);
    expect(() => Cron(42 as never)).toThrow(/cronTime: @Cron needs a cron expression or a valid Date/);
  });

  it('allows one schedule per method', () => {
    expect(() => {
      class Twice {
        @Interval(1000)
        @Timeout(5000)
        run(): void {}
      }
      return Twice;
    }).toThrow(/a method carries one schedule decorator/);
  });

  it('works as a standard (TC39) method decorator too', () => {
    const method = function tick(): void {};
    Interval(250)(method as never, { kind: 'method', name: 'tick' } as never, undefined as never);
    class Host {}
    Object.defineProperty(Host.prototype, 'tick', { value: method });
    expect(findDecoratedJobs([singleton(new Host())], REFERENCE).map((job) => job.spec)).toEqual([
      { id: 'Host.tick', task: 'Host.tick', trigger: { type: 'interval', seconds: 0.25 } },
    ]);
  });
});

describe('findDecoratedJobs', () => {
  class Base {
    @Interval(5000)
    heartbeat(): string {
      return 'base';
    }

    @Timeout('warmUp', 3000)
    warmUp(): void {}
  }

  class Reports extends Base {
    override heartbeat(): string {
      return 'override';
    }

    @Cron('0 2 * * *', {
      name: 'nightly',
      timeZone: 'Europe/Berlin',
      waitForCompletion: true,
      disabled: true,
      tickwork: { misfireGraceTime: 300, args: { full: true } },
    })
    nightly(): void {}

    @Cron(new Date(REFERENCE + 60_000))
    once(): void {}

    get expensive(): never {
      throw new Error('a getter ran during discovery');
    }
  }

  it('maps each decorator to its job spec and task', () => {
    const jobs = findDecoratedJobs([singleton(new Reports())], REFERENCE);
    expect(Object.fromEntries(jobs.map((job) => [job.task, job.spec]))).toEqual({
      'Reports.nightly': {
        id: 'nightly',
        task: 'Reports.nightly',
        trigger: { type: 'cron', expression: '0 2 * * *', timezone: 'Europe/Berlin' },
        maxInstances: 1,
        paused: true,
        misfireGraceTime: 300,
        args: { full: true },
      },
      'Reports.once': { id: 'Reports.once', task: 'Reports.once', trigger: { type: 'date', runAt: new Date(REFERENCE + 60_000) } },
      'Reports.warmUp': { id: 'warmUp', task: 'Reports.warmUp', trigger: { type: 'date', runAt: new Date(REFERENCE + 3000) } },
    });
  });

  it('a decorated override is the job, run with the instance as its receiver (an undecorated one hides the base schedule, above)', () => {
    class Decorated extends Base {
      @Interval(5000)
      override heartbeat(): string {
        return `override on ${this.constructor.name}`;
      }
    }
    const [job] = findDecoratedJobs([singleton(new Decorated())], REFERENCE).filter((j) => j.task.endsWith('heartbeat'));
    expect(job?.run({} as never)).toBe('override on Decorated');
  });

  it('skips request-scoped instances and plain values', () => {
    const requestScoped: DiscoveredInstance = { instance: new Reports(), isDependencyTreeStatic: () => false };
    expect(findDecoratedJobs([requestScoped, singleton('a value'), singleton(null)], REFERENCE)).toEqual([]);
  });
});
