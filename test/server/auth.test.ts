/** The auth matrix: no key, monitor key, admin key; loopback-only mode without keys; refusal to bind. (The Content-Type rule: content-type.test.ts.) */
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { Authenticator, clientKey } from '../../src/server/auth.js';
import { intervalJob, json, testServer, type TestServer } from './server-helpers.js';

let s: TestServer;
afterEach(async () => {
  await s?.app.close();
});

const ADMIN = 'admin-key-0123456789';
const MONITOR = 'monitor-key-0123456789';
const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

describe('with API keys', () => {
  const cases: [string, Record<string, string>, number, number, number][] = [
    // caller, headers, GET /jobs, POST /jobs, GET /whoami
    ['no key', {}, 401, 401, 401],
    ['a wrong key', bearer('nope-nope-nope-nope'), 401, 401, 401],
    ['a monitor key', bearer(MONITOR), 200, 403, 200],
    ['an admin key', bearer(ADMIN), 200, 201, 200],
    ['the second (rotated) admin key', bearer(`${ADMIN}-next`), 200, 201, 200],
  ];

  it.each(cases)('%s gets %i on reads and %i on writes', async (_who, headers, read, write, whoami) => {
    s = await testServer({ adminKeys: [ADMIN, `${ADMIN}-next`], monitorKeys: [MONITOR] });
    expect((await s.app.inject({ url: '/api/v1/jobs', headers })).statusCode).toBe(read);
    const created = await s.app.inject({ method: 'POST', url: '/api/v1/jobs', headers: { ...headers, ...json }, payload: intervalJob('a') });
    expect(created.statusCode).toBe(write);
    if (write >= 400) expect(created.json().error.code).toBe(write === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN');
    expect((await s.app.inject({ url: '/api/v1/whoami', headers })).statusCode).toBe(whoami);
  });

  it('health needs no key and reveals only liveness', async () => {
    s = await testServer({ adminKeys: [ADMIN] });
    const health = await s.app.inject('/api/v1/health');
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok' });
  });

  it('whoami tells the role and key index, never the key', async () => {
    s = await testServer({ adminKeys: [ADMIN, `${ADMIN}-next`], monitorKeys: [MONITOR] });
    expect((await s.app.inject({ url: '/api/v1/whoami', headers: bearer(`${ADMIN}-next`) })).json()).toEqual({ role: 'admin', via: 'key', keyIndex: 1 });
    expect((await s.app.inject({ url: '/api/v1/whoami', headers: bearer(MONITOR) })).json()).toEqual({ role: 'monitor', via: 'key', keyIndex: 0 });
  });

  it('shows job args to admin keys only', async () => {
    s = await testServer({ adminKeys: [ADMIN], monitorKeys: [MONITOR] });
    await s.app.inject({
      method: 'POST',
      url: '/api/v1/jobs',
      headers: { ...bearer(ADMIN), ...json },
      payload: intervalJob('a', { args: { token: 's3cret' } }),
    });
    expect((await s.app.inject({ url: '/api/v1/jobs/a', headers: bearer(ADMIN) })).json().args).toEqual({ token: 's3cret' });
    const monitorView = await s.app.inject({ url: '/api/v1/jobs/a', headers: bearer(MONITOR) });
    expect(monitorView.json().args).toBeUndefined();
    expect(monitorView.body).not.toContain('s3cret');
    expect((await s.app.inject({ url: '/api/v1/jobs', headers: bearer(MONITOR) })).body).not.toContain('s3cret');
  });

  it('rate-limits failed attempts from one address with 429', async () => {
    s = await testServer({ adminKeys: [ADMIN] });
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) statuses.push((await s.app.inject({ url: '/api/v1/jobs', headers: bearer(`guess-${i}`) })).statusCode);
    expect(statuses.slice(0, 20).every((c) => c === 401)).toBe(true);
    const limited = await s.app.inject({ url: '/api/v1/jobs', headers: bearer('guess') });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('RATE_LIMITED');
    expect(limited.headers['retry-after']).toBeDefined();
  });

  it('sends no CORS headers', async () => {
    s = await testServer({ adminKeys: [ADMIN] });
    const response = await s.app.inject({ url: '/api/v1/jobs', headers: { ...bearer(ADMIN), origin: 'https://evil.example' } });
    expect(Object.keys(response.headers).filter((h) => h.startsWith('access-control'))).toEqual([]);
  });
});

