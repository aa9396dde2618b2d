/**
 * Fault: two processes on one SQLite file (a deploy overlap, `npm start` twice). The second used to load
 * the jobs and fire each of them again, and mark the first one's running runs lost. Now the store holds an
 * exclusive SQLite lock for as long as it is open: a second server refuses to start with STORE_LOCKED naming
 * the file and the holder, the first goes on undisturbed, and the lock goes with the holder (stop or SIGKILL).
 * A lock held by someone else makes the store fail fast (busy_timeout in tens of ms), never block the event
 * loop, and work once the lock is gone.
 *
 * The process-level cases spawn `node dist/cli.js serve`: run `npm run build` first (`npm test` does).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { SchedulerService } from '../../src/scheduler/service.js';
import { SqliteJobStore } from '../../src/stores/sqlite/store.js';
import { captureLogger } from '../helpers.js';
import { collectJsonLines, startServerProcess, type ServerProcess } from '../server/json-lines.js';

const children: ChildProcess[] = [];
const schedulers: SchedulerService[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const s of schedulers.splice(0)) await s.shutdown({ wait: false }).catch(() => undefined);
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, probe: () => T | undefined | false, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tickwork-one-process-'));
}

/** A config with a fast task that logs its own line (which process ran it is in `pid`). */
function writeConfig(dir: string): string {
  const config = join(dir, 'tickwork.config.mjs');
  writeFileSync(
    config,
    `export default {
    tasks: {
      tick: (ctx) => { ctx.logger.info({ event: 'test_tick' }, 'tick'); },
      slow: async () => { await new Promise((r) => setTimeout(r, 1500)); },
    },
  };\n`,
  );
  return config;
}

function startServer(dir: string): Promise<ServerProcess> {
  return startServerProcess(children, ['--config', join(dir, 'tickwork.config.mjs')], { TICKWORK_STORE: `sqlite:${join(dir, 'tickwork.db')}` });
}

