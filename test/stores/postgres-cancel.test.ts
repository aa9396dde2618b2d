/**
 * cancelRun on a PostgreSQL cluster of two nodes on one schema (docs/semantics.md, cancelRun): the job's
 * runs are cancelled wherever they run. One statement records their rows cancelled (CANCELLED) and a
 * NOTIFY tells the node running each to abort its signal; that node's own late write of the outcome does
 * not overwrite the row. Which node claims is made deterministic with scheduler-wide pauses (a paused
 * node claims nothing, its runs go on). Real time with generous bounds (the database is real).
 */
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobContext } from '../../src/core/job.js';
import type { RunEvent } from '../../src/core/events.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { buildServer } from '../../src/server/app.js';
import { parseCancelled } from '../../src/stores/postgres/cancel.js';
import { PostgresJobStore } from '../../src/stores/postgres/store.js';
import { checkConformance, takeViolations } from '../server/conformance.js';
import { captureLogger, deferred, until } from '../helpers.js';
import { PG_URL, dropSchema, pgAvailable, schemaName, sql } from './pg-helpers.js';

interface Start {
  node: number;
  scheduledAt: number;
  signal: AbortSignal;
  release: () => void;
}

interface Row {
  scheduled_at: number;
  status: string;
  node_id: string;
  error: { code?: string; message: string } | null;
}