describe('without API keys (loopback only)', () => {
  it('serves a loopback client with a loopback Host as admin', async () => {
    s = await testServer();
    expect((await s.app.inject({ url: '/api/v1/whoami', headers: { host: '127.0.0.1:8080' } })).json()).toEqual({ role: 'admin', via: 'loopback' });
  });

  it.each([
    ['a non-loopback client', { remoteAddress: '10.1.2.3' }, {}],
    ['a foreign Host header (DNS rebinding)', {}, { host: 'evil.example:8080' }],
    ['a request through a proxy', {}, { 'x-forwarded-for': '203.0.113.9' }],
    ['a Forwarded header', {}, { forwarded: 'for=203.0.113.9' }],
  ])('refuses %s with 403', async (_name, extra, headers) => {
    s = await testServer();
    const response = await s.app.inject({ url: '/api/v1/jobs', headers, ...extra });
    expect(response.statusCode).toBe(403);
    expect(response.json().error.code).toBe('FORBIDDEN');
  });

  it('refuses to bind a non-loopback address without keys', () => {
    const result = spawnSync(process.execPath, ['dist/cli.js', 'serve', '--host', '0.0.0.0', '--port', '0'], {
      encoding: 'utf8',
      timeout: 15_000,
      env: { ...process.env, TICKWORK_ADMIN_KEY: '', TICKWORK_MONITOR_KEY: '' },
    });
    expect(result.status).toBe(1);
    expect(result.stderr + result.stdout).toMatch(/Refusing to listen on 0\.0\.0\.0 without API keys/);
  });
});

