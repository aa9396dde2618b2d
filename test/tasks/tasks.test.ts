/** The built-in tasks: http (with Idempotency-Key), shell (allow-list, no shell), log. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { RunContext } from '../../src/scheduler/run-context.js';
import { httpTask } from '../../src/tasks/http.js';
import { logTask } from '../../src/tasks/log.js';
import { createShellTask } from '../../src/tasks/shell.js';
import { captureLogger, REFERENCE } from '../helpers.js';

let server: Server | null = null;
afterEach(async () => {
  await new Promise<void>((resolve) => (server === null ? resolve() : server.close(() => resolve())));
  server = null;
});

const ctx = (args: unknown, logger = captureLogger()): RunContext => new RunContext('nightly', REFERENCE + 2.5 * 3_600_000, 1, args, logger);

async function receiver(status: number): Promise<{ url: string; requests: { method: string | undefined; headers: IncomingHttpHeaders; body: string }[] }> {
  const requests: { method: string | undefined; headers: IncomingHttpHeaders; body: string }[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => void (body += c.toString()));
    req.on('end', () => {
      requests.push({ method: req.method, headers: req.headers, body });
      res.statusCode = status;
      res.end('x'.repeat(100));
    });
  });
  await new Promise<void>((resolve) => (server as Server).listen(0, '127.0.0.1', () => resolve()));
  const port = ((server as Server).address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/hook`, requests };
}

describe('http task', () => {
  it('sends one request with Idempotency-Key <jobId>@<scheduledAt ISO> and records the status line', async () => {
    const r = await receiver(200);
    const output = await httpTask(ctx({ url: r.url, method: 'POST', body: { hello: 'world' }, headers: { authorization: 'Bearer t' } }));
    expect(output).toBe('HTTP 200 OK');
    expect(r.requests).toHaveLength(1);
    expect(r.requests[0]?.headers['idempotency-key']).toBe('nightly@2026-01-01T02:30:00.000Z');
    expect(r.requests[0]?.headers['content-type']).toBe('application/json');
    expect(r.requests[0]?.body).toBe('{"hello":"world"}');
  });

  it('fails the run on a non-2xx status, with the status line as output', async () => {
    const r = await receiver(503);
    await expect(httpTask(ctx({ url: r.url }))).rejects.toMatchObject({ code: 'HTTP_STATUS', output: 'HTTP 503 Service Unavailable' });
  });

  it('rejects bad args with a message naming the field', async () => {
    await expect(httpTask(ctx({ url: 'ftp://x' }))).rejects.toThrow(/args.url: must use http or https/);
    await expect(httpTask(ctx({}))).rejects.toThrow(/args.url/);
  });
});

describe('shell task', () => {
  // Entries are absolute paths; test/tasks/shell.test.ts covers prefixes, cwd, environment and killing.
  const node = process.execPath;

  it('runs an allowed command with array arguments, never through a shell', async () => {
    const shell = createShellTask([node]).func;
    const out = await shell(ctx({ command: node, args: ['-e', 'process.stderr.write("warn; $(echo injected)")'] }));
    expect(out).toBe('warn; $(echo injected)');
  });

  it('refuses a command outside the allow-list', () => {
    const shell = createShellTask([node]).func;
    expect(() => shell(ctx({ command: '/bin/rm', args: ['-rf', '/'] }))).toThrow(/not in shell.allow/);
  });

  it('fails on a non-zero exit with the tail of the output as output', async () => {
    const shell = createShellTask([node]).func;
    await expect(shell(ctx({ command: node, args: ['-e', 'console.error("boom"); process.exit(3)'] }))).rejects.toMatchObject({
      code: 'SHELL_FAILED',
      output: 'boom\n',
    });
  });
});

describe('log task', () => {
  it('writes one structured line with the run bindings', () => {
    const logger = captureLogger();
    expect(logTask(ctx({ message: 'backup done', level: 'warn' }, logger))).toBe('backup done');
    expect(logger.lines[0]).toMatchObject({ level: 'warn', msg: 'backup done', jobId: 'nightly', task: 'log' });
    expect(() => logTask(ctx({}))).toThrow(/args.message/);
  });
});