/** Starts a server expected to fail: resolves with its exit code, its output and how long it ran. */
async function startRefused(dir: string): Promise<{ code: number | null; failed: Record<string, unknown> | undefined; output: string; ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, ['dist/cli.js', 'serve', '--port', '0', '--config', join(dir, 'tickwork.config.mjs')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'info', TICKWORK_STORE: `sqlite:${join(dir, 'tickwork.db')}` },
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (c: Buffer) => void (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => void (output += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  const failed = output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.event === 'startup_failed');
  return { code, failed, output, ms: Date.now() - started };
}

const post = (url: string, body: unknown): Promise<Response> =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const count = (server: ServerProcess, event: string): number => server.lines.filter((l) => l.event === event).length;

describe('one process per SQLite file: servers', () => {
  it('a second server on the same file refuses to start, the first keeps firing, and the lock goes with the holder (stop or SIGKILL)', async () => {
    const dir = tempDir();
    writeConfig(dir);
    const db = join(dir, 'tickwork.db');
    const first = await startServer(dir);
    expect((await post(`${first.url}/api/v1/jobs`, { id: 'tick', task: 'tick', trigger: { type: 'interval', seconds: 0.2 } })).status).toBe(201);
    // A run in progress while the second server tries: it must not be marked lost by it.
    expect((await post(`${first.url}/api/v1/jobs`, { id: 'slow', task: 'slow', trigger: { type: 'interval', seconds: 1 } })).status).toBe(201);
    await until('the first server to fire', () => count(first, 'test_tick') >= 3, 5_000);
    await sleep(1_200); // the slow job (1.5 s runs, every second) is running now

    const second = await startRefused(dir);
    expect(second.code, second.output).toBe(1);
    expect(second.ms, second.output).toBeLessThan(5_000);
    expect(second.failed, second.output).toMatchObject({ code: 'STORE_LOCKED' });
    expect(String(second.failed?.msg)).toContain(db);
    expect(String(second.failed?.msg)).toContain(`process ${first.child.pid}`);
    // It fired nothing: no job line at all, only the failure.
    expect(second.output).not.toMatch(/"event":"(job_executed|test_tick|job_lost|scheduler_started)"/);

    // The first goes on: still firing, nothing of it recorded lost.
    const before = count(first, 'test_tick');
    await until('the first server to keep firing', () => count(first, 'test_tick') >= before + 3, 5_000);
    expect(count(first, 'job_lost')).toBe(0);
    const slowRuns = (await (await fetch(`${first.url}/api/v1/jobs/slow/runs?limit=100`)).json()) as { items: { outcome: string }[] };
    expect(slowRuns.items.filter((r) => r.outcome === 'lost')).toEqual([]);

    // A clean stop releases the lock: the next server starts, with the jobs.
    first.child.kill('SIGTERM');
    const [firstCode] = (await once(first.child, 'exit')) as [number | null];
    expect(firstCode).toBe(0);
    const third = await startServer(dir);
    const jobs = (await (await fetch(`${third.url}/api/v1/jobs`)).json()) as { items: { id: string }[] };
    expect(jobs.items.map((j) => j.id).sort()).toEqual(['slow', 'tick']);
    await until('the third server to fire', () => count(third, 'test_tick') >= 2, 5_000);

    // SIGKILL: the OS releases the lock with the process; the owner file it leaves behind does not matter.
    third.child.kill('SIGKILL');
    await once(third.child, 'exit');
    const fourth = await startServer(dir);
    await until('the fourth server to fire', () => count(fourth, 'test_tick') >= 2, 5_000);
    expect(JSON.parse(readFileSync(`${db}.owner`, 'utf8'))).toMatchObject({ pid: fourth.child.pid });
    fourth.child.kill('SIGTERM');
    await once(fourth.child, 'exit');
    expect(existsSync(`${db}.owner`)).toBe(false);
  }, 60_000);
});

/** better-sqlite3 for the `node -e` helpers, resolved from this repository. */
const BETTER_SQLITE3 = createRequire(import.meta.url).resolve('better-sqlite3');

/**
 * Another process with its own connection (normal locking, as the sqlite3 shell or a backup script has):
 * `hold` takes `BEGIN EXCLUSIVE` and keeps it until its stdin closes; `probe` tries a read and a write
 * with a 50 ms busy timeout and prints what happened.
 */
function otherProcess(path: string, mode: 'hold' | 'probe'): ChildProcess {
  const script = `
    const Database = require(${JSON.stringify(BETTER_SQLITE3)});
    const db = new Database(${JSON.stringify(path)}, { timeout: 50 });
    const result = {};
    if (${JSON.stringify(mode)} === 'hold') {
      db.pragma('journal_mode = WAL');
      db.exec('BEGIN EXCLUSIVE');
      console.log(JSON.stringify({ held: true }));
      process.stdin.on('end', () => { db.exec('COMMIT'); db.close(); process.exit(0); });
      process.stdin.resume();
    } else {
      for (const [what, sql] of [['read', 'SELECT COUNT(*) FROM jobs'], ['write', 'BEGIN EXCLUSIVE']]) {
        const t = Date.now();
        try { db.exec(sql); result[what] = 'ok'; } catch (e) { result[what] = e.code; }
        result[what + 'Ms'] = Date.now() - t;
      }
      console.log(JSON.stringify(result));
      process.exit(0);
    }`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  return child;
}

function inProcessScheduler(path: string) {
  const logger = captureLogger();
  const scheduler = new SchedulerService({ store: new SqliteJobStore({ path }), logger, timezone: 'UTC' });
  schedulers.push(scheduler);
  let fired = 0;
  scheduler.registerTask('tick', () => void fired++);
  return { scheduler, logger, fired: () => fired };
}

describe('one process per SQLite file: locks held elsewhere', () => {
  it('while the store runs, another process can neither read nor lock the file, is refused fast, and nothing here stalls', async () => {
    const path = join(tempDir(), 'db.sqlite');
    const { scheduler, logger, fired } = inProcessScheduler(path);
    await scheduler.start();
    await scheduler.addJob({ id: 'tick', task: 'tick', trigger: { type: 'interval', seconds: 0.05 } });
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const probe = otherProcess(path, 'probe');
    const lines = collectJsonLines(probe);
    await once(probe, 'exit');
    expect(lines[0]).toMatchObject({ read: 'SQLITE_BUSY', write: 'SQLITE_BUSY' });
    expect(Number(lines[0]?.readMs)).toBeLessThan(1_000);
    const before = fired();
    await sleep(500);
    delay.disable();
    expect(fired() - before).toBeGreaterThanOrEqual(5);
    expect(delay.max / 1e6).toBeLessThan(200);
    expect(logger.lines.filter((l) => l.level === 'error')).toEqual([]);
  }, 30_000);

  it('a lock held by another process: start fails fast with STORE_LOCKED without blocking the event loop, and works once it is released', async () => {
    const path = join(tempDir(), 'db.sqlite');
    // The file exists with a job in it, written by an earlier run.
    const earlier = inProcessScheduler(path);
    await earlier.scheduler.addJob({ id: 'tick', task: 'tick', trigger: { type: 'interval', seconds: 0.05 } });
    await earlier.scheduler.start();
    await earlier.scheduler.shutdown();

    const holder = otherProcess(path, 'hold');
    const held = collectJsonLines(holder);
    await until('the other process to hold its lock', () => held[0]?.held === true, 10_000);

    const { scheduler, fired } = inProcessScheduler(path);
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    // A timer that must keep its pace while the store fails to open, over and over.
    let beats = 0;
    const beat = setInterval(() => void beats++, 20);
    const started = Date.now();
    for (let i = 0; i < 5; i++) {
      const error = await scheduler.start().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'STORE_LOCKED', status: 503 });
      expect((error as Error).message).toContain(path);
      await sleep(50);
    }
    const elapsed = Date.now() - started;
    clearInterval(beat);
    delay.disable();
    expect(elapsed).toBeLessThan(2_000);
    expect(delay.max / 1e6).toBeLessThan(200);
    expect(beats).toBeGreaterThanOrEqual(Math.floor(elapsed / 20 / 2));
    expect(fired()).toBe(0);

    // Released: the same scheduler starts and fires the stored job.
    holder.stdin?.end();
    await once(holder, 'exit');
    await scheduler.start();
    await until('the stored job to fire', () => fired() >= 3, 5_000);
  }, 30_000);
});
