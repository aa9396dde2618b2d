/** GET /audit: the API caller recorded as the actor of its changes; monitors may read; paging and bad queries. */
import { describe, expect, it } from 'vitest';
import { intervalJob, json, testServer } from './server-helpers.js';

const ADMIN = { authorization: 'Bearer admin-key-0123456789abcdef' };
const ADMIN2 = { authorization: 'Bearer admin-key-fedcba9876543210' };
const MONITOR = { authorization: 'Bearer monitor-key-0123456789abcdef' };

describe('GET /audit', () => {
  it("records each route's caller, never args; pages; monitors read it", async () => {
    const { app } = await testServer({
      adminKeys: ['admin-key-0123456789abcdef', 'admin-key-fedcba9876543210'],
      monitorKeys: ['monitor-key-0123456789abcdef'],
    });
    const send = (method: 'POST' | 'PATCH' | 'DELETE', url: string, headers: Record<string, string>, payload?: object) =>
      payload === undefined ? app.inject({ method, url, headers }) : app.inject({ method, url, headers: { ...headers, ...json }, payload });
    expect((await send('POST', '/api/v1/jobs', ADMIN, intervalJob('a', { args: { token: 's3cret' } }))).statusCode).toBe(201);
    expect((await send('PATCH', '/api/v1/jobs/a', ADMIN2, { name: 'renamed' })).statusCode).toBe(200);
    expect((await send('POST', '/api/v1/jobs/a/pause', ADMIN)).statusCode).toBe(200);
    expect((await send('POST', '/api/v1/jobs/a/resume', ADMIN)).statusCode).toBe(200);
    expect((await send('POST', '/api/v1/jobs/a/run', ADMIN)).statusCode).toBe(202);
    expect((await send('POST', '/api/v1/scheduler/pause', ADMIN)).statusCode).toBe(200);
    expect((await send('POST', '/api/v1/scheduler/resume', ADMIN)).statusCode).toBe(200);
    expect((await send('POST', '/api/v1/import', ADMIN, { jobs: [intervalJob('b')] })).statusCode).toBe(200);
    expect((await send('DELETE', '/api/v1/jobs/a', ADMIN2)).statusCode).toBe(204);

    const all = await app.inject({ method: 'GET', url: '/api/v1/audit?limit=100', headers: MONITOR });
    expect(all.statusCode).toBe(200);
    expect(all.body).not.toContain('s3cret');
    const items = all.json<{ items: { action: string; jobId: string | null; actor: Record<string, unknown> }[] }>().items;
    expect(items.map((e) => `${e.action}:${e.jobId ?? '-'}:${String(e.actor.keyIndex)}`).reverse()).toEqual([
      'job.added:a:0',
      'job.modified:a:1',
      'job.paused:a:0',
      'job.resumed:a:0',
      'job.run:a:0',
      'scheduler.paused:-:0',
      'scheduler.resumed:-:0',
      'job.added:b:0',
      'job.removed:a:1',
    ]);
    expect(items[0]?.actor).toEqual({ role: 'admin', via: 'key', keyIndex: 1 });

    const first = (await app.inject({ method: 'GET', url: '/api/v1/audit?jobId=a&limit=4', headers: MONITOR })).json<{
      items: unknown[];
      nextCursor: string | null;
    }>();
    expect(first.items).toHaveLength(4);
    expect(first.nextCursor).not.toBeNull();
    const second = (await app.inject({ method: 'GET', url: `/api/v1/audit?jobId=a&limit=4&cursor=${String(first.nextCursor)}`, headers: MONITOR })).json<{
      items: { action: string }[];
      nextCursor: string | null;
    }>();
    expect(second.items.map((e) => e.action)).toEqual(['job.modified', 'job.added']);
    expect(second.nextCursor).toBeNull();
    expect((await app.inject({ method: 'GET', url: '/api/v1/audit?cursor=abc', headers: MONITOR })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/api/v1/audit?limit=0', headers: MONITOR })).statusCode).toBe(400);
    await app.close();
  });
});
