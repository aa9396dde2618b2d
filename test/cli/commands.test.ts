/** `tickwork preview`, `health`, `export`/`import`, keys, help and the exit codes of every failure kind. */
import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFERENCE } from '../helpers.js';
import { cli, closedPort, liveServer, type LiveServer } from './cli-helpers.js';

let server: LiveServer;
beforeAll(async () => {
  server = await liveServer();
});
afterAll(async () => {
  await server.app.close();
});

const at = (argv: string[]): string[] => [...argv, '--url', server.url];

describe('tickwork preview', () => {
  it('lists fire times in the zone, in words, with DST moves marked', async () => {
    const { code, stdout } = await cli(['preview', '30 2 * * *', '--tz', 'America/New_York', '-n', '3', '--from', '2026-03-07T00:00:00Z'], { now: REFERENCE });
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('at 02:30 every day, America/New_York');
    expect(lines[2]).toMatch(/^#\s+TIME \(America\/New_York\)\s+FROM NOW$/);
    expect(lines[3]).toMatch(/^1\s+2026-03-07 02:30:00 -05:00\s+in 65d 7h$/);
    // 02:30 does not exist on 8 March 2026 there: the fire moves to 03:00 EDT.
    expect(lines[4]).toMatch(/^2\s+2026-03-08 03:00:00 -04:00\s+in 66d 7h\s+DST: moved out of a spring-forward gap$/);
    expect(lines[5]).toMatch(/^3\s+2026-03-09 02:30:00 -04:00/);
  });

  it('--json prints what POST /schedules/preview answers', async () => {
    const trigger = { type: 'cron', expression: '30 2 * * *', timezone: 'America/New_York' };
    const answer = await fetch(`${server.url}/api/v1/schedules/preview`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ trigger, count: 4, from: '2026-03-07T00:00:00Z' }),
    });
    const { stdout, code } = await cli(['preview', '30 2 * * *', '--tz', 'America/New_York', '-n', '4', '--from', '2026-03-07T00:00:00Z', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(await answer.json());
  });

  it('counts from now by default, 10 fires', async () => {
    const { stdout } = await cli(['preview', '*/15 * * * *', '--tz', 'UTC', '--json'], { now: REFERENCE });
    const items = (JSON.parse(stdout) as { items: { at: string }[] }).items;
    expect(items).toHaveLength(10);
    expect(items[0]?.at).toBe('2026-01-01T00:15:00.000Z');
  });

  it('refuses a bad expression, zone or count with the code and message the API would give (exit 2)', async () => {
    const bad = await cli(['preview', '61 * * * *']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^INVALID_TRIGGER: .*61/);
    const zone = await cli(['preview', '* * * * *', '--tz', 'Mars/Olympus']);
    expect(zone.code).toBe(2);
    expect(zone.stderr).toMatch(/^INVALID_TRIGGER: .*Mars\/Olympus/);
    const count = await cli(['preview', '* * * * *', '-n', '0']);
    expect(count.code).toBe(2);
    expect(count.stderr).toContain('-n must be a whole number from 1 to 1000, got "0"');
    expect((await cli(['preview'])).code).toBe(2);
  });
});

describe('tickwork health', () => {
  it('exit 0 when ready with no failing or overdue job', async () => {
    await server.scheduler.addJob({ id: 'fine', task: 'noop', trigger: { type: 'interval', seconds: 60 } });
    const { code, stdout } = await cli(at(['health']));
    expect(code).toBe(0);
    expect(stdout).toBe(`${server.url}: ready (scheduler running, store ok)\nNo failing or overdue jobs.\n`);
    await server.scheduler.removeJob('fine');
  });

  it('exit 4 with the failing jobs and why; --json holds /ready and the job list', async () => {
    await server.scheduler.addJob({ id: 'broken', task: 'fail', trigger: { type: 'interval', seconds: 60 } });
    const failed = new Promise<void>((resolve) => server.scheduler.on('job_error', () => resolve()));
    await server.scheduler.runJobNow('broken');
    await failed;
    const text = await cli(at(['health']));
    expect(text.code).toBe(4);
    expect(text.stdout).toContain('1 failing, 0 overdue:');
    expect(text.stdout).toMatch(/broken\s+failing\s+\S.*E_TARGET: backup target unreachable/);
    const json = await cli(at(['health', '--json']));
    expect(json.code).toBe(4);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ready: { status: 'ready', scheduler: 'running', store: 'ok' },
      jobs: { items: [{ id: 'broken', health: { state: 'failing' } }], nextCursor: null },
    });
    await server.scheduler.removeJob('broken');
  });

  it('exit 4 when the server is not ready (scheduler paused is still ready; stopped is not)', async () => {
    const other = await liveServer();
    await other.scheduler.shutdown();
    const { code, stdout } = await cli(['health', '--url', other.url]);
    expect(code).toBe(4);
    expect(stdout).toContain(': unavailable (scheduler stopped, store ok)');
    await other.app.close();
  });
});

