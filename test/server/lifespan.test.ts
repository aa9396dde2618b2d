/**
 * The real server as a child process (`node dist/cli.js serve`, what `npm start` runs): a job whose run
 * takes 2 s is created over HTTP, SIGTERM arrives mid-run, and the run completes before
 * scheduler_stopped, with exit code 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { collectJsonLines } from './json-lines.js';

interface Server {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  url: string;
}

let server: Server | null = null;
/** Every process started, killed after each test whatever failed: one that never logged server_listening included. */
const children = new Set<ChildProcess>();
afterEach(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
  server = null;
});

async function waitFor(lines: Record<string, unknown>[], predicate: (l: Record<string, unknown>) => boolean, ms: number): Promise<Record<string, unknown>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = lines.find(predicate);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no matching log line within ${ms} ms; got:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function start(extraEnv: Record<string, string> = {}): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'tickwork-lifespan-'));
  const config = join(dir, 'tickwork.config.mjs');
  writeFileSync(
    config,
    `export default {
    tasks: {
      shortRun: async (ctx) => { ctx.logger.info({ event: 'test_run_started' }, 'started'); await new Promise((r) => setTimeout(r, 1500)); ctx.logger.info({ event: 'test_run_finished' }, 'finished'); },
      twoSeconds: async (ctx) => { ctx.logger.info({ event: 'test_run_started' }, 'started'); await new Promise((r) => setTimeout(r, 2000)); ctx.logger.info({ event: 'test_run_finished' }, 'finished'); },
    },
  };\n`,
  );
  const child = spawn(process.execPath, ['dist/cli.js', 'serve', '--port', '0', '--config', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TICKWORK_STORE: `sqlite:${join(dir, 'tickwork.db')}`, ...extraEnv },
  });
  children.add(child);
  const lines = collectJsonLines(child);
  const listening = await waitFor(lines, (l) => l.event === 'server_listening', 15_000);
  return { child, lines, url: String(listening.url) };
}

describe('server lifespan', () => {
  it('SIGTERM mid-run: the run completes, then scheduler_stopped, exit code 0', async () => {
    server = await start();
    const created = await fetch(`${server.url}/api/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'slow', task: 'twoSeconds', trigger: { type: 'interval', seconds: 1 }, maxInstances: 1, coalesce: true }),
    });
    expect(created.status).toBe(201);
    await waitFor(server.lines, (l) => l.event === 'test_run_started', 5_000);
    server.child.kill('SIGTERM');
    const [code] = (await once(server.child, 'exit')) as [number | null];
    expect(code).toBe(0);
    // Compare the times lines were written: a job's own log lines and the scheduler's may reach the pipe
    // in a different order when stdout is busy.
    const dump = server.lines.map((l) => JSON.stringify(l)).join('\n');
    const at = (event: string): number => Number(server?.lines.find((l) => l.event === event)?.time ?? Number.NaN);
    expect(at('test_run_finished'), dump).toBeLessThanOrEqual(at('job_executed'));
    expect(at('job_executed'), dump).toBeLessThanOrEqual(at('scheduler_stopped'));
    expect(at('shutdown_requested'), dump).toBeLessThan(at('test_run_finished'));
    // No run started after SIGTERM, and every run that started finished.
    const starts = server.lines.filter((l) => l.event === 'test_run_started').map((l) => Number(l.time));
    for (const start of starts) expect(start, dump).toBeLessThanOrEqual(at('shutdown_requested'));
    expect(server.lines.filter((l) => l.event === 'test_run_finished')).toHaveLength(starts.length);
  });

  it('shutdown is announced after the run it waited for: job_executed precedes scheduler_stopped in the log, five times out of five', async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      server = await start();
      const created = await fetch(`${server.url}/api/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'short', task: 'shortRun', trigger: { type: 'interval', seconds: 3600 } }),
      });
      expect(created.status).toBe(201);
      expect((await fetch(`${server.url}/api/v1/jobs/short/run`, { method: 'POST', headers: { 'content-type': 'application/json' } })).status).toBe(202);
      await waitFor(server.lines, (l) => l.event === 'test_run_started', 5_000);
      server.child.kill('SIGTERM');
      const [code] = (await once(server.child, 'exit')) as [number | null];
      expect(code).toBe(0);
      // The order lines were written in, not their millisecond times (equal when both come at once).
      const events = server.lines.map((l) => l.event);
      const dump = events.join(' ');
      expect(events.indexOf('test_run_finished'), dump).toBeGreaterThan(events.indexOf('shutdown_requested'));
      expect(events.indexOf('job_executed'), dump).toBeGreaterThan(events.indexOf('test_run_finished'));
      expect(events.indexOf('scheduler_stopped'), dump).toBeGreaterThan(events.indexOf('job_executed'));
      expect(events.at(-1), dump).toBe('scheduler_stopped');
    }
    // Five real processes, each started and stopped: more than the default bound on a loaded machine.
  }, 60_000);

  it('a second signal exits at once', async () => {
    server = await start();
    await fetch(`${server.url}/api/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'slow', task: 'twoSeconds', trigger: { type: 'interval', seconds: 1 }, maxInstances: 1, coalesce: true }),
    });
    await waitFor(server.lines, (l) => l.event === 'test_run_started', 5_000);
    const started = Date.now();
    server.child.kill('SIGTERM');
    await waitFor(server.lines, (l) => l.event === 'shutdown_requested', 5_000);
    server.child.kill('SIGINT');
    const [code] = (await once(server.child, 'exit')) as [number | null];
    expect(code).toBe(1);
    expect(Date.now() - started).toBeLessThan(1_900);
  });

  it('serves the API with a key and refuses requests without it', async () => {
    server = await start({ TICKWORK_ADMIN_KEY: 'k-admin-1-0123456789abcdef,k-admin-2-0123456789abcdef', TICKWORK_MONITOR_KEY: 'k-mon-0123456789abcdef' });
    expect((await fetch(`${server.url}/api/v1/jobs`)).status).toBe(401);
    expect((await fetch(`${server.url}/api/v1/whoami`, { headers: { authorization: 'Bearer k-admin-2-0123456789abcdef' } })).status).toBe(200);
    expect((await fetch(`${server.url}/api/v1/health`)).status).toBe(200);
    server.child.kill('SIGTERM');
    const [code] = (await once(server.child, 'exit')) as [number | null];
    expect(code).toBe(0);
  });
});