describe('the failed-key limiter', () => {
  it('never blocks a valid key: 25 bad keys from one address, then the good key is served', async () => {
    s = await testServer({ adminKeys: [ADMIN] });
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await s.app.inject({ url: '/api/v1/jobs', headers: bearer(`guess-${i}-0123456789abcdef`) })).statusCode);
    expect(statuses.slice(0, 20).every((c) => c === 401)).toBe(true);
    expect(statuses.slice(20).every((c) => c === 429)).toBe(true);
    expect((await s.app.inject({ url: '/api/v1/jobs', headers: bearer(ADMIN) })).statusCode).toBe(200);
  });

  it('keys IPv6 clients by their /64, IPv4-mapped addresses as IPv4', () => {
    expect(clientKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe(clientKey('2001:db8:1:2::1'));
    expect(clientKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8:1:3::1')).not.toBe(clientKey('2001:db8:1:2::1'));
    expect(clientKey('2001:0DB8:0001:0002::5')).toBe('2001:db8:1:2::/64');
    expect(clientKey('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(clientKey('203.0.113.9')).toBe('203.0.113.9');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
  });

  it('remembers a bounded number of clients, forgetting the least recently seen', () => {
    const auth = new Authenticator({ adminKeys: [ADMIN], monitorKeys: [], maxTrackedClients: 100 });
    for (let i = 0; i < 1000; i++) {
      const request = { socket: { remoteAddress: `10.0.${i >> 8}.${i & 255}` }, headers: {}, raw: {} } as never;
      expect(() => auth.authenticate(request)).toThrow(/API key/);
    }
    expect(auth.trackedClients).toBe(100);
  });
});

describe('keys', () => {
  it.each([
    ['an empty key', ''],
    ['a short key', 'tooshort'],
    ['a key with a space', 'admin key 0123456789'],
    ['a key with a no-break space', 'admin\u00a0key-0123456789'],
    ['a key with a newline', 'admin-key-0123456789\n'],
  ])('refuses %s at start, without echoing it', async (_name, key) => {
    await expect(testServer({ adminKeys: [key] })).rejects.toThrow(/adminKeys\[0\]/);
    await expect(testServer({ adminKeys: [ADMIN], monitorKeys: [key] })).rejects.toThrow(/monitorKeys\[0\]/);
    if (key.length > 3) await expect(testServer({ adminKeys: [key] })).rejects.not.toThrow(key.trim());
  });

  it('compares the presented key as sent: surrounding spaces or a no-break space do not match', async () => {
    s = await testServer({ adminKeys: [ADMIN] });
    expect((await s.app.inject({ url: '/api/v1/jobs', headers: { authorization: `Bearer ${ADMIN} ` } })).statusCode).toBe(401);
    expect((await s.app.inject({ url: '/api/v1/jobs', headers: { authorization: `Bearer  ${ADMIN}` } })).statusCode).toBe(401);
    expect((await s.app.inject({ url: '/api/v1/jobs', headers: { authorization: 'Bearer \u00a0' } })).statusCode).toBe(401);
    expect((await s.app.inject({ url: '/api/v1/jobs', headers: bearer(ADMIN) })).statusCode).toBe(200);
  });

  it('refuses keys shorter than 16 characters or with spaces in a started server (tickwork serve)', () => {
    const result = spawnSync(process.execPath, ['dist/cli.js', 'serve', '--port', '0'], {
      encoding: 'utf8',
      timeout: 15_000,
      env: { ...process.env, TICKWORK_STORE: 'memory', TICKWORK_ADMIN_KEY: 'admin', TICKWORK_MONITOR_KEY: '' },
    });
    expect(result.status).toBe(1);
    expect(result.stderr + result.stdout).toMatch(/at least 16/);
  });
});

describe('roles', () => {
  it('a monitor key gets 403 for any mutation, whatever its body (roles before validation)', async () => {
    s = await testServer({ adminKeys: [ADMIN], monitorKeys: [MONITOR] });
    for (const payload of ['{not json', '{"colour":"red"}', JSON.stringify(intervalJob('x'))]) {
      const response = await s.app.inject({ method: 'POST', url: '/api/v1/jobs', headers: { ...bearer(MONITOR), ...json }, payload });
      expect(response.statusCode).toBe(403);
    }
    expect((await s.app.inject({ method: 'POST', url: '/api/v1/jobs/a/run', headers: bearer(MONITOR) })).statusCode).toBe(403);
  });

  it('a monitor key may preview a schedule (a read)', async () => {
    s = await testServer({ adminKeys: [ADMIN], monitorKeys: [MONITOR] });
    const response = await s.app.inject({
      method: 'POST',
      url: '/api/v1/schedules/preview',
      headers: { ...bearer(MONITOR), ...json },
      payload: { trigger: { type: 'interval', seconds: 60 }, from: '2026-01-01T00:00:00Z', count: 2 },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().items).toHaveLength(2);
  });
});

describe('keyless mode behind a default reverse proxy', () => {
  it.each([
    ['X-Real-IP', { 'x-real-ip': '203.0.113.9' }],
    ['Via', { via: '1.1 nginx' }],
    ['X-Forwarded-Host', { 'x-forwarded-host': 'example.com' }],
    ['X-Forwarded-Proto', { 'x-forwarded-proto': 'https' }],
  ])('refuses a request with %s', async (_name, headers) => {
    s = await testServer();
    const response = await s.app.inject({ url: '/api/v1/jobs', headers });
    expect(response.statusCode).toBe(403);
    expect(response.json().error.message).toMatch(/proxy/);
  });
});

describe('keyless mode and the browser', () => {
  it.each([
    ['a cross-site page (Sec-Fetch-Site: cross-site)', { 'sec-fetch-site': 'cross-site' }, 403],
    ['a same-site page on another port (Sec-Fetch-Site: same-site)', { 'sec-fetch-site': 'same-site' }, 403],
    ['another origin', { origin: 'https://evil.example' }, 403],
    ['a loopback origin that is not a loopback name', { origin: 'http://localhost.evil.example:8080' }, 403],
    ['the dashboard itself (same-origin)', { 'sec-fetch-site': 'same-origin', origin: 'http://127.0.0.1:8080' }, 200],
    ['a direct navigation (none)', { 'sec-fetch-site': 'none' }, 200],
    ['curl (no browser headers)', {}, 200],
  ])('%s gets %i', async (_name, headers, status) => {
    s = await testServer();
    expect((await s.app.inject({ url: '/api/v1/jobs', headers: { host: '127.0.0.1:8080', ...headers } })).statusCode).toBe(status);
  });

  it.each(['localhost:evil.com', '127.0.0.1:80:evil', 'localhost:80@evil.com', '[::1]evil.com', '[::1].evil.com', 'localhost.', '127.0.0.1.nip.io'])(
    'refuses the Host %s',
    async (host) => {
      s = await testServer();
      expect((await s.app.inject({ url: '/api/v1/jobs', headers: { host } })).statusCode).toBe(403);
    },
  );

  it('accepts the Bearer scheme in any case (RFC 9110), the key still as sent', async () => {
    s = await testServer({ adminKeys: [ADMIN] });
    expect((await s.app.inject({ url: '/api/v1/jobs', headers: { authorization: `bearer ${ADMIN}` } })).statusCode).toBe(200);
    expect((await s.app.inject({ url: '/api/v1/jobs', headers: { authorization: `BEARER ${ADMIN.toUpperCase()}` } })).statusCode).toBe(401);
  });

  it('HEAD /events is not a route (it would hold a stream slot)', async () => {
    s = await testServer();
    expect((await s.app.inject({ method: 'HEAD', url: '/api/v1/events' })).statusCode).toBe(404);
  });

  it('a malformed path gets the JSON error body', async () => {
    s = await testServer();
    const response = await s.app.inject({ url: '/api/v1/%C0%AFjobs' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('INVALID_ARGUMENT');
  });
});
