/**
 * Secrets stay where they belong. Jobs whose args hold credentials (a password in a URL, a bearer header,
 * a secret-named field) fail with texts that repeat them; afterwards nothing a monitor key can read (job
 * list, job, run history, the event stream) and no log line holds any of them, as written, trimmed or
 * percent-encoded. Admin keys still see the args they wrote.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { SchedulerService } from '../../src/scheduler/service.js';
import { buildServer } from '../../src/server/app.js';
import { registerBuiltInTasks } from '../../src/tasks/index.js';
import type { JobContext } from '../../src/core/job.js';
import { redactStoreSpec } from '../../src/stores/create.js';

const ADMIN = 'admin-key-0123456789abcdef';
const MONITOR = 'monitor-key-0123456789abcdef';
const PASSWORD = 'hunter2 pass/word';
const TOKEN = 'tok-9f8e7d6c5b4a';
const API_KEY = 'sk_live_0123456789';

/** Every form of a secret that must not appear. */
const forms = (secret: string): string[] => [secret, secret.trim(), encodeURIComponent(secret), encodeURI(secret)];
const SECRETS = [PASSWORD, TOKEN, API_KEY, ADMIN, MONITOR].flatMap(forms);

let app: FastifyInstance | undefined;
let target: Server | undefined;
afterEach(async () => {
  await app?.close();
  await new Promise((resolve) => (target === undefined ? resolve(undefined) : target.close(resolve)));
  app = undefined;
  target = undefined;
});

/** A task that repeats its args in its error and output, as a careless library would. */
function leaky(ctx: JobContext): never {
  const args = ctx.args as { url: string; headers: Record<string, string>; apiKey: string };
  throw Object.assign(
    new Error(`request to ${args.url} failed (authorization: ${args.headers.authorization}, key ${encodeURIComponent(args.apiKey)}) \u0000`),
    {
      code: 'LEAKY',
      output: `sent ${JSON.stringify(args)}`,
    },
  );
}

describe('secrets in run errors, outputs, events and logs', () => {
  it('reach neither monitor keys, nor the event stream, nor the log', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
    const scheduler = new SchedulerService({ logger, timezone: 'UTC' });
    registerBuiltInTasks(scheduler, []);
    scheduler.registerTask('leaky', leaky);
    app = await buildServer({ scheduler, logger, adminKeys: [ADMIN], monitorKeys: [MONITOR] });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as AddressInfo).port;
    // A receiver that answers 500, so the http job fails after sending its credentials.
    target = createServer((_req, res) => res.writeHead(500).end('nope'));
    await new Promise<void>((resolve) => target?.listen(0, '127.0.0.1', resolve));
    const targetPort = (target.address() as AddressInfo).port;

    const events: string[] = [];
    const streamAbort = new AbortController();
    const stream = await fetch(`http://127.0.0.1:${port}/api/v1/events`, { headers: { authorization: `Bearer ${MONITOR}` }, signal: streamAbort.signal });
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    const reading = (async () => {
      for (;;) {
        const chunk = await reader.read().catch(() => ({ done: true as const, value: undefined }));
        if (chunk.done) return;
        events.push(new TextDecoder().decode(chunk.value));
      }
    })();

    const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
    const url = `http://user:${encodeURIComponent(PASSWORD)}@127.0.0.1:${targetPort}/hook`;
    const args = { url, headers: { authorization: `Bearer ${TOKEN}` }, apiKey: API_KEY };
    for (const [id, task] of [
      ['leaky', 'leaky'],
      ['hook', 'http'],
    ] as const) {
      const created = await fetch(`http://127.0.0.1:${port}/api/v1/jobs`, {
        method: 'POST',
        headers: admin,
        body: JSON.stringify({ id, task, args: task === 'http' ? { url, headers: args.headers } : args, trigger: { type: 'interval', seconds: 3600 } }),
      });
      expect(created.status).toBe(201);
    }
    const failed = new Promise<void>((resolve) => {
      let count = 0;
      scheduler.on('job_error', () => {
        if (++count === 2) resolve();
      });
    });
    for (const id of ['leaky', 'hook']) {
      expect((await fetch(`http://127.0.0.1:${port}/api/v1/jobs/${id}/run`, { method: 'POST', headers: admin })).status).toBe(202);
    }
    await failed;

    const monitor = { authorization: `Bearer ${MONITOR}` };
    const read = async (path: string): Promise<string> => (await fetch(`http://127.0.0.1:${port}/api/v1${path}`, { headers: monitor })).text();
    const seen = [await read('/jobs'), await read('/jobs/leaky'), await read('/jobs/hook'), await read('/jobs/leaky/runs'), await read('/jobs/hook/runs')];
    // The runs are there, with their codes and (scrubbed) messages.
    const runs = JSON.parse(seen[3] as string) as { items: { outcome: string; error: { code: string; message: string }; output?: string }[] };
    expect(runs.items[0]?.outcome).toBe('failed');
    expect(runs.items[0]?.error.code).toBe('LEAKY');
    expect(runs.items[0]?.error.message).toContain('[redacted]');
    expect(runs.items[0]?.error.message).not.toContain('\u0000');
    expect(runs.items[0]?.output).toBeUndefined();
    expect(JSON.parse(seen[4] as string).items[0].error.code).toBe('HTTP_STATUS');

    streamAbort.abort();
    await reading;
    const everything = [...seen, events.join(''), lines.join('')];
    for (const text of everything) {
      for (const secret of SECRETS) expect(text).not.toContain(secret);
    }
    expect(events.join('')).toContain('event: job_error');
    expect(lines.join('')).toContain('"event":"job_error"');

    // Admin keys still see the args they wrote, and the scrubbed output.
    const adminRuns = (await (await fetch(`http://127.0.0.1:${port}/api/v1/jobs/leaky/runs`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as {
      items: { output?: string }[];
    };
    expect(adminRuns.items[0]?.output).toContain('[redacted]');
    expect(adminRuns.items[0]?.output).not.toContain(TOKEN);
    const adminJob = (await (await fetch(`http://127.0.0.1:${port}/api/v1/jobs/leaky`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as {
      args: unknown;
    };
    expect(adminJob.args).toEqual(args);
  });

  it('the store setting is logged without its password', () => {
    expect(redactStoreSpec('postgres://tickwork:s3cr3t-pw@db.internal:5432/app?schema=tw')).toBe('postgres://tickwork:***@db.internal:5432/app?schema=tw');
    expect(redactStoreSpec('postgres://db/app?password=s3cr3t-pw')).not.toContain('s3cr3t-pw');
    expect(redactStoreSpec('sqlite:./data/tickwork.db')).toBe('sqlite:./data/tickwork.db');
    expect(redactStoreSpec('memory')).toBe('memory');
    expect(redactStoreSpec('postgres://u:p w@[bad')).not.toContain('p w');
    // Without a scheme, "user:" reads as one: still masked.
    expect(redactStoreSpec('user:Secr3tPw@db.internal:5432/app')).toBe('user:***@db.internal:5432/app');
  });
});
