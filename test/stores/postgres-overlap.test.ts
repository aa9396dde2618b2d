/**
 * Overlap policies on a PostgreSQL cluster of two nodes on one schema (docs/semantics.md#overlap): the
 * waiting fire of `queue` is kept in the job's row, so the node that frees the slot need not be the one
 * that saw the fire, and the fire starts once, on whichever node takes the job; `replace` cancels the
 * oldest run wherever it runs (its row recorded cancelled REPLACED in the claim, its node told by NOTIFY
 * to abort its signal). Which node claims is made deterministic with scheduler-wide pauses (per node:
 * a paused node claims nothing, its runs go on). Real time with generous bounds (the database is real).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { JobContext } from '../../src/core/job.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { PostgresJobStore } from '../../src/stores/postgres/store.js';
import { captureLogger, deferred, until } from '../helpers.js';
import { PG_URL, dropSchema, pgAvailable, schemaName, sql } from './pg-helpers.js';

interface Start {
  node: number;
  scheduledAt: number;
  signal: AbortSignal;
  release: () => void;
}

describe.skipIf(!pgAvailable)('overlap policies on a PostgreSQL cluster of 2 nodes', () => {
  let schema = '';
  const nodes: SchedulerService[] = [];
  let starts: Start[] = [];

  afterEach(async () => {
    for (const start of starts) start.release();
    for (const node of nodes.splice(0)) if (node.isRunning) await node.shutdown({ wait: true, timeoutSeconds: 5 });
    starts = [];
    if (schema !== '') await dropSchema(schema);
  });

  /** Two nodes whose task blocks until the test releases the run (or its signal is aborted). */
  async function start(): Promise<[SchedulerService, SchedulerService]> {
    for (let i = 0; i < 2; i++) {
      const node = i;
      const scheduler = new SchedulerService({
        store: new PostgresJobStore({ connectionString: PG_URL, schema }),
        logger: captureLogger('info'),
        timezone: 'UTC',
      });
      scheduler.registerTask('t', (ctx: JobContext) => {
        const gate = deferred();
        starts.push({ node, scheduledAt: ctx.scheduledAtMs, signal: ctx.signal, release: () => gate.resolve() });
        ctx.signal.addEventListener('abort', () => gate.resolve());
        return gate.promise;
      });
      await scheduler.start();
      nodes.push(scheduler);
    }
    return [nodes[0] as SchedulerService, nodes[1] as SchedulerService];
  }

  const rows = (): Promise<{ scheduled_at: number; status: string; node_id: string; error: { code?: string; message: string } | null }[]> =>
    sql(`SELECT scheduled_at, status, node_id, error FROM "${schema}".runs WHERE job_id = 'j' ORDER BY scheduled_at, attempt`);

  it('queue: the fire one node left waiting is started once, by the other node, when the slot frees', async () => {
    schema = schemaName('tw_overlap');
    const [a, b] = await start();
    await b.pause();
    await a.addJob({ id: 'j', task: 't', trigger: { type: 'interval', seconds: 1 }, overlap: 'queue' });
    await until(() => starts.length === 1, 15_000, 'the first run on node 0');
    const first = starts[0] as Start;
    expect(first.node).toBe(0);
    // The next fire finds the slot taken: it waits, in the row (node 1 reads it too); later ones are skipped.
    await until(async () => (await b.getJob('j'))?.waitingFire != null, 15_000, 'a waiting fire');
    const waiting = (await b.getJob('j'))?.waitingFire?.scheduledAt.getTime() as number;
    expect(waiting).toBeGreaterThan(first.scheduledAt);
    await until(async () => (await rows()).some((r) => r.status === 'skipped'), 15_000, 'a skipped fire while one waits');
    const skipped = (await rows()).find((r) => r.status === 'skipped');
    expect(skipped?.error?.message).toContain(`a fire of ${new Date(waiting).toISOString()} already waits`);
    // Node 0 stops claiming; its run ends: node 1 takes the job and starts the waiting fire.
    await a.pause();
    await b.resume();
    first.release();
    await until(() => starts.some((s) => s.scheduledAt === waiting), 15_000, 'the waiting fire to start');
    const started = starts.find((s) => s.scheduledAt === waiting) as Start;
    expect(started.node).toBe(1);
    // Started once, and nothing ran twice.
    expect(starts.filter((s) => s.scheduledAt === waiting)).toHaveLength(1);
    expect(new Set(starts.map((s) => s.scheduledAt)).size).toBe(starts.length);
    const row = (await rows()).find((r) => r.scheduled_at === waiting);
    expect(row?.status).toMatch(/^(claimed|running)$/);
    // Never more than one run holding the slot.
    const holding = (await rows()).filter((r) => r.status === 'claimed' || r.status === 'running');
    expect(holding).toHaveLength(1);
  }, 60_000);

  it('replace: a fire claimed on one node cancels the run on the other, whose signal is aborted', async () => {
    schema = schemaName('tw_overlap');
    const [a, b] = await start();
    await b.pause();
    await a.addJob({ id: 'j', task: 't', trigger: { type: 'interval', seconds: 1 }, overlap: 'replace' });
    await until(() => starts.length === 1, 15_000, 'the first run on node 0');
    const first = starts[0] as Start;
    expect(first.node).toBe(0);
    await a.pause();
    await b.resume();
    await until(() => starts.some((s) => s.node === 1), 15_000, 'a run on node 1');
    const second = starts.find((s) => s.node === 1) as Start;
    // Node 0 heard it and aborted its run's signal.
    await until(() => first.signal.aborted, 10_000, "node 0's run to be aborted");
    const replaced = (await rows()).find((r) => r.scheduled_at === first.scheduledAt);
    expect(replaced).toMatchObject({ status: 'cancelled', error: { code: 'REPLACED' } });
    expect(replaced?.error?.message).toContain(`replaced by its fire of ${new Date(second.scheduledAt).toISOString()}`);
    // Node 0's own record of its run says the same (its late write does not overwrite the row).
    expect(await a.getRuns('j', { limit: 10 })).toEqual(
      expect.arrayContaining([expect.objectContaining({ outcome: 'cancelled', error: expect.objectContaining({ code: 'REPLACED' }) })]),
    );
    // Never more than one run holding the slot, and no fire ran twice.
    const holding = (await rows()).filter((r) => r.status === 'claimed' || r.status === 'running');
    expect(holding.length).toBeLessThanOrEqual(1);
    expect(new Set(starts.map((s) => s.scheduledAt)).size).toBe(starts.length);
  }, 60_000);
});
