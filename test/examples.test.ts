/**
 * Every example in examples/ runs as a user would run it (a child process importing the package by name,
 * which resolves to this package's build): it starts, a job fires or a route answers, and SIGTERM stops it
 * with exit code 0 after scheduler_stopped. The NestJS example is TypeScript: it is transpiled with
 * TypeScript's decorator settings (as a Nest project compiles) into examples/.out/ first, and is also the
 * NestJS process test: SIGTERM mid-run lets the run finish. The PostgreSQL cluster runs under CI=true only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import ts from 'typescript';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { until } from './helpers.js';
import { dropSchema, PG_URL } from './stores/pg-helpers.js';

interface Running {
  child: ChildProcess;
  /** The JSON lines of its stdout (other lines, such as Nest's own log format, are kept as `{ text }`). */
  lines: Record<string, unknown>[];
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.pid === undefined) continue;
    // The whole process group: an example that starts processes of its own (pg-cluster's two nodes) must
    // not leave them running when its test fails.
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

function run(args: string[], env: Record<string, string> = {}): Running {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PORT: '0', ...env }, detached: true });
  children.push(child);
  const lines: Record<string, unknown>[] = [];
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const part of parts) {
      if (part.trim() === '') continue;
      try {
        lines.push(JSON.parse(part) as Record<string, unknown>);
      } catch {
        lines.push({ text: part });
      }
    }
  });
  return { child, lines };
}

async function line(running: Running, predicate: (l: Record<string, unknown>) => boolean, what: string, ms = 15_000): Promise<Record<string, unknown>> {
  await until(() => running.lines.some(predicate) || running.child.exitCode !== null, ms, what);
  const found = running.lines.find(predicate);
  if (found === undefined) throw new Error(`${what}: the process exited (${running.child.exitCode}); its output:\n${dump(running)}`);
  return found;
}

const dump = (running: Running): string => running.lines.map((l) => JSON.stringify(l)).join('\n');

/** SIGTERM, then the exit code; the scheduler must have logged scheduler_stopped. */
async function stop(running: Running): Promise<void> {
  const exit = once(running.child, 'exit');
  running.child.kill('SIGTERM');
  const [code] = (await exit) as [number | null];
  expect(code, dump(running)).toBe(0);
  expect(
    running.lines.some((l) => l.event === 'scheduler_stopped'),
    dump(running),
  ).toBe(true);
}

const urlOf = async (running: Running, event = 'example_listening'): Promise<string> =>
  String((await line(running, (l) => l.event === event, 'the example to listen')).url);

