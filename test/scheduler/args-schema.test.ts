/**
 * Task argument schemas: `registerTask(name, func, { argsSchema })` refuses a job whose args can never
 * work when it is created (every creation path), naming the field, and checks a stored job's args again
 * before each run. The built-in tasks declare theirs.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { SqliteJobStore } from '../../src/stores/sqlite/store.js';
import { registerBuiltInTasks } from '../../src/tasks/index.js';
import { captureLogger, harness, REFERENCE, type Harness } from '../helpers.js';
import { json, testServer, type TestServer } from '../server/server-helpers.js';

const urlSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: { url: { type: 'string' }, method: { type: 'string', enum: ['GET', 'POST'] }, tags: { type: 'array', items: { type: 'string' } } },
};
const every = { type: 'interval', seconds: 60 } as const;

let h: Harness | undefined;
let s: TestServer | undefined;
afterEach(async () => {
  if (h?.scheduler.isRunning === true) await h.scheduler.shutdown();
  await s?.app.close();
  h = undefined;
  s = undefined;
});

describe('argsSchema', () => {
  it('refuses bad args at creation naming the field: wrong type, missing, unknown field (with the allowed ones), a value outside the enum', async () => {
    h = harness();
    h.scheduler.registerTask('fetch', () => undefined, { argsSchema: urlSchema });
    const add = (args: unknown): Promise<unknown> => h!.scheduler.addJob({ id: 'j', task: 'fetch', args, trigger: every });
    await expect(add({ url: 7 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: [{ path: 'args.url', message: 'must be string, got an integer.' }],
    });
    await expect(add({})).rejects.toMatchObject({ details: [{ path: 'args.url', message: 'is required.' }] });
    await expect(add(undefined)).rejects.toMatchObject({ details: [{ path: 'args', message: 'must be object, got none (no args).' }] });
    await expect(add({ url: 'https://x', mehtod: 'POST' })).rejects.toMatchObject({
      details: [{ path: 'args.mehtod', message: 'is not an allowed field; the fields are url, method, tags.' }],
    });
    await expect(add({ url: 'https://x', method: 'PUT' })).rejects.toMatchObject({
      details: [{ path: 'args.method', message: 'must be one of "GET", "POST".' }],
    });
    await expect(add({ url: 'https://x', tags: ['a', 3] })).rejects.toMatchObject({ details: [{ path: 'args.tags[1]' }] });
    // Every wrong field is named, in the message too.
    await expect(add({ url: 1, method: 2 })).rejects.toThrow(/^args\.url: must be string, got an integer\.; args\.method: must be string/);
    expect(await h.scheduler.getJob('j')).toBeUndefined();
    await expect(add({ url: 'https://x', method: 'GET' })).resolves.toMatchObject({ id: 'j' });
  });

  it('never repeats a value in the refusal (args may hold credentials)', async () => {
    h = harness();
    h.scheduler.registerTask('typed', () => undefined, { argsSchema: { type: 'object', properties: { token: { type: 'number' } } } });
    const refusal = await h.scheduler.addJob({ task: 'typed', args: { token: 'hunter2-secret' }, trigger: every }).catch((e: Error) => e);
    expect(String((refusal as Error).message)).not.toContain('hunter2');
    expect(JSON.stringify(refusal)).not.toContain('hunter2');
  });

  it('applies to every creation path: a function passed by identity, replaceExisting, updateJob of args or task', async () => {
    h = harness();
    const fn = (): void => undefined;
    h.scheduler.registerTask('fetch', fn, { argsSchema: urlSchema });
    h.scheduler.registerTask('loose', () => undefined);
    await expect(h.scheduler.addIntervalJob(fn, 60, 'by-func', { args: { url: 1 } })).rejects.toMatchObject({ details: [{ path: 'args.url' }] });
    await h.scheduler.addJob({ id: 'j', task: 'fetch', args: { url: 'https://x' }, trigger: every });
    await expect(h.scheduler.addJob({ id: 'j', task: 'fetch', args: {}, trigger: every, replaceExisting: true })).rejects.toMatchObject({
      details: [{ path: 'args.url' }],
    });
    await expect(h.scheduler.updateJob('j', { args: { url: false } })).rejects.toMatchObject({ details: [{ path: 'args.url' }] });
    await h.scheduler.addJob({ id: 'k', task: 'loose', args: { other: 1 }, trigger: every });
    await expect(h.scheduler.updateJob('k', { task: 'fetch' })).rejects.toMatchObject({ details: [{ path: 'args.url' }, { path: 'args.other' }] });
    expect((await h.scheduler.getJob('j'))?.args).toEqual({ url: 'https://x' });
  });

  it('refuses a schema that is not usable at registration, naming options.argsSchema', () => {
    h = harness();
    expect(() => h!.scheduler.registerTask('t', () => undefined, { argsSchema: { type: 'object', propertees: {} } })).toThrow(
      /^options\.argsSchema: is not a usable JSON Schema: strict mode: unknown keyword: "propertees"/,
    );
    expect(() => h!.scheduler.registerTask('t', () => undefined, { argsSchema: 'object' as never })).toThrow(
      /^options\.argsSchema: must be a JSON Schema object/,
    );
    expect(h.scheduler.taskNames).not.toContain('t');
  });

  it('checks a stored job before each run: args stored before the schema existed fail the run with INVALID_ARGUMENT naming the field', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tickwork-args-')), 'db.sqlite');
    const clock = new ManualClock(REFERENCE);
    let calls = 0;
    const one = new SchedulerService({ store: new SqliteJobStore({ path }), clock, logger: captureLogger(), timezone: 'UTC' });
    one.registerTask('fetch', () => void calls++);
    await one.start();
    await one.addJob({ id: 'old', task: 'fetch', args: { url: 42 }, trigger: every });
    await one.shutdown();

    const two = new SchedulerService({ store: new SqliteJobStore({ path }), clock, logger: captureLogger(), timezone: 'UTC' });
    two.registerTask('fetch', () => void calls++, { argsSchema: urlSchema });
    await two.start();
    await clock.advance(60_000);
    const [run] = await two.getRuns('old');
    expect(run).toMatchObject({ outcome: 'failed', error: { code: 'INVALID_ARGUMENT', message: 'args.url: must be string, got an integer.' } });
    expect(calls).toBe(0);
    await two.shutdown();
  });

  it('costs nothing for a task without a schema: it runs as registered', async () => {
    h = harness();
    const fn = (): string => 'done';
    h.scheduler.registerTask('plain', fn);
    await h.scheduler.start();
    await h.scheduler.addJob({ id: 'p', task: 'plain', args: 'anything', trigger: every });
    await h.clock.advance(60_000);
    expect((await h.scheduler.getRuns('p'))[0]).toMatchObject({ outcome: 'succeeded', output: 'done' });
  });
});

describe('the built-in tasks declare their args', () => {
  it('http: an http job with user:password@ in its URL is accepted; a wrong type, an unknown field, a bad method are 400 naming the field', async () => {
    s = await testServer();
    const post = (payload: unknown): Promise<LightMyRequestResponse> =>
      s!.app.inject({ method: 'POST', url: '/api/v1/jobs', headers: json, payload: payload as object });
    const created = await post({ task: 'http', args: { url: 'https://user:pa%40ss@example.com/hook', method: 'post' }, trigger: every });
    expect(created.statusCode).toBe(201);
    for (const [args, path] of [
      [{ url: 7 }, 'args.url'],
      [{}, 'args.url'],
      [{ url: 'https://example.com', mehtod: 'POST' }, 'args.mehtod'],
      [{ url: 'https://example.com', timeoutSeconds: '30' }, 'args.timeoutSeconds'],
      [{ url: 'https://example.com', method: 'FETCH' }, 'args.method'],
      [{ url: 'ftp://example.com' }, 'args.url'],
    ] as const) {
      // POST without an id, and with one and replaceExisting: both refused the same way.
      for (const extra of [{}, { id: 'h', replaceExisting: true }]) {
        const refused = await post({ task: 'http', args, trigger: every, ...extra });
        expect(refused.statusCode, JSON.stringify(args)).toBe(400);
        expect(refused.json().error, JSON.stringify(args)).toMatchObject({ code: 'INVALID_ARGUMENT', details: [expect.objectContaining({ path })] });
      }
    }
    const method = await post({ task: 'http', args: { url: 'https://example.com', method: 'FETCH' }, trigger: every });
    expect(method.json().error.message).toContain('GET, POST, PUT, PATCH, DELETE, HEAD');
  });

  it('log and shell: refused at creation naming the field; GET /tasks shows each schema', async () => {
    h = harness();
    registerBuiltInTasks(h.scheduler, ['/bin/echo']);
    await expect(h.scheduler.addJob({ task: 'log', args: { message: 'hi', level: 'loud' }, trigger: every })).rejects.toMatchObject({
      details: [{ path: 'args.level', message: 'must be one of "debug", "info", "warn", "error".' }],
    });
    await expect(h.scheduler.addJob({ task: 'shell', args: { command: '/bin/echo', args: 'hello' }, trigger: every })).rejects.toMatchObject({
      details: [{ path: 'args.args', message: 'must be array, got a string.' }],
    });
    // The allow-list stays the task's own check, after the schema.
    await expect(h.scheduler.addJob({ task: 'shell', args: { command: '/bin/rm' }, trigger: every })).rejects.toMatchObject({
      details: [{ path: 'args.command' }],
      message: expect.stringContaining('is not in shell.allow'),
    });
    s = await testServer();
    const tasks = (await s.app.inject('/api/v1/tasks')).json().items as { name: string; argsSchema?: { required?: string[] } }[];
    expect(tasks.find((t) => t.name === 'http')?.argsSchema?.required).toEqual(['url']);
    expect(tasks.find((t) => t.name === 'log')?.argsSchema?.required).toEqual(['message']);
    expect(tasks.find((t) => t.name === 'noop')).toEqual({ name: 'noop' });
  });
});
