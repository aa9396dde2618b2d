/**
 * When a change must say `Content-Type: application/json`: always with a body (and for PATCH), never for a
 * DELETE without one, and for a POST without one only in keyless mode when a browser says the request
 * comes from another origin (403), as a cross-site `fetch(..., { mode: 'no-cors' })` or form would send it.
 * Requests go through app.inject, and through a raw socket as curl sends them.
 */
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { json, testServer, type TestServer } from './server-helpers.js';

let s: TestServer;
afterEach(async () => {
  await s?.app.close();
});

const ADMIN = 'admin-key-0123456789';
const key = { authorization: `Bearer ${ADMIN}` };
const HOST = '127.0.0.1:8080';

async function withJob(options: { adminKeys?: string[] } = {}): Promise<void> {
  s = await testServer(options);
  await s.scheduler.addJob({ id: 'a', task: 'noop', trigger: { type: 'interval', seconds: 60 } });
}

/** One request over a raw socket, exactly as written; resolves with the status code. */
async function rawStatus(request: string): Promise<number> {
  await s.app.listen({ host: '127.0.0.1', port: 0 });
  const port = (s.app.server.address() as AddressInfo).port;
  const socket = connect(port, '127.0.0.1');
  socket.write(request.replaceAll('{port}', String(port)));
  let answer = '';
  for await (const chunk of socket) {
    answer += (chunk as Buffer).toString('latin1');
    if (answer.includes('\r\n\r\n')) break;
  }
  socket.destroy();
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
}

describe('a DELETE without a body', () => {
  it('needs no Content-Type with a key', async () => {
    await withJob({ adminKeys: [ADMIN] });
    expect((await s.app.inject({ method: 'DELETE', url: '/api/v1/jobs/a', headers: key })).statusCode).toBe(204);
    expect(await s.scheduler.getJob('a')).toBeUndefined();
  });

  it('needs no Content-Type without keys: curl -X DELETE over a socket', async () => {
    await withJob();
    const status = await rawStatus(
      'DELETE /api/v1/jobs/a HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\nConnection: close\r\n\r\n',
    );
    expect(status).toBe(204);
    expect(await s.scheduler.getJob('a')).toBeUndefined();
  });
});

describe('a POST without a body', () => {
  it('needs no Content-Type with a key, whatever page it says it comes from (a page cannot add the key)', async () => {
    await withJob({ adminKeys: [ADMIN] });
    expect((await s.app.inject({ method: 'POST', url: '/api/v1/jobs/a/pause', headers: key })).statusCode).toBe(200);
    const crossSite = { ...key, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' };
    expect((await s.app.inject({ method: 'POST', url: '/api/v1/jobs/a/resume', headers: crossSite })).statusCode).toBe(200);
  });

  it("needs no Content-Type without keys from no page (curl -X POST over a socket) or from the server's own", async () => {
    await withJob();
    const status = await rawStatus(
      'POST /api/v1/jobs/a/pause HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\nConnection: close\r\n\r\n',
    );
    expect(status).toBe(200);
    expect((await s.scheduler.getJob('a'))?.paused).toBe(true);
    const ownPage = { host: HOST, origin: `http://${HOST}`, 'sec-fetch-site': 'same-origin', 'content-length': '0' };
    expect((await s.app.inject({ method: 'POST', url: '/api/v1/jobs/a/resume', headers: ownPage })).statusCode).toBe(200);
    expect((await s.app.inject({ method: 'POST', url: '/api/v1/scheduler/pause', headers: { host: HOST, 'sec-fetch-site': 'none' } })).statusCode).toBe(200);
  });

  it.each([
    ['a cross-site no-cors fetch', { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }],
    ['a page on another local port', { origin: 'http://127.0.0.1:3000', 'sec-fetch-site': 'same-site' }],
    ['an Origin of another local port alone', { origin: 'http://127.0.0.1:3000' }],
    ['an opaque Origin', { origin: 'null' }],
  ])('is refused without keys (403) from %s', async (_name, headers) => {
    await withJob();
    const response = await s.app.inject({ method: 'POST', url: '/api/v1/jobs/a/pause', headers: { host: HOST, ...headers } });
    expect(response.statusCode).toBe(403);
    expect(response.json().error.code).toBe('FORBIDDEN');
    expect((await s.scheduler.getJob('a'))?.paused).toBe(false);
  });

  it('with a Content-Type other than JSON is refused (415), with or without keys', async () => {
    await withJob({ adminKeys: [ADMIN] });
    const response = await s.app.inject({ method: 'POST', url: '/api/v1/jobs/a/pause', headers: { ...key, 'content-type': 'text/plain' } });
    expect(response.statusCode).toBe(415);
    expect(response.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    await s.app.close();
    await withJob();
    expect((await s.app.inject({ method: 'POST', url: '/api/v1/jobs/a/pause', headers: { 'content-type': 'text/plain' } })).statusCode).toBe(415);
  });
});

describe('a request with a body', () => {
  it.each([
    ['POST without a Content-Type', { method: 'POST', url: '/api/v1/jobs/a/run', payload: '{}' }],
    ['POST as text/plain', { method: 'POST', url: '/api/v1/jobs/a/run', headers: { 'content-type': 'text/plain' }, payload: 'x' }],
    ['POST as a form', { method: 'POST', url: '/api/v1/jobs', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'id=x' }],
    ['DELETE without a Content-Type', { method: 'DELETE', url: '/api/v1/jobs/a', payload: '{}' }],
    ['PATCH without a body or a Content-Type', { method: 'PATCH', url: '/api/v1/jobs/a' }],
  ] as const)('needs application/json: %s is refused with 415, with or without keys', async (_name, request) => {
    for (const options of [{ adminKeys: [ADMIN] }, {}]) {
      await withJob(options);
      const headers = { ...('headers' in request ? request.headers : {}), ...(options.adminKeys === undefined ? {} : key) };
      const response = await s.app.inject({ ...request, headers });
      expect(response.statusCode).toBe(415);
      expect(response.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(await s.scheduler.getJob('a')).toBeDefined();
      await s.app.close();
    }
  });

  it('as application/json is served', async () => {
    await withJob({ adminKeys: [ADMIN] });
    const response = await s.app.inject({ method: 'PATCH', url: '/api/v1/jobs/a', headers: { ...key, ...json }, payload: { name: 'renamed' } });
    expect(response.statusCode).toBe(200);
    expect(response.json().name).toBe('renamed');
  });
});

describe('the OpenAPI document', () => {
  it('asks no body of the routes that take none, and requires one of those that do', async () => {
    s = await testServer();
    const doc = (await s.app.inject('/docs/json')).json() as { paths: Record<string, Record<string, { requestBody?: { required?: boolean } }>> };
    const bodyless = [
      ['delete', '/api/v1/jobs/{id}'],
      ['post', '/api/v1/jobs/{id}/pause'],
      ['post', '/api/v1/jobs/{id}/resume'],
      ['post', '/api/v1/jobs/{id}/run'],
      ['post', '/api/v1/jobs/{id}/cancel'],
      ['post', '/api/v1/scheduler/pause'],
      ['post', '/api/v1/scheduler/resume'],
    ] as const;
    for (const [method, path] of bodyless) expect(doc.paths[path]?.[method]?.requestBody?.required, `${method} ${path}`).not.toBe(true);
    for (const [method, path] of [
      ['post', '/api/v1/jobs'],
      ['patch', '/api/v1/jobs/{id}'],
      ['post', '/api/v1/schedules/preview'],
    ] as const) {
      expect(doc.paths[path]?.[method]?.requestBody?.required, `${method} ${path}`).toBe(true);
    }
  });
});
