/** The audit trail: an entry per mutation path (library, config, scheduler), paging and retention, on memory, SQLite and PostgreSQL. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { reconcileJobs } from '../../src/server/reconcile.js';
import { MemoryAuditLog } from '../../src/stores/audit/memory-audit.js';
import { MemoryJobStore } from '../../src/stores/memory.js';
import { PostgresJobStore } from '../../src/stores/postgres/store.js';
import { SqliteJobStore } from '../../src/stores/sqlite/store.js';
import type { JobStore } from '../../src/stores/store.js';
import { captureLogger, REFERENCE } from '../helpers.js';
import { PG_URL, dropSchema, pgAvailable, schemaName } from '../stores/pg-helpers.js';

const schemas: string[] = [];
afterEach(async () => {
  for (const schema of schemas.splice(0)) await dropSchema(schema);
});

const stores: [string, (retention?: { maxRunsPerJob: number }) => JobStore, boolean][] = [
  ['memory', () => new MemoryJobStore(), true],
  ['SQLite', (r) => new SqliteJobStore({ path: join(mkdtempSync(join(tmpdir(), 'tickwork-audit-')), 'db.sqlite'), ...r }), true],
  [
    'PostgreSQL',
    (r) => {
      const schema = schemaName('tw_opaudit');
      schemas.push(schema);
      return new PostgresJobStore({ connectionString: PG_URL, schema, ...r });
    },
    pgAvailable,
  ],
];

function boot(store: JobStore, clock = new ManualClock(REFERENCE)): SchedulerService {
  const s = new SchedulerService({ store, clock, logger: captureLogger(), timezone: 'UTC' });
  s.registerTask('noop', () => undefined);
  return s;
}

describe.each(stores)('audit trail on %s', (name, makeStore, available) => {
  it.skipIf(!available)('records every mutation path with its actor, args left out; pages newest first', async () => {
    const clock = new ManualClock(REFERENCE);
    const s = boot(makeStore(), clock);
    await reconcileJobs(s, [{ id: 'cfg', task: 'noop', trigger: { type: 'interval', seconds: 60 } }], captureLogger());
    await s.start();
    await s.addJob({ id: 'j', task: 'noop', trigger: { type: 'interval', seconds: 60 }, args: { password: 'hunter2' } });
    await s.updateJob('j', { name: 'renamed' }, { actor: { role: 'admin', via: 'key', keyIndex: 1 } });
    await s.pauseJob('j');
    await s.resumeJob('j');
    await s.runJobNow('j');
    await s.pause();
    await s.resume();
    // Fires once, then the scheduler removes it (not on PostgreSQL, whose due-ness follows the database's
    // clock, not the manual one; the removal hook is the dispatcher's, the same for every store).
    const local = name !== 'PostgreSQL';
    if (local) {
      await s.addDateJob('noop', new Date(s.now() + 1000), 'once');
      await clock.advance(2000);
      await expect.poll(async () => (await s.getAudit({ jobId: 'once' })).items.length).toBe(2);
    }
    await s.removeJob('j');

    const all = await s.getAudit({ limit: 1000 });
    expect(all.items.map((e) => `${e.action}:${e.jobId ?? '-'}:${JSON.stringify(e.actor)}`).reverse()).toEqual([
      'job.added:cfg:{"by":"config"}',
      'job.added:j:{"by":"library"}',
      'job.modified:j:{"role":"admin","via":"key","keyIndex":1}',
      'job.paused:j:{"by":"library"}',
      'job.resumed:j:{"by":"library"}',
      'job.run:j:{"by":"library"}',
      'scheduler.paused:-:{"by":"library"}',
      'scheduler.resumed:-:{"by":"library"}',
      ...(local ? ['job.added:once:{"by":"library"}', 'job.removed:once:{"by":"scheduler"}'] : []),
      'job.removed:j:{"by":"library"}',
    ]);
    expect(JSON.stringify(all.items)).not.toContain('hunter2');
    const modified = all.items.find((e) => e.action === 'job.modified');
    expect(modified?.before).toMatchObject({ id: 'j', name: 'noop', paused: false, trigger: { type: 'interval', seconds: 60 } });
    expect(modified?.after).toMatchObject({ name: 'renamed' });
    expect(modified?.before).not.toHaveProperty('args');
    const paused = all.items.find((e) => e.action === 'job.paused');
    expect([paused?.before?.paused, paused?.after?.paused]).toEqual([false, true]);
    expect(all.items[0]?.at).toBeInstanceOf(Date);

    // Paging: one job's entries, two at a time.
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await s.getAudit({ jobId: 'j', limit: 2, ...(cursor === undefined ? {} : { cursor }) });
      seen.push(...page.items.map((e) => e.action));
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    expect(seen).toEqual(['job.removed', 'job.run', 'job.resumed', 'job.paused', 'job.modified', 'job.added']);
    await expect(s.getAudit({ cursor: 'x' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: [{ path: 'query.cursor' }] });
    await expect(s.getAudit({ limit: 0 })).rejects.toMatchObject({ details: [{ path: 'query.limit' }] });
    await expect(s.pauseJob('cfg', undefined, { actor: { by: 'someone' } } as never)).rejects.toMatchObject({ details: [{ path: 'context.actor' }] });
    await s.shutdown();
  });

  it.skipIf(!available || name === 'memory')('keeps at most maxRunsPerJob entries per job (the run history retention)', async () => {
    const store = makeStore({ maxRunsPerJob: 3 });
    const s = boot(store);
    await s.start();
    await s.addJob({ id: 'j', task: 'noop', trigger: { type: 'interval', seconds: 60 } });
    for (let i = 0; i < 5; i++) await s.updateJob('j', { name: `n${i}` });
    const page = await s.getAudit({ jobId: 'j' });
    expect(page.items.map((e) => e.after?.name)).toEqual(['n4', 'n3', 'n2']);
    await s.shutdown();
  });

  it.skipIf(name !== 'SQLite')('is kept across a restart', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tickwork-audit-')), 'db.sqlite');
    const one = boot(new SqliteJobStore({ path }));
    await one.start();
    await one.addJob({ id: 'j', task: 'noop', trigger: { type: 'interval', seconds: 60 } });
    await one.shutdown();
    const two = boot(new SqliteJobStore({ path }));
    await two.start();
    expect((await two.getAudit({ jobId: 'j' })).items.map((e) => e.action)).toEqual(['job.added']);
    await two.shutdown();
  });
});

describe('memory audit log', () => {
  it('is bounded: the oldest entries go first', () => {
    const log = new MemoryAuditLog(10);
    for (let i = 0; i < 25; i++) log.append({ at: i, actor: { by: 'library' }, action: 'job.added', jobId: `j${i}`, before: null, after: null });
    const kept = log.page({ limit: 100 });
    expect(kept.length).toBeLessThanOrEqual(10);
    expect(kept[0]?.jobId).toBe('j24');
    expect(log.page({ limit: 100, beforeId: kept[1]?.id as number })[0]?.jobId).toBe(kept[2]?.jobId);
  });
});
