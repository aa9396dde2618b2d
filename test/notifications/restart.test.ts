/**
 * On a SQLite file: a transition is not reported again after a restart, a delivery still pending at
 * shutdown is sent after the next start (the same body), and a run found lost at open is notified once.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { Notifier } from '../../src/notifications/notifier.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { SqliteJobStore } from '../../src/stores/sqlite/store.js';
import { captureLogger, REFERENCE, until } from '../helpers.js';
import { startReceiver, type Receiver } from './receiver.js';

let receiver: Receiver | null = null;
afterEach(async () => {
  await receiver?.close();
  receiver = null;
});

interface Node {
  scheduler: SchedulerService;
  notifier: Notifier;
  clock: ManualClock;
}

async function open(path: string, url: string, failing: { on: boolean }, start: number): Promise<Node> {
  const clock = new ManualClock(start);
  const logger = captureLogger('info');
  const store = new SqliteJobStore({ path });
  const scheduler = new SchedulerService({ store, clock, logger, timezone: 'UTC' });
  scheduler.registerTask('backup', () => {
    if (failing.on) throw new Error('unreachable');
  });
  const notifier = new Notifier({ scheduler, store, clock, logger, targets: [{ id: 'ops', url }] });
  await notifier.start();
  await scheduler.start();
  return { scheduler, notifier, clock };
}

async function close(node: Node): Promise<void> {
  await node.notifier.stop();
  await node.scheduler.shutdown({ wait: false });
}

async function seconds(node: Node, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await node.clock.advance(1000);
    await node.notifier.settled();
  }
}

describe('notifications across a restart (SQLite file)', () => {
  it('sends a pending delivery after the restart, and does not report the same transition again', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tickwork-notify-')), 'jobs.db');
    receiver = await startReceiver();
    receiver.status = 500;
    const failing = { on: true };
    const first = await open(path, receiver.url, failing, REFERENCE);
    await first.scheduler.addJob({ id: 'backup', task: 'backup', trigger: { type: 'interval', seconds: 1 } });
    await seconds(first, 1);
    await until(() => receiver?.received.length === 1, 5000, 'the first, refused attempt');
    await close(first);

    receiver.status = 200;
    const second = await open(path, receiver.url, failing, REFERENCE + 10_000);
    await until(() => receiver?.received.length === 2, 5000, 'the retry after the restart');
    await seconds(second, 5);
    await second.notifier.check();
    await second.notifier.settled();
    expect(receiver.events()).toEqual(['failing', 'failing']);
    expect(receiver.received[1]?.body).toBe(receiver.received[0]?.body);
    const { items } = await second.notifier.deliveries();
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ status: 'delivered', attempts: 2 });
    await close(second);
  });

  it('notifies a run found lost when the store opens, once', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tickwork-notify-')), 'jobs.db');
    receiver = await startReceiver();
    const failing = { on: false };
    const first = await open(path, receiver.url, failing, REFERENCE);
    await first.scheduler.addJob({ id: 'backup', task: 'backup', trigger: { type: 'interval', seconds: 60 } });
    await close(first);
    // A run the process was running when it died.
    const db = new Database(path);
    db.prepare(`INSERT INTO runs (job_id, scheduled_at, attempt, started_at, outcome) VALUES ('backup', ?, 1, ?, 'running')`).run(
      REFERENCE + 60_000,
      REFERENCE + 60_000,
    );
    db.close();

    const second = await open(path, receiver.url, failing, REFERENCE + 70_000);
    await until(() => receiver?.received.length === 1, 5000, 'the lost notification');
    await close(second);
    const third = await open(path, receiver.url, failing, REFERENCE + 80_000);
    await seconds(third, 2);
    await close(third);
    expect(receiver.events()).toEqual(['lost']);
    const body = JSON.parse(receiver.received[0]?.body ?? '') as { run: { id: string; outcome: string } };
    expect(body.run).toMatchObject({ id: 'backup@2026-01-01T00:01:00.000Z', outcome: 'lost' });
  });
});
