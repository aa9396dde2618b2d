import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/scheduler/clock.js';
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
