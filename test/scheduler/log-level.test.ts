import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Logger } from '../../src/core/logger.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { REFERENCE } from '../helpers.js';

/** A pino logger writing synchronously into an array of parsed lines. */
function pinoLines(level: string): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString().split('\n')) if (text !== '') lines.push(JSON.parse(text) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level }, sink), lines };
}

describe('log levels', () => {
  it('follows a pino level changed at runtime (the level table is made per pass)', async () => {
    const { logger, lines } = pinoLines('warn');
    const clock = new ManualClock(REFERENCE);
    const scheduler = new SchedulerService({ clock, logger, timezone: 'UTC' });
    await scheduler.start();
    await scheduler.addIntervalJob(() => undefined, 1, 'tick');
    await clock.advance(1000);
    expect(lines.filter((l) => l.event === 'job_executed')).toHaveLength(0);

    logger.level = 'info';
    await clock.advance(1000);
    expect(lines.filter((l) => l.event === 'job_executed')).toHaveLength(1);

    logger.level = 'error';
    await clock.advance(1000);
    expect(lines.filter((l) => l.event === 'job_executed')).toHaveLength(1);
    await scheduler.shutdown();
  });

  it('follows a level changed on the parent of the child logger it was given, and leaves no listener behind', async () => {
    const { logger: app, lines } = pinoLines('warn');
    const clock = new ManualClock(REFERENCE);
    const scheduler = new SchedulerService({ clock, logger: app.child({ module: 'scheduler' }), timezone: 'UTC' });
    await scheduler.start();
    await scheduler.addIntervalJob(() => undefined, 1, 'tick');
    await clock.advance(1000);
    expect(lines.filter((l) => l.event === 'job_executed')).toHaveLength(0);
    expect(lines.filter((l) => l.event === 'job_added')).toHaveLength(0);
    app.level = 'info';
    await clock.advance(2000);
    expect(lines.filter((l) => l.event === 'job_executed' && l.module === 'scheduler')).toHaveLength(2);
    // Outside a pass too (the table there follows pino's effective level).
    await scheduler.addIntervalJob(() => undefined, 1, 'second');
    expect(lines.filter((l) => l.event === 'job_added')).toHaveLength(1);
    app.level = 'error';
    await scheduler.addIntervalJob(() => undefined, 1, 'third');
    expect(lines.filter((l) => l.event === 'job_added')).toHaveLength(1);
    await scheduler.shutdown();
    expect(app.listenerCount('level-change')).toBe(0);
  });
});

/** A pino-compatible logger as many wrappers are: a `level` and the four methods, no isLevelEnabled. */
function wrapperLogger(level: string | number | undefined): Logger & { level: string | number | undefined; calls: [string, unknown][] } {
  const calls: [string, unknown][] = [];
  const method =
    (name: string) =>
    (obj: Record<string, unknown> | string): void =>
      void calls.push([name, typeof obj === 'string' ? obj : obj.event]);
  return { level, calls, debug: method('debug'), info: method('info'), warn: method('warn'), error: method('error') };
}

describe('a logger without isLevelEnabled', () => {
  it('is judged by its `level`: at warn no info event is built or written, inside passes or out; at info (by name or value) they are', async () => {
    const logger = wrapperLogger('warn');
    const clock = new ManualClock(REFERENCE);
    const scheduler = new SchedulerService({ clock, logger, timezone: 'UTC' });
    await scheduler.start();
    let built = 0;
    // The payload of job_executed holds its ISO scheduledAt: count the ISO strings built per fire.
    const toISOString = Date.prototype.toISOString;
    Date.prototype.toISOString = function (this: Date): string {
      built++;
      return toISOString.call(this);
    };
    try {
      await scheduler.addIntervalJob(() => undefined, 1, 'tick');
      built = 0;
      await clock.advance(3000);
      expect(built).toBe(0);
    } finally {
      Date.prototype.toISOString = toISOString;
    }
    expect(logger.calls.filter(([level]) => level === 'info' || level === 'debug')).toEqual([]);

    logger.level = 'info';
    await clock.advance(1000);
    await scheduler.addIntervalJob(() => undefined, 1, 'second');
    expect(logger.calls).toContainEqual(['info', 'job_executed']);
    expect(logger.calls).toContainEqual(['info', 'job_added']);
    expect(logger.calls.filter(([level]) => level === 'debug')).toEqual([]);

    logger.level = 40; // pino's value of warn
    logger.calls.length = 0;
    await clock.advance(1000);
    expect(logger.calls).toEqual([]);
    await scheduler.shutdown();
  });

  it('with no `level` either, is taken to write every level', async () => {
    const logger = wrapperLogger(undefined);
    const clock = new ManualClock(REFERENCE);
    const scheduler = new SchedulerService({ clock, logger, timezone: 'UTC' });
    await scheduler.start();
    await scheduler.addIntervalJob(() => undefined, 1, 'tick');
    await clock.advance(1000);
    expect(logger.calls).toContainEqual(['debug', 'job_submitted']);
    expect(logger.calls).toContainEqual(['info', 'job_executed']);
    await scheduler.shutdown();
  });
});

describe('listeners changed inside a pass', () => {
  it('a listener a job adds while it runs hears that run (the pass table is remade), and one it removes hears nothing more', async () => {
    const { logger } = pinoLines('warn'); // the log wants no run event: only listeners do
    const clock = new ManualClock(REFERENCE);
    const scheduler = new SchedulerService({ clock, logger, timezone: 'UTC' });
    await scheduler.start();
    const heard: string[] = [];
    let off: (() => void) | null = null;
    await scheduler.addIntervalJob(
      () => {
        if (off === null) off = scheduler.on('job_executed', (e) => heard.push(`${e.jobId}@${e.scheduledAt}`));
        else off();
      },
      1,
      'toggler',
    );
    await clock.advance(1000); // first run subscribes: its own job_executed is heard
    expect(heard).toEqual([`toggler@${new Date(REFERENCE + 1000).toISOString()}`]);
    await clock.advance(1000); // second run unsubscribes before it settles
    expect(heard).toHaveLength(1);
    await scheduler.shutdown();
  });
});
