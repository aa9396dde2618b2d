/** The notification routes through app.inject(): validation naming the field, secrets never returned, roles, URL redaction. */
import { afterEach, describe, expect, it } from 'vitest';
import { json, testServer, type TestServer } from '../server/server-helpers.js';

const ADMIN = 'admin-key-0123456789';
const MONITOR = 'monitor-key-0123456789';
const SECRET = 'whsec_0123456789abcdef';

let s: TestServer;
afterEach(async () => {
  await s?.app.close();
});

const as = (key: string) => ({ ...json, authorization: `Bearer ${key}` });

describe('notification routes', () => {
  it('PUT creates (201) then replaces (200); GET never returns the secret; DELETE removes (204), then 404', async () => {
    s = await testServer();
    const url = 'https://hooks.example.com/tickwork';
    const created = await s.app.inject({
      method: 'PUT',
      url: '/api/v1/notifications/targets/ops',
      headers: json,
      payload: { url, secret: SECRET, on: ['failing'] },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({ id: 'ops', url, hasSecret: true, on: ['failing'], jobs: null, source: 'api', updatedAt: expect.any(String) });
    const replaced = await s.app.inject({ method: 'PUT', url: '/api/v1/notifications/targets/ops', headers: json, payload: { url, jobs: ['backup-*'] } });
    expect(replaced.statusCode).toBe(200);
    expect(replaced.json()).toMatchObject({ hasSecret: false, on: ['failing', 'overdue', 'paused', 'recovered', 'lost', 'missed'], jobs: ['backup-*'] });
    const list = await s.app.inject('/api/v1/notifications/targets');
    expect(list.json().items.map((t: { id: string }) => t.id)).toEqual(['ops']);
    expect(list.body).not.toContain(SECRET);
    expect((await s.app.inject('/api/v1/notifications/targets/ops')).json()).toMatchObject({ id: 'ops' });
    expect((await s.app.inject({ method: 'DELETE', url: '/api/v1/notifications/targets/ops' })).statusCode).toBe(204);
    const gone = await s.app.inject('/api/v1/notifications/targets/ops');
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error.code).toBe('NOTIFICATION_TARGET_NOT_FOUND');
    expect((await s.app.inject({ method: 'DELETE', url: '/api/v1/notifications/targets/ops' })).statusCode).toBe(404);
  });

  it('refuses a bad URL, an unknown event and a short secret with 400 naming the field', async () => {
    s = await testServer();
    const put = (payload: Record<string, unknown>) => s.app.inject({ method: 'PUT', url: '/api/v1/notifications/targets/ops', headers: json, payload });
    const cases: [Record<string, unknown>, string][] = [
      [{ url: 'not a url' }, 'body.url'],
      [{ url: 'ftp://example.com/x' }, 'body.url'],
      [{ url: 'https://example.com', on: ['failing', 'exploded'] }, 'body.on[1]'],
      [{ url: 'https://example.com', on: [] }, 'body.on'],
      [{ url: 'https://example.com', secret: 'short' }, 'body.secret'],
      [{ url: 'https://example.com', jobs: ['has space'] }, 'body.jobs[0]'],
      [{ url: 'https://example.com', extra: 1 }, 'body.extra'],
    ];
    for (const [payload, path] of cases) {
      const answer = await put(payload);
      expect(answer.statusCode, JSON.stringify(payload)).toBe(400);
      expect(answer.json().error.details.map((d: { path: string }) => d.path)).toContain(path);
    }
    expect((await s.app.inject('/api/v1/notifications/targets')).json().items).toEqual([]);
  });

  it('lets monitors read targets with the URL credentials redacted, and refuses them PUT and DELETE', async () => {
    s = await testServer({ adminKeys: [ADMIN], monitorKeys: [MONITOR] });
    const url = 'https://user:pass@hooks.example.com/t?token=abc&x=1';
    expect(
      (await s.app.inject({ method: 'PUT', url: '/api/v1/notifications/targets/ops', headers: as(ADMIN), payload: { url, secret: SECRET } })).statusCode,
    ).toBe(201);
    const admin = (await s.app.inject({ url: '/api/v1/notifications/targets/ops', headers: as(ADMIN) })).json();
    expect(admin.url).toBe(url);
    const monitor = await s.app.inject({ url: '/api/v1/notifications/targets', headers: as(MONITOR) });
    expect(monitor.json().items[0].url).toBe('https://redacted@hooks.example.com/t?token=redacted&x=redacted');
    expect(monitor.body).not.toContain('abc');
    expect(monitor.body).not.toContain('pass');
    const refused = await s.app.inject({ method: 'PUT', url: '/api/v1/notifications/targets/ops', headers: as(MONITOR), payload: { url } });
    expect(refused.statusCode).toBe(403);
    expect((await s.app.inject({ method: 'DELETE', url: '/api/v1/notifications/targets/ops', headers: as(MONITOR) })).statusCode).toBe(403);
    const deliveries = await s.app.inject({ url: '/api/v1/notifications/deliveries?targetId=ops&limit=10', headers: as(MONITOR) });
    expect(deliveries.json()).toEqual({ items: [], nextCursor: null });
    expect((await s.app.inject({ url: '/api/v1/notifications/deliveries?limit=0', headers: as(MONITOR) })).statusCode).toBe(400);
    expect((await s.app.inject({ url: '/api/v1/notifications/deliveries?cursor=abc', headers: as(MONITOR) })).statusCode).toBe(400);
  });
});