// Processes that start, fire and stop: generous bounds for a loaded CI machine.
describe('examples', { timeout: 40_000 }, () => {
  it('basic.mjs: the library alone fires its interval job and stops on SIGTERM', async () => {
    const example = run(['examples/basic.mjs']);
    await line(example, (l) => l.msg === 'heartbeat', 'a heartbeat');
    await stop(example);
  });

  it('fastify.mjs: the plugin starts the scheduler with the app; /jobs answers; SIGTERM closes both', async () => {
    const example = run(['examples/fastify.mjs']);
    const url = await urlOf(example);
    expect(await (await fetch(`${url}/jobs`)).json()).toEqual([{ id: 'tick', nextRunTime: expect.any(String) }]);
    await line(example, (l) => l.event === 'example_tick', 'a tick');
    await stop(example);
  });

  it('express.mjs: the API is mounted at /scheduler and the job fires; SIGTERM exits 0 through attachScheduler', async () => {
    const example = run(['examples/express.mjs']);
    const url = await urlOf(example);
    const jobs = (await (await fetch(`${url}/scheduler/api/v1/jobs`)).json()) as { items: { id: string }[] };
    expect(jobs.items.map((job) => job.id)).toEqual(['report']);
    expect((await fetch(`${url}/scheduler/`)).headers.get('content-type')).toMatch(/text\/html/);
    await line(example, (l) => l.event === 'example_report', 'a report');
    await stop(example);
  });

  it('standalone/tickwork.config.mjs: the server reconciles the config jobs and runs the config task', async () => {
    const example = run(['dist/cli.js', 'serve', '--port', '0', '--config', 'examples/standalone/tickwork.config.mjs'], { TICKWORK_STORE: 'memory' });
    const url = await urlOf(example, 'server_listening');
    const jobs = (await (await fetch(`${url}/api/v1/jobs?sort=id`)).json()) as { items: { id: string }[] };
    expect(jobs.items.map((job) => job.id)).toEqual(['cleanup', 'morning-ping']);
    expect(await line(example, (l) => l.event === 'example_cleanup', 'a cleanup run')).toMatchObject({ olderThanDays: 30 });
    await stop(example);
  });

  it('nestjs.ts: decorated jobs fire in a Nest app, SchedulerService answers a route, and SIGTERM mid-run lets the run finish (exit 0)', async () => {
    const source = readFileSync('examples/nestjs.ts', 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: {
        module: ts.ModuleKind.ES2022,
        target: ts.ScriptTarget.ES2022,
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        useDefineForClassFields: false,
      },
    });
    // Inside the package, so `tickwork/nestjs` resolves to this package's build as it would in a project.
    mkdirSync('examples/.out', { recursive: true });
    writeFileSync('examples/.out/nestjs.mjs', outputText);
    const example = run(['examples/.out/nestjs.mjs']);
    const url = await urlOf(example);
    const jobs = (await (await fetch(`${url}/jobs`)).json()) as { id: string }[];
    expect(jobs.map((job) => job.id).sort()).toEqual(['ReportService.heartbeat', 'report']);
    await line(example, (l) => l.event === 'example_heartbeat', 'a heartbeat');
    await line(example, (l) => l.event === 'example_report_started', 'a report run', 20_000);
    await stop(example);
    const at = (event: string): number => Number(example.lines.find((l) => l.event === event)?.time ?? Number.NaN);
    expect(at('example_report_finished'), dump(example)).toBeLessThanOrEqual(at('scheduler_stopped'));
  });
});

const PG_EXAMPLE = process.env.CI === 'true';
if (!PG_EXAMPLE) console.warn('[tickwork tests] examples/pg-cluster runs under CI=true only (it needs PostgreSQL); skipped here.');

describe.skipIf(!PG_EXAMPLE)('examples/pg-cluster', () => {
  const schema = `tw_example_${randomBytes(5).toString('hex')}`;
  afterAll(async () => dropSchema(schema));

  it('start.mjs: two nodes share one schedule, each fire runs on one node, SIGTERM stops both (exit 0)', async () => {
    const example = run(['examples/pg-cluster/start.mjs'], { TICKWORK_EXAMPLE_PG: PG_URL, TICKWORK_EXAMPLE_SCHEMA: schema, PORT_A: '0', PORT_B: '0' });
    await until(
      () => example.lines.filter((l) => l.event === 'server_listening').length === 2 || example.child.exitCode !== null,
      20_000,
      'both nodes to listen',
    );
    await until(() => example.lines.filter((l) => l.event === 'example_fire').length >= 4 || example.child.exitCode !== null, 20_000, 'four fires');
    const fires = example.lines.filter((l) => l.event === 'example_fire');
    expect(fires.length, dump(example)).toBeGreaterThanOrEqual(4);
    expect(new Set(fires.map((l) => l.scheduledAt)).size, dump(example)).toBe(fires.length);
    const exit = once(example.child, 'exit');
    example.child.kill('SIGTERM');
    const [code] = (await exit) as [number | null];
    expect(code, dump(example)).toBe(0);
    expect(
      example.lines
        .filter((l) => l.event === 'scheduler_stopped')
        .map((l) => l.node)
        .sort(),
      dump(example),
    ).toEqual(['a', 'b']);
  }, 60_000);
});
