/**
 * The http task sends the run's trace context (`traceparent`, W3C Trace Context) to a real receiver on
 * 127.0.0.1, so the receiver's spans join the run's trace; without an SDK it sends none.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { RUN_SPAN_NAME } from '../../src/scheduler/run-tracing.js';
import { registerBuiltInTasks } from '../../src/tasks/index.js';
import { harness, until } from '../helpers.js';
import { installOtel, type Otel } from './otel-fixture.js';

let otel: Otel | null = null;
let server: Server | null = null;
afterEach(async () => {
  await otel?.uninstall();
  otel = null;
  const open = server;
  server = null;
  if (open !== null) {
    open.closeAllConnections();
    await new Promise<void>((resolve) => open.close(() => resolve()));
  }
});

/** A receiver that answers 204 and keeps the headers of each request. */
async function receiver(): Promise<{ url: string; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  server = createServer((req, res) => {
    seen.push(req.headers);
    res.statusCode = 204;
    res.end();
  });
  const listening = server;
  await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(listening.address() as { port: number }).port}/hook`, seen };
}

describe('the http task and the trace context', () => {
  it("sends traceparent naming the run's trace and span, replacing one given in args.headers", async () => {
    otel = installOtel();
    const { url, seen } = await receiver();
    const h = harness({ fastPath: true });
    registerBuiltInTasks(h.scheduler, []);
    await h.scheduler.start();
    const stale = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await h.scheduler.addJob({ id: 'hook', task: 'http', args: { url, headers: { TraceParent: stale } }, trigger: { type: 'interval', seconds: 60 } });
    await h.clock.advance(60_000);
    await until(() => h.named('job_executed').length === 1, 10_000, 'the http run to succeed');
    const span = otel.exporter.getFinishedSpans().find((s) => s.name === RUN_SPAN_NAME);
    const { traceId, spanId } = span?.spanContext() ?? { traceId: 'none', spanId: 'none' };
    expect(seen).toHaveLength(1);
    expect(seen[0]?.traceparent).toBe(`00-${traceId}-${spanId}-01`);
    expect((await h.scheduler.getRuns('hook'))[0]?.traceId).toBe(traceId);
    await h.scheduler.shutdown();
  });

  it('sends no traceparent without an SDK', async () => {
    const { url, seen } = await receiver();
    const h = harness({ fastPath: true });
    registerBuiltInTasks(h.scheduler, []);
    await h.scheduler.start();
    await h.scheduler.addJob({ id: 'hook', task: 'http', args: { url }, trigger: { type: 'interval', seconds: 60 } });
    await h.clock.advance(60_000);
    await until(() => h.named('job_executed').length === 1, 10_000, 'the http run to succeed');
    expect(seen).toHaveLength(1);
    expect(seen[0]?.traceparent).toBeUndefined();
    expect(seen[0]?.['idempotency-key']).toBe('hook@2026-01-01T00:01:00.000Z');
    await h.scheduler.shutdown();
  });
});
