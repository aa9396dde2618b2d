/**
 * Notifications on the manual clock, delivered over real HTTP to a receiver on 127.0.0.1: one
 * notification per transition (failing then recovered, overdue, paused), once per record (missed),
 * retries with backoff, the signature a receiver verifies, and no listener without a target.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { JobContext } from '../../src/core/job.js';
import { Notifier } from '../../src/notifications/notifier.js';
import { verifySignature } from '../../src/notifications/signature.js';
import { harness, until, type Harness } from '../helpers.js';
import { startReceiver, type Receiver } from './receiver.js';

const SECRET = 'whsec_0123456789abcdef';

let h: Harness;
let notifier: Notifier | null = null;
let receiver: Receiver | null = null;

afterEach(async () => {
  await notifier?.stop();
  notifier = null;
  if (h?.scheduler.isRunning) await h.scheduler.shutdown({ wait: false });
  await receiver?.close();
  receiver = null;
});

async function setUp(target: Record<string, unknown> = {}): Promise<{ h: Harness; notifier: Notifier; receiver: Receiver }> {
  h = harness();
  receiver = await startReceiver();
  notifier = new Notifier({
    scheduler: h.scheduler,
    clock: h.clock,
    logger: h.logger,
    publicUrl: 'https://tickwork.example.com/',
    targets: [{ id: 'ops', url: receiver.url, secret: SECRET, ...target }],
  });
  await notifier.start();
  await h.scheduler.start();
  return { h, notifier, receiver };
}

/** Advances the clock a second at a time, letting the watcher and the deliverer finish each step. */
async function seconds(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await h.clock.advance(1000);
    await notifier?.settled();
  }
}

