/**
 * What a bulk add keeps cheap (issue #22) without changing what it answers: library adds are still
 * audited (the memory log keeps their views as columns), the JobInfo's shared parts (trigger, next run
 * time) stay right for each job, and adds awaited together answer as adds awaited one by one.
 */
import { describe, expect, it } from 'vitest';
import { JobAtChange, type AuditJob, type AuditSubject } from '../../src/core/audit.js';
import { ManualClock } from '../../src/core/clock.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { MemoryAuditLog } from '../../src/stores/audit/memory-audit.js';
import { captureLogger, REFERENCE } from '../helpers.js';

function boot(clock = new ManualClock(REFERENCE)): SchedulerService {
  return new SchedulerService({ clock, logger: captureLogger('warn'), timezone: 'UTC' });
}

const noop = (): void => undefined;

describe('bulk adds', () => {
  it('audit every library add, awaited together or one by one, at the time of the add', async () => {
    const clock = new ManualClock(REFERENCE);
    const s = boot(clock);
    await s.start();
    await Promise.all(Array.from({ length: 50 }, (_, i) => s.addCronJob(noop, '0 0 * * *', `c${i}`, { timezone: 'America/New_York' })));
    await clock.advance(1000);
    for (let i = 0; i < 50; i++) await s.addIntervalJob(noop, 86_400, `i${i}`);
    const all = await s.getAudit({ limit: 1000 });
    expect(all.items).toHaveLength(100);
    expect(all.items.every((e) => e.action === 'job.added' && e.before === null && JSON.stringify(e.actor) === '{"by":"library"}')).toBe(true);
    const cron = all.items.find((e) => e.jobId === 'c7');
    expect(cron?.at.getTime()).toBe(REFERENCE);
    expect(cron?.after).toMatchObject({
      id: 'c7',
      name: 'noop',
      paused: false,
      trigger: { type: 'cron', expression: '0 0 * * *', timezone: 'America/New_York' },
    });
    const interval = all.items.find((e) => e.jobId === 'i3');
    expect(interval?.at.getTime()).toBe(REFERENCE + 1000);
    expect(interval?.after).toMatchObject({ id: 'i3', trigger: { type: 'interval', seconds: 86_400 } });
    // A later change shows what the job was before it, not what it is now.
    await s.updateJob('c7', { name: 'renamed' });
    const [modified] = (await s.getAudit({ jobId: 'c7', limit: 1 })).items;
    expect([modified?.before?.name, modified?.after?.name]).toEqual(['noop', 'renamed']);
    expect((await s.getAudit({ jobId: 'c7' })).items.map((e) => e.after?.name)).toEqual(['renamed', 'noop']);
    await s.shutdown();
  });

  it('answer each JobInfo with its own job, sharing only frozen or read-only parts', async () => {
    const clock = new ManualClock(REFERENCE);
    const s = boot(clock);
    await s.start();
    const [a, b] = await Promise.all([s.addCronJob(noop, '0 0 * * *', 'a'), s.addCronJob(noop, '0 0 * * *', 'b')]);
    expect(a?.trigger).toEqual({ type: 'cron', expression: '0 0 * * *', timezone: 'UTC', description: expect.any(String) });
    expect(Object.isFrozen(a?.trigger)).toBe(true);
    expect(b?.trigger).toEqual(a?.trigger);
    expect(a?.nextRunTime?.getTime()).toBe(REFERENCE); // a fire time at the add itself is its first
    expect(b?.nextRunTime?.getTime()).toBe(REFERENCE); // a fire time at the add itself is its first
    expect([a?.id, b?.id]).toEqual(['a', 'b']);
    // One read-only Date for both: a change fails loudly instead of moving the other's time; a copy changes.
    expect(a?.nextRunTime).toBe(b?.nextRunTime);
    expect(a?.nextRunTime).toBeInstanceOf(Date);
    expect(() => a?.nextRunTime?.setHours(5)).toThrow(/read-only.*new Date\(date\)\.setHours/);
    expect(() => b?.nextRunTime?.setTime(0)).toThrow(TypeError);
    expect(b?.nextRunTime?.getTime()).toBe(REFERENCE);
    const copy = new Date(a?.nextRunTime as Date);
    copy.setUTCHours(5);
    expect(copy.getTime()).toBe(REFERENCE + 5 * 3_600_000);
    expect(JSON.stringify({ at: a?.nextRunTime })).toBe(JSON.stringify({ at: new Date(REFERENCE) }));
    expect(structuredClone(a?.nextRunTime)?.getTime()).toBe(REFERENCE);
    // Another trigger and another time right after: no stale part of the previous JobInfo.
    const c = await s.addIntervalJob(noop, 90, 'c');
    expect(c.trigger).toMatchObject({ type: 'interval', seconds: 90, startDate: new Date(REFERENCE + 90_000).toISOString() }); // its first fire
    expect(c.nextRunTime?.getTime()).toBe(REFERENCE + 90_000);
    const moved = await s.rescheduleJob('a', { type: 'cron', expression: '30 6 * * *', timezone: 'Europe/Berlin' });
    expect(moved.trigger).toMatchObject({ expression: '30 6 * * *', timezone: 'Europe/Berlin' });
    expect(moved.nextRunTime?.toISOString()).toBe('2026-01-01T05:30:00.000Z');
    expect((await s.getJob('b'))?.trigger).toMatchObject({ expression: '0 0 * * *', timezone: 'UTC' });
    await clock.advance(5000);
    const d = await s.addIntervalJob(noop, 90, 'd');
    expect(d.trigger).toMatchObject({ startDate: new Date(REFERENCE + 95_000).toISOString() });
    expect(d.nextRunTime?.getTime()).toBe(REFERENCE + 95_000);
    await s.shutdown();
  });

  it('reject a duplicate id among adds awaited together, adding the others', async () => {
    const s = boot();
    await s.start();
    const results = await Promise.allSettled([s.addIntervalJob(noop, 60, 'x'), s.addIntervalJob(noop, 60, 'x'), s.addIntervalJob(noop, 60, 'y')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(results[1]).toMatchObject({ reason: { code: 'CONFLICTING_ID' } });
    expect((await s.getAudit()).items.map((e) => e.jobId)).toEqual(['y', 'x']);
    await s.shutdown();
  });
});

describe('memory audit log (a ring of columns)', () => {
  const at = (i: number): number => REFERENCE + i;

  it('keeps exactly the newest entries, ids going on, pages and filters by job', () => {
    const log = new MemoryAuditLog(4);
    for (let i = 1; i <= 10; i++) log.append({ at: at(i), actor: { by: 'library' }, action: 'job.added', jobId: `j${i % 2}`, before: null, after: null });
    const kept = log.page({ limit: 100 });
    expect(kept.map((r) => r.id)).toEqual([10, 9, 8, 7]);
    expect(kept.map((r) => r.at)).toEqual([at(10), at(9), at(8), at(7)]);
    expect(log.page({ limit: 100, beforeId: 9 }).map((r) => r.id)).toEqual([8, 7]);
    expect(log.page({ limit: 1, beforeId: 100 }).map((r) => r.id)).toEqual([10]);
    expect(log.page({ limit: 100, jobId: 'j1' }).map((r) => r.id)).toEqual([9, 7]);
    expect(new MemoryAuditLog(4).page({ limit: 10 })).toEqual([]);
  });

  it('keeps a job view as its parts and any other subject as it is', () => {
    const log = new MemoryAuditLog(2);
    const custom: AuditSubject = { toAuditJob: (): AuditJob => ({ id: 'z' }) as AuditJob };
    const s = boot();
    return s.addCronJob(noop, '0 0 * * *', 'k', { name: 'kay' }).then(async () => {
      const [entry] = (await s.getAudit()).items;
      expect(entry?.after).toMatchObject({ id: 'k', name: 'kay', trigger: { type: 'cron', expression: '0 0 * * *' } });
      const trigger = { toSpec: () => ({ type: 'interval', seconds: 5 }) } as unknown as ConstructorParameters<typeof JobAtChange>[3];
      const policy = { ...entry?.after, exclude: null } as unknown as ConstructorParameters<typeof JobAtChange>[4];
      log.append({
        at: at(1),
        actor: { by: 'library' },
        action: 'job.modified',
        jobId: 'k',
        before: new JobAtChange('k', 'old', 'task', trigger, policy, true),
        after: custom,
      });
      const [record] = log.page({ limit: 1 });
      expect(record?.before).toMatchObject({ id: 'k', name: 'old', task: 'task', paused: true, trigger: { type: 'interval', seconds: 5 } });
      expect(record?.after).toEqual({ id: 'z' });
    });
  });
});
