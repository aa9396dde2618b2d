/** A store that goes away for a while: operations fail with STORE_UNAVAILABLE, /ready says so, the loop backs off and recovers, nothing is lost. */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { StoreUnavailableError } from '../../src/core/errors.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { buildServer } from '../../src/server/app.js';
import { SqliteJobStore } from '../../src/stores/sqlite/store.js';
import { captureLogger, REFERENCE } from '../helpers.js';

/** A SQLite store whose backing service can be switched off, as a locked or full database would be. */
class FlakyStore extends SqliteJobStore {
  down = false;
  private check(): void {
    if (this.down) throw new StoreUnavailableError('SQLite store: writing failed (SQLITE_BUSY: database is locked)');
  }
  override ping(): void {
    this.check();
    super.ping();
  }
  override takeDue(now: number, limit: number): ReturnType<SqliteJobStore['takeDue']> {
    this.check();
    return super.takeDue(now, limit);
  }
  // The scheduler's pass on an in-process store.
  override fireDue(...args: Parameters<SqliteJobStore['fireDue']>): ReturnType<SqliteJobStore['fireDue']> {
    this.check();
    return super.fireDue(...args);
  }
}

describe('store trouble', () => {
  it('reports 503 on /ready, retries the loop with backoff, and runs the job once the store is back', async () => {
    const clock = new ManualClock(REFERENCE);
    const logger = captureLogger();
    const store = new FlakyStore({ path: ':memory:' });
    const scheduler = new SchedulerService({ store, clock, logger, timezone: 'UTC' });
    let calls = 0;
    scheduler.registerTask('tick', () => void calls++);
    const app = await buildServer({ scheduler, logger: pino({ level: 'silent' }), adminKeys: [], monitorKeys: [] });
    await app.ready();
    await scheduler.addJob({ id: 'tick', task: 'tick', trigger: { type: 'interval', seconds: 10 } });
    store.down = true;
    const ready = await app.inject('/api/v1/ready');
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ status: 'unavailable', store: 'unavailable' });
    await clock.advance(12_000);
    expect(calls).toBe(0);
    const failures = logger.lines.filter((l) => l.event === 'loop_error');
    expect(failures.length).toBeGreaterThan(0);
    expect(failures[0]).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    store.down = false;
    await clock.advance(30_000);
    expect(calls).toBeGreaterThanOrEqual(1);
    expect((await app.inject('/api/v1/ready')).statusCode).toBe(200);
    expect(await scheduler.getJob('tick')).toBeDefined();
    await app.close();
  });
});
