/**
 * The http task's redirects (followed by hand: headers stay with the origin the job named, no https ->
 * http, at most 5), its userinfo handling (sent as Basic auth, never in an error) and its args check.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { idempotencyKey } from '../../src/core/run.js';
import { RunContext } from '../../src/scheduler/run-context.js';
import { checkHttpArgs, httpTask, MAX_REDIRECTS, nextRequest, type HttpRequest } from '../../src/tasks/http.js';
import { registerBuiltInTasks } from '../../src/tasks/index.js';
import { captureLogger, harness, REFERENCE, until } from '../helpers.js';

interface Seen {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: string;
}

interface TestServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  requests: Seen[];
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        }),
    ),
  );
});

/** A server on 127.0.0.1, port 0, that records every request and answers with `handle`. */
async function serve(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  const requests: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => void (body += c.toString()));
    req.on('end', () => {
      requests.push({ method: req.method, url: req.url, headers: req.headers, body });
      handle(req, res);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { origin: `http://127.0.0.1:${(server.address() as { port: number }).port}`, requests };
}

function redirect(res: ServerResponse, status: number, location: string): void {
  res.statusCode = status;
  res.setHeader('location', location);
  res.end('moved');
}

function ok(res: ServerResponse): void {
  res.statusCode = 200;
  res.end('fine');
}

/** A port nothing listens on: one a server had and gave back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** What a promise rejects with (the test fails if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; output?: string }> {
  let resolved: unknown;
  try {
    resolved = await promise;
  } catch (error) {
    return error as Error & { code?: string; output?: string };
  }
  throw new Error(`expected a rejection, got ${String(resolved)}`);
}

const ctx = (args: unknown): RunContext => new RunContext('nightly', REFERENCE + 2.5 * 3_600_000, 1, args, captureLogger());
const IDEMPOTENCY_KEY = 'nightly@2026-01-01T02:30:00.000Z';

describe('http task redirects', () => {
  it('follows a same-origin redirect with every header', async () => {
    const a = await serve((req, res) => (req.url === '/start' ? redirect(res, 302, '/end') : ok(res)));
    const output = await httpTask(ctx({ url: `${a.origin}/start`, headers: { 'X-Custom': 'custom-value', authorization: 'Bearer tok-1234' } }));
    expect(output).toBe('HTTP 200 OK');
    expect(a.requests.map((r) => r.url)).toEqual(['/start', '/end']);
    expect(a.requests[1]?.headers).toMatchObject({ 'x-custom': 'custom-value', authorization: 'Bearer tok-1234', 'idempotency-key': IDEMPOTENCY_KEY });
  });

  it('drops the custom headers on a redirect to another origin, which never sees them (307 keeps POST and body)', async () => {
    const b = await serve((_req, res) => ok(res));
    const a = await serve((_req, res) => redirect(res, 307, `${b.origin}/land`));
    const output = await httpTask(
      ctx({
        url: `${a.origin}/hook`,
        method: 'POST',
        body: { hello: 'world' },
        headers: { 'X-Custom': 'custom-value', Authorization: 'Bearer tok-1234', Cookie: 'session=abcd' },
      }),
    );
    expect(output).toBe('HTTP 200 OK');
    expect(a.requests[0]?.headers).toMatchObject({ 'x-custom': 'custom-value', authorization: 'Bearer tok-1234', cookie: 'session=abcd' });
    expect(b.requests).toHaveLength(1);
    const landed = b.requests[0] as Seen;
    expect(landed).toMatchObject({ method: 'POST', url: '/land', body: '{"hello":"world"}' });
    expect(landed.headers['idempotency-key']).toBe(IDEMPOTENCY_KEY);
    expect(landed.headers['content-type']).toBe('application/json');
    expect(landed.headers['x-custom']).toBeUndefined();
    expect(landed.headers.authorization).toBeUndefined();
    expect(landed.headers.cookie).toBeUndefined();
    expect(JSON.stringify(landed.headers)).not.toMatch(/custom-value|tok-1234|abcd/);
  });

  it('does not give the headers back when a later redirect returns to the first origin', async () => {
    let aOrigin = '';
    const b = await serve((_req, res) => redirect(res, 302, `${aOrigin}/back`));
    const a = await serve((req, res) => (req.url === '/start' ? redirect(res, 302, `${b.origin}/away`) : ok(res)));
    aOrigin = a.origin;
    await httpTask(ctx({ url: `${a.origin}/start`, headers: { 'X-Custom': 'custom-value' } }));
    expect(a.requests.map((r) => [r.url, r.headers['x-custom']])).toEqual([
      ['/start', 'custom-value'],
      ['/back', undefined],
    ]);
  });

  it('sends the URL userinfo as Basic auth to its origin only', async () => {
    const b = await serve((_req, res) => ok(res));
    const a = await serve((_req, res) => redirect(res, 302, `${b.origin}/x`));
    const url = a.origin.replace('http://', 'http://robot:pa%40ss-word@');
    await httpTask(ctx({ url }));
    expect(a.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from('robot:pa@ss-word').toString('base64')}`);
    expect(b.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('keeps an explicit Authorization header over the URL userinfo', async () => {
    const a = await serve((_req, res) => ok(res));
    await httpTask(ctx({ url: a.origin.replace('http://', 'http://robot:password@'), headers: { Authorization: 'Bearer mine' } }));
    expect(a.requests[0]?.headers.authorization).toBe('Bearer mine');
  });

  it('turns a POST into a GET without body on 303', async () => {
    const a = await serve((req, res) => (req.url === '/submit' ? redirect(res, 303, '/result') : ok(res)));
    await httpTask(ctx({ url: `${a.origin}/submit`, method: 'POST', body: { a: 1 }, headers: { 'X-Custom': 'kept' } }));
    expect(a.requests[0]).toMatchObject({ method: 'POST', body: '{"a":1}' });
    const second = a.requests[1] as Seen;
    expect(second).toMatchObject({ method: 'GET', url: '/result', body: '' });
    expect(second.headers['content-type']).toBeUndefined();
    expect(second.headers['content-length']).toBeUndefined();
    expect(second.headers['x-custom']).toBe('kept');
  });

  it('resolves a relative Location against the current URL', async () => {
    const a = await serve((req, res) => (req.url === '/a/b/c' ? redirect(res, 301, '../d?x=1') : ok(res)));
    await httpTask(ctx({ url: `${a.origin}/a/b/c` }));
    expect(a.requests.map((r) => r.url)).toEqual(['/a/b/c', '/a/d?x=1']);
  });

  it(`follows ${MAX_REDIRECTS} redirects`, async () => {
    const a = await serve((req, res) => {
      const n = Number(req.url?.slice(1));
      if (n < MAX_REDIRECTS) redirect(res, 302, `/${n + 1}`);
      else ok(res);
    });
    await expect(httpTask(ctx({ url: `${a.origin}/0` }))).resolves.toBe('HTTP 200 OK');
    expect(a.requests).toHaveLength(MAX_REDIRECTS + 1);
  });

  it(`fails a redirect loop after ${MAX_REDIRECTS} redirects, with code HTTP_REDIRECTS`, async () => {
    const a = await serve((_req, res) => redirect(res, 302, '/loop?token=loop-secret'));
    const error = await rejection(httpTask(ctx({ url: `${a.origin.replace('http://', 'http://user:loop-pass@')}/loop` })));
    expect(error).toMatchObject({ code: 'HTTP_REDIRECTS', output: 'HTTP 302 Found' });
    expect(error.message).toMatch(/redirected more than 5 times/);
    expect(error.message).toContain(a.origin);
    expect(error.message).not.toMatch(/loop-secret|loop-pass|user/);
    expect(a.requests).toHaveLength(MAX_REDIRECTS + 1);
  });

  it('ends at a redirect status without Location, as a non-2xx answer', async () => {
    const a = await serve((_req, res) => {
      res.statusCode = 302;
      res.end();
    });
    await expect(httpTask(ctx({ url: a.origin }))).rejects.toMatchObject({ code: 'HTTP_STATUS', output: 'HTTP 302 Found' });
  });

  it('fails a redirect to a non-http URL with code HTTP_BAD_REDIRECT', async () => {
    const a = await serve((_req, res) => redirect(res, 302, 'file:///etc/passwd'));
    await expect(httpTask(ctx({ url: a.origin }))).rejects.toMatchObject({ code: 'HTTP_BAD_REDIRECT', output: 'HTTP 302 Found' });
  });
});

describe('http task errors', () => {
  it('reports a refused connection without the URL userinfo (code HTTP_NETWORK)', async () => {
    const port = await closedPort();
    const error = await rejection(httpTask(ctx({ url: `http://admin:hunter2-pw@127.0.0.1:${port}/path?q=1` })));
    expect(error.code).toBe('HTTP_NETWORK');
    expect(error.message).toBe(`GET http://127.0.0.1:${port} failed: connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(`${error.message} ${error.stack ?? ''} ${JSON.stringify(error)}`).not.toMatch(/hunter2|admin|path\?q/);
  });

  it('records the cause of "fetch failed" with its code when the message lacks it (a socket closed before the answer)', async () => {
    const a = await serve((req) => req.socket.destroy());
    const error = await rejection(httpTask(ctx({ url: a.origin })));
    expect(error.code).toBe('HTTP_NETWORK');
    expect(error.message).toBe(`GET ${a.origin} failed: other side closed (UND_ERR_SOCKET)`);
  });

  it('fails past args.timeoutSeconds with code HTTP_TIMEOUT', async () => {
    const a = await serve(() => undefined);
    await expect(httpTask(ctx({ url: a.origin, timeoutSeconds: 0.2 }))).rejects.toMatchObject({
      code: 'HTTP_TIMEOUT',
      message: `GET ${a.origin} did not answer within 0.2 s (args.timeoutSeconds).`,
    });
  });

  it('rethrows the abort reason when the run is cancelled', async () => {
    const a = await serve(() => undefined);
    const run = ctx({ url: a.origin });
    const reason = new Error('cancelled by test');
    const pending = httpTask(run);
    setTimeout(() => run.abort(reason), 50);
    await expect(pending).rejects.toBe(reason);
  });

  it('sends its own Idempotency-Key over one given in args.headers', async () => {
    const a = await serve((_req, res) => ok(res));
    await httpTask(ctx({ url: a.origin, headers: { 'Idempotency-Key': 'mine' } }));
    expect(a.requests[0]?.headers['idempotency-key']).toBe(IDEMPOTENCY_KEY);
  });
});

describe('nextRequest', () => {
  const post: HttpRequest = {
    url: 'https://a.example/hook/sub?x=1',
    method: 'POST',
    body: '{"a":1}',
    headers: { 'idempotency-key': 'k', 'Content-Type': 'application/json', 'X-Custom': 'c', Authorization: 'Bearer t' },
  };

  it('is null for a final response: not a redirect status, or no Location', () => {
    for (const status of [200, 204, 300, 304, 400, 500]) expect(nextRequest(post, status, '/elsewhere')).toBeNull();
    expect(nextRequest(post, 302, null)).toBeNull();
  });

  it('refuses a redirect from https to http (code HTTP_INSECURE_REDIRECT), naming origins only', () => {
    const call = (): unknown => nextRequest(post, 302, 'http://a.example/plain?token=abc');
    expect(call).toThrow(expect.objectContaining({ code: 'HTTP_INSECURE_REDIRECT' }));
    expect(call).toThrow(
      'POST https://a.example answered 302 redirecting to http://a.example; the http task does not follow a redirect from https to plain http.',
    );
    expect(() => nextRequest({ ...post, method: 'GET' }, 301, 'http://b.example/')).toThrow(expect.objectContaining({ code: 'HTTP_INSECURE_REDIRECT' }));
  });

  it('follows http to https (an upgrade), as another origin', () => {
    const next = nextRequest({ ...post, url: 'http://a.example/' }, 308, 'https://a.example/');
    expect(next?.url).toBe('https://a.example/');
    expect(next?.headers).toEqual({ 'idempotency-key': 'k', 'Content-Type': 'application/json' });
  });

  it('refuses a Location that is not an http(s) URL (code HTTP_BAD_REDIRECT)', () => {
    for (const location of ['ftp://a.example/x', 'javascript:alert(1)', 'data:text/plain,hi', 'http://[::1']) {
      expect(() => nextRequest(post, 302, location)).toThrow(expect.objectContaining({ code: 'HTTP_BAD_REDIRECT' }));
    }
  });

  it('keeps every header on the same origin, and only Idempotency-Key and content-type on another', () => {
    expect(nextRequest(post, 307, '/other')).toEqual({ ...post, url: 'https://a.example/other' });
    expect(nextRequest(post, 307, 'https://b.example/x')).toEqual({
      url: 'https://b.example/x',
      method: 'POST',
      body: '{"a":1}',
      headers: { 'idempotency-key': 'k', 'Content-Type': 'application/json' },
    });
    // Another port is another origin.
    expect(nextRequest(post, 308, 'https://a.example:8443/')?.headers).not.toHaveProperty('Authorization');
  });

  it('resolves a relative Location against the current URL', () => {
    expect(nextRequest(post, 302, 'next')?.url).toBe('https://a.example/hook/next');
    expect(nextRequest(post, 302, '?y=2')?.url).toBe('https://a.example/hook/sub?y=2');
    expect(nextRequest(post, 302, '//b.example/p')?.url).toBe('https://b.example/p');
  });

  it('turns a method into GET without body as fetch does: 303 any but GET/HEAD, 301/302 POST', () => {
    const get = {
      url: 'https://a.example/other',
      method: 'GET',
      body: undefined,
      headers: { 'idempotency-key': 'k', 'X-Custom': 'c', Authorization: 'Bearer t' },
    };
    expect(nextRequest(post, 303, '/other')).toEqual(get);
    expect(nextRequest(post, 302, '/other')).toEqual(get);
    expect(nextRequest(post, 301, '/other')).toEqual(get);
    expect(nextRequest({ ...post, method: 'PUT' }, 303, '/other')).toEqual(get);
    expect(nextRequest({ ...post, method: 'PUT' }, 302, '/other')).toMatchObject({ method: 'PUT', body: '{"a":1}' });
    expect(nextRequest({ ...post, method: 'DELETE' }, 301, '/other')).toMatchObject({ method: 'DELETE' });
    expect(nextRequest({ ...post, method: 'HEAD', body: undefined }, 303, '/other')).toMatchObject({ method: 'HEAD' });
    expect(nextRequest(post, 307, '/other')).toMatchObject({ method: 'POST', body: '{"a":1}' });
    expect(nextRequest(post, 308, '/other')).toMatchObject({ method: 'POST', body: '{"a":1}' });
  });

  it('drops userinfo given in the Location', () => {
    expect(nextRequest(post, 302, 'https://evil:pw@a.example/x')?.url).toBe('https://a.example/x');
  });
});

describe('checkHttpArgs', () => {
  it('accepts good args', () => {
    expect(() =>
      checkHttpArgs({ url: 'https://example.com/x', method: 'post', headers: { 'X-Api-Key': 'k', 'X-N': 1 }, body: { a: 1 }, timeoutSeconds: 5 }),
    ).not.toThrow();
  });

  it.each([
    ['no url', {}, /args\.url/],
    ['a bad url', { url: 'not a url' }, /args\.url: is not a valid absolute URL/],
    ['an ftp url', { url: 'ftp://x' }, /args\.url: must use http or https/],
    ['a bad method', { url: 'https://x.example', method: 'TRACE' }, /args\.method/],
    ['headers not an object', { url: 'https://x.example', headers: ['a'] }, /args\.headers: must be an object/],
    ['a header value that is an object', { url: 'https://x.example', headers: { 'X-A': { b: 1 } } }, /args\.headers\.X-A: must be a string/],
    [
      'a client header',
      { url: 'https://x.example', headers: { 'Transfer-Encoding': 'chunked' } },
      /args\.headers\.Transfer-Encoding: is set by the HTTP client/,
    ],
    ['a bad timeout', { url: 'https://x.example', timeoutSeconds: 0 }, /args\.timeoutSeconds/],
  ])('refuses %s', (_name, args, message) => {
    expect(() => checkHttpArgs(args)).toThrow(InvalidArgumentError);
    expect(() => checkHttpArgs(args)).toThrow(message);
  });

  it.each([
    ['CR LF', 'tok-secret\r\nX-Injected: 1'],
    ['LF', 'tok-secret\nmore'],
    ['NUL', 'tok-secret\u0000'],
    ['a character beyond U+00FF', 'tok-secret\u4e2d'],
  ])('refuses a header value with %s, without repeating the value', (_name, value) => {
    const args = { url: 'https://x.example', headers: { Authorization: value } };
    expect(() => checkHttpArgs(args)).toThrow(InvalidArgumentError);
    expect(() => checkHttpArgs(args)).toThrow(/args\.headers\.Authorization: must not contain CR, LF/);
    expect(() => checkHttpArgs(args)).not.toThrow(/tok-secret/);
  });

  it.each(['Authorization: Bearer tok-secret', 'X Custom tok-secret', '', 'Bad\r\nName tok-secret', 'é-tok-secret'])(
    'refuses the header name %j, without repeating it',
    (name) => {
      const args = { url: 'https://x.example', headers: { [name]: 'v' } };
      expect(() => checkHttpArgs(args)).toThrow(/args\.headers: header #1 has a name that is not a valid HTTP header name/);
      expect(() => checkHttpArgs(args)).not.toThrow(/tok-secret/);
    },
  );

  it('refuses bad args when the job is added, through registerBuiltInTasks', async () => {
    const { scheduler } = harness();
    registerBuiltInTasks(scheduler, []);
    const trigger = { type: 'interval', seconds: 60 } as const;
    await expect(
      scheduler.addJob({ id: 'bad', task: 'http', args: { url: 'https://x.example', headers: { 'X-A': 'a\r\nb' } }, trigger }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/args\.headers\.X-A/) });
    await expect(scheduler.addJob({ id: 'bad2', task: 'http', args: { url: 'gopher://x' }, trigger })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(scheduler.addJob({ id: 'good', task: 'http', args: { url: 'https://x.example', headers: { 'X-A': 'b' } }, trigger })).resolves.toMatchObject({
      id: 'good',
    });
  });
});

describe('the Idempotency-Key', () => {
  it('names the fire, not the attempt: a retry (attempt 2) sends the key of attempt 1, while the run ids differ', async () => {
    const target = await serve((_req, res) => {
      res.statusCode = target.requests.length === 1 ? 503 : 200;
      res.end();
    });
    const { scheduler, clock, named } = harness();
    registerBuiltInTasks(scheduler, []);
    await scheduler.start();
    await scheduler.addJob({
      id: 'hook',
      task: 'http',
      args: { url: target.origin },
      trigger: { type: 'interval', seconds: 60 },
      retries: { max: 1, backoffSeconds: 5 },
    });
    await clock.advance(60_000);
    await until(() => named('job_retry_scheduled').length === 1, 5000, 'attempt 1 to fail and its retry to be scheduled');
    await clock.advance(5_000);
    await until(() => named('job_executed').length === 1, 5000, 'attempt 2 to succeed');

    const key = idempotencyKey('hook', REFERENCE + 60_000);
    expect(key).toBe('hook@2026-01-01T00:01:00.000Z');
    expect(target.requests.map((r) => r.headers['idempotency-key'])).toEqual([key, key]);
    const runs = await scheduler.getRuns('hook');
    expect(runs.map((r) => [r.attempt, r.id, r.scheduledAt.toISOString()])).toEqual([
      [2, `${key}#2`, '2026-01-01T00:01:00.000Z'],
      [1, key, '2026-01-01T00:01:00.000Z'],
    ]);
    await scheduler.shutdown();
  });
});
