/**
 * A manual run on PostgreSQL is claimed first. When the claim is not written, the scheduler must say why:
 * the job's instance slots are taken (MAX_INSTANCES_REACHED), or this node was fenced (its registration
 * lost to a sweep) and nothing was started (STORE_UNAVAILABLE, retry). A fenced node once answered the
 * first, naming a limit no run held. The claim records what started the run and who (its trigger and
 * actor), so that even a run lost before it settles says so; its args reach only this node's executor.
 */
import { describe, expect, it } from 'vitest';
import { SchedulerService } from '../../src/scheduler/service.js';
import { PostgresJobStore } from '../../src/stores/postgres/store.js';
import { captureLogger, until } from '../helpers.js';
import { dropSchema, pgAvailable, PG_URL, schemaName, sql } from './pg-helpers.js';

describe.skipIf(!pgAvailable)('a manual run on PostgreSQL', () => {
  it('is STORE_UNAVAILABLE on a fenced node, MAX_INSTANCES_REACHED when the slots are taken', async () => {
    const schema = schemaName();
    // No heartbeat during the test: the node stays fenced until it is told so.
    const store = new PostgresJobStore({ connectionString: PG_URL, schema, heartbeatSeconds: 60, leaseSeconds: 120 });
    const s = new SchedulerService({ store, logger: captureLogger('error'), timezone: 'UTC' });
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    s.registerTask('slow', () => held);
    try {
      await s.addJob({ id: 'j', func: 'slow', trigger: { type: 'interval', seconds: 3600 } });
      await s.start();
      await s.runJobNow('j'); // takes the job's one slot until released
      await expect(s.runJobNow('j')).rejects.toMatchObject({ code: 'MAX_INSTANCES_REACHED' });

      release();
      // Once the first run's outcome is written, the slot is free: the claim can then fail on the fence alone.
      await expect
        .poll(async () => (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".runs WHERE status IN ('claimed', 'running')`))[0]?.n, {
          timeout: 5000,
        })
        .toBe(0);
      await sql(`UPDATE "${schema}".nodes SET epoch = epoch + 1 WHERE id = $1`, [store.nodeId]);
      const error = await s.runJobNow('j').then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', status: 503 });
      expect((error as Error).message).toMatch(/lost its registration/);
    } finally {
      release();
      await s.shutdown({ timeoutSeconds: 5 }).catch(() => undefined);
      await dropSchema(schema);
    }
  });

  it('records the trigger, actor and note with the claim and keeps them when the run settles; the args reach only the executor, and its retry', async () => {
    const schema = schemaName();
    const store = new PostgresJobStore({ connectionString: PG_URL, schema });
    const s = new SchedulerService({ store, logger: captureLogger('error'), timezone: 'UTC' });
    const seen: [number, unknown][] = [];
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    s.registerTask('work', async (ctx) => {
      seen.push([ctx.attempt, ctx.args]);
      if (ctx.attempt === 1) {
        await held;
        throw new Error('first attempt fails');
      }
    });
    const actor = { role: 'admin', via: 'key', keyIndex: 3 } as const;
    type Row = { attempt: number; status: string; trigger: string; actor: unknown; note: string | null };
    const rows = (): Promise<Row[]> => sql<Row>(`SELECT attempt, status, trigger, actor, note FROM "${schema}".runs ORDER BY attempt`);
    try {
      await s.addJob({ id: 'j', func: 'work', args: { n: 1 }, trigger: { type: 'interval', seconds: 3600 }, retries: { max: 1, backoffSeconds: 0.2 } });
      await s.start();
      await s.runJobNow('j', { args: { n: 2 }, note: 'replay' }, { actor });
      // The claimed (or running) row says who started it before the run settles.
      expect((await rows())[0]).toMatchObject({ attempt: 1, trigger: 'manual', actor });
      release();
      await until(async () => (await rows()).some((r) => r.attempt === 2 && r.status === 'succeeded'), 10_000, 'the retry to be recorded');
      expect(await rows()).toEqual([
        { attempt: 1, status: 'failed', trigger: 'manual', actor, note: 'replay' },
        { attempt: 2, status: 'succeeded', trigger: 'retry', actor: null, note: null },
      ]);
      expect(seen).toEqual([
        [1, { n: 2 }],
        [2, { n: 2 }],
      ]);
      expect((await s.getRuns('j')).map((r) => [r.attempt, r.trigger, r.actor, r.note])).toEqual([
        [2, 'retry', { by: 'scheduler' }, undefined],
        [1, 'manual', actor, 'replay'],
      ]);
      // The job's own args are unchanged, in the row too.
      expect((await sql<{ args: unknown }>(`SELECT args FROM "${schema}".jobs`))[0]?.args).toEqual({ n: 1 });
    } finally {
      release();
      await s.shutdown({ timeoutSeconds: 5 }).catch(() => undefined);
      await dropSchema(schema);
    }
  });
});