/** A server with the export and import routes of their documented shapes, recording what it was sent. */
async function transferServer(): Promise<{ url: string; server: Server; received: unknown[] }> {
  const received: unknown[] = [];
  const read = async (request: IncomingMessage): Promise<string> => {
    let text = '';
    for await (const chunk of request) text += String(chunk);
    return text;
  };
  const server = createServer((request, response) => {
    void (async () => {
      response.setHeader('content-type', 'application/json');
      if (request.method === 'GET' && request.url === '/api/v1/export') {
        response.end(JSON.stringify({ jobs: [{ id: 'a', task: 'noop', trigger: { type: 'interval', seconds: 60 } }] }));
      } else if (request.method === 'POST' && request.url === '/api/v1/import') {
        received.push({ contentType: request.headers['content-type'], body: JSON.parse(await read(request)) as unknown });
        response.end(JSON.stringify({ created: ['a'], updated: ['b'], unchanged: ['c'], removed: [] }));
      } else {
        response.statusCode = 404;
        response.end(JSON.stringify({ error: { code: 'ROUTE_NOT_FOUND', message: 'no route' } }));
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { url: `http://127.0.0.1:${address.port}`, server, received };
}

describe('tickwork export and import', () => {
  it('round trip against a real server: the export imported back is unchanged', async () => {
    const exported = await cli(at(['export']));
    expect(exported.code).toBe(0);
    const jobs = (JSON.parse(exported.stdout) as { jobs: unknown[] }).jobs;
    const imported = await cli(at(['import', 'jobs.json']), { input: { 'jobs.json': exported.stdout } });
    expect(imported.code).toBe(0);
    expect(imported.stdout).toBe(`Imported: 0 created, 0 updated, ${jobs.length} unchanged, 0 removed.\n`);
  });

  it('say in words that a server without the routes has no export/import yet (exit 1)', async () => {
    // An older server: every route unknown.
    const old = createServer((_request, response) => {
      response.statusCode = 404;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ error: { code: 'ROUTE_NOT_FOUND', message: 'no route' } }));
    });
    await new Promise<void>((resolve) => old.listen(0, '127.0.0.1', resolve));
    const address = old.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const url = `http://127.0.0.1:${address.port}`;
    try {
      const exported = await cli(['export', '--url', url]);
      expect(exported.code).toBe(1);
      expect(exported.stderr).toContain('ROUTE_NOT_FOUND: This server has no export/import yet (GET /api/v1/export answered 404 ROUTE_NOT_FOUND)');
      const imported = await cli(['import', 'jobs.json', '--url', url], { input: { 'jobs.json': '{"jobs":[]}' } });
      expect(imported.code).toBe(1);
      expect(imported.stderr).toContain('This server has no export/import yet (POST /api/v1/import answered 404');
    } finally {
      await new Promise((resolve) => old.close(resolve));
    }
  });

  it('export prints { jobs }; import sends { jobs, prune, dryRun } and shows the diff', async () => {
    const stub = await transferServer();
    try {
      const exported = await cli(['export', '--url', stub.url]);
      expect(exported.code).toBe(0);
      expect(JSON.parse(exported.stdout)).toEqual({ jobs: [{ id: 'a', task: 'noop', trigger: { type: 'interval', seconds: 60 } }] });
      const imported = await cli(['import', '-', '--prune', '--dry-run', '--url', stub.url], { input: { '-': exported.stdout } });
      expect(imported.code).toBe(0);
      expect(imported.stdout).toBe('Dry run, nothing changed: 1 created, 1 updated, 1 unchanged, 0 removed.\n  created: a\n  updated: b\n');
      expect(stub.received).toEqual([
        { contentType: 'application/json', body: { jobs: [{ id: 'a', task: 'noop', trigger: { type: 'interval', seconds: 60 } }], prune: true, dryRun: true } },
      ]);
      const json = await cli(['import', 'x.json', '--json', '--url', stub.url], { input: { 'x.json': '{"jobs":[]}' } });
      expect(JSON.parse(json.stdout)).toEqual({ created: ['a'], updated: ['b'], unchanged: ['c'], removed: [] });
      expect(stub.received[1]).toEqual({ contentType: 'application/json', body: { jobs: [] } });
    } finally {
      stub.server.close();
    }
  });

  it('import refuses a file that is not an export (exit 2)', async () => {
    const notJson = await cli(at(['import', 'x.json']), { input: { 'x.json': 'jobs:' } });
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain('x.json: cannot read it as JSON');
    const noJobs = await cli(at(['import', 'x.json']), { input: { 'x.json': '[1]' } });
    expect(noJobs.code).toBe(2);
    expect(noJobs.stderr).toContain('x.json must hold { "jobs": [...] }');
  });
});

describe('connection, keys and exit codes', () => {
  it('exit 3 when nothing answers at the URL', async () => {
    const port = await closedPort();
    const result = await cli(['jobs', 'list', '--url', `http://127.0.0.1:${port}`]);
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(`Cannot reach the Tickwork server at http://127.0.0.1:${port}: ECONNREFUSED (connect ECONNREFUSED 127.0.0.1:${port}).\n`);
    const json = await cli(['health', '--json'], { env: { TICKWORK_URL: `http://127.0.0.1:${port}` } });
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'UNREACHABLE' } });
  });

  it('takes the URL from TICKWORK_URL, the key from --key or TICKWORK_KEY; a missing key is UNAUTHORIZED (exit 1)', async () => {
    const key = 'admin-key-0123456789';
    const guarded = await liveServer({ adminKeys: [key] });
    try {
      const without = await cli(['jobs', 'list'], { env: { TICKWORK_URL: guarded.url } });
      expect(without.code).toBe(1);
      expect(without.stderr).toMatch(/^UNAUTHORIZED: /);
      expect((await cli(['jobs', 'list', '--key', key], { env: { TICKWORK_URL: guarded.url } })).code).toBe(0);
      expect((await cli(['jobs', 'list'], { env: { TICKWORK_URL: guarded.url, TICKWORK_KEY: key } })).code).toBe(0);
      // The flag wins over the environment.
      const wrong = await cli(['jobs', 'list', '--key', 'wrong-key-0123456789'], { env: { TICKWORK_URL: guarded.url, TICKWORK_KEY: key } });
      expect(wrong.code).toBe(1);
    } finally {
      await guarded.app.close();
    }
  });

  it('a URL that is not http(s) is a usage error (exit 2)', async () => {
    const result = await cli(['jobs', 'list', '--url', 'ftp://host']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--url (or TICKWORK_URL): "ftp://host" must start with http:// or https://.');
  });

  it('an answer that is not the API error shape gets HTTP_<status> (exit 1)', async () => {
    const proxy = createServer((_request, response) => {
      response.statusCode = 502;
      response.end('<html>Bad Gateway</html>');
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const address = proxy.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    try {
      const result = await cli(['jobs', 'get', 'x', '--url', `http://127.0.0.1:${address.port}`]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^HTTP_502: GET \/api\/v1\/jobs\/x answered 502 Bad Gateway without the API's error body\./);
    } finally {
      proxy.close();
    }
  });

  it('help lists every command; an unknown command or flag is exit 2', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    for (const command of [
      'serve',
      'jobs list',
      'jobs get',
      'jobs add',
      'jobs rm',
      'jobs pause',
      'jobs resume',
      'jobs run',
      'jobs runs',
      'preview',
      'health',
      'export',
      'import',
    ]) {
      expect(help.stdout).toContain(`  ${command}`);
    }
    expect((await cli(['jobs', 'add', '--help'])).stdout).toContain('Usage: tickwork jobs add');
    expect((await cli(['frob'])).code).toBe(2);
    expect((await cli(['jobs'])).code).toBe(2);
    const flag = await cli(['health', '--verbose']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("Unknown option '--verbose'");
  });

  it('dist/cli.js sets the process exit code (needs the build)', async () => {
    // Asynchronously: the server answering it runs in this process.
    const node = (args: string[]): Promise<{ status: number | null; stderr: string }> =>
      new Promise((resolve) => {
        execFile(process.execPath, ['dist/cli.js', ...args], (error, _stdout, stderr) =>
          resolve({ status: error === null ? 0 : (error.code as number), stderr }),
        );
      });
    const missing = await node(['jobs', 'get', 'nope', '--url', server.url]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^JOB_NOT_FOUND: /);
    expect((await node(['jobs', 'get'])).status).toBe(2);
  });
});
