/**
 * No spelling of a path reaches an API handler without a key. Every /api/v1 route (from the OpenAPI
 * document, so a new route is covered without editing this file) is sent in many spellings over a raw
 * socket (no client normalises the target): percent-encoded letters, double slashes, dot segments,
 * absolute-form targets, trailing slashes, `;` parameters, encoded slashes, mixed case. Without a key,
 * with a monitor key on write routes, and in keyless mode through a proxy, none may be answered by a
 * handler; the positive controls (the right key, the canonical path and the percent-encoded one) show
 * the same requests do reach the handlers when allowed.
 */
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { buildServer } from '../../src/server/app.js';
import { REFERENCE } from '../helpers.js';

const ADMIN = 'admin-key-0123456789abcdef';
const MONITOR = 'monitor-key-0123456789abcdef';

interface Answer {
  status: number;
  body: string;
}

/** One HTTP request written byte for byte, so the target reaches the server exactly as spelled. */
function rawRequest(port: number, method: string, target: string, headers: Record<string, string>, body = '', version = '1.1'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const lines = [`${method} ${target} HTTP/${version}`, `host: 127.0.0.1:${port}`, 'connection: close'];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    if (body !== '' || method !== 'GET') lines.push(`content-length: ${Buffer.byteLength(body)}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: match === null ? 0 : Number(match[1]), body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no answer to ${method} ${target}`)));
  });
}

const encodeLetter = (c: string): string => `%${c.charCodeAt(0).toString(16)}`;

