/**
 * Three nodes on one PostgreSQL schema, each with its Notifier sweeping every 200 ms: a job failing every
 * second sends exactly one "failing", then one "recovered" when it succeeds again, whichever node ran it.
 * Real time with generous bounds (the database is real).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Notifier } from '../../src/notifications/notifier.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { PostgresJobStore } from '../../src/stores/postgres/store.js';
import { captureLogger, sleep, until } from '../helpers.js';
import { PG_URL, dropSchema, pgAvailable, schemaName } from '../stores/pg-helpers.js';
import { startReceiver, type Receiver } from './receiver.js';

interface Node {
  scheduler: SchedulerService;
  notifier: Notifier;
}

describe.skipIf(!pgAvailable)('notifications on a PostgreSQL cluster of three nodes', () => {
  let schema = '';
  let receiver: Receiver | null = null;
  const nodes: Node[] = [];

  afterEach(async () => {
    for (const node of nodes.splice(0)) {
      await node.notifier.stop();
      if (node.scheduler.isRunning) await node.scheduler.shutdown({ wait: true, timeoutSeconds: 5 });
    }
    await receiver?.close();
    if (schema !== '') await dropSchema(schema);
  });

  it('sends exactly one notification per transition', async () => {
    schema = schemaName('tw_notify');
    receiver = await startReceiver();
    const failing = { on: true };
    for (let i = 0; i < 3; i++) {
      const store = new PostgresJobStore({ connectionString: PG_URL, schema });
      const logger = captureLogger('warn');
      const scheduler = new SchedulerService({ store, logger, timezone: 'UTC' });
      scheduler.registerTask('flaky', () => {
        if (failing.on) throw new Error('unreachable');
      });
      const notifier = new Notifier({ scheduler, store, logger, checkIntervalSeconds: 0.2, targets: [{ id: 'ops', url: receiver.url }] });
      await notifier.start();
      await scheduler.start();
      nodes.push({ scheduler, notifier });
    }
    await (nodes[0] as Node).scheduler.addJob({ id: 'flaky', task: 'flaky', trigger: { type: 'interval', seconds: 1 } });
    await until(() => receiver?.received.length === 1, 15_000, 'the failing notification');
    // Several more failures, on any node, and sweeps on every node: nothing more.
    await sleep(3000);
    expect(receiver.events()).toEqual(['failing']);
    failing.on = false;
    await until(() => receiver?.received.length === 2, 15_000, 'the recovered notification');
    await sleep(3000);
    expect(receiver.events()).toEqual(['failing', 'recovered']);
    const { items } = await (nodes[2] as Node).notifier.deliveries();
    expect(items.map((d) => [d.event, d.status, d.attempts])).toEqual([
      ['recovered', 'delivered', 1],
      ['failing', 'delivered', 1],
    ]);
  }, 60_000);
});
