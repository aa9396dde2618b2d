/**
 * Retention options, checked the same way by every store that takes them: a bad value fails when the
 * store is made, with INVALID_ARGUMENT naming the option and the range it allows. SQLite applies both,
 * by count per job and by age.
 */
import { describe, expect, it } from 'vitest';
import { CronCompiler } from '../../src/cron/compiler.js';
import { JobRecord } from '../../src/core/job.js';
import { DEFAULT_JOB_POLICY } from '../../src/core/job-options.js';
import type { RunRecord } from '../../src/core/run.js';
import { MemoryJobStore } from '../../src/stores/memory.js';
import { PostgresJobStore } from '../../src/stores/postgres/store.js';
import { SqliteJobStore } from '../../src/stores/sqlite/store.js';
import type { StoreContext } from '../../src/stores/store.js';
import { createTrigger } from '../../src/triggers/create.js';
import { captureLogger, REFERENCE } from '../helpers.js';

const DAY = 86_400_000;

function invalid(path: string, message: string): unknown {
  return expect.objectContaining({ code: 'INVALID_ARGUMENT', message: `${path}: ${message}`, details: [{ path, message }] });
}

const sqlite = (options: object): SqliteJobStore => new SqliteJobStore({ path: ':memory:', ...options });
const postgres = (options: object): PostgresJobStore => new PostgresJobStore({ connectionString: 'postgres://x@127.0.0.1:1/none', ...options });
/** The stores that keep history by age too (made with a bad option, they fail before they connect). */
const durable: [string, (options: object) => unknown][] = [
  ['sqlite', sqlite],
  ['postgres', postgres],
];

describe('retention options', () => {
  it.each(durable)('%s refuses a maxRunAgeDays that is no number of days from above 0 to 36500', (_name, make) => {
    expect(() => make({ maxRunAgeDays: 0 })).toThrow(invalid('maxRunAgeDays', 'must be a number of days greater than 0 and at most 36500, got 0.'));
    expect(() => make({ maxRunAgeDays: -1 })).toThrow(invalid('maxRunAgeDays', 'must be a number of days greater than 0 and at most 36500, got -1.'));
    expect(() => make({ maxRunAgeDays: Number.NaN })).toThrow(invalid('maxRunAgeDays', 'must be a number of days greater than 0 and at most 36500, got NaN.'));
    expect(() => make({ maxRunAgeDays: 36_501 })).toThrow(invalid('maxRunAgeDays', 'must be a number of days greater than 0 and at most 36500, got 36501.'));
    expect(() => make({ maxRunAgeDays: '30' })).toThrow(invalid('maxRunAgeDays', 'must be a number of days greater than 0 and at most 36500, got "30".'));
    expect(() => make({ maxRunAgeDays: 0.5 })).not.toThrow();
    expect(() => make({ maxRunAgeDays: 36_500 })).not.toThrow();
  });

  it.each(durable)('%s refuses a maxRunsPerJob that is no integer from 1 to 1000000', (_name, make) => {
    expect(() => make({ maxRunsPerJob: 0 })).toThrow(invalid('maxRunsPerJob', 'must be an integer from 1 to 1000000, got 0.'));
    expect(() => make({ maxRunsPerJob: 2.5 })).toThrow(invalid('maxRunsPerJob', 'must be an integer from 1 to 1000000, got 2.5.'));
    expect(() => make({ maxRunsPerJob: 1_000_001 })).toThrow(invalid('maxRunsPerJob', 'must be an integer from 1 to 1000000, got 1000001.'));
    expect(() => make({ maxRunsPerJob: null })).toThrow(invalid('maxRunsPerJob', 'must be an integer from 1 to 1000000, got null.'));
    expect(() => make({ maxRunsPerJob: 1 })).not.toThrow();
  });

  it('memory keeps from 0 records per job (none) to 1000000', () => {
    expect(() => new MemoryJobStore({ maxRunsPerJob: -1 })).toThrow(invalid('maxRunsPerJob', 'must be an integer from 0 to 1000000, got -1.'));
    expect(() => new MemoryJobStore({ maxRunsPerJob: 0 })).not.toThrow();
  });
});

describe('SQLite retention', () => {
  const compiler = new CronCompiler();
  const env = { nowMs: REFERENCE, defaultTimezone: 'UTC', compiler };

  function openStore(options: object, now: { ms: number }): SqliteJobStore {
    const context: StoreContext = {
      hydrate: () => {
        throw new Error('nothing to load');
      },
      onLostRun: () => undefined,
      now: () => now.ms,
      logger: captureLogger(),
      wake: () => undefined,
    };
    const store = sqlite(options);
    store.open(context);
    return store;
  }

  function job(id: string): JobRecord {
    const trigger = createTrigger({ type: 'interval', seconds: 60, startDate: new Date(REFERENCE + 60_000) }, env);
    return JobRecord.create(id, id, () => undefined, 'noop', undefined, trigger, DEFAULT_JOB_POLICY, false, null, null);
  }

  function run(jobId: string, at: number): RunRecord {
    return { jobId, scheduledAt: at, attempt: 1, startedAt: at, finishedAt: at + 5, outcome: 'succeeded', latenessMs: 0, durationMs: 5, error: null };
  }

  it('deletes runs older than maxRunAgeDays and keeps maxRunsPerJob per job', () => {
    const now = { ms: REFERENCE };
    const store = openStore({ maxRunAgeDays: 1, maxRunsPerJob: 3 }, now);
    const a = job('a');
    store.add(a);
    for (const at of [REFERENCE - 3 * DAY, REFERENCE - 2 * DAY, REFERENCE - 1000, REFERENCE - 500, REFERENCE - 400, REFERENCE - 300])
      store.recordRun(run('a', at), a);
    store.flush(); // writes the runs, then prunes (at most once a second)
    expect(store.getRuns('a', { limit: 10 }).map((r) => r.scheduledAt - REFERENCE)).toEqual([-300, -400, -500]);
    now.ms += DAY;
    store.flush();
    expect(store.getRuns('a', { limit: 10 })).toEqual([]);
    store.close();
  });
});
