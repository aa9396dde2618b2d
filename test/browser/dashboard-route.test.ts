/** The dashboard's static route through app.inject(): types, CSP, ETags, no key needed, nothing else served. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { dashboardRoutes } from '../../src/server/dashboard.js';
import { testServer, type TestServer } from '../server/server-helpers.js';

let s: TestServer | undefined;
afterEach(async () => {
  await s?.app.close();
  s = undefined;
});

describe('dashboard route', () => {
  it('serves the page and its modules without a key, with a strict CSP, while the API still needs one', async () => {
    s = await testServer({ adminKeys: ['admin-secret-0123456789'] });
    const page = await s.app.inject('/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
    );
    expect(page.body).toContain('<script type="module" src="dashboard/app.js"></script>');
    const app = await s.app.inject('/dashboard/app.js');
    expect(app.statusCode).toBe(200);
    expect(app.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await s.app.inject('/dashboard/style.css')).headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await s.app.inject('/api/v1/jobs')).statusCode).toBe(401);
  });

  it('answers 304 to a matching ETag', async () => {
    s = await testServer();
    const first = await s.app.inject('/dashboard/api.js');
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]{22}"$/);
    const again = await s.app.inject({ url: '/dashboard/api.js', headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('serves nothing outside the listed dashboard files', async () => {
    s = await testServer();
    for (const url of [
      '/dashboard/nope.js',
      '/dashboard/..%2Fpackage.json',
      '/dashboard/%2e%2e%2fREADME.md',
      '/dashboard/../package.json',
      '/dashboard/APP.JS',
    ]) {
      const answer = await s.app.inject(url);
      expect(answer.statusCode, url).toBe(404);
      expect(answer.json().error.code, url).toBe('ROUTE_NOT_FOUND');
    }
  });

  it('says where it looked when the folder is missing, and serves another folder when given one', async () => {
    const missing = Fastify();
    await missing.register(dashboardRoutes, { dir: join(tmpdir(), 'tickwork-no-such-dashboard') });
    const answer = await missing.inject('/');
    expect(answer.statusCode).toBe(404);
    expect(answer.body).toContain('tickwork-no-such-dashboard');
    await missing.close();

    const dir = mkdtempSync(join(tmpdir(), 'tickwork-dashboard-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>x</title>');
    writeFileSync(join(dir, 'secret.txt'), 'not served');
    const other = Fastify();
    await other.register(dashboardRoutes, { dir });
    expect((await other.inject('/')).body).toBe('<!doctype html><title>x</title>');
    expect((await other.inject('/dashboard/secret.txt')).statusCode).toBe(404);
    await other.close();
  });
});
