/**
 * A timed pause on a PostgreSQL cluster: the job's due time is its pause's end, so exactly one node takes
 * it then and lifts the pause (one `paused` record, one lift), and the pause (who, why, until) is read
 * the same on every node. An auto-pause notifies `paused` once. Three nodes (two under CI, where the
 * machine is shared); real time with generous bounds (the database is real).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { JobFunction } from '../../src/core/job.js';
import { Notifier } from '../../src/notifications/notifier.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { PostgresJobStore } from '../../src/stores/postgres/store.js';
import { captureLogger, type LogLine, sleep, until } from '../helpers.js';
import { startReceiver, type Receiver } from '../notifications/receiver.js';
import { PG_URL, dropSchema, pgAvailable, schemaName, sql } from './pg-helpers.js';

const NODES = process.env.CI === 'true' ? 2 : 3;

interface Node {
  scheduler: SchedulerService;
  lines: LogLine[];
  notifier: Notifier | null;
}

describe.skipIf(!pgAvailable)(`pauses on a PostgreSQL cluster of ${NODES} nodes`, () => {
  let schema = '';
  let receiver: Receiver | null = null;
  const nodes: Node[] = [];

  afterEach(async () => {
    for (const node of nodes.splice(0)) {
      await node.notifier?.stop();
      if (node.scheduler.isRunning) await node.scheduler.shutdown({ wait: true, timeoutSeconds: 5 });
    }
    await receiver?.close();
    receiver = null;
    if (schema !== '') await dropSchema(schema);
  });

  async function start(task: JobFunction, notify: string | null = null): Promise<void> {
    for (let i = 0; i < NODES; i++) {
      const store = new PostgresJobStore({ connectionString: PG_URL, schema });
      const logger = captureLogger('info');
      const scheduler = new SchedulerService({ store, logger, timezone: 'UTC' });
      scheduler.registerTask('t', task);
      const notifier = notify === null ? null : new Notifier({ scheduler, store, logger, checkIntervalSeconds: 0.2, targets: [{ id: 'ops', url: notify }] });
      await notifier?.start();
      await scheduler.start();
      nodes.push({ scheduler, lines: logger.lines, notifier });
    }
  }

  it('lifts a pause with until exactly once, on one node, and records its fires as one paused record', async () => {
    schema = schemaName('tw_pause');
    const fires: number[] = [];
    await start((ctx) => void fires.push(ctx.scheduledAtMs));
    const first = nodes[0] as Node;
    await first.scheduler.addJob({ id: 'j', task: 't', trigger: { type: 'interval', seconds: 0.5 } });
    await until(() => fires.length >= 1, 10_000, 'a first fire');
    const until_ = new Date(first.scheduler.now() + 2500);
    const paused = await first.scheduler.pauseJob('j', { until: until_, note: 'cluster maintenance' });
    const firesAtPause = fires.length;
    // Every node reads the same pause.
    for (const node of nodes) {
      const job = await node.scheduler.getJob('j');
      expect(job?.pause).toEqual({ since: paused.pause?.since, until: until_, note: 'cluster maintenance', by: { by: 'library' } });
      expect(job?.health.state).toBe('paused');
    }
    await sleep(1500);
    expect(fires.length).toBeLessThanOrEqual(firesAtPause + 1); // at most one fire already claimed when the pause came
    await until(async () => (await first.scheduler.getJob('j'))?.paused === false, 15_000, 'the pause to lift itself');
    await until(() => fires.length >= firesAtPause + 3, 10_000, 'fires after the lift');
    const lifts = nodes.flatMap((node) => node.lines.filter((line) => line.event === 'job_pause_lifted'));
    expect(lifts).toHaveLength(1);
    const rows = await sql<{ status: string; coalesced: number | null }>(`SELECT status, coalesced FROM "${schema}".runs WHERE status = 'paused'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.coalesced).toBeGreaterThanOrEqual(3);
    // Each fire ran once.
    expect(new Set(fires).size).toBe(fires.length);
    for (const node of nodes) expect(await node.scheduler.getJob('j')).toMatchObject({ paused: false, pause: null });
  }, 60_000);

  it('auto-pauses a failing job once across the nodes and notifies paused once', async () => {
    schema = schemaName('tw_pause');
    receiver = await startReceiver();
    await start(() => {
      throw new Error('unreachable');
    }, receiver.url);
    await (nodes[0] as Node).scheduler.addJob({ id: 'f', task: 't', trigger: { type: 'interval', seconds: 0.5 }, pauseAfterFailures: 3 });
    await until(async () => (await (nodes[0] as Node).scheduler.getJob('f'))?.paused === true, 20_000, 'the auto-pause');
    const job = await (nodes[NODES - 1] as Node).scheduler.getJob('f');
    expect(job?.pause).toMatchObject({
      by: { by: 'scheduler' },
      note: expect.stringMatching(/^paused after \d+ consecutive failed fires \(pauseAfterFailures: 3\)$/),
    });
    await until(() => receiver?.events().includes('paused') === true, 15_000, 'the paused notification');
    await sleep(1500);
    expect(receiver.events().filter((event) => event === 'paused')).toHaveLength(1);
  }, 60_000);
});
