/**
 * A few tests on the real clock and a real process, with generous bounds: the fake-clock tests prove the
 * rules; these prove the wiring (setTimeout, pino, signals) works.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { SchedulerService } from '../../src/index.js';

/** A pino logger whose JSON lines land in an array. */
function jsonLines(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

describe('real time', () => {
  it('fires a 200 ms interval job on its grid and logs JSON events through pino', async () => {
    const { logger, lines } = jsonLines();
    const scheduler = new SchedulerService({ logger });
    const scheduled: number[] = [];
    await scheduler.start();
    await scheduler.addIntervalJob((ctx) => void scheduled.push(ctx.scheduledAt.getTime()), 0.2, 'fast');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await scheduler.shutdown();
    expect(scheduled.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < scheduled.length; i++) expect((scheduled[i] as number) - (scheduled[i - 1] as number)).toBe(200);
    const events = lines.map((l) => l.event);
    expect(events[0]).toBe('scheduler_started');
    expect(events).toContain('job_executed');
    expect(events.at(-1)).toBe('scheduler_stopped');
    expect(lines.find((l) => l.event === 'job_executed')).toMatchObject({ jobId: 'fast', outcome: 'succeeded', level: 30 });
  });

  it('shutdown waits for a running async job on the real clock', async () => {
    const { logger } = jsonLines();
    const scheduler = new SchedulerService({ logger });
    let finished = false;
    await scheduler.start();
    await scheduler.addIntervalJob(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 400));
        finished = true;
      },
      0.1,
      'slow',
    );
    await new Promise((resolve) => setTimeout(resolve, 250));
    await scheduler.shutdown();
    expect(finished).toBe(true);
  });

  // examples/basic.mjs imports 'tickwork', which resolves to this package's build (dist/).
  it('the library example stops gracefully on SIGINT with exit code 0', async () => {
    const child = spawn(process.execPath, ['examples/basic.mjs'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => void (output += chunk.toString()));
      const deadline = Date.now() + 15_000;
      while (!output.includes('"event":"scheduler_started"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(output).toContain('"event":"scheduler_started"');
      child.kill('SIGINT');
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(0);
      expect(output).toContain('"event":"scheduler_stopped"');
    } finally {
      // A failed expectation must not leave the example running.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
