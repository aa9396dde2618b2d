/**
 * Crash and restart of the real server on a SQLite file: 50 jobs created over HTTP survive a SIGKILL
 * during their runs with the same triggers, the interrupted runs are recorded lost, and downtime follows
 * each job's rules (a 1 s coalescing job down for 5 s runs once on start, not five times).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from './json-lines.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

function start(dir: string): Promise<ServerProcess> {
  return startServerProcess(children, ['--config', join(dir, 'tickwork.config.mjs')], { TICKWORK_STORE: `sqlite:${join(dir, 'tickwork.db')}` });
}

const post = (url: string, body: unknown): Promise<Response> =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('crash and restart on SQLite', () => {
  it('keeps 50 jobs, records interrupted runs as lost, coalesces the downtime', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickwork-restart-'));
    writeFileSync(
      join(dir, 'tickwork.config.mjs'),
      `export default {
      tasks: {
        slow: async () => { await new Promise((r) => setTimeout(r, 3000)); },
        tick: () => 'tick',
      },
    };\n`,
    );
    const first = await start(dir);
    const triggers: Record<string, unknown> = {};
    for (let i = 0; i < 50; i++) {
      const trigger = i % 2 === 0 ? { type: 'interval', seconds: 1 } : { type: 'cron', expression: `*/${(i % 5) + 1} * * * * *`, timezone: 'Europe/Berlin' };
      const response = await post(`${first.url}/api/v1/jobs`, { id: `job-${i}`, task: i === 0 ? 'tick' : 'slow', trigger });
      expect(response.status).toBe(201);
      triggers[`job-${i}`] = ((await response.json()) as { trigger: unknown }).trigger;
    }
    // Let slow runs start, then kill the process in the middle of them.
    const deadline = Date.now() + 10_000;
    while (first.lines.filter((l) => l.event === 'job_submitted' || l.event === 'job_executed').length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 1_500));
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    const killedAt = Date.now();
    await new Promise((r) => setTimeout(r, 5_000));

    const second = await start(dir);
    const page = (await (await fetch(`${second.url}/api/v1/jobs?limit=100`)).json()) as { items: { id: string; trigger: unknown }[] };
    expect(page.items).toHaveLength(50);
    for (const job of page.items) expect(job.trigger).toEqual(triggers[job.id]);
    // Runs that were in progress at the kill are lost, not left running.
    const lost = second.lines.filter((l) => l.event === 'job_lost');
    expect(lost.length).toBeGreaterThan(0);
    const runs = (await (await fetch(`${second.url}/api/v1/jobs/job-1/runs?limit=100`)).json()) as { items: { outcome: string }[] };
    expect(runs.items.filter((r) => r.outcome === 'lost').length).toBeGreaterThan(0);
    // The 1 s coalescing job ran once for the whole downtime.
    await new Promise((r) => setTimeout(r, 300));
    const tickRuns = (await (await fetch(`${second.url}/api/v1/jobs/job-0/runs?limit=100`)).json()) as {
      items: { scheduledAt: string; startedAt: string | null; coalesced?: number }[];
    };
    const afterRestart = tickRuns.items.filter((r) => r.startedAt !== null && Date.parse(r.startedAt) > killedAt);
    const catchUp = afterRestart[afterRestart.length - 1];
    expect(catchUp?.coalesced).toBeGreaterThanOrEqual(5);
    // Only one run stood for the fires missed while down: every other run after the restart is for a later fire.
    const catchUpFire = Date.parse(catchUp?.scheduledAt ?? '');
    expect(afterRestart.filter((r) => Date.parse(r.scheduledAt) <= catchUpFire)).toHaveLength(1);
    second.child.kill('SIGTERM');
    const [code] = (await once(second.child, 'exit')) as [number | null];
    expect(code).toBe(0);
  }, 60_000);

  it('a corrupted database file is a clear start-up error, not a crash loop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickwork-corrupt-'));
    writeFileSync(join(dir, 'tickwork.config.mjs'), 'export default {};\n');
    writeFileSync(join(dir, 'tickwork.db'), 'garbage'.repeat(1000));
    const child = spawn(process.execPath, ['dist/cli.js', 'serve', '--port', '0', '--config', join(dir, 'tickwork.config.mjs')], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TICKWORK_STORE: `sqlite:${join(dir, 'tickwork.db')}` },
    });
    children.push(child);
    let output = '';
    child.stdout?.on('data', (c: Buffer) => void (output += c.toString()));
    child.stderr?.on('data', (c: Buffer) => void (output += c.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(1);
    expect(output).toMatch(/not a Tickwork database or is corrupted/);
  });
});
