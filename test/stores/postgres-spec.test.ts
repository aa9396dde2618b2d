/** TICKWORK_STORE=postgres://… parsing, bad input, and an unreachable database. */
import { describe, expect, it } from 'vitest';
import { SchedulerService } from '../../src/scheduler/service.js';
import { parsePostgresSpec } from '../../src/stores/postgres/connection.js';
import { PostgresJobStore } from '../../src/stores/postgres/store.js';
import { createStore } from '../../src/stores/create.js';
import { captureLogger } from '../helpers.js';

describe('postgres:// store spec', () => {
  it('takes schema and tuning parameters out of the URL the driver sees', () => {
    expect(parsePostgresSpec('postgres://app:secret@db:5432/prod?schema=jobs&leaseSeconds=4&pollSeconds=1.5&sslmode=require')).toEqual({
      connectionString: 'postgres://app:secret@db:5432/prod?sslmode=require',
      schema: 'jobs',
      leaseSeconds: 4,
      pollSeconds: 1.5,
    });
    expect(parsePostgresSpec('postgresql://db/prod').schema).toBe('tickwork');
  });

  it('rejects a bad schema name or parameter with the field named, and logs no password', () => {
    expect(() => parsePostgresSpec('postgres://db/prod?schema=Robert%27);DROP')).toThrow(/TICKWORK_STORE schema: must be a PostgreSQL schema name/);
    expect(() => parsePostgresSpec('postgres://db/prod?leaseSeconds=-1')).toThrow(/leaseSeconds: must be a positive number, got "-1"/);
    expect(() => new PostgresJobStore({ connectionString: 'postgres://db/x', heartbeatSeconds: 2, leaseSeconds: 3 })).toThrow(
      /at least twice heartbeatSeconds/,
    );
    const logger = captureLogger('info');
    createStore('postgres://app:secret@db:5432/prod', logger, '/');
    expect(JSON.stringify(logger.lines)).not.toContain('secret');
    expect(logger.lines[0]).toMatchObject({ event: 'store_selected', store: 'postgres', host: 'db:5432', database: 'prod', schema: 'tickwork' });
  });

  it('fails start() with STORE_UNAVAILABLE when the database cannot be reached', async () => {
    const store = new PostgresJobStore({ connectionString: 'postgres://postgres@127.0.0.1:1/test' });
    const scheduler = new SchedulerService({ store, logger: captureLogger() });
    await expect(scheduler.start()).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      message: expect.stringMatching(/PostgreSQL store: opening schema tickwork failed/),
    });
    expect(scheduler.isRunning).toBe(false);
  });
});
