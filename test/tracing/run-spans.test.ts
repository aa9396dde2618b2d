/**
 * OpenTelemetry traces of runs, with the SDK's in-memory exporter: a `tickwork.run` span per run with its
 * attributes, errors recorded on it, the job function's own spans its children, the trace id on the
 * stored run (memory, SQLite, PostgreSQL under CI), and no span without an SDK or with `tracing: false`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { RECHECK_MS, RUN_SPAN_NAME } from '../../src/scheduler/run-tracing.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { PostgresJobStore } from '../../src/stores/postgres/store.js';
import { MIGRATIONS } from '../../src/stores/sqlite/migrations.js';
import { SqliteJobStore } from '../../src/stores/sqlite/store.js';
import { captureLogger, harness, REFERENCE, until } from '../helpers.js';
import { PG_URL, dropSchema, pgAvailable, schemaName } from '../stores/pg-helpers.js';
import { installOtel, type Otel } from './otel-fixture.js';

let otel: Otel | null = null;
afterEach(async () => {
  await otel?.uninstall();
  otel = null;
});

function runSpans(): ReadableSpan[] {
  return (otel?.exporter.getFinishedSpans() ?? []).filter((span) => span.name === RUN_SPAN_NAME);
}

const iso = (ms: number): string => new Date(ms).toISOString();

describe('a tickwork.run span per run', () => {
  it('has the documented attributes, is a root span, and its trace id is on the stored run', async () => {
    otel = installOtel();
    const h = harness({ fastPath: true });
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(() => 'done', 1, 'tick');
    await h.clock.advance(3000);
    const spans = runSpans();
    expect(spans.map((span) => span.attributes)).toEqual(
      [1, 2, 3].map((second) => ({
        'tickwork.job.id': 'tick',
        'tickwork.run.scheduled_at': iso(REFERENCE + second * 1000),
        'tickwork.run.attempt': 1,
        'tickwork.run.lateness_ms': 0,
        'tickwork.trigger.type': 'interval',
        'tickwork.run.outcome': 'succeeded',
      })),
    );
    expect(spans.every((span) => span.parentSpanContext === undefined && span.status.code === SpanStatusCode.UNSET)).toBe(true);
    const runs = await h.scheduler.getRuns('tick');
    expect(runs.map((run) => run.traceId).reverse()).toEqual(spans.map((span) => span.spanContext().traceId));
    expect(new Set(runs.map((run) => run.traceId)).size).toBe(3); // one trace per run
    expect((await h.scheduler.getJob('tick'))?.lastRun?.traceId).toBe(spans[2]?.spanContext().traceId);
    await h.scheduler.shutdown();
  });

  it('records a failed run’s error (scrubbed of the job’s secrets) and sets the status ERROR', async () => {
    otel = installOtel();
    const h = harness({ fastPath: true });
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(
      () => {
        throw Object.assign(new Error('login as admin with hunter22 refused'), { code: 'E_LOGIN' });
      },
      1,
      'sync-fail',
      { args: { password: 'hunter22' } },
    );
    await h.scheduler.addIntervalJob(() => Promise.reject(new TypeError('async boom')), 1, 'async-fail');
    await h.clock.advance(1000);
    const byJob = new Map(runSpans().map((span) => [span.attributes['tickwork.job.id'], span]));
    const sync = byJob.get('sync-fail');
    const async = byJob.get('async-fail');
    expect(sync?.attributes['tickwork.run.outcome']).toBe('failed');
    expect(sync?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'login as admin with [redacted] refused' });
    const exception = sync?.events.find((event) => event.name === 'exception');
    expect(exception?.attributes?.['exception.message']).toBe('login as admin with [redacted] refused');
    expect(exception?.attributes?.['exception.type']).toBe('E_LOGIN');
    expect(JSON.stringify(sync?.events)).not.toContain('hunter22');
    expect(async?.attributes['tickwork.job.id']).toBe('async-fail');
    expect(async?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'async boom' });
    await h.scheduler.shutdown();
  });

  it('a timed-out run is an error; a cancelled one is not', async () => {
    otel = installOtel();
    const h = harness({ fastPath: true });
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(() => new Promise(() => undefined), 10, 'hangs', { timeoutSeconds: 1 });
    await h.scheduler.addIntervalJob(() => new Promise(() => undefined), 10, 'cancelled');
    await h.clock.advance(10_000);
    await h.clock.advance(1000);
    expect(await h.scheduler.cancelRun('cancelled')).toBe(1);
    const byJob = new Map(runSpans().map((span) => [span.attributes['tickwork.job.id'], span]));
    expect(byJob.get('hangs')?.attributes['tickwork.run.outcome']).toBe('timed_out');
    expect(byJob.get('hangs')?.status.code).toBe(SpanStatusCode.ERROR);
    expect(byJob.get('cancelled')?.attributes['tickwork.run.outcome']).toBe('cancelled');
    expect(byJob.get('cancelled')?.status.code).toBe(SpanStatusCode.UNSET);
    await h.scheduler.shutdown({ wait: false });
  });

  it('is active while the function runs: its spans are children, also after an await', async () => {
    otel = installOtel();
    const h = harness({ fastPath: true });
    const app = trace.getTracer('app');
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(
      async () => {
        app.startSpan('before-await').end();
        await Promise.resolve();
        app.startSpan('after-await').end();
      },
      1,
      'nested',
    );
    await h.clock.advance(1000);
    const spans = otel.exporter.getFinishedSpans();
    const run = spans.find((span) => span.name === RUN_SPAN_NAME);
    const children = spans.filter((span) => span.name !== RUN_SPAN_NAME);
    expect(children.map((span) => span.name)).toEqual(['before-await', 'after-await']);
    for (const child of children) {
      expect(child.spanContext().traceId).toBe(run?.spanContext().traceId);
      expect(child.parentSpanContext?.spanId).toBe(run?.spanContext().spanId);
    }
    await h.scheduler.shutdown();
  });

  it('a run that is not started (missed) has no span', async () => {
    otel = installOtel();
    const h = harness({ fastPath: true });
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(() => undefined, 1, 'late', { misfireGraceTime: 1, coalesce: false });
    h.clock.stall(5000); // the loop wakes 5 s late: the fires past their grace are recorded missed
    await h.clock.advance(0);
    const runs = await h.scheduler.getRuns('late');
    expect(runs.some((run) => run.outcome === 'missed')).toBe(true);
    expect(runs.filter((run) => run.outcome === 'missed').every((run) => run.traceId === undefined)).toBe(true);
    expect(runSpans()).toHaveLength(runs.filter((run) => run.outcome === 'succeeded').length);
    await h.scheduler.shutdown();
  });
});

describe('the tracing option', () => {
  it("'auto' without an SDK: no trace id; an SDK registered later is found within RECHECK_MS", async () => {
    const h = harness({ fastPath: true });
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(() => undefined, 1, 'tick');
    await h.clock.advance(1000);
    expect((await h.scheduler.getRuns('tick'))[0]?.traceId).toBeUndefined();
    otel = installOtel();
    await h.clock.advance(RECHECK_MS);
    const runs = await h.scheduler.getRuns('tick');
    expect(runs[0]?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(runSpans().length).toBeGreaterThan(0);
    expect(runSpans().length).toBeLessThan(RECHECK_MS / 1000); // the first runs after the SDK came went untraced
    await h.scheduler.shutdown();
  });

  it('false: no span even with an SDK', async () => {
    otel = installOtel();
    const h = harness({ fastPath: true, tracing: false });
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(() => undefined, 1, 'tick');
    await h.clock.advance(3000);
    expect(runSpans()).toEqual([]);
    expect((await h.scheduler.getRuns('tick')).map((run) => run.traceId)).toEqual([undefined, undefined, undefined]);
    await h.scheduler.shutdown();
  });

  it('anything else is refused with INVALID_ARGUMENT at options.tracing', () => {
    expect(() => new SchedulerService({ tracing: 'yes' as unknown as boolean })).toThrow(/options\.tracing: must be true, false or "auto", got "yes"/);
  });
});

describe('the trace id on the stored run', () => {
  it('SQLite: kept in the file (a version 1 file gets the column) and read back after a restart', async () => {
    otel = installOtel();
    const path = join(mkdtempSync(join(tmpdir(), 'tickwork-trace-')), 'db.sqlite');
    const v1 = new Database(path);
    v1.exec((MIGRATIONS[0] as { sql: string }).sql);
    v1.pragma('user_version = 1');
    v1.close();
    const clock = new ManualClock(REFERENCE);
    const open = (): SchedulerService => {
      const s = new SchedulerService({ store: new SqliteJobStore({ path }), clock, logger: captureLogger('warn'), timezone: 'UTC' });
      s.registerTask('tick', () => undefined);
      s.registerTask('slow', async () => Promise.resolve());
      return s;
    };
    const first = open();
    await first.start();
    await first.addJob({ id: 'tick', task: 'tick', trigger: { type: 'interval', seconds: 1 } });
    await first.addJob({ id: 'slow', task: 'slow', trigger: { type: 'interval', seconds: 1 } });
    await clock.advance(2000);
    await first.shutdown();
    const traced = runSpans().map((span) => `${String(span.attributes['tickwork.job.id'])} ${span.spanContext().traceId}`);
    const second = open();
    await second.start({ paused: true });
    const stored = [...(await second.getRuns('tick')), ...(await second.getRuns('slow'))].map((run) => `${run.jobId} ${String(run.traceId)}`);
    expect(stored.sort()).toEqual(traced.sort());
    expect(stored).toHaveLength(4);
    await second.shutdown();
  });

  describe.skipIf(!pgAvailable)('PostgreSQL', () => {
    let schema = '';
    afterEach(async () => {
      if (schema !== '') await dropSchema(schema);
    });

    it('kept in the run row, for a synchronous and an asynchronous run', async () => {
      otel = installOtel();
      schema = schemaName();
      const scheduler = new SchedulerService({
        store: new PostgresJobStore({ connectionString: PG_URL, schema }),
        logger: captureLogger('warn'),
        timezone: 'UTC',
        tracing: true,
      });
      scheduler.registerTask('sync', () => undefined);
      scheduler.registerTask('async', async () => Promise.resolve());
      await scheduler.start();
      for (const task of ['sync', 'async']) {
        await scheduler.addJob({ id: task, task, trigger: { type: 'interval', seconds: 3600 } });
        await scheduler.runJobNow(task);
      }
      const settled = async (): Promise<boolean> =>
        (await scheduler.getRuns('sync')).concat(await scheduler.getRuns('async')).filter((run) => run.outcome === 'succeeded').length === 2;
      await until(settled, 10_000, 'both manual runs to be recorded succeeded');
      const traced = runSpans().map((span) => `${String(span.attributes['tickwork.job.id'])} ${span.spanContext().traceId}`);
      const stored = [...(await scheduler.getRuns('sync')), ...(await scheduler.getRuns('async'))].map((run) => `${run.jobId} ${String(run.traceId)}`);
      expect(stored.sort()).toEqual(traced.sort());
      expect((await scheduler.getJob('async'))?.lastRun?.traceId).toMatch(/^[0-9a-f]{32}$/);
      await scheduler.shutdown();
    });
  });
});