describe.skipIf(!pgAvailable)('cancelRun on a PostgreSQL cluster of 2 nodes', () => {
  let schema = '';
  const nodes: SchedulerService[] = [];
  const stores: PostgresJobStore[] = [];
  let starts: Start[] = [];
  /** job_cancelled events, per node. */
  let cancelled: RunEvent[][] = [];

  afterEach(async () => {
    for (const start of starts) start.release();
    for (const node of nodes.splice(0)) if (node.isRunning) await node.shutdown({ wait: true, timeoutSeconds: 5 });
    stores.length = 0;
    starts = [];
    cancelled = [];
    if (schema !== '') await dropSchema(schema);
  });

  /**
   * Two nodes whose task blocks until the test releases the run (or its signal is aborted). `serve`:
   * node 0 is served over HTTP (the server starts it when ready).
   */
  async function start(serve?: (scheduler: SchedulerService) => Promise<void>): Promise<[SchedulerService, SchedulerService]> {
    schema = schemaName('tw_cancel');
    for (let i = 0; i < 2; i++) {
      const node = i;
      const store = new PostgresJobStore({ connectionString: PG_URL, schema });
      stores.push(store);
      const scheduler = new SchedulerService({
        store,
        logger: captureLogger('info'),
        timezone: 'UTC',
      });
      scheduler.registerTask('t', (ctx: JobContext) => {
        const gate = deferred();
        starts.push({ node, scheduledAt: ctx.scheduledAtMs, signal: ctx.signal, release: () => gate.resolve() });
        ctx.signal.addEventListener('abort', () => gate.resolve());
        return gate.promise;
      });
      const events: RunEvent[] = [];
      cancelled.push(events);
      scheduler.on('job_cancelled', (event) => events.push(event));
      if (serve !== undefined && node === 0) await serve(scheduler);
      else await scheduler.start();
      nodes.push(scheduler);
    }
    return [nodes[0] as SchedulerService, nodes[1] as SchedulerService];
  }

  const rows = (): Promise<Row[]> => sql(`SELECT scheduled_at, status, node_id, error FROM "${schema}".runs WHERE job_id = 'j' ORDER BY scheduled_at, attempt`);

  /** Node 0 claims nothing; node 1 starts the job's first run. */
  async function runOnNode1(a: SchedulerService, b: SchedulerService, extra: Record<string, unknown> = {}): Promise<Start> {
    await a.pause();
    await b.addJob({ id: 'j', task: 't', trigger: { type: 'interval', seconds: 1 }, ...extra });
    await until(() => starts.length === 1, 15_000, 'the first run on node 1');
    const run = starts[0] as Start;
    expect(run.node).toBe(1);
    return run;
  }

  /** The run's row is cancelled by cancelRun, recorded once, and said so by both nodes' history. */
  async function expectCancelledOnce(a: SchedulerService, b: SchedulerService, run: Start): Promise<void> {
    const row = (await rows()).filter((r) => r.scheduled_at === run.scheduledAt);
    expect(row).toHaveLength(1);
    expect(row[0]).toMatchObject({ status: 'cancelled', error: { code: 'CANCELLED' } });
    expect(row[0]?.error?.message).toContain('cancelRun was called');
    for (const node of [a, b]) {
      const history = (await node.getRuns('j', { limit: 50 })).filter((r) => r.scheduledAt.getTime() === run.scheduledAt);
      expect(history).toHaveLength(1);
      expect(history[0]).toMatchObject({ outcome: 'cancelled', error: expect.objectContaining({ code: 'CANCELLED' }) });
    }
  }

  /** A later fire starts (on node 1: node 0 is paused) and succeeds: the job goes on as usual. */
  async function expectNextFireRuns(after: number): Promise<void> {
    await until(() => starts.some((s) => s.scheduledAt > after && !s.signal.aborted), 15_000, 'the next fire to start');
    const next = starts.find((s) => s.scheduledAt > after && !s.signal.aborted) as Start;
    next.release();
    await until(async () => (await rows()).some((r) => r.scheduled_at === next.scheduledAt && r.status === 'succeeded'), 15_000, 'the next run to succeed');
    expect(new Set(starts.map((s) => s.scheduledAt)).size).toBe(starts.length);
  }

  it("cancelRun on node 0 aborts node 1's run: its row is cancelled once, one history record, the next fire runs", async () => {
    const [a, b] = await start();
    const run = await runOnNode1(a, b);
    await until(async () => (await rows()).some((r) => r.scheduled_at === run.scheduledAt), 10_000, 'the run row');
    expect(await a.cancelRun('j')).toBe(1);
    await until(() => run.signal.aborted, 10_000, "node 1's run to be aborted");
    expect(String(run.signal.reason)).toContain('cancelRun was called');
    // Node 1 recorded it cancelled (one event, from the node that ran it); node 0 ran nothing.
    await until(() => cancelled[1]?.length === 1, 10_000, 'the job_cancelled event on node 1');
    expect(cancelled[1]?.[0]).toMatchObject({ jobId: 'j', scheduledAt: new Date(run.scheduledAt).toISOString(), error: { code: 'CANCELLED' } });
    expect(cancelled[0]).toEqual([]);
    await expectCancelledOnce(a, b, run);
    await expectNextFireRuns(run.scheduledAt);
    // By now node 1's late write of its outcome has landed, over nothing: still the one cancelled record.
    await expectCancelledOnce(a, b, run);
    expect(cancelled[1]).toHaveLength(1);
  }, 60_000);

  it("counts and aborts the runs on both nodes; this node's own at once", async () => {
    const [a, b] = await start();
    const onB = await runOnNode1(a, b, { maxInstances: 2 });
    // Node 1 stops claiming, node 0 takes the next fire: one run on each node.
    await b.pause();
    await a.resume();
    await until(() => starts.some((s) => s.node === 0), 15_000, 'a run on node 0');
    await a.pause();
    await b.resume();
    const onA = starts.find((s) => s.node === 0) as Start;
    await until(async () => (await rows()).filter((r) => r.status === 'claimed' || r.status === 'running').length === 2, 10_000, 'two run rows');
    expect(await a.cancelRun('j')).toBe(2);
    // This node's run is aborted before cancelRun answers, the other node's by its notification.
    expect(onA.signal.aborted).toBe(true);
    await until(() => onB.signal.aborted, 10_000, "node 1's run to be aborted");
    await until(() => cancelled[0]?.length === 1 && cancelled[1]?.length === 1, 10_000, 'one job_cancelled event per node');
    await expectCancelledOnce(a, b, onA);
    await expectCancelledOnce(a, b, onB);
    expect((await rows()).filter((r) => r.status === 'claimed' || r.status === 'running')).toHaveLength(0);
    // A second cancel finds nothing left to cancel.
    expect(await b.cancelRun('j')).toBe(0);
    await expectNextFireRuns(Math.max(onA.scheduledAt, onB.scheduledAt));
  }, 60_000);

  it("a run that settles while its row is cancelled (its node missed the notification) keeps the row's cancelled: one record", async () => {
    const [a, b] = await start();
    const run = await runOnNode1(a, b);
    await until(async () => (await rows()).some((r) => r.scheduled_at === run.scheduledAt), 10_000, 'the run row');
    // Node 1's LISTEN connection drops: it reconnects after 250 ms, and notifications sent meanwhile are gone.
    const nodeId = (stores[1] as PostgresJobStore).nodeId;
    await sql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE $1 AND query LIKE 'LISTEN%'`, [`tickwork ${nodeId}%`]);
    expect(await a.cancelRun('j')).toBe(1);
    // The run ends on its own (succeeded, unless the notification still came); its outcome lands over nothing.
    run.release();
    await until(async () => (await b.getRuns('j', { limit: 50 })).some((r) => r.scheduledAt.getTime() === run.scheduledAt), 10_000, 'its record');
    await expectNextFireRuns(run.scheduledAt);
    await expectCancelledOnce(a, b, run);
  }, 60_000);

  it('POST /api/v1/jobs/:id/cancel on a node cancels the run on the other node and answers the count', async () => {
    const served: { app?: FastifyInstance } = {};
    const [a, b] = await start(async (scheduler) => {
      const app = await buildServer({ scheduler, logger: pino({ level: 'silent' }), adminKeys: [], monitorKeys: [] });
      served.app = app;
      checkConformance(app);
      await app.ready();
    });
    const server = served.app as FastifyInstance;
    const run = await runOnNode1(a, b);
    try {
      const answer = await server.inject({ method: 'POST', url: '/api/v1/jobs/j/cancel', headers: { 'content-type': 'application/json' } });
      expect(answer.statusCode).toBe(200);
      expect(answer.json()).toEqual({ cancelled: 1 });
      await until(() => run.signal.aborted, 10_000, "node 1's run to be aborted");
      await expectCancelledOnce(a, b, run);
    } finally {
      await server.close();
    }
    expect(takeViolations()).toEqual([]);
  }, 60_000);
});

describe('the cancelled: notification', () => {
  it('names the run, its node and epoch (JSON: a job id or node id may hold colons); another payload is not one', () => {
    const payload = `cancelled:${JSON.stringify({ jobId: 'a:b', scheduledAt: 1.5e12, attempt: 2, node: 'host:1:ab', epoch: 7, reason: 'cancelRun was called' })}`;
    expect(parseCancelled(payload)).toEqual({ jobId: 'a:b', scheduledAt: 1.5e12, attempt: 2, node: 'host:1:ab', epoch: 7, reason: 'cancelRun was called' });
    // A row of an old registration without an epoch: no registration of this node matches it.
    expect(parseCancelled(`cancelled:${JSON.stringify({ jobId: 'j', scheduledAt: 1, attempt: 1, node: 'n', epoch: null })}`)).toMatchObject({ epoch: null });
    for (const other of ['replaced:1:2:3:j', 'changed:2:j', '1700000000000', 'cancelled:{', 'cancelled:{"jobId":1}']) expect(parseCancelled(other)).toBeNull();
  });
});
