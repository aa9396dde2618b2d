/**
 * The HTTP API shows a traced run's trace id (runs, the job, the job list), and the server's `metrics`
 * option opts jobs in to per-job series on GET /api/v1/metrics.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { buildServer, type MetricsOptions } from '../../src/server/app.js';
import { REFERENCE } from '../helpers.js';
import { installOtel, type Otel } from './otel-fixture.js';

let otel: Otel | null = null;
afterEach(async () => {
  await otel?.uninstall();
  otel = null;
});

async function server(metrics?: MetricsOptions): Promise<{ app: Awaited<ReturnType<typeof buildServer>>; scheduler: SchedulerService; clock: ManualClock }> {
  const clock = new ManualClock(REFERENCE);
  const logger = pino({ level: 'silent' });
  const scheduler = new SchedulerService({ clock, logger, timezone: 'UTC' });
  scheduler.registerTask('noop', () => undefined);
  const app = await buildServer({ scheduler, logger, adminKeys: [], monitorKeys: [], ...(metrics === undefined ? {} : { metrics }) });
  await app.ready();
  return { app, scheduler, clock };
}

describe('the API and the trace id', () => {
  it('GET /jobs/:id/runs, /jobs/:id and /jobs show traceId', async () => {
    otel = installOtel();
    const { app, scheduler, clock } = await server();
    await scheduler.addJob({ id: 'tick', task: 'noop', trigger: { type: 'interval', seconds: 60 } });
    await clock.advance(60_000);
    const traceId = otel.exporter.getFinishedSpans()[0]?.spanContext().traceId;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const runs = (await app.inject({ method: 'GET', url: '/api/v1/jobs/tick/runs' })).json<{ items: { traceId?: string }[] }>();
    expect(runs.items.map((run) => run.traceId)).toEqual([traceId]);
    const job = (await app.inject({ method: 'GET', url: '/api/v1/jobs/tick' })).json<{ lastRun?: { traceId?: string } }>();
    expect(job.lastRun?.traceId).toBe(traceId);
    const list = (await app.inject({ method: 'GET', url: '/api/v1/jobs' })).json<{ items: { lastRun?: { traceId?: string } }[] }>();
    expect(list.items[0]?.lastRun?.traceId).toBe(traceId);
    await app.close();
  });
});

describe('the server option metrics', () => {
  it('opts jobs in to per-job series; bad options stop the server from being built', async () => {
    const { app, scheduler, clock } = await server({ jobLabels: ['tick'] });
    await scheduler.addJob({ id: 'tick', task: 'noop', trigger: { type: 'interval', seconds: 60 } });
    await scheduler.addJob({ id: 'other', task: 'noop', trigger: { type: 'interval', seconds: 60 } });
    await clock.advance(60_000);
    const text = (await app.inject({ method: 'GET', url: '/api/v1/metrics' })).body;
    expect(text).toContain('tickwork_job_runs_total{job="tick",outcome="succeeded"} 1');
    expect(text).not.toContain('job="other"');
    await app.close();
    await expect(server({ jobLabels: 'everything' as 'all' })).rejects.toThrow(/metrics\.jobLabels/);
  });
});
