/**
 * replaceExisting is one transaction on SQLite and PostgreSQL: when the new job cannot be stored, the old one stays,
 * with its history, scheduled as before, also after a restart. Before, the old job was removed in one
 * transaction and the insert failed in another: the job and its history were gone.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { SqliteJobStore } from '../../src/stores/sqlite/store.js';
import { PostgresJobStore } from '../../src/stores/postgres/store.js';
import { captureLogger, REFERENCE } from '../helpers.js';
import { dropSchema, pgAvailable, PG_URL, schemaName, sql } from './pg-helpers.js';

function scheduler(path: string, clock: ManualClock): { s: SchedulerService; store: SqliteJobStore } {
  const store = new SqliteJobStore({ path });
  const s = new SchedulerService({ store, clock, logger: captureLogger('warn'), timezone: 'UTC' });
  s.registerTask('work', () => 'done');
  return { s, store };
}

describe('replaceExisting on SQLite', () => {
  it('keeps the old job and its history when the new one cannot be stored', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tickwork-replace-')), 'db.sqlite');
    const clock = new ManualClock(REFERENCE);
    const { s, store } = scheduler(path, clock);
    await s.start();
    await s.addJob({ id: 'job', func: 'work', name: 'original', trigger: { type: 'interval', seconds: 10 } });
    await clock.advance(10_000);
    expect(await s.getRuns('job')).toHaveLength(1);
    // The database refuses the new row (as a full disk or a constraint would).
    const db = (store as unknown as { db: Database.Database }).db;
    db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON jobs WHEN NEW.name = 'replacement' BEGIN SELECT RAISE(ABORT, 'refused'); END`);
    await expect(s.addJob({ id: 'job', func: 'work', name: 'replacement', replaceExisting: true, trigger: { type: 'interval', seconds: 5 } })).rejects.toThrow(
      /refused/,
    );
    expect((await s.getJob('job'))?.name).toBe('original');
    expect(await s.getRuns('job')).toHaveLength(1);
    await clock.advance(10_000);
    expect(await s.getRuns('job')).toHaveLength(2);
    db.exec('DROP TRIGGER refuse');
    await s.shutdown();

    // After a restart: still the original, with its history.
    const again = scheduler(path, clock);
    await again.s.start();
    expect((await again.s.getJob('job'))?.name).toBe('original');
    expect(await again.s.getRuns('job')).toHaveLength(2);
    // And a replacement that the database takes replaces it, history and all.
    await again.s.addJob({ id: 'job', func: 'work', name: 'replacement', replaceExisting: true, trigger: { type: 'interval', seconds: 5 } });
    expect((await again.s.getJob('job'))?.name).toBe('replacement');
    expect(await again.s.getRuns('job')).toHaveLength(0);
    await again.s.shutdown();
  });
});

describe.skipIf(!pgAvailable)('replaceExisting on PostgreSQL', () => {
  it('keeps the old job and its history when the new one cannot be stored', async () => {
    const schema = schemaName();
    const store = new PostgresJobStore({ connectionString: PG_URL, schema });
    const s = new SchedulerService({ store, logger: captureLogger('warn'), timezone: 'UTC' });
    s.registerTask('work', () => 'done');
    try {
      await s.start();
      await s.addJob({ id: 'job', func: 'work', name: 'original', trigger: { type: 'interval', seconds: 3600 } });
      await s.runJobNow('job');
      for (let i = 0; i < 100 && (await s.getRuns('job')).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await s.getRuns('job')).toHaveLength(1);
      await sql(`CREATE FUNCTION "${schema}".refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$`);
      await sql(`CREATE TRIGGER refuse BEFORE INSERT ON "${schema}".jobs FOR EACH ROW WHEN (NEW.name = 'replacement') EXECUTE FUNCTION "${schema}".refuse()`);
      await expect(
        s.addJob({ id: 'job', func: 'work', name: 'replacement', replaceExisting: true, trigger: { type: 'interval', seconds: 5 } }),
      ).rejects.toThrow(/refused/);
      expect((await s.getJob('job'))?.name).toBe('original');
      expect(await s.getRuns('job')).toHaveLength(1);
      await sql(`DROP TRIGGER refuse ON "${schema}".jobs`);
      await s.addJob({ id: 'job', func: 'work', name: 'replacement', replaceExisting: true, trigger: { type: 'interval', seconds: 5 } });
      expect((await s.getJob('job'))?.name).toBe('replacement');
      expect(await s.getRuns('job')).toHaveLength(0);
    } finally {
      if (s.isRunning) await s.shutdown().catch(() => undefined);
      await dropSchema(schema);
    }
  });
});
