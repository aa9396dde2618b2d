/**
 * Manual runs with arguments and run provenance (docs/semantics.md#manual-runs, #run-records), on the
 * manual clock, on the memory and SQLite stores: every run says what started it (`trigger`) and who
 * (`actor`); runJobNow's args replace the job's for that run only (and for its retries), checked against
 * the task's argsSchema; its note goes on the run and, with the args redacted, into the `job.run` audit
 * entry. The PostgreSQL side is in test/stores/postgres-manual-claim.test.ts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Run } from '../../src/core/run.js';
import { SqliteJobStore } from '../../src/stores/sqlite/store.js';
import { registerBuiltInTasks } from '../../src/tasks/index.js';
import { harness, REFERENCE, type Harness } from '../helpers.js';

let h: Harness;

afterEach(async () => {
  if (h?.scheduler.isRunning) await h.scheduler.shutdown({ wait: false });
});

const stores: [string, () => SqliteJobStore | undefined][] = [
  ['memory', () => undefined],
  ['sqlite', () => new SqliteJobStore({ path: ':memory:' })],
];

const API = { role: 'admin', via: 'key', keyIndex: 2 } as const;

describe.each(stores)('manual runs and provenance (%s store)', (_name, store) => {
  const make = (fastPath = false): Harness => {
    const s = store();
    return harness(s === undefined ? { fastPath } : { fastPath, store: s });
  };
  const runs = async (id: string): Promise<Run[]> => (await h.scheduler.getRuns(id, { limit: 100 })).reverse();
  const provenance = (run: Run): unknown[] => [(run.scheduledAt.getTime() - REFERENCE) / 1000, run.attempt, run.outcome, run.trigger, run.actor];

  it.each([true, false])('records schedule, retry and manual runs with their actors (on-time fast path: %s)', async (fastPath) => {
    h = make(fastPath);
    let fail = true;
    h.scheduler.registerTask('flaky', () => {
      if (fail) {
        fail = false;
        throw new Error('first try fails');
      }
    });
    await h.scheduler.start();
    await h.scheduler.addJob({ id: 'j', task: 'flaky', trigger: { type: 'interval', seconds: 60 }, retries: { max: 2, backoffSeconds: 1 } });
    await h.clock.advance(60_000); // the scheduled fire fails
    await h.clock.advance(1_000); // its retry succeeds
    await h.scheduler.runJobNow('j');
    await h.clock.advance(1_000);
    await h.scheduler.runJobNow('j', { note: 'after the deploy' }, { actor: API });
    await h.clock.advance(1_000);
    expect((await runs('j')).map(provenance)).toEqual([
      [60, 1, 'failed', 'schedule', { by: 'scheduler' }],
      [60, 2, 'succeeded', 'retry', { by: 'scheduler' }],
      [61, 1, 'succeeded', 'manual', { by: 'library' }],
      [62, 1, 'succeeded', 'manual', API],
    ]);
    const last = (await runs('j'))[3] as Run;
    expect(last.note).toBe('after the deploy');
    // The job's last run says so too (the memory store reads it from its packed history).
    expect((await h.scheduler.getJob('j'))?.lastRun).toMatchObject({ trigger: 'manual', actor: API, note: 'after the deploy' });
    // The old signature, runJobNow(id, context), still names the caller.
    await h.scheduler.runJobNow('j', { actor: API });
    await h.clock.advance(1_000);
    expect((await runs('j')).at(-1)).toMatchObject({ trigger: 'manual', actor: API });
  });

  it('records missed and skipped fires with the trigger of the fire they stand for', async () => {
    h = make();
    let release: () => void = () => undefined;
    h.scheduler.registerTask('slow', () => new Promise<void>((resolve) => (release = resolve)));
    await h.scheduler.start();
    await h.scheduler.addJob({ id: 's', task: 'slow', trigger: { type: 'interval', seconds: 10 }, coalesce: false, misfireGraceTime: 1 });
    await h.clock.advance(10_000); // runs, and holds the one slot
    await h.clock.advance(10_000); // skipped behind it
    release();
    await h.scheduler.runJobNow('s'); // a manual run holds the slot; the next fire is skipped behind it
    await h.clock.advance(10_000);
    release();
    await h.clock.advance(1);
    const seen = (await runs('s')).map((r) => [r.outcome, r.trigger, r.actor]);
    expect(seen).toContainEqual(['skipped', 'schedule', { by: 'scheduler' }]);
    expect(seen).toContainEqual(['succeeded', 'manual', { by: 'library' }]);
    expect(seen.filter(([, trigger]) => trigger === 'manual')).toHaveLength(1);
  });

  it("uses a manual run's args for that run only (and its retries); the next scheduled run has the job's", async () => {
    h = make();
    const seen: [number, number, unknown][] = [];
    let failNext = false;
    h.scheduler.registerTask('echo', (ctx) => {
      seen.push([(ctx.scheduledAtMs - REFERENCE) / 1000, ctx.attempt, ctx.args]);
      if (failNext) {
        failNext = false;
        throw new Error('once');
      }
    });
    await h.scheduler.start();
    await h.scheduler.addJob({ id: 'e', task: 'echo', args: { n: 1 }, trigger: { type: 'interval', seconds: 60 }, retries: { max: 1, backoffSeconds: 5 } });
    await h.clock.advance(10_000);
    failNext = true;
    const info = await h.scheduler.runJobNow('e', { args: { n: 2 } });
    expect(info.args).toEqual({ n: 1 }); // the job's own args are not changed
    await h.clock.advance(5_000); // the manual run's retry: the same args
    await h.clock.advance(45_000); // the scheduled fire at 60 s: the job's args
    expect(seen).toEqual([
      [10, 1, { n: 2 }],
      [10, 2, { n: 2 }],
      [60, 1, { n: 1 }],
    ]);
    expect((await runs('e')).map((r) => [r.attempt, r.trigger])).toEqual([
      [1, 'manual'],
      [2, 'retry'],
      [1, 'schedule'],
    ]);
  });

  it('gives a closure job the args as its function args', async () => {
    h = make();
    if (_name !== 'memory') return; // a closure is a library job of the memory store
    const seen: unknown[] = [];
    await h.scheduler.start();
    await h.scheduler.addIntervalJob((ctx) => void seen.push(ctx.args), 3600, 'c', { args: ['own'] });
    await h.scheduler.runJobNow('c', { args: ['given'] });
    await h.scheduler.runJobNow('c');
    await h.clock.advance(1);
    expect(seen).toEqual([['given'], ['own']]);
  });

  it("refuses args the task's argsSchema does not accept, naming the field; nothing runs", async () => {
    h = make();
    let ran = 0;
    h.scheduler.registerTask('fetch', () => void ran++, {
      argsSchema: { type: 'object', required: ['url'], additionalProperties: false, properties: { url: { type: 'string' } } },
    });
    await h.scheduler.start();
    await h.scheduler.addJob({ id: 'f', task: 'fetch', args: { url: 'https://example.com' }, trigger: { type: 'interval', seconds: 3600 } });
    await expect(h.scheduler.runJobNow('f', { args: { url: 42 } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: [{ path: 'args.url' }] });
    await expect(h.scheduler.runJobNow('f', { args: {} })).rejects.toMatchObject({ details: [{ path: 'args.url' }] });
    await expect(h.scheduler.runJobNow('f', { args: () => 1 } as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: /options\.args/ });
    await expect(h.scheduler.runJobNow('f', { note: 'x\ny' })).rejects.toMatchObject({ message: /options\.note/ });
    await expect(h.scheduler.runJobNow('f', { when: 'now' } as never)).rejects.toMatchObject({ message: /options\.when.*allowed: args, note/ });
    await h.clock.advance(1);
    expect(ran).toBe(0);
    expect(await runs('f')).toEqual([]);
  });

  it("applies the task's own args check too: a manual run cannot name a command off the shell allow-list", async () => {
    h = make();
    registerBuiltInTasks(h.scheduler, ['/bin/echo']);
    await h.scheduler.start();
    await h.scheduler.addJob({ id: 'sh', task: 'shell', args: { command: '/bin/echo', args: ['hi'] }, trigger: { type: 'interval', seconds: 3600 } });
    await expect(h.scheduler.runJobNow('sh', { args: { command: '/bin/rm', args: ['-rf', '/'] } })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('/bin/rm'),
    });
    await h.clock.advance(1);
    expect(await runs('sh')).toEqual([]);
  });

  it('writes the job.run audit entry with the note and the args, their secrets redacted', async () => {
    h = make();
    h.scheduler.registerTask('call', () => undefined);
    await h.scheduler.start();
    await h.scheduler.addJob({ id: 'a', task: 'call', trigger: { type: 'interval', seconds: 3600 } });
    const args = { url: 'https://bob:hunter22@example.com/x', headers: { authorization: 'Bearer abcdef' }, token: 'sekrit-value', n: 3 };
    await h.scheduler.runJobNow('a', { args, note: 'replay for ticket 42' }, { actor: API });
    await h.scheduler.runJobNow('a');
    const { items } = await h.scheduler.getAudit({ jobId: 'a' });
    const runsAudited = items.filter((e) => e.action === 'job.run');
    expect(runsAudited).toHaveLength(2);
    const [plain, given] = runsAudited;
    expect(plain?.after?.run).toBeUndefined();
    expect(given?.actor).toEqual(API);
    expect(given?.after?.run).toEqual({
      note: 'replay for ticket 42',
      args: { url: 'https://[redacted]@example.com/x', headers: { authorization: '[redacted]' }, token: '[redacted]', n: 3 },
    });
    expect(JSON.stringify(items)).not.toMatch(/hunter22|abcdef|sekrit/);
  });
});

describe('manual runs on a SQLite file', () => {
  it("keeps a manual run's args with its pending retry across a restart", async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tickwork-manual-')), 'jobs.db');
    const seen: [number, unknown][] = [];
    const task = (ctx: { attempt: number; args: unknown }): void => {
      seen.push([ctx.attempt, ctx.args]);
      if (ctx.attempt === 1) throw new Error('first attempt fails');
    };
    h = harness({ store: new SqliteJobStore({ path }) });
    h.scheduler.registerTask('t', task);
    await h.scheduler.start();
    await h.scheduler.addJob({ id: 'r', task: 't', args: { n: 1 }, trigger: { type: 'interval', seconds: 3600 }, retries: { max: 1, backoffSeconds: 30 } });
    await h.scheduler.runJobNow('r', { args: { n: 2 } });
    await h.clock.advance(1);
    await h.scheduler.shutdown();
    h = harness({ store: new SqliteJobStore({ path }), start: REFERENCE + 1 });
    h.scheduler.registerTask('t', task);
    await h.scheduler.start();
    await h.clock.advance(30_000);
    expect(seen).toEqual([
      [1, { n: 2 }],
      [2, { n: 2 }],
    ]);
    expect((await h.scheduler.getRuns('r')).map((r) => [r.attempt, r.outcome, r.trigger])).toEqual([
      [2, 'succeeded', 'retry'],
      [1, 'failed', 'manual'],
    ]);
  });
});