describe('Notifier', () => {
  it('sends one "failing" for a job failing every second, then one "recovered"', async () => {
    const { notifier, receiver } = await setUp();
    const failing = { on: true };
    await h.scheduler.addIntervalJob(
      () => {
        if (failing.on) throw Object.assign(new Error('backup target unreachable'), { code: 'E_TARGET' });
      },
      1,
      'backup',
    );
    await seconds(1);
    await until(() => receiver.received.length === 1, 5000, 'the failing notification');
    await seconds(5);
    failing.on = false;
    await seconds(1);
    await until(() => receiver.received.length === 2, 5000, 'the recovered notification');
    await seconds(3);
    await notifier.check();
    await notifier.settled();
    expect(receiver.events()).toEqual(['failing', 'recovered']);

    const first = JSON.parse(receiver.received[0]?.body ?? '') as Record<string, unknown>;
    expect(first).toMatchObject({
      event: 'failing',
      job: { id: 'backup', name: 'backup' },
      health: { state: 'failing', consecutiveFailures: 1 },
      run: { id: 'backup@2026-01-01T00:00:01.000Z', outcome: 'failed', error: { code: 'E_TARGET', message: 'backup target unreachable' } },
      url: 'https://tickwork.example.com/?job=backup',
    });
    expect(Object.keys(first)).toEqual(['event', 'job', 'health', 'run', 'url']);
    const second = JSON.parse(receiver.received[1]?.body ?? '') as { health: { state: string }; run: { outcome: string } };
    expect(second.health.state).toBe('ok');
    expect(second.run.outcome).toBe('succeeded');
    expect(receiver.received[0]?.headers['content-type']).toBe('application/json');
    expect(receiver.received[0]?.headers['user-agent']).toBe('tickwork');
    const lines = h.logger.lines
      .filter((l) => ['notification_queued', 'notification_delivered', 'notification_failed'].includes(String(l.event)))
      .map((l) => l.event);
    expect(lines).toEqual(['notification_queued', 'notification_delivered', 'notification_queued', 'notification_delivered']);
    // The secret is never logged.
    expect(JSON.stringify(h.logger.lines)).not.toContain(SECRET);
  });

  it('signs each body so that a receiver verifies it, and refuses a tampered body or an old timestamp', async () => {
    const { receiver } = await setUp();
    await h.scheduler.addIntervalJob(
      () => {
        throw new Error('boom');
      },
      1,
      'signed',
    );
    await seconds(1);
    await until(() => receiver.received.length === 1, 5000, 'a notification');
    const { headers, body } = receiver.received[0] as { headers: Record<string, string | string[] | undefined>; body: string };
    const header = headers['tickwork-signature'] as string;
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const t = Number(/t=(\d+)/.exec(header)?.[1]);
    expect(t).toBe(Math.floor(h.clock.now() / 1000));
    expect(verifySignature(SECRET, header, body, 300, t)).toBe(true);
    expect(verifySignature(SECRET, header, body.replace('boom', 'BOOM'), 300, t)).toBe(false);
    expect(verifySignature('another-secret-0123456789', header, body, 300, t)).toBe(false);
    expect(verifySignature(SECRET, header, body, 300, t + 301)).toBe(false);
    expect(verifySignature(SECRET, undefined, body, 300, t)).toBe(false);
  });

  it('retries with backoff when the receiver answers 500, then records the delivery', async () => {
    const { notifier, receiver } = await setUp();
    receiver.status = 500;
    await h.scheduler.addIntervalJob(
      () => {
        throw new Error('boom');
      },
      1,
      'flaky-receiver',
    );
    await seconds(1);
    await until(() => receiver.received.length === 1, 5000, 'the first attempt');
    receiver.status = 200;
    // The retry is due 1 s after the failed attempt, not before.
    await h.clock.advance(900);
    await notifier.settled();
    expect(receiver.received).toHaveLength(1);
    await h.clock.advance(200);
    await until(() => receiver.received.length === 2, 5000, 'the retry');
    await notifier.settled();
    expect(receiver.received[1]?.body).toBe(receiver.received[0]?.body);
    const { items } = await notifier.deliveries({ targetId: 'ops' });
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ jobId: 'flaky-receiver', event: 'failing', status: 'delivered', attempts: 2, lastStatus: 200, lastError: null });
    expect(h.logger.lines.find((l) => l.event === 'notification_failed')).toMatchObject({ status: 500, final: false, attempt: 1 });
  });

  it('sends "overdue" once for a job whose fires are skipped behind a hung run', async () => {
    const { receiver } = await setUp({ on: ['overdue', 'recovered'] });
    await h.scheduler.addIntervalJob(
      (ctx: JobContext) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
      1,
      'hung',
      {
        overdueAfterMissedFires: 3,
      },
    );
    await seconds(8);
    await until(() => receiver.received.length === 1, 5000, 'the overdue notification');
    await seconds(3);
    expect(receiver.events()).toEqual(['overdue']);
    const body = JSON.parse(receiver.received[0]?.body ?? '') as { health: { reason: string } };
    expect(body.health.reason).toContain('fires in a row did not start');
  });

  it('sends "paused" once when a job is paused, and nothing when it is resumed to ok', async () => {
    const { notifier, receiver } = await setUp();
    await h.scheduler.addIntervalJob(() => undefined, 1, 'report');
    await seconds(2);
    await notifier.check();
    await h.scheduler.pauseJob('report');
    await notifier.settled();
    await until(() => receiver.received.length === 1, 5000, 'the paused notification');
    await h.scheduler.resumeJob('report');
    await seconds(2);
    await notifier.check();
    await notifier.settled();
    expect(receiver.events()).toEqual(['paused']);
  });

  it('sends "missed" once per missed record, with its run', async () => {
    const { notifier, receiver } = await setUp({ on: ['missed'] });
    await h.scheduler.addIntervalJob(() => undefined, 1, 'late', { coalesce: false, misfireGraceTime: 1 });
    await seconds(1);
    // The wall clock jumps 5 s: the next pass finds the fires in between past their grace.
    h.clock.jump(h.clock.now() + 5_000);
    await seconds(1);
    const missed = h.named('job_missed');
    expect(missed.length).toBeGreaterThan(1);
    await until(() => receiver.received.length === missed.length, 5000, 'one notification per missed record');
    await seconds(2);
    await notifier.check();
    await notifier.settled();
    expect(receiver.events()).toEqual(missed.map(() => 'missed'));
    const runs = receiver.received.map((r) => (JSON.parse(r.body) as { run: { id: string; outcome: string } }).run);
    expect(runs.map((run) => run.id)).toEqual(missed.map((m) => `late@${m.scheduledAt}`));
    expect(runs.every((run) => run.outcome === 'missed')).toBe(true);
  });

  it('attaches no listener without a target, and listens once one is added', async () => {
    h = harness();
    notifier = new Notifier({ scheduler: h.scheduler, clock: h.clock, logger: h.logger });
    await notifier.start();
    await h.scheduler.start();
    expect(notifier.listening).toBe(false);
    receiver = await startReceiver();
    await notifier.putTarget({ id: 'late-comer', url: receiver.url });
    expect(notifier.listening).toBe(true);
    await notifier.deleteTarget('late-comer');
    expect(notifier.listening).toBe(false);
  });

  it('refuses bad options and targets, naming the field', () => {
    h = harness();
    expect(() => new Notifier({ scheduler: h.scheduler, targets: [{ id: 'x', url: 'ftp://example.com' }] })).toThrow(/notifications\[0\]\.url/);
    expect(() => new Notifier({ scheduler: h.scheduler, targets: [{ id: 'x', url: 'http://a', on: ['exploded' as never] }] })).toThrow(
      /notifications\[0\]\.on\[0\]/,
    );
    expect(() => new Notifier({ scheduler: h.scheduler, targets: [{ id: 'x', url: 'http://a', secret: 'short' }] })).toThrow(/notifications\[0\]\.secret/);
    expect(() => new Notifier({ scheduler: h.scheduler, checkIntervalSeconds: 0 })).toThrow(/checkIntervalSeconds/);
    expect(() => new Notifier({ scheduler: h.scheduler, publicUrl: 'nope' })).toThrow(/publicUrl/);
  });
});
