/** GET /api/v1/jobs/:id/explain: the verdict as JSON, its validation, and what a monitor key sees. */
import { afterEach, describe, expect, it } from 'vitest';
import { intervalJob, json, testServer, type TestServer } from './server-helpers.js';

let s: TestServer;
afterEach(async () => {
  await s?.app.close();
});

describe('GET /api/v1/jobs/:id/explain', () => {
  // docs/semantics.md#explain
  it('answers the verdict, the fire and the evidence, with ISO times and no run output', async () => {
    s = await testServer({ adminKeys: ['a'.repeat(32)], monitorKeys: ['m'.repeat(32)] });
    s.scheduler.registerTask('talks', () => 'secret output');
    const admin = { ...json, authorization: `Bearer ${'a'.repeat(32)}` };
    await s.app.inject({ method: 'POST', url: '/api/v1/jobs', headers: admin, payload: intervalJob('a', { task: 'talks' }) });
    await s.clock.advance(60_000);
    const res = await s.app.inject({ url: '/api/v1/jobs/a/explain?at=2026-01-01T00:01:20Z', headers: { authorization: `Bearer ${'m'.repeat(32)}` } });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      verdict: 'ran',
      scheduledAt: '2026-01-01T00:01:00.000Z',
      evidence: {
        at: '2026-01-01T00:01:20.000Z',
        now: '2026-01-01T00:01:00.000Z',
        attempts: 1,
        latenessMs: 0,
        fireBefore: { at: '2026-01-01T00:01:00.000Z' },
        fireAfter: { at: '2026-01-01T00:02:00.000Z' },
        run: { id: 'a@2026-01-01T00:01:00.000Z', outcome: 'succeeded' },
      },
    });
    expect(body.evidence.run.output).toBeUndefined();
    expect(JSON.stringify(body)).not.toContain('secret output');
    // An offset in the query (an encoded "+"): an hour before the job's first fire.
    const before = (await s.app.inject({ url: '/api/v1/jobs/a/explain?at=2026-01-01T00:01:00%2B01:00', headers: admin })).json();
    expect(before).toMatchObject({
      verdict: 'not_scheduled',
      scheduledAt: null,
      evidence: { fireBefore: null, fireAfter: { at: '2026-01-01T00:01:00.000Z' } },
    });
  });

  it('refuses a bad or missing `at` (400 INVALID_ARGUMENT naming it) and an unknown job (404)', async () => {
    s = await testServer();
    await s.app.inject({ method: 'POST', url: '/api/v1/jobs', headers: json, payload: intervalJob('a') });
    for (const at of ['2026-01-01T00:00:00', 'noon', '2026-13-01T00:00:00Z']) {
      const res = await s.app.inject(`/api/v1/jobs/a/explain?at=${encodeURIComponent(at)}`);
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'INVALID_ARGUMENT', details: [{ path: 'at' }] });
    }
    const missing = await s.app.inject('/api/v1/jobs/a/explain');
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.code).toBe('INVALID_ARGUMENT');
    expect(missing.json().error.message).toContain('at');
    const unknown = await s.app.inject('/api/v1/jobs/nope/explain?at=2026-01-01T00:00:00Z');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('JOB_NOT_FOUND');
  });
});
