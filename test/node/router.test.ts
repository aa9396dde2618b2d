/**
 * tickworkRouter mounted in a real Express 5 app, over HTTP: the standalone server's routes, auth, schemas
 * and error bodies under the mount path (compared with buildServer's own answers), the dashboard and the
 * OpenAPI document under the prefix, the app's other routes untouched, and a clear error when a body parser
 * ran first.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { tickworkRouter, type TickworkRouter } from '../../src/node/index.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { buildServer } from '../../src/server/app.js';
import { REFERENCE } from '../helpers.js';

const ADMIN = 'admin-key-0123456789abcdef';
const MONITOR = 'monitor-key-0123456789abcdef';
const silent = pino({ level: 'silent' });

interface Mounted {
  base: string;
  server: Server;
  router: TickworkRouter;
  scheduler: SchedulerService;
}

const open: Mounted[] = [];
afterEach(async () => {
  for (const mounted of open.splice(0)) {
    mounted.server.closeAllConnections();
    await new Promise((resolve) => mounted.server.close(resolve));
    await mounted.router.close();
    if (mounted.scheduler.isRunning) await mounted.scheduler.shutdown();
  }
});

function newScheduler(): SchedulerService {
  const scheduler = new SchedulerService({ clock: new ManualClock(REFERENCE), logger: silent, timezone: 'UTC' });
  scheduler.registerTask('noop', () => undefined);
  return scheduler;
}

async function mount(setup: (app: express.Express) => void = () => undefined): Promise<Mounted> {
  const scheduler = newScheduler();
  const router = tickworkRouter({ scheduler, adminKeys: [ADMIN], monitorKeys: [MONITOR], logger: silent });
  const app = express();
  setup(app);
  app.get('/hello', (_req, res) => {
    res.json({ hello: 'world' });
  });
  app.use('/scheduler', router);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  await scheduler.start();
  const mounted = { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, router, scheduler };
  open.push(mounted);
  return mounted;
}

const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });
const json = { 'content-type': 'application/json' };

describe('tickworkRouter in Express 5', () => {
  it('serves the API under the mount path with the server auth: public health, 401 without a key, 403 for a monitor mutation', async () => {
    const { base } = await mount();
    expect(await (await fetch(`${base}/scheduler/api/v1/health`)).json()).toEqual({ status: 'ok' });

    const anonymous = await fetch(`${base}/scheduler/api/v1/jobs`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');

    const listed = await fetch(`${base}/scheduler/api/v1/jobs`, { headers: bearer(MONITOR) });
    expect(listed.status).toBe(200);
    expect(await listed.json()).toMatchObject({ items: [], nextCursor: null });

    const job = { id: 'nightly', task: 'noop', trigger: { type: 'cron', expression: '0 2 * * *' } };
    const refused = await fetch(`${base}/scheduler/api/v1/jobs`, { method: 'POST', headers: { ...bearer(MONITOR), ...json }, body: JSON.stringify(job) });
    expect(refused.status).toBe(403);

    const created = await fetch(`${base}/scheduler/api/v1/jobs`, { method: 'POST', headers: { ...bearer(ADMIN), ...json }, body: JSON.stringify(job) });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ id: 'nightly', task: 'noop', trigger: { type: 'cron', expression: '0 2 * * *', timezone: 'UTC' } });

    // A bodiless action, as the dashboard sends it.
    const paused = await fetch(`${base}/scheduler/api/v1/jobs/nightly/pause`, { method: 'POST', headers: bearer(ADMIN) });
    expect(paused.status).toBe(200);
    expect(await paused.json()).toMatchObject({ id: 'nightly', paused: true });

    const unknown = await fetch(`${base}/scheduler/api/v1/nope`, { headers: bearer(ADMIN) });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('ROUTE_NOT_FOUND');
  });

  it('answers a bad request exactly as the standalone server does (the same app, not a copy)', async () => {
    const { base } = await mount();
    const standalone = await buildServer({ scheduler: newScheduler(), logger: silent, adminKeys: [ADMIN], monitorKeys: [], lifespan: false });
    const bad = { id: 'x', task: 'noop', trigger: { type: 'interval', seconds: 'soon' }, colour: 'blue' };
    const viaExpress = await fetch(`${base}/scheduler/api/v1/jobs`, { method: 'POST', headers: { ...bearer(ADMIN), ...json }, body: JSON.stringify(bad) });
    const direct = await standalone.inject({ method: 'POST', url: '/api/v1/jobs', headers: { ...bearer(ADMIN), ...json }, payload: JSON.stringify(bad) });
    await standalone.close();
    expect(viaExpress.status).toBe(400);
    expect(viaExpress.status).toBe(direct.statusCode);
    expect(await viaExpress.json()).toEqual(direct.json());
  });

  it('serves the dashboard under the prefix (redirecting to the trailing slash its relative URLs need) and the OpenAPI document', async () => {
    const { base } = await mount();
    const bare = await fetch(`${base}/scheduler?x=1`, { redirect: 'manual' });
    expect(bare.status).toBe(308);
    expect(bare.headers.get('location')).toBe('/scheduler/?x=1');

    const page = await fetch(`${base}/scheduler/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    // The page's assets are relative, so they resolve under the mount path.
    expect(html).toContain('src="dashboard/app.js"');
    const script = await fetch(`${base}/scheduler/dashboard/api.js`);
    expect(script.status).toBe(200);
    expect(await script.text()).toContain("new URL('api/v1/', document.baseURI)");

    const doc = (await (await fetch(`${base}/scheduler/docs/json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain('/api/v1/jobs');
  });

  it("leaves the app's other routes alone", async () => {
    const { base } = await mount();
    expect(await (await fetch(`${base}/hello`)).json()).toEqual({ hello: 'world' });
  });

  it('says to mount it before express.json() when a body parser read the body first', async () => {
    const { base } = await mount((app) => app.use(express.json()));
    const response = await fetch(`${base}/scheduler/api/v1/jobs`, {
      method: 'POST',
      headers: { ...bearer(ADMIN), ...json },
      body: JSON.stringify({ task: 'noop', trigger: { type: 'interval', seconds: 60 } }),
    });
    expect(response.status).toBe(500);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/mount the router before body parsers such as express\.json\(\)/);
  });

  it('refuses options it does not know, naming the allowed ones', () => {
    expect(() => tickworkRouter({ scheduler: newScheduler(), prefix: '/x' } as never)).toThrow(
      /options\.prefix: is not a tickworkRouter option; allowed: scheduler, adminKeys/,
    );
    expect(() => tickworkRouter({} as never)).toThrow(/options\.scheduler: must be a SchedulerService/);
  });
});