/** The spellings of an origin-form path such as /api/v1/jobs/a. */
function spellings(path: string, port: number): string[] {
  const segments = path.split('/').slice(1);
  const first = (seg: string): string => (/^[a-z]/i.test(seg) ? encodeLetter(seg[0] as string) + seg.slice(1) : seg);
  return [
    `/${segments.map(first).join('/')}`, // %61pi/%76 1/...
    `/${segments.map((s) => [...s].map((c) => (/[a-z]/i.test(c) ? encodeLetter(c).toUpperCase() : c)).join('')).join('/')}`,
    `/${segments.join('%2F')}`, // encoded slashes
    `/${segments.join('%2f')}`,
    `/${path}`, // //api/...
    path.replace('/v1/', '//v1/'),
    `/x/..${path}`, // dot segments
    `/.${path}`,
    path.replace('/v1/', '/v1/./'),
    `/%2e%2e${path}`,
    path.replace('/v1/', '/v1/%2e/'),
    `${path}/`, // trailing slash
    path.replace('/api', '/api;x=1'), // ; parameters
    `${path};x`,
    path.toUpperCase(), // case
    path.replace('/api', '/Api').replace('/v1', '/V1'),
    `http://127.0.0.1:${port}${path}`, // absolute-form
    `http://x${path}`,
    `HTTP://127.0.0.1:${port}${path.replace('/api', '/%61pi')}`,
    path.replace(/\//g, '\\'), // backslashes
    `${path}%00`,
    `${path}?x=1`,
    `${path}#frag`,
    '*',
  ];
}

let app: FastifyInstance;
let port: number;
let scheduler: SchedulerService;
let routes: { method: string; path: string }[];

async function startServer(keys: { adminKeys: string[]; monitorKeys: string[] }): Promise<void> {
  scheduler = new SchedulerService({ clock: new ManualClock(REFERENCE), logger: pino({ level: 'silent' }), timezone: 'UTC' });
  scheduler.registerTask('noop', () => undefined);
  // A limit no test reaches: every refused request must say why it was refused (401/403), not 429.
  app = await buildServer({ scheduler, logger: pino({ level: 'silent' }), ...keys, authLimits: { maxFailures: 1_000_000 } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as AddressInfo).port;
  await scheduler.addJob({ id: 'a', task: 'noop', trigger: { type: 'interval', seconds: 60 } });
  const doc = (await app.inject('/docs/json')).json() as { paths: Record<string, Record<string, unknown>> };
  routes = Object.entries(doc.paths)
    .filter(([path]) => path.startsWith('/api/v1/'))
    .flatMap(([path, methods]) => Object.keys(methods).map((m) => ({ method: m.toUpperCase(), path: path.replace('{id}', 'a') })));
}

const isWrite = (route: { method: string; path: string }): boolean => route.method !== 'GET' && route.path !== '/api/v1/schedules/preview';
const bodyOf = (route: { path: string }): string =>
  route.path === '/api/v1/schedules/preview'
    ? JSON.stringify({ trigger: { type: 'interval', seconds: 60 }, from: '2026-01-01T00:00:00Z' })
    : route.path === '/api/v1/jobs'
      ? JSON.stringify({ id: 'pwn', task: 'noop', trigger: { type: 'interval', seconds: 60 } })
      : '';
const headersFor = (route: { method: string }, extra: Record<string, string>): Record<string, string> =>
  route.method === 'GET' ? extra : { 'content-type': 'application/json', ...extra };

/** Statuses that only the router, the target check or the auth hook give: never a handler's answer. */
const REFUSED = new Set([400, 401, 403, 404]);

async function expectUntouched(): Promise<void> {
  const jobs = (await scheduler.getJobs()).items;
  expect(jobs.map((j) => j.id)).toEqual(['a']);
  expect(jobs[0]?.paused).toBe(false);
  expect(scheduler.isPaused).toBe(false);
}

describe('with API keys', () => {
  beforeAll(async () => startServer({ adminKeys: [ADMIN], monitorKeys: [MONITOR] }));
  afterAll(async () => app.close());

  it('covers every API route', () => {
    expect(routes.length).toBeGreaterThanOrEqual(18);
    expect(routes).toContainEqual({ method: 'POST', path: '/api/v1/jobs' });
    expect(routes).toContainEqual({ method: 'GET', path: '/api/v1/events' });
    expect(routes).toContainEqual({ method: 'GET', path: '/api/v1/metrics' });
  });

  it('the positive controls reach the handlers: with the admin key, canonical and percent-encoded paths', async () => {
    const auth = { authorization: `Bearer ${ADMIN}` };
    const canonical = await rawRequest(port, 'GET', '/api/v1/jobs', auth);
    expect(canonical.status).toBe(200);
    const encoded = await rawRequest(port, 'GET', '/%61pi/v1/jobs', auth);
    expect(encoded.status).toBe(200);
    expect(encoded.body).toContain('"id":"a"');
    // The same encoded path without a key is refused by the same hook.
    expect((await rawRequest(port, 'GET', '/%61pi/v1/jobs', {})).status).toBe(401);
    expect((await rawRequest(port, 'GET', '/api/v1/health', {})).status).toBe(200);
    expect((await rawRequest(port, 'GET', '/%61pi/v1/health', {})).status).toBe(200);
  });

  it('no spelling of any route reaches a handler without a key', async () => {
    const reached: string[] = [];
    for (const route of routes) {
      if (route.path === '/api/v1/health') continue;
      for (const target of [route.path, ...spellings(route.path, port)]) {
        const answer = await rawRequest(port, route.method, target, headersFor(route, {}), bodyOf(route));
        if (!REFUSED.has(answer.status)) reached.push(`${route.method} ${target} -> ${answer.status}`);
      }
    }
    expect(reached).toEqual([]);
    await expectUntouched();
  });

  it('no spelling of a write route reaches a handler with a monitor key', async () => {
    const reached: string[] = [];
    for (const route of routes.filter(isWrite)) {
      for (const target of [route.path, ...spellings(route.path, port)]) {
        const answer = await rawRequest(port, route.method, target, headersFor(route, { authorization: `Bearer ${MONITOR}` }), bodyOf(route));
        if (!REFUSED.has(answer.status)) reached.push(`${route.method} ${target} -> ${answer.status}`);
      }
    }
    expect(reached).toEqual([]);
    await expectUntouched();
  });

  it('refuses a request whose target is not a path with 400', async () => {
    const absolute = await rawRequest(port, 'GET', `http://127.0.0.1:${port}/api/v1/jobs`, { authorization: `Bearer ${ADMIN}` });
    expect(absolute.status).toBe(400);
    expect(absolute.body).toContain('origin-form');
  });
});

describe('without API keys (keyless loopback mode)', () => {
  beforeAll(async () => startServer({ adminKeys: [], monitorKeys: [] }));
  afterAll(async () => app.close());

  it('a direct loopback HTTP/1.1 client is served, as the README promises', async () => {
    expect((await rawRequest(port, 'GET', '/api/v1/jobs', {})).status).toBe(200);
  });

  it.each([
    ['an X-Forwarded-For header (Apache, Caddy, Traefik)', { 'x-forwarded-for': '203.0.113.9' }, '1.1'],
    ['an X-Real-IP header', { 'x-real-ip': '203.0.113.9' }, '1.1'],
    ['a Via header', { via: '1.1 proxy' }, '1.1'],
    ["HTTP/1.0 with a loopback Host (nginx's default proxy_pass)", {}, '1.0'],
  ])('no spelling of any route reaches a handler through a proxy: %s', async (_name, proxyHeaders, version) => {
    const reached: string[] = [];
    for (const route of routes) {
      if (route.path === '/api/v1/health') continue;
      for (const target of [route.path, ...spellings(route.path, port)]) {
        const answer = await rawRequest(port, route.method, target, headersFor(route, proxyHeaders), bodyOf(route), version);
        if (!REFUSED.has(answer.status)) reached.push(`${route.method} ${target} -> ${answer.status}`);
      }
    }
    expect(reached).toEqual([]);
    await expectUntouched();
  });
});
